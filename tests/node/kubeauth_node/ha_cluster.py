"""The HA cluster: `node.py up|down|status --nodes N` (N >= 2; three by default in the tests).

up: namespaces and bridge, per node containerd + images, HAProxy, kubeadm init on node 1, kubeadm join of
the others, kubeconfigs, sshd + inventory, then a check of the whole. Every stage is a no-op when done.
down: every process in the nodes' namespaces and cgroups, the namespaces, bridge, veths, mounts,
cgroups, HAProxy, the SSH user and the private directories; node logs are kept under /var/log/kubeauth-ha.
"""

import os
import shutil

from kubeauth_node import ha_facts, ha_kubeadm, ha_lb, ha_netns, ha_ssh, host
from kubeauth_node.build import build
from kubeauth_node.common import KUBEADM_CONFIG, PKI_DIR, StageError, read_json, run_stages, say, wait_quietly, write_file, write_json
from kubeauth_node.containerd import start_containerd
from kubeauth_node.ha_layout import (HA_LOG_DIR, HA_RUN_DIR, HA_STATE_DIR, LB_KUBECONFIG, LB_NETNS, LB_URL, LEDGER,
                                     MAX_NODES, NODES_DIR, cluster_nodes)
from kubeauth_node.images import import_images, kubeadm_images

# Logs of the node tools' own services, removed with the node (the rest of a node's /var/log is kept).
DROPPED_LOG_DIRS = ['pods', 'containers']


def _record_ledger(count):
    ledger = read_json(LEDGER, {})
    if ledger.get('nodes') not in (None, count):
        raise StageError('host-state', 'an HA cluster of %d nodes is up: take it down first (node.py down --nodes %d)'
                         % (ledger['nodes'], ledger['nodes']))
    if not ledger:
        ledger = {'nodes': count, 'sysctls': host.original_sysctls(host.LEDGER), 'created_dirs': []}
        write_json(LEDGER, ledger)
    return ledger


def _per_node(nodes, action):
    return ', '.join('%s %s' % (node.name, action(node)) for node in nodes)


def _kubeconfigs(first, nodes):
    write_file(LB_KUBECONFIG, ha_kubeadm.kubeconfig_for(first, LB_URL), 0o600)
    for node in nodes:
        write_file(node.kubeconfig(), ha_kubeadm.kubeconfig_for(first, node.apiserver_url), 0o600)
    shutil.copyfile(first.path(os.path.join(PKI_DIR, 'ca.crt')), ha_facts.CA_CERT)
    return 'load balancer %s, one per node' % LB_KUBECONFIG


def _ready(nodes):
    """The whole cluster as the tests use it: LB /readyz, every node listed, every etcd member voting, HAProxy sees all up."""
    names = sorted(node.name for node in nodes)
    checks = {
        'load balancer /readyz': ha_facts.lb_readyz,
        'nodes %s listed' % ', '.join(names): lambda: ha_facts.node_names_via_lb() == names,
        'etcd members %s' % ', '.join(names): lambda: ha_facts.etcd_members(nodes[0]) == names,
        'HAProxy sees every apiserver UP': lambda: set(ha_lb.stats().values()) == {'UP'} and len(ha_lb.stats()) == len(nodes),
    }
    for what, probe in checks.items():
        if not wait_quietly(probe, 120, interval=1):
            raise StageError('ready', 'not true after 120s: %s' % what, None, 'HAProxy: %s' % ha_lb.stats())
    return 'ready: ' + '; '.join(checks)


def up(count=3):
    if count < 2:
        raise StageError('up', 'the HA cluster needs --nodes 2 or more (--nodes 1 is the single node on this machine)')
    nodes = cluster_nodes(count)
    first = nodes[0]
    images = {}
    ledger = {}

    def stage_namespaces():
        result = _per_node(nodes, lambda node: ha_netns.ensure_mount_namespace(node, ledger, count))
        for node in nodes:
            ha_netns.ensure_cgroup_root(node)
        return result

    def stage_image_names():
        write_file(first.path(KUBEADM_CONFIG), ha_kubeadm.init_config(first))
        images.update(kubeadm_images(first))
        return 'kubeadm asks for ' + ', '.join(images[name] for name in ('kube-apiserver', 'etcd', 'pause'))

    stages = [
        ('build', build),
        ('packages', lambda: host.ensure_packages(ha=True)),
        ('host-state', lambda: ledger.update(_record_ledger(count)) or 'recorded in ' + LEDGER),
        ('network', lambda: ha_netns.ensure_network(nodes)),
        ('namespaces', stage_namespaces),
        ('image-names', stage_image_names),
        ('containerd', lambda: _per_node(nodes, lambda node: start_containerd(node, images['pause']))),
        ('images', lambda: _per_node(nodes, lambda node: import_images(node, images))),
        ('load-balancer', lambda: ha_lb.ensure_haproxy(nodes)),
        ('init ' + first.name, lambda: ha_kubeadm.init_first(first)),
    ]
    stages += [('join ' + node.name, lambda node=node: ha_kubeadm.join(first, node)) for node in nodes[1:]]
    stages += [
        ('kubeconfigs', lambda: _kubeconfigs(first, nodes)),
        ('ssh', lambda: ha_ssh.ensure_ssh(nodes)),
        ('ready', lambda: _ready(nodes)),
    ]
    elapsed = run_stages('up', stages)
    say('up: HA cluster of %d nodes ready in %.1fs; kubeconfig %s (through %s); inventory %s'
        % (count, elapsed, LB_KUBECONFIG, LB_URL, ha_facts.INVENTORY))


def _existing_nodes():
    """Every node a (possibly half-made) cluster may have left: by the ledger, the netns and the state directories."""
    count = ha_facts.recorded_count()
    nodes = []
    for node in cluster_nodes(MAX_NODES):
        if node.index <= count or os.path.exists(node.netns_file) or os.path.exists(node.state) \
                or os.path.exists(node.mount_ns) or os.path.isdir('/sys/fs/cgroup/pids' + node.cgroup_root):
            nodes.append(node)
    return nodes


def _stop_node(node):
    # The kubelet first, so that it does not restart what is killed next.
    if os.path.exists(node.mount_ns) and os.path.exists(node.netns_file):
        for name in ('kubelet', 'ssh', 'containerd'):
            if ha_netns.our_init_script(node.path('/etc/init.d/' + name)):
                node.call(['service', name, 'stop'], timeout=60)
    ha_netns.kill_processes(lambda: ha_netns.processes_of(node), node.name)
    ha_netns.remove_cgroup_root(node)
    ha_netns.remove_namespaces(node)


def _lb_processes():
    path = '/run/netns/' + LB_NETNS
    if not os.path.exists(path):
        return set()
    inode = os.stat(path).st_ino
    pids = set()
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                if os.readlink('/proc/%s/ns/net' % entry) == 'net:[%d]' % inode:
                    pids.add(int(entry))
            except OSError:
                continue
    return pids


def down():
    """Take away everything `up` made; safe to run twice, and after a half-finished `up`."""
    nodes = _existing_nodes()
    ledger = read_json(LEDGER, {})
    ha_lb.stop_haproxy()
    ha_netns.kill_processes(_lb_processes, 'the load balancer')
    for node in nodes:
        _stop_node(node)
        for name in DROPPED_LOG_DIRS:
            path = os.path.join(node.log_dir, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
    ha_netns.remove_network()
    ha_ssh.remove_ssh_host_state()
    if ledger:
        host.restore_sysctls(ledger.get('sysctls', {}), host.single_active())
    ha_netns.release_created_dirs(host.single_active())
    for path in (NODES_DIR, HA_RUN_DIR, HA_STATE_DIR):
        if os.path.isdir(path):
            shutil.rmtree(path)
    say('down: HA cluster removed (%s); logs kept in %s' % (', '.join(node.name for node in nodes) or 'nothing was up', HA_LOG_DIR))


def status():
    count = ha_facts.recorded_count()
    nodes = cluster_nodes(count) if count else []
    report = {'nodes': count, 'load_balancer': ha_lb.stats(), 'lb_ready': ha_facts.lb_readyz(), 'node_status': {}}
    for node in nodes:
        namespaces = os.path.exists(node.mount_ns) and os.path.exists(node.netns_file)
        report['node_status'][node.name] = {
            'namespaces': namespaces,
            'kubelet': namespaces and node.call(['service', 'kubelet', 'status'])[0] == 0,
            'sshd': namespaces and node.call(['service', 'ssh', 'status'])[0] == 0,
            'apiserver_ready': namespaces and ha_facts.readyz(node.apiserver_url),
        }
    return report
