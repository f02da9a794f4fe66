"""The HA cluster's layout: names, addresses, directories, and a node as a Target.

Each node has its own network namespace (a veth on the bridge), UTS namespace (its host name) and mount
namespace, kept by bind-mounted namespace files. The mount namespace binds the node's private directories
over the paths a node owns, so kubeadm, the kubelet, containerd, `service` and an SSH session inside the
node all see that node's /etc/kubernetes, /var/lib/kubelet, /etc/init.d, /var/log, ...
"""

import os

from kubeauth_node.common import ETCD_DATA, INIT_D, K8S_ETC, KUBELET_DIR, LOG_DIR, RUN_DIR, STATE_DIR, http_ok
from kubeauth_node.host import HA_LEDGER, HA_STATE_DIR
from kubeauth_node.target import Target

HA_RUN_DIR = '/run/kubeauth-ha'
HA_LOG_DIR = '/var/log/kubeauth-ha'
NS_DIR = os.path.join(HA_RUN_DIR, 'ns')
NODES_DIR = os.path.join(HA_STATE_DIR, 'nodes')
LEDGER = HA_LEDGER

# 198.18.0.0/15 is the benchmarking range (RFC 2544): nothing here leaves the machine. The single node
# uses 198.18.0.1 on lo; the HA cluster uses its own /24 on a bridge.
SUBNET_PREFIX = '198.18.1.'
PREFIX_LENGTH = 24
BRIDGE = 'kubeauth-br0'
BRIDGE_ADDRESS = SUBNET_PREFIX + '1'
LB_ADDRESS = SUBNET_PREFIX + '2'
LB_NETNS = 'kubeauth-lb'
LB_VETH = 'kubeauth-lb'
APISERVER_PORT = 6443
LB_URL = 'https://%s:%d' % (LB_ADDRESS, APISERVER_PORT)
MAX_NODES = 9
CLUSTER_NAME = 'kubeauth-ha'
NODE_PYTHON = '/usr/bin/python3'

# The node paths each node has a private copy of, and where that copy lives on this machine.
# /var/log covers the kubelet's and containerd's logs, /var/log/pods and /var/log/containers.
PRIVATE_DIRS = [
    (K8S_ETC, 'etc-kubernetes'),
    (INIT_D, 'init.d'),
    (KUBELET_DIR, 'kubelet'),
    (ETCD_DATA, 'etcd'),
    (STATE_DIR, 'state'),
    # What the collection's roles keep on a node (apiserver_oidc's backups and in-flight marker, oidc_rbac's
    # rendered bindings): each node has its own, as real nodes do.
    ('/var/lib/kubeauth', 'kubeauth'),
    (RUN_DIR, None),
    ('/run/containerd', None),
    (LOG_DIR, None),
]
# Files each node has its own copy of: /etc/hosts names the node (sudo looks its host name up).
PRIVATE_FILES = [('/etc/hosts', 'hosts')]


class ClusterNode(Target):
    """Node i of the HA cluster: node<i> at 198.18.1.<10+i>."""

    def __init__(self, index):
        super().__init__('node%d' % index, SUBNET_PREFIX + str(10 + index))
        self.index = index
        self.netns = 'kubeauth-node%d' % index
        self.netns_file = os.path.join('/run/netns', self.netns)
        self.veth = 'kubeauth-n%d' % index
        self.mount_ns = os.path.join(NS_DIR, self.name + '.mnt')
        self.uts_ns = os.path.join(NS_DIR, self.name + '.uts')
        self.state = os.path.join(NODES_DIR, self.name)
        self.run_dir = os.path.join(HA_RUN_DIR, 'nodes', self.name)
        self.log_dir = os.path.join(HA_LOG_DIR, self.name)
        # The kubelet's cgroupRoot: three kubelets must not share /kubepods in the cgroup hierarchies.
        self.cgroup_root = '/kubeauth-%s' % self.name
        self.apiserver_url = 'https://%s:%d' % (self.address, APISERVER_PORT)
        self.binds = {}
        for node_path, private in PRIVATE_DIRS:
            if node_path == LOG_DIR:
                self.binds[node_path] = self.log_dir
            elif private is None:
                self.binds[node_path] = os.path.join(self.run_dir, os.path.basename(node_path))
            else:
                self.binds[node_path] = os.path.join(self.state, private)
        for node_path, private in PRIVATE_FILES:
            self.binds[node_path] = os.path.join(self.state, private)

    def path(self, node_path):
        for prefix in sorted(self.binds, key=len, reverse=True):
            if node_path == prefix or node_path.startswith(prefix + '/'):
                return self.binds[prefix] + node_path[len(prefix):]
        return node_path

    def exec_prefix(self):
        """The command prefix that runs a command inside this node, as root."""
        return ['nsenter', '--mount=' + self.mount_ns, '--uts=' + self.uts_ns, '--net=' + self.netns_file, '--']

    def command(self, argv):
        return self.exec_prefix() + list(argv)

    def http_ok(self, url):
        # 127.0.0.1 is the node's own loopback: ask from inside. Other addresses are reachable from here.
        if '//127.0.0.1' not in url and '//localhost' not in url:
            return http_ok(url)
        code, _out = self.call([NODE_PYTHON, '-c', 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)',
                                url], timeout=10)
        return code == 0

    def kubeconfig(self):
        """This machine's admin kubeconfig that talks to this node's apiserver only."""
        return os.path.join(HA_STATE_DIR, 'kubeconfigs', self.name + '.conf')


def hosts_file(count):
    """The nodes' /etc/hosts: loopback, and every node and the load balancer by name."""
    lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', '# the kubeauth HA test cluster']
    lines += ['%s node%d' % (SUBNET_PREFIX + str(10 + index), index) for index in range(1, count + 1)]
    lines.append('%s kubeauth-lb' % LB_ADDRESS)
    return '\n'.join(lines) + '\n'


def cluster_nodes(count):
    if not 1 <= count <= MAX_NODES:
        raise ValueError('--nodes must be between 1 and %d, not %d' % (MAX_NODES, count))
    return [ClusterNode(index) for index in range(1, count + 1)]


LB_KUBECONFIG = os.path.join(HA_STATE_DIR, 'kubeconfigs', 'admin.conf')
INVENTORY = os.path.join(HA_STATE_DIR, 'inventory.yml')
