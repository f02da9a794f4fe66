"""The HA test cluster itself: three control-plane nodes in their own namespaces, HAProxy in front, real SSH.

What the rollout tests stand on: Ansible reaches every node over SSH as a non-root user and becomes root
there; each node has its own manifest, kubelet and init scripts; the load balancer reaches three
apiservers backed by a three-member etcd, and keeps serving when one node's apiserver is gone.

Run: python3 -m pytest -m ha tests/node/test_ha_cluster.py -v   (as root; tests/node/README.md)
"""

import json
import os
import re
import subprocess
import sys
import time

import pytest

from kubeauth_node import ha_facts, ha_lb
from kubeauth_node.loadgen import LoadGenerator, admin_token
from kubeauth_node.target import crictl_argv

pytestmark = [pytest.mark.node, pytest.mark.ha]


def ansible(facts, *args, timeout=180):
    """Ad-hoc ansible against the cluster's inventory; {host: output} of a one-line-per-host (-o) run."""
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible'), '-i', facts['inventory'], 'control_plane', '-o'] + list(args)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=env)
    assert result.returncode == 0, '%s\n%s%s' % (' '.join(command), result.stdout, result.stderr)
    outputs = {}
    for line in result.stdout.splitlines():
        match = re.match(r'^(\S+) \| (\w+)(?: \| rc=\d+)? \| \(stdout\) (.*)$', line) or re.match(r'^(\S+) \| (\w+) => (.*)$', line)
        if match:
            outputs[match.group(1)] = match.group(3)
    assert sorted(outputs) == [node['name'] for node in facts['nodes']], result.stdout
    return outputs


def kubectl(facts, *args, kubeconfig=None):
    result = subprocess.run([facts['kubectl'], '--kubeconfig', kubeconfig or facts['kubeconfig']] + list(args),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait(what, probe, timeout=120, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(interval)
    raise AssertionError('timed out after %ss waiting for %s' % (timeout, what))


def test_ansible_over_ssh_sees_each_nodes_own_manifest(ha_cluster):
    """Over SSH with become, each node's /etc/kubernetes is its own: its manifest advertises its own address."""
    outputs = ansible(ha_cluster, '--become', '-m', 'ansible.builtin.command', '-a', 'cat /etc/kubernetes/manifests/kube-apiserver.yaml')
    addresses = {node['name']: node['address'] for node in ha_cluster['nodes']}
    for name, output in outputs.items():
        advertised = re.findall(r'--advertise-address=([0-9.]+)', output)
        assert advertised == [addresses[name]], (name, advertised)


def test_ssh_user_is_not_root_and_becomes_root(ha_cluster):
    # The inventory says become: true; without it the session is the SSH user's.
    no_become = ['-e', '{"ansible_become": false}']
    assert set(ansible(ha_cluster, *no_become, '-m', 'ansible.builtin.command', '-a', 'id -un').values()) == {ha_cluster['ssh_user']}
    assert set(ansible(ha_cluster, '-m', 'ansible.builtin.command', '-a', 'id -un').values()) == {'root'}
    # Each session runs inside its node: its host name is the node's.
    hostnames = ansible(ha_cluster, *no_become, '-m', 'ansible.builtin.command', '-a', 'hostname')
    assert hostnames == {node['name']: node['name'] for node in ha_cluster['nodes']}


def test_modules_run_on_the_nodes_python_with_yaml(ha_cluster):
    """Ansible uses the node's /usr/bin/python3 (not the controller's virtualenv), and it imports PyYAML."""
    outputs = ansible(ha_cluster, '-m', 'ansible.builtin.command', '-a', '/usr/bin/python3 -c "import sys, yaml; print(sys.executable)"')
    assert set(outputs.values()) == {'/usr/bin/python3'}
    facts = ansible(ha_cluster, '-m', 'ansible.builtin.setup', '-a', 'filter=ansible_python')
    for output in facts.values():
        assert json.loads(output)['ansible_facts']['ansible_python']['executable'] == '/usr/bin/python3'


def test_service_restart_on_one_node_restarts_only_its_kubelet(ha_cluster, ha_nodes):
    """`service kubelet restart` (Ansible's service module, over SSH) on node 2 hits node 2's kubelet only."""
    def pids():
        values = {}
        for node in ha_nodes:
            with open(node.path('/run/kubeauth-node/kubelet.pid'), encoding='utf-8') as handle:
                values[node.name] = int(handle.read())
        return values

    before = pids()
    assert len(set(before.values())) == len(ha_nodes)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible'), '-i', ha_cluster['inventory'], 'node2', '--become',
               '-m', 'ansible.builtin.service', '-a', 'name=kubelet state=restarted']
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    after = pids()
    assert after['node2'] != before['node2']
    assert {name: pid for name, pid in after.items() if name != 'node2'} == {name: pid for name, pid in before.items() if name != 'node2'}
    wait('node2 kubelet healthy', lambda: ha_nodes[1].http_ok('http://127.0.0.1:10248/healthz'))


def test_lb_lists_every_node_and_etcd_has_every_member(ha_cluster, ha_nodes):
    names = [node['name'] for node in ha_cluster['nodes']]
    assert sorted(kubectl(ha_cluster, 'get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}').split()) == names
    # Every member votes (none a learner), and every node's etcd says so.
    for node in ha_nodes:
        assert ha_facts.etcd_members(node) == names
    # Every apiserver registered itself behind the kubernetes service.
    endpoints = json.loads(kubectl(ha_cluster, '-n', 'default', 'get', 'endpoints', 'kubernetes', '-o', 'json'))
    assert sorted(a['ip'] for subset in endpoints['subsets'] for a in subset['addresses']) == [n['address'] for n in ha_cluster['nodes']]


def test_per_node_kubeconfig_reaches_that_nodes_apiserver(ha_cluster):
    for node in ha_cluster['nodes']:
        assert kubectl(ha_cluster, 'get', '--raw', '/readyz', kubeconfig=node['kubeconfig']).strip() == 'ok'
        assert kubectl(ha_cluster, 'config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}',
                       kubeconfig=node['kubeconfig']) == node['apiserver_url']


@pytest.fixture(name='stopped_node')
def stopped_node_fixture(ha_cluster, ha_nodes):
    """Node 3 with its kubelet stopped and its apiserver container stopped; restarted afterwards, whatever happens."""
    node = ha_nodes[-1]
    yield node
    node.call(['service', 'kubelet', 'start'])
    wait('%s back in the load balancer' % node.name, lambda: ha_lb.stats().get(node.name) == 'UP', timeout=180)


def test_lb_keeps_serving_with_one_apiserver_stopped(ha_cluster, stopped_node):
    token = admin_token(ha_cluster['kubeconfig'])
    with LoadGenerator(ha_cluster['lb_url'], ha_cluster['ca_cert'], {'admin': token}, rate=10, duration=60) as load:
        time.sleep(2)
        stopped_node.run('test', ['service', 'kubelet', 'stop'])
        code, ids = stopped_node.call(crictl_argv('ps', '-q', '--name', '^kube-apiserver$'))
        assert code == 0 and ids.split(), 'no running kube-apiserver container on %s' % stopped_node.name
        stopped_node.run('test', crictl_argv('stop', *ids.split()))
        stopped_at = load.elapsed()
        wait('HAProxy to take %s out' % stopped_node.name, lambda: ha_lb.stats().get(stopped_node.name) == 'DOWN', timeout=30)
        down_at = load.elapsed()
        time.sleep(10)
        report = load.stop()
    print('load through the LB: %s; apiserver stopped at %.1fs, marked DOWN at %.1fs; failures %s'
          % ({k: report[k] for k in ('sent', 'ok', 'failed')}, stopped_at, down_at, report['failures']))
    assert report['sent'] >= 100
    after_down = [failure for failure in report['failures'] if failure['at'] >= down_at]
    assert not after_down, 'requests failed after HAProxy took the stopped apiserver out: %s' % after_down
    assert ha_facts.lb_readyz()
    assert set(ha_lb.stats().values()) == {'UP', 'DOWN'}


def test_load_generator_is_bounded_and_counts_each_tokens_failures(ha_cluster):
    """Fixed rate, a hard stop at the duration or the request cap, and a token added mid-run counted on its own."""
    token = admin_token(ha_cluster['kubeconfig'])
    started = time.monotonic()
    with LoadGenerator(ha_cluster['lb_url'], ha_cluster['ca_cert'], {'admin': token}, rate=10, duration=4) as load:
        time.sleep(2)
        load.add_token('not-a-token', 'kubeauth-not-a-valid-token')
        report = load.wait()
    assert time.monotonic() - started < 4 + 5 + 2, 'the generator outlived its duration'
    assert report['per_token']['admin'] == {'sent': 40, 'ok': 40, 'failed': 0}
    assert 15 <= report['per_token']['not-a-token']['sent'] <= 21
    assert report['per_token']['not-a-token']['failed'] == report['per_token']['not-a-token']['sent']
    assert set(report['reasons']) == {'HTTP 401 Unauthorized'}
    assert all(failure['at'] >= 2 and failure['token'] == 'not-a-token' for failure in report['failures'])
    capped = LoadGenerator(ha_cluster['lb_url'], ha_cluster['ca_cert'], {'admin': token}, rate=50, duration=60, max_requests=7)
    assert capped.start().wait()['sent'] == 7
