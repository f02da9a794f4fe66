"""kubeadm on the HA nodes: `init` on node 1 with the load balancer as controlPlaneEndpoint, then each other
node joins as a control-plane node (stacked etcd) through kubeadm's own `join` phases.

Certificates are distributed by hand as kubeadm's HA guide describes ("manual certificate distribution"):
the cluster CAs and the service-account key pair are copied from node 1. Discovery is by file (a kubeconfig
with the cluster CA and the load balancer) plus a bootstrap token. The kubelet's client certificate is
issued with `kubeadm kubeconfig user` (kubeadm's documented way for a node whose TLS bootstrap cannot
run): TLS bootstrap needs kube-controller-manager's CSR signer, which this trimmed cluster does not run.
"""

import base64
import os
import shutil

import yaml

from kubeauth_node import kubeadm
from kubeauth_node.common import (ADMIN_CONF, ETCD_DATA, K8S_ETC, K8S_VERSION, KUBEADM_CONFIG, KUBELET_HEALTHZ,
                                  KUBELET_LOG, MANIFESTS_DIR, PKI_DIR, STATE_DIR, wait_for, write_file)
from kubeauth_node.ha_layout import APISERVER_PORT, CLUSTER_NAME, LB_ADDRESS, LB_URL

PATCHES_DIR = os.path.join(STATE_DIR, 'patches')
DISCOVERY_CONF = os.path.join(STATE_DIR, 'discovery.conf')
KUBECONFIG_USER_CONFIG = os.path.join(STATE_DIR, 'kubeadm-node.yaml')
INIT_DONE = os.path.join(STATE_DIR, 'init-done')
KUBELET_CONF = os.path.join(K8S_ETC, 'kubelet.conf')
BOOTSTRAP_KUBELET_CONF = os.path.join(K8S_ETC, 'bootstrap-kubelet.conf')
# What kubeadm's HA guide copies to each additional control-plane node.
SHARED_CERTS = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key']
# Manifests a joined node gets from `control-plane-prepare control-plane` that this cluster has no images for.
TRIMMED_MANIFESTS = ['kube-controller-manager.yaml', 'kube-scheduler.yaml']
V1BETA4 = 'kubeadm.k8s.io/v1beta4'
SHUTDOWN_DELAY = '5s'
# A node sets ip_forward in its own network namespace, so only the cgroup v1 check of 1.35+ is skipped (see kubeadm.py).
HA_PREFLIGHT_IGNORED = tuple(name for name in kubeadm.PREFLIGHT_IGNORED if name == 'SystemVerification')


def cluster_configuration():
    return {
        'apiVersion': V1BETA4,
        'kind': 'ClusterConfiguration',
        'kubernetesVersion': K8S_VERSION,
        'clusterName': CLUSTER_NAME,
        'controlPlaneEndpoint': '%s:%d' % (LB_ADDRESS, APISERVER_PORT),
        # As an HA control plane behind a load balancer should run: on SIGTERM the apiserver fails /readyz but keeps
        # serving until HAProxy (inter 1s fall 2) has taken it out, so no connection is reset by its closing listener.
        'apiServer': {'certSANs': [LB_ADDRESS, '127.0.0.1', 'localhost'],
                      'extraArgs': [{'name': 'shutdown-delay-duration', 'value': SHUTDOWN_DELAY}]},
        'etcd': {'local': {'dataDir': ETCD_DATA}},
    }


def _endpoint(node):
    return {'advertiseAddress': node.address, 'bindPort': APISERVER_PORT}


def init_config(node):
    """InitConfiguration for node (node 1 runs it; the others use it for `kubeadm kubeconfig user`)."""
    return yaml.safe_dump_all([
        {'apiVersion': V1BETA4, 'kind': 'InitConfiguration', 'localAPIEndpoint': _endpoint(node),
         'nodeRegistration': kubeadm.node_registration(node.name, node.address), 'patches': {'directory': PATCHES_DIR}},
        cluster_configuration(),
        kubeadm.kubelet_configuration(),
    ], sort_keys=False)


def join_config(node, token):
    return yaml.safe_dump({
        'apiVersion': V1BETA4,
        'kind': 'JoinConfiguration',
        'discovery': {'file': {'kubeConfigPath': DISCOVERY_CONF}, 'tlsBootstrapToken': token},
        'controlPlane': {'localAPIEndpoint': _endpoint(node)},
        'nodeRegistration': kubeadm.node_registration(node.name, node.address),
        'patches': {'directory': PATCHES_DIR},
    }, sort_keys=False)


def write_node_files(node):
    """The node's kubelet patch (its own cgroupRoot) and its InitConfiguration-shaped config."""
    write_file(node.path(os.path.join(PATCHES_DIR, 'kubeletconfiguration+merge.yaml')),
               yaml.safe_dump({'cgroupRoot': node.cgroup_root}))
    write_file(node.path(KUBECONFIG_USER_CONFIG), init_config(node))


def init_first(node):
    """kubeadm init's phases on node 1, up to a ready apiserver, the uploaded config and a marked node."""
    if os.path.exists(node.path(INIT_DONE)):
        return 'already initialised (kubelet %s)' % kubeadm.start_kubelet(node)
    write_node_files(node)
    write_file(node.path(KUBEADM_CONFIG), init_config(node))
    done = kubeadm.init_phases(node, ignored=HA_PREFLIGHT_IGNORED)
    kubeadm.start_kubelet(node)
    kubeadm.wait_apiserver(node, server=node.apiserver_url)
    kubeadm.wait_apiserver(node, what='through the load balancer')
    kubeadm.upload_config(node)
    kubeadm.mark_control_plane(node)
    # cluster-info (read by a joining node's discovery) and the bootstrap-token RBAC.
    kubeadm.kubeadm(node, 'init', 'phase', 'bootstrap-token', '--config=' + KUBEADM_CONFIG)
    write_file(node.path(INIT_DONE), 'kubeadm init phases done\n')
    return done + ', upload-config, mark-control-plane, bootstrap-token'


def joined(node):
    return os.path.exists(node.path(os.path.join(MANIFESTS_DIR, 'etcd.yaml'))) and os.path.exists(node.path(KUBELET_CONF))


def _discovery_kubeconfig(ca_pem):
    return yaml.safe_dump({
        'apiVersion': 'v1',
        'kind': 'Config',
        'clusters': [{'name': CLUSTER_NAME, 'cluster': {
            'server': LB_URL, 'certificate-authority-data': base64.b64encode(ca_pem).decode()}}],
        # No credentials: kubeadm uses the bootstrap token.
        'users': [{'name': 'discovery', 'user': {}}],
        'contexts': [{'name': 'discovery', 'context': {'cluster': CLUSTER_NAME, 'user': 'discovery'}}],
        'current-context': 'discovery',
    }, sort_keys=False)


def distribute_certs(first, node):
    for name in SHARED_CERTS:
        source = first.path(os.path.join(PKI_DIR, name))
        target = node.path(os.path.join(PKI_DIR, name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
        os.chmod(target, 0o600 if name.endswith('.key') else 0o644)


def _kubelet_kubeconfig(node):
    """kubelet.conf signed by the cluster CA for system:node:<name>, pointing at the node's own apiserver
    (kubeadm's ControlPlaneKubeletLocalMode, on by default in 1.34)."""
    result = kubeadm.kubeadm(node, 'kubeconfig', 'user', '--config=' + KUBECONFIG_USER_CONFIG,
                             '--client-name=system:node:' + node.name, '--org=system:nodes')
    config = yaml.safe_load(result.stdout)
    for cluster in config['clusters']:
        cluster['cluster']['server'] = node.apiserver_url
    write_file(node.path(KUBELET_CONF), yaml.safe_dump(config, sort_keys=False), 0o600)


def join(first, node):
    """kubeadm join --control-plane, phase by phase, for node (first is node 1, already initialised)."""
    if joined(node):
        return 'already joined (kubelet %s)' % kubeadm.start_kubelet(node)
    write_node_files(node)
    token = kubeadm.kubeadm(first, 'token', 'create', '--ttl=15m', '--description=join of ' + node.name).stdout.strip()
    with open(first.path(os.path.join(PKI_DIR, 'ca.crt')), 'rb') as handle:
        write_file(node.path(DISCOVERY_CONF), _discovery_kubeconfig(handle.read()), 0o600)
    write_file(node.path(KUBEADM_CONFIG), join_config(node, token), 0o600)
    distribute_certs(first, node)
    cfg = '--config=' + KUBEADM_CONFIG
    kubeadm.kubeadm(node, 'join', 'phase', 'preflight', cfg,
                    *(['--ignore-preflight-errors=' + ','.join(HA_PREFLIGHT_IGNORED)] if HA_PREFLIGHT_IGNORED else []))
    for phase in ('certs', 'kubeconfig', 'control-plane'):
        kubeadm.kubeadm(node, 'join', 'phase', 'control-plane-prepare', phase, cfg)
    for name in TRIMMED_MANIFESTS:
        path = node.path(os.path.join(MANIFESTS_DIR, name))
        if os.path.exists(path):
            os.unlink(path)
    # Writes config.yaml (with this node's patch), kubeadm-flags.env and bootstrap-kubelet.conf; its
    # attempt to start the kubelet through systemd does nothing here, so the init script does it.
    kubeadm.kubeadm(node, 'join', 'phase', 'kubelet-start', cfg)
    _kubelet_kubeconfig(node)
    kubeadm.start_kubelet(node)
    # Adds this node's etcd as a learner, writes its manifest, waits for it to catch up and promotes it.
    kubeadm.kubeadm(node, 'join', 'phase', 'etcd-join', cfg, timeout=600)
    # What the hidden kubelet-wait-bootstrap phase does once the kubelet has its kubeconfig.
    wait_for('join', 'kubelet /healthz on ' + node.name, lambda: node.http_ok(KUBELET_HEALTHZ), timeout=120,
             log=node.path(KUBELET_LOG))
    if os.path.exists(node.path(BOOTSTRAP_KUBELET_CONF)):
        os.unlink(node.path(BOOTSTRAP_KUBELET_CONF))
    kubeadm.kubeadm(node, 'join', 'phase', 'control-plane-join', 'mark-control-plane', cfg)
    kubeadm.wait_apiserver(node, server=node.apiserver_url)
    return 'joined (etcd member, apiserver ready, marked control-plane)'


def kubeconfig_for(first, server):
    """node 1's admin.conf with another server (the load balancer's, or one node's apiserver)."""
    with open(first.path(ADMIN_CONF), encoding='utf-8') as handle:
        config = yaml.safe_load(handle)
    for cluster in config['clusters']:
        cluster['cluster']['server'] = server
    return yaml.safe_dump(config, sort_keys=False)
