"""Where a node's files live on this machine and how its commands run.

The single node is this machine itself (`HOST`): node paths are host paths and commands run as they are.
A node of the HA cluster (ha_netns.ClusterNode) keeps its files in private directories that its own mount
namespace binds over the same node paths, and runs its commands through nsenter: the stages that set up
containerd, images, kubeadm and the kubelet are written once, against this interface.
"""

import socket
import subprocess

from kubeauth_node.common import ADMIN_CONF, CRICTL_CONFIG, binary, http_ok, run

# kubeadm reads advertiseAddress 127.0.0.1 as "the global address on lo", and the kubelet refuses a
# loopback node IP: so the single node's lo carries one address from the benchmarking range (RFC 2544),
# reachable from this machine only. Clients still use 127.0.0.1 (controlPlaneEndpoint).
LO_ADDRESS = '198.18.0.1'


class Target:
    """The host as a node: identity paths, commands run directly."""

    def __init__(self, name, address):
        self.name = name
        self.address = address

    def path(self, node_path):
        """The host path of a path as the node sees it."""
        return node_path

    def command(self, argv):
        """argv made to run inside the node."""
        return list(argv)

    def run(self, stage, argv, **kwargs):
        return run(stage, self.command(argv), **kwargs)

    def call(self, argv, timeout=60):
        """(returncode, stdout) of a command inside the node; never raises on a failed command."""
        try:
            result = subprocess.run(self.command(argv), capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.SubprocessError):
            return 1, ''
        return result.returncode, result.stdout

    def crictl(self, *args):
        """crictl inside the node, on the node's containerd."""
        return self.command(crictl_argv(*args))

    def kubectl(self, *args, kubeconfig=ADMIN_CONF):
        """kubectl inside the node, with the node's admin kubeconfig unless told otherwise."""
        return self.command(kubectl_argv(kubeconfig, *args))

    def http_ok(self, url):
        """True when url answers 200 as seen from inside the node."""
        return http_ok(url)


def crictl_argv(*args):
    return [binary('crictl'), '--config', CRICTL_CONFIG] + list(args)


def kubectl_argv(kubeconfig, *args):
    return [binary('kubectl'), '--kubeconfig', kubeconfig] + list(args)


def host_node_name():
    # kubeadm's default node name: the lower-cased host name.
    return socket.gethostname().lower()


HOST = Target(host_node_name(), LO_ADDRESS)
