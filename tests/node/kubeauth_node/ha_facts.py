"""What tests, the bench and molecule need to know about the HA cluster (`node.py env --nodes 3`), and its status."""

import json
import os
import ssl
import subprocess
import urllib.request

from kubeauth_node import ha_lb, ha_ssh
from kubeauth_node.common import (ADMIN_CONF, APISERVER_MANIFEST, BIN_DIR, CONTAINERD_LOG, CRICTL_CONFIG, K8S_VERSION,
                                  KUBEADM_CONFIG, KUBELET_LOG, MANIFESTS_DIR, PKI_DIR, STATE_DIR, binary, read_json)
from kubeauth_node.ha_layout import (BRIDGE_ADDRESS, CLUSTER_NAME, HA_STATE_DIR, INVENTORY, LB_ADDRESS, LB_KUBECONFIG,
                                     LB_URL, LEDGER, NODE_PYTHON, cluster_nodes)
from kubeauth_node.target import crictl_argv

CA_CERT = os.path.join(HA_STATE_DIR, 'kubeconfigs', 'ca.crt')


def recorded_count():
    """How many nodes the HA cluster that is up (or half up) has; 0 when there is none."""
    return int(read_json(LEDGER, {}).get('nodes', 0))


def node_facts(node):
    return {
        'name': node.name,
        'address': node.address,
        'apiserver_url': node.apiserver_url,
        # This machine's admin kubeconfig for this node's apiserver alone (not through the load balancer).
        'kubeconfig': node.kubeconfig(),
        # Prepend to argv to run it inside the node, as root (its mount, UTS and network namespaces).
        'exec_prefix': node.exec_prefix(),
        'netns': node.netns,
        'cgroup_root': node.cgroup_root,
        # The manifest as the node sees it (what Ansible over SSH edits) and where that file is on this machine.
        'apiserver_manifest': APISERVER_MANIFEST,
        'apiserver_manifest_host_path': node.path(APISERVER_MANIFEST),
        'host_paths': dict(sorted(node.binds.items())),
        'kubelet_log': node.path(KUBELET_LOG),
        'containerd_log': node.path(CONTAINERD_LOG),
        'sshd_log': node.path(ha_ssh.NODE_SSHD_LOG),
    }


def env_facts(count=None):
    count = count or recorded_count() or 3
    nodes = cluster_nodes(count)
    return {
        'cluster': 'ha',
        'cluster_name': CLUSTER_NAME,
        'node_count': count,
        'k8s_version': K8S_VERSION,
        'bin_dir': BIN_DIR,
        'kubectl': binary('kubectl'),
        'kubeadm': binary('kubeadm'),
        'crictl': binary('crictl'),
        # Through the load balancer, from this machine.
        'lb_address': LB_ADDRESS,
        'lb_url': LB_URL,
        'apiserver_url': LB_URL,
        'kubeconfig': LB_KUBECONFIG,
        'ca_cert': CA_CERT,
        'haproxy_config': ha_lb.CONFIG,
        'haproxy_stats_socket': ha_lb.STATS_SOCKET,
        'haproxy_log': ha_lb.LOG,
        # The address of this machine on the nodes' bridge: a server the nodes must reach (an OIDC issuer) binds here.
        'controller_address': BRIDGE_ADDRESS,
        'inventory': INVENTORY,
        'ssh_user': ha_ssh.SSH_USER,
        'ssh_private_key': ha_ssh.PRIVATE_KEY,
        'ssh_known_hosts': ha_ssh.KNOWN_HOSTS,
        'ssh_common_args': ha_ssh.SSH_COMMON_ARGS,
        # Paths as every node sees them (what a role running on the node over SSH is given).
        'node_side': {
            'python': NODE_PYTHON,
            'kubectl': binary('kubectl'),
            'crictl': binary('crictl'),
            'crictl_args': crictl_argv()[1:],
            'crictl_config': CRICTL_CONFIG,
            'kubeconfig': ADMIN_CONF,
            'manifests_dir': MANIFESTS_DIR,
            'apiserver_manifest': APISERVER_MANIFEST,
            'pki_dir': PKI_DIR,
            'kubeadm_config': KUBEADM_CONFIG,
            'kubelet_service': 'kubelet',
            'containerd_service': 'containerd',
            'ssh_service': 'ssh',
            'state_dir': STATE_DIR,
        },
        'nodes': [node_facts(node) for node in nodes],
    }


def etcd_members(node):
    """Names of the etcd members, asked from node's etcd through its v3 JSON gateway (what `etcdctl member list` asks)."""
    pki = node.path(os.path.join(PKI_DIR, 'etcd'))
    context = ssl.create_default_context(cafile=os.path.join(pki, 'ca.crt'))
    context.load_cert_chain(os.path.join(pki, 'healthcheck-client.crt'), os.path.join(pki, 'healthcheck-client.key'))
    request = urllib.request.Request('https://%s:2379/v3/cluster/member/list' % node.address, data=b'{}', method='POST',
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=5, context=context) as response:  # nosec: the node's own etcd
        members = json.load(response).get('members', [])
    return sorted(member.get('name', '') for member in members if not member.get('isLearner'))


def readyz(url, timeout=5):
    """True when an apiserver (or the load balancer) at url answers /readyz with 200, verified against the cluster CA."""
    if not os.path.exists(CA_CERT):
        return False
    context = ssl.create_default_context(cafile=CA_CERT)
    try:
        with urllib.request.urlopen(url + '/readyz', timeout=timeout, context=context) as response:  # nosec: the test cluster
            return response.status == 200
    except (OSError, ValueError):
        return False


def lb_readyz(timeout=5):
    return readyz(LB_URL, timeout)


def node_names_via_lb():
    result = subprocess.run([binary('kubectl'), '--kubeconfig', LB_KUBECONFIG, 'get', 'nodes', '-o',
                             'jsonpath={.items[*].metadata.name}', '--request-timeout=10s'],
                            capture_output=True, text=True, check=False, timeout=30)
    return sorted(result.stdout.split()) if result.returncode == 0 else []
