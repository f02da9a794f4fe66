"""The rolling rollout as users run it: playbooks/site.yml from this machine over SSH with become, against the
three control-plane nodes of the HA cluster (serial: 1), behind HAProxy, with load through the load balancer.

In file order, on one cluster and one stand-in:
  1. the first rollout under load: every node gets the OIDC settings, no request through the load balancer fails;
  2. a re-run changes nothing (no node restarted), and verify.yml accepts a real token over SSH;
  3. faults: a bad flag on node 2 only, an SSH connection to node 3 dropped mid-cycle, the kubelet of node 1
     failing to restart. Each ends with the cluster serving, every manifest the old or the new one, the play
     saying which node carries what; a re-run converges.

Run: python3 -m pytest -m ha tests/node/test_rollout_ha.py -v   (as root; brings the cluster up, tests/node/README.md)
"""

import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import yaml

from e2e.ha_stack import HAStack
from e2e.stack import recap
from kubeauth_node import ha_facts
from kubeauth_node.common import MARKER
from kubeauth_node.loadgen import LoadGenerator, admin_token

pytestmark = [pytest.mark.node, pytest.mark.ha]

LOAD_RATE = 4  # requests per second per token, each on a new connection through the load balancer
LOAD_LIMIT = 900  # seconds: the generator stops by itself even if a run hangs


@pytest.fixture(scope='module', name='site')
def site_fixture(ha_cluster, tmp_path_factory):
    stack = HAStack(str(tmp_path_factory.mktemp('ha-site')), ha_cluster)
    yield stack
    stack.stop()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def manifests(facts):
    """{node: bytes of its kube-apiserver manifest, or None when it is not in the manifests directory}."""
    found = {}
    for node in facts['nodes']:
        try:
            with open(node['apiserver_manifest_host_path'], 'rb') as handle:
                found[node['name']] = handle.read()
        except FileNotFoundError:
            found[node['name']] = None
    return found


def running_args(facts, node):
    """The running kube-apiserver container's id and command line on one node."""
    prefix = node['exec_prefix'] + [facts['crictl']] + facts['node_side']['crictl_args']
    ids = subprocess.run(prefix + ['ps', '-q', '--state', 'running', '--name', '^kube-apiserver$'], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    assert len(ids) == 1, (node['name'], ids)
    inspect = subprocess.run(prefix + ['inspect', ids[0]], capture_output=True, text=True, check=True, timeout=60).stdout
    config = json.loads(inspect)['info']['config']
    return ids[0], config.get('command', []) + config.get('args', [])


def wait_serving(facts, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ha_facts.lb_readyz() and all(ha_facts.readyz(node['apiserver_url']) for node in facts['nodes']):
            return
        time.sleep(1)
    raise AssertionError('the cluster did not serve on every node within %ss' % timeout)


def outcome_lines(output):
    """{node: what the play says it carries}, from the rollout summary or the failure message."""
    return dict(re.findall(r'(node\d): (new settings applied by a (?:restart|reload \(no restart\))|already carried the settings'
                           r'|rolled back to its previous settings|restored its previous configuration file'
                           r'|not touched by this run|not reached)', output))


class FirstNodeWatch:
    """Adds the OIDC user's token to the load once the first node's apiserver runs with the OIDC settings."""

    def __init__(self, facts, load, token):
        self.facts, self.load, self.token = facts, load, token
        self.added_at = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        first = self.facts['nodes'][0]
        while not self._stop.wait(0.5):
            data = manifests(self.facts)[first['name']] or b''
            if b'--oidc-issuer-url' in data and ha_facts.readyz(first['apiserver_url']):
                self.load.add_token('oidc', self.token)
                self.added_at = self.load.elapsed()
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_first_rollout_under_load_fails_no_request(ha_cluster, site):
    before = manifests(ha_cluster)
    assert all(data and b'--oidc-issuer-url' not in data for data in before.values()), 'start from a cluster without OIDC'
    token = admin_token(ha_cluster['kubeconfig'])
    # The authentik side first, so the user's token exists before the nodes change.
    rc, output = site.authentik_side()
    assert rc == 0, output
    oidc_token = site.oidc_token()
    # /api answers any authenticated user (system:discovery) and 401 to a token the apiserver does not accept:
    # the OIDC user's requests succeed on exactly the apiservers that carry the settings, before any RBAC.
    with LoadGenerator(ha_cluster['lb_url'], ha_cluster['ca_cert'], {'admin': token}, rate=LOAD_RATE,
                       duration=LOAD_LIMIT, path='/api') as load:
        with FirstNodeWatch(ha_cluster, load, oidc_token) as watch:
            rc, output = site.playbook('site.yml')
            finished_at = load.elapsed()
        time.sleep(5)  # the settled cluster, with both tokens
        report = load.stop()
    print('load through the load balancer: %s' % {k: report[k] for k in ('sent', 'ok', 'failed', 'per_token', 'reasons')})
    assert rc == 0, output
    # Node by node: each restart ran after the previous node was ready again, with a ready peer.
    assert output.count('other ready apiserver(s) serve meanwhile') == len(ha_cluster['nodes']), output
    assert outcome_lines(output) == {node['name']: 'new settings applied by a restart' for node in ha_cluster['nodes']}
    for node in ha_cluster['nodes']:
        _id, args = running_args(ha_cluster, node)
        assert '--oidc-issuer-url=' + site.issuer in args, node['name']
    # Through the load balancer, the admin's requests never failed while the apiservers restarted one by one.
    assert report['per_token']['admin']['failed'] == 0, [f for f in report['failures'] if f['token'] == 'admin']
    assert report['per_token']['admin']['sent'] >= LOAD_RATE * 10
    # The OIDC user's token works from the first node on: a failure can only be an apiserver that does not
    # carry the settings yet (401), never one after the rollout finished.
    assert watch.added_at is not None, 'the first node never ran with the OIDC settings'
    oidc = report['per_token'].get('oidc', {})
    assert oidc.get('ok', 0) > 0, report
    late = [failure for failure in report['failures'] if failure['token'] == 'oidc'
            and (failure['at'] > finished_at or not failure['reason'].startswith('HTTP 401'))]
    assert late == [], late
    # kubeadm-config is cluster-wide: written once, by the last node of the rollout.
    persisted = re.findall(r'TASK \[kubeauth\.authentik\.apiserver_oidc : Write it back to the kubeadm-config ConfigMap[^\n]*\n'
                           r'(changed|ok|skipping): \[(node\d)\]', output)
    assert persisted == [('changed', ha_cluster['nodes'][-1]['name'])], persisted


def test_rerun_changes_nothing_and_verify_accepts_a_real_token(ha_cluster, site):
    before = manifests(ha_cluster)
    containers = {node['name']: running_args(ha_cluster, node)[0] for node in ha_cluster['nodes']}
    rc, output = site.playbook('site.yml')
    assert rc == 0, output
    for node in ha_cluster['nodes']:
        assert recap(output, node['name']).get('changed') == 0, (node['name'], output[-3000:])
    assert recap(output, 'localhost').get('changed') == 0
    assert manifests(ha_cluster) == before
    assert {node['name']: running_args(ha_cluster, node)[0] for node in ha_cluster['nodes']} == containers
    assert outcome_lines(output) == {node['name']: 'already carried the settings' for node in ha_cluster['nodes']}

    rc, output = site.playbook('verify.yml')
    assert rc == 0, output
    assert 'kubectl auth whoami: oidc:k8s-e2e@example.com' in output


def test_bad_flag_on_node2_rolls_node2_back_and_stops_the_rollout(ha_cluster, site):
    before = manifests(ha_cluster)
    names = [node['name'] for node in ha_cluster['nodes']]
    site.write_inventory(host_vars={names[1]: {'apiserver_oidc_extra_flags': {'oidc-no-such-flag': 'x'}}},
                         group_vars={'apiserver_oidc_username_prefix': 'ha-a:'})
    try:
        rc, output = site.playbook('site.yml')
    finally:
        site.write_inventory()
    assert rc != 0
    after = manifests(ha_cluster)
    # Node 1 carries the new settings, node 2 is back on its previous manifest byte for byte, node 3 untouched.
    assert b'--oidc-username-prefix=ha-a:' in after[names[0]]
    assert after[names[1]] == before[names[1]]
    assert after[names[2]] == before[names[2]]
    assert recap(output, names[2]) == {} or recap(output, names[2]).get('ok', 0) == 0, 'node 3 must not be touched'
    says = outcome_lines(output)
    assert says[names[0]] == 'new settings applied by a restart'
    assert says[names[1]] == 'rolled back to its previous settings'
    assert says[names[2]] == 'not touched by this run'
    assert 'The rollout stops here' in output
    wait_serving(ha_cluster)
    # A re-run converges: every node carries the new prefix.
    site.write_inventory(group_vars={'apiserver_oidc_username_prefix': 'ha-a:'})
    rc, output = site.playbook('site.yml')
    assert rc == 0, output
    for node in ha_cluster['nodes']:
        assert '--oidc-username-prefix=ha-a:' in running_args(ha_cluster, node)[1]


def test_ssh_connection_to_node3_dropped_mid_cycle(ha_cluster, site):
    names = [node['name'] for node in ha_cluster['nodes']]
    third = ha_cluster['nodes'][2]
    before = manifests(ha_cluster)
    site.write_inventory(group_vars={'apiserver_oidc_username_prefix': 'ha-b:'})
    in_flight = os.path.join(third['host_paths']['/var/lib/kubeauth'], 'apiserver', 'in-flight.yaml')
    result = {}
    runner = threading.Thread(target=lambda: result.update(zip(('rc', 'output'), site.playbook('site.yml', echo=False))))
    runner.start()
    dropped = False
    deadline = time.monotonic() + 600
    while runner.is_alive() and time.monotonic() < deadline:
        if not dropped and os.path.exists(in_flight):
            # Every SSH session of the Ansible user into node 3 ends at once, as when the link drops.
            dropped = kill_sessions(third['netns'], ha_cluster['ssh_user'])
        time.sleep(0.05)
    runner.join()
    output = result['output']
    print(output)
    assert dropped, 'the run never reached node 3\'s cycle'
    wait_serving(ha_cluster)
    after = manifests(ha_cluster)
    assert b'--oidc-username-prefix=ha-b:' in after[names[0]]
    # Never half: node 3's manifest is its old one or a whole new one, or out of the manifests directory with the
    # in-flight marker holding the old one (the run stopped mid-cycle; the next run recovers it first).
    third_now = after[names[2]]
    if third_now is None:
        with open(in_flight, 'rb') as handle:
            assert handle.read() == before[names[2]]
    elif third_now != before[names[2]]:
        assert b'--oidc-username-prefix=ha-b:' in third_now
        assert yaml.safe_load(third_now)['kind'] == 'Pod'
    says = outcome_lines(output)
    assert says.get(names[2]) in ('new settings applied by a restart', 'not reached', None) or 'UNREACHABLE' in output, says
    rc, output = site.playbook('site.yml')
    assert rc == 0, output
    for node in ha_cluster['nodes']:
        assert '--oidc-username-prefix=ha-b:' in running_args(ha_cluster, node)[1]
    assert manifests(ha_cluster)[names[2]] is not None


def kill_sessions(netns, user):
    """SIGKILL every process of user whose network namespace is netns (the SSH sessions into that node); how many."""
    inode = os.stat(os.path.join('/run/netns', netns)).st_ino
    uid = pwd.getpwnam(user).pw_uid
    killed = 0
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            if os.stat('/proc/' + entry).st_uid != uid or os.readlink('/proc/%s/ns/net' % entry) != 'net:[%d]' % inode:
                continue
            os.kill(int(entry), signal.SIGKILL)
            killed += 1
        except (OSError, ProcessLookupError):
            continue
    return killed


def test_kubelet_of_node1_fails_to_restart(ha_cluster, site):
    names = [node['name'] for node in ha_cluster['nodes']]
    first = ha_cluster['nodes'][0]
    before = manifests(ha_cluster)
    script = os.path.join(first['host_paths']['/etc/init.d'], 'kubelet')
    armed_node_path = '/var/lib/kubelet/kubeauth-fail-armed'
    armed = os.path.join(first['host_paths']['/var/lib/kubelet'], 'kubeauth-fail-armed')
    real = script + '.real'
    shutil.copy2(script, real)
    with open(script, encoding='utf-8') as handle:
        original = handle.read()
    wrapper = '\n'.join([
        '#!/bin/sh',
        MARKER + ' (a test wrapper; the test puts the real script back)',
        'case "$1" in',
        '    start|restart)',
        '        if [ -e %s ]; then' % armed_node_path,
        '            rm -f %s' % armed_node_path,
        '            [ "$1" = restart ] && /etc/init.d/kubelet.real stop',
        '            echo "kubelet: injected start failure" >&2',
        '            exit 1',
        '        fi ;;',
        'esac',
        'exec /etc/init.d/kubelet.real "$@"',
        '',
    ])
    site.write_inventory(group_vars={'apiserver_oidc_username_prefix': 'ha-c:'})
    try:
        with open(armed, 'w', encoding='utf-8'):
            pass
        with open(script, 'w', encoding='utf-8') as handle:
            handle.write(wrapper)
        rc, output = site.playbook('site.yml')
        assert not os.path.exists(armed), 'the role never restarted the kubelet of node 1'
    finally:
        with open(script, 'w', encoding='utf-8') as handle:
            handle.write(original)
        os.chmod(script, 0o755)
        os.unlink(real)
    assert rc != 0
    assert 'injected start failure' in output
    after = manifests(ha_cluster)
    assert after == before, 'node 1 rolled back, nodes 2 and 3 untouched'
    says = outcome_lines(output)
    assert says[names[0]] == 'rolled back to its previous settings'
    assert says[names[1]] == says[names[2]] == 'not touched by this run'
    wait_serving(ha_cluster)
    for node in ha_cluster['nodes']:
        assert '--oidc-username-prefix=ha-c:' not in running_args(ha_cluster, node)[1]


def test_node_without_pyyaml_is_refused_before_anything_changes(ha_cluster, site):
    """A control-plane node whose Python lacks PyYAML (here: an interpreter that is not there) is named, with the fix,
    before the role touches it; the rollout stops there."""
    names = [node['name'] for node in ha_cluster['nodes']]
    before = manifests(ha_cluster)
    site.write_inventory(host_vars={names[0]: {'ansible_python_interpreter': '/usr/bin/python3-without-yaml'}},
                         group_vars={'apiserver_oidc_username_prefix': 'ha-d:'})
    try:
        rc, output = site.playbook('site.yml')
    finally:
        site.write_inventory()
    assert rc != 0
    assert names[0] + ' lacks what apiserver_oidc needs on a control-plane node: PyYAML for /usr/bin/python3-without-yaml' \
        in output.replace('\n', ' ')
    assert 'python3-yaml' in output
    assert manifests(ha_cluster) == before
