"""Faults around the apiserver_oidc role on the real test node.

Each test runs the role through ansible-playbook against tests/node/node.py's node, injects one fault, and
ends with a ready apiserver and its manifest in place: the pre-run one, byte for byte, when the role failed.

Run: python3 -m pytest -m node tests/node/test_apiserver_oidc_faults.py -v   (as root)
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from kubeauth_node.common import MARKER  # the init-script marker `node.py down` looks for
from kubeauth_node.playbook import RolePlay

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'node.py')

pytestmark = pytest.mark.node

# A healthy apiserver is ready in well under this on the test node; a broken one never is.
READY_TIMEOUT = 30
# Nothing listens on the discard port: the issuer is unreachable, which the role only warns about.
UNREACHABLE_ISSUER = 'https://127.0.0.1:9/application/o/kubernetes/'
ISSUER = 'https://127.0.0.1:9443/application/o/kubernetes/'


class Node:
    """The node's paths, and the role run against it with a private state directory."""

    def __init__(self, env, workdir):
        self.env = env
        self.workdir = workdir
        self.state_dir = os.path.join(workdir, 'state')
        self.manifest = env['apiserver_manifest']
        self.in_flight = os.path.join(self.state_dir, 'in-flight.yaml')
        self.play = RolePlay(workdir)

    def role_vars(self, **overrides):
        values = {
            'apiserver_oidc_issuer_url': ISSUER,
            'apiserver_oidc_client_id': 'kubernetes',
            # These faults are about the restart cycle, which every change goes through in flags mode.
            'apiserver_oidc_mode': 'flags',
            'apiserver_oidc_kubectl': self.env['kubectl'],
            'apiserver_oidc_kubeconfig': self.env['kubeconfig'],
            'apiserver_oidc_crictl': self.env['crictl'],
            'apiserver_oidc_crictl_config': self.env['crictl_config'],
            'apiserver_oidc_manifest': self.manifest,
            'apiserver_oidc_state_dir': self.state_dir,
            'apiserver_oidc_gone_timeout': 60,
            'apiserver_oidc_ready_timeout': READY_TIMEOUT,
        }
        values.update(overrides)
        return values

    def start_role(self, **overrides):
        """ansible-playbook in its own process group (so a test can kill all of it), output to a file."""
        return self.play.start(self.role_vars(**overrides))

    def run_role(self, timeout=600, **overrides):
        """(rc, output) of one role run."""
        rc, output = self.play.run(self.role_vars(**overrides), timeout=timeout)
        return rc, output

    def kubectl(self, *args):
        return subprocess.run([self.env['kubectl'], '--kubeconfig', self.env['kubeconfig']] + list(args), capture_output=True,
                              text=True, check=False, timeout=30)

    def crictl(self, *args):
        result = subprocess.run([self.env['crictl']] + self.env['crictl_args'] + list(args), capture_output=True, text=True,
                                check=False, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def ready(self):
        result = self.kubectl('get', '--raw', '/readyz', '--request-timeout=5s')
        return result.returncode == 0 and result.stdout.strip() == 'ok'

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                return
            time.sleep(1)
        raise AssertionError('the apiserver was not ready within %ss' % timeout)

    def running_apiserver(self):
        """(container id, process args) of the one running kube-apiserver container."""
        ids = self.crictl('ps', '-q', '--state', 'running', '--name', '^kube-apiserver$').split()
        assert len(ids) == 1, 'running kube-apiserver containers: %s' % ids
        info = json.loads(self.crictl('inspect', ids[0]))['info']
        return ids[0], info['runtimeSpec']['process']['args']

    def manifest_bytes(self):
        with open(self.manifest, 'rb') as handle:
            return handle.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def node_cli(*args, timeout=600):
    return subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope='module', name='node')
def node_fixture(tmp_path_factory):
    """The node, up (brought up or reused); taken down at the end unless KUBEAUTH_NODE_KEEP=1."""
    result = node_cli('up', timeout=3 * 3600)
    print(result.stdout)
    if result.returncode != 0:
        node_cli('down')
        pytest.fail('node.py up failed:\n%s\n%s' % (result.stdout[-3000:], result.stderr[-6000:]), pytrace=False)
    node = Node(json.loads(node_cli('env').stdout), str(tmp_path_factory.mktemp('apiserver-oidc-faults')))
    yield node
    if os.environ.get('KUBEAUTH_NODE_KEEP') != '1':
        down = node_cli('down')
        assert down.returncode == 0, down.stdout + down.stderr


@pytest.fixture(name='before')
def healthy_before(node):
    """The pre-run manifest and container of a ready apiserver; afterwards the test must leave it ready."""
    node.wait_ready()
    manifest = node.manifest_bytes()
    container_id, _args = node.running_apiserver()
    yield {'manifest': manifest, 'container_id': container_id}
    node.wait_ready(timeout=30)


def assert_rolled_back(node, before, rc, output):
    """The role failed loudly, put the pre-run manifest back byte for byte, and the apiserver is ready on it."""
    assert rc != 0, 'the role should have failed'
    assert 'the previous manifest was restored' in output
    assert sha256(node.manifest_bytes()) == sha256(before['manifest'])
    assert node.ready()
    assert not os.path.exists(node.in_flight)
    container_id, args = node.running_apiserver()
    assert container_id != before['container_id'], 'a restored manifest runs in a new container'
    return args


def test_invalid_flag_value_is_rolled_back(node, before):
    """(a) kube-apiserver refuses HS256 (the role's own validation would have stopped it; extra flags do not)."""
    rc, output = node.run_role(apiserver_oidc_extra_flags={'oidc-signing-algs': 'HS256'})
    args = assert_rolled_back(node, before, rc, output)
    assert '--oidc-signing-algs=HS256' not in args
    # The failure names the apiserver's own complaint, from the failed container's log.
    assert 'HS256' in output.split('Last log lines of the failed apiserver')[-1]


def test_crashlooping_apiserver_is_rolled_back(node, before):
    """(b) The apiserver starts, dies on a missing CA file, and the kubelet restarts it again and again."""
    attempts = set()
    stop = threading.Event()

    def watch():
        # Every (pod sandbox, attempt) of kube-apiserver containers that ran the bad flag: a crashloop has several.
        while not stop.wait(1):
            try:
                listed = json.loads(node.crictl('ps', '-a', '-o', 'json', '--name', '^kube-apiserver$'))['containers']
            except (AssertionError, ValueError, KeyError, subprocess.SubprocessError):
                continue  # containerd busy: the next look will do
            for container in listed:
                if container['id'] != before['container_id'] and container['state'] == 'CONTAINER_EXITED':
                    attempts.add((container['podSandboxId'], container['metadata'].get('attempt', 0)))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        rc, output = node.run_role(apiserver_oidc_extra_flags={'oidc-ca-file': '/etc/kubernetes/pki/kubeauth-no-such-ca.crt'})
    finally:
        stop.set()
        watcher.join()
    args = assert_rolled_back(node, before, rc, output)
    assert not any('kubeauth-no-such-ca.crt' in arg for arg in args)
    assert len(attempts) >= 2, 'expected the kubelet to restart the failing apiserver, saw exited attempts %s' % sorted(attempts)


def test_unreachable_issuer_applies_and_warns(node, before):
    """(c) kube-apiserver starts with an issuer it cannot reach; the role applies the change and warns."""
    rc, output = node.run_role(apiserver_oidc_issuer_url=UNREACHABLE_ISSUER)
    assert rc == 0, output
    assert re.search(r'WARNING: kube-apiserver on node1 cannot use %s' % re.escape(UNREACHABLE_ISSUER), output), output
    assert 'OIDC tokens are rejected until the node reaches the issuer' in output
    assert node.ready()
    _container_id, args = node.running_apiserver()
    assert '--oidc-issuer-url=' + UNREACHABLE_ISSUER in args
    # Nothing lost: the pre-run manifest is the newest backup, outside the manifests directory.
    backups = sorted(os.listdir(os.path.join(node.state_dir, 'backups')))
    with open(os.path.join(node.state_dir, 'backups', backups[-1]), 'rb') as handle:
        assert sha256(handle.read()) == sha256(before['manifest'])


def test_failed_kubelet_restart_is_rolled_back(node, before):
    """(d) `service kubelet restart` fails once and leaves the kubelet stopped (its start failed)."""
    script = '/etc/init.d/' + node.env['kubelet_service']
    real = os.path.join(node.workdir, 'kubelet.real')
    armed = os.path.join(node.workdir, 'kubelet-fail-armed')
    shutil.copy2(script, real)
    with open(script, encoding='utf-8') as handle:
        original = handle.read()
    wrapper = '\n'.join([
        '#!/bin/sh',
        MARKER + ' (a test wrapper; the test puts the real script back)',
        '# The first start (or restart) after arming fails: the kubelet is stopped and stays stopped.',
        'case "$1" in',
        '    start|restart)',
        '        if [ -e %s ]; then' % armed,
        '            rm -f %s' % armed,
        '            [ "$1" = restart ] && %s stop' % real,
        '            echo "kubelet: injected start failure" >&2',
        '            exit 1',
        '        fi ;;',
        'esac',
        'exec %s "$@"' % real,
        '',
    ])
    try:
        with open(armed, 'w', encoding='utf-8'):
            pass
        with open(script, 'w', encoding='utf-8') as handle:
            handle.write(wrapper)
        rc, output = node.run_role(apiserver_oidc_username_prefix='fault-d:')
        assert not os.path.exists(armed), 'the role never restarted the kubelet'
    finally:
        with open(script, 'w', encoding='utf-8') as handle:
            handle.write(original)
        os.chmod(script, 0o755)
        if subprocess.run(['service', node.env['kubelet_service'], 'status'], capture_output=True, check=False).returncode != 0:
            subprocess.run(['service', node.env['kubelet_service'], 'start'], capture_output=True, check=False)
    assert 'injected start failure' in output, 'the failed restart should be the reason given'
    args = assert_rolled_back(node, before, rc, output)
    assert '--oidc-username-prefix=fault-d:' not in args


def test_killed_mid_cycle_then_rerun_recovers_and_completes(node, before):
    """(e) ansible-playbook is killed right after the manifest left the manifests directory; a re-run recovers."""
    proc, log = node.start_role(apiserver_oidc_username_prefix='fault-e:')
    killed_at = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(node.in_flight) and not os.path.exists(node.manifest):
                os.killpg(proc.pid, signal.SIGKILL)
                killed_at = time.monotonic()
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.seek(0)
        print(log.read())
        log.close()
    assert killed_at is not None, 'the run never reached the moved-out state'
    # Nothing lost while the apiserver is down: the last good manifest is the in-flight marker.
    assert not os.path.exists(node.manifest)
    with open(node.in_flight, 'rb') as handle:
        assert sha256(handle.read()) == sha256(before['manifest'])

    rc, output = node.run_role(apiserver_oidc_username_prefix='fault-e:')
    assert rc == 0, output
    # The recovery step ran (its tasks were included), before the new change was rendered.
    recovery = re.search(r'Put back the last good manifest of the interrupted run[^\n]*\n(included|skipping): ', output)
    assert recovery and recovery.group(1) == 'included', 'the re-run did not recover the interrupted cycle first'
    assert recovery.start() < output.index('Render the desired manifest')
    assert node.ready()
    assert not os.path.exists(node.in_flight)
    _container_id, args = node.running_apiserver()
    assert '--oidc-username-prefix=fault-e:' in args


def test_planted_backup_in_manifests_dir_is_refused(node, before):
    """(f) A copy of the manifest in the manifests directory would run as a second apiserver: refuse, change nothing."""
    planted = os.path.join(os.path.dirname(node.manifest), 'kube-apiserver.yaml.bak')
    shutil.copy2(node.manifest, planted)
    try:
        rc, output = node.run_role(apiserver_oidc_username_prefix='fault-f:')
    finally:
        os.unlink(planted)
    assert rc != 0
    assert planted + ' in ' + os.path.dirname(node.manifest) + ' is another kube-apiserver manifest' in output.replace('\n', ' ')
    assert sha256(node.manifest_bytes()) == sha256(before['manifest'])
    assert not os.path.exists(node.in_flight)
    node.wait_ready(timeout=60)
    _container_id, args = node.running_apiserver()
    assert '--oidc-username-prefix=fault-f:' not in args
