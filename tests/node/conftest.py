"""The HA cluster as a pytest fixture, shared by every `ha` test of a session (tests/node/README.md)."""

import json
import os
import subprocess
import sys

import pytest

from kubeauth_node.ha_layout import cluster_nodes

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'node.py')
HA_NODES = 3


def node_cli(*args, timeout=600):
    return subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope='session', name='ha_cluster')
def ha_cluster_fixture():
    """`node.py env --nodes 3` of the HA cluster, up (brought up or reused); taken down at the end of the
    session unless KUBEAUTH_NODE_KEEP=1. A cluster that cannot come up fails the tests that need it."""
    result = node_cli('up', '--nodes', str(HA_NODES), timeout=3 * 3600)
    print(result.stdout)
    if result.returncode != 0:
        node_cli('down', '--nodes', str(HA_NODES))
        pytest.fail('node.py up --nodes %d failed:\n%s\n%s' % (HA_NODES, result.stdout[-3000:], result.stderr[-6000:]),
                    pytrace=False)
    facts = json.loads(node_cli('env', '--nodes', str(HA_NODES)).stdout)
    yield facts
    if os.environ.get('KUBEAUTH_NODE_KEEP') != '1':
        down = node_cli('down', '--nodes', str(HA_NODES))
        assert down.returncode == 0, down.stdout + down.stderr


@pytest.fixture(name='ha_nodes')
def ha_nodes_fixture(ha_cluster):
    """The cluster's nodes as kubeauth_node.ha_layout.ClusterNode objects (run / call / path inside each node)."""
    return cluster_nodes(ha_cluster['node_count'])
