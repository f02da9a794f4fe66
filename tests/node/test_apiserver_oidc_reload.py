"""`file` mode on the real test node: a change to the configuration file alone is reloaded by kube-apiserver without
a restart, and the role proves it from the apiserver's own metrics; a file the apiserver refuses is never reported as
applied: the previous file is put back, proved in force, and the role fails with the apiserver's reason.

site.yml against the single node and the authentik stand-in, as a user runs it (tests/e2e/stack.py).

Run: python3 -m pytest -m node tests/node/test_apiserver_oidc_reload.py -v   (as root)
"""

import hashlib
import os
import re
import subprocess

import pytest

from e2e.stack import Stack, node, node_env

pytestmark = pytest.mark.node

AUTHN = '/etc/kubernetes/kubeauth-authn/authentication-config.yaml'


@pytest.fixture(scope='module', name='stack')
def stack_fixture(tmp_path_factory):
    """The node in `file` mode (the first switch, a restart), through site.yml; taken down at the end (the next module
    may need a fresh node), or back in `flags` mode with KUBEAUTH_NODE_KEEP=1."""
    node('up')
    keep = os.environ.get('KUBEAUTH_NODE_KEEP') == '1'
    running = Stack(str(tmp_path_factory.mktemp('reload')))
    try:
        rc, output = running.playbook('site.yml', '-e', 'apiserver_oidc_mode=file', echo=False)
        assert rc == 0, output[-5000:]
        yield running
    finally:
        if keep:  # a node that goes down needs no restart back to flags
            running.playbook('site.yml', echo=False)
        running.stop()
        if not keep:
            node('down')


class Apiserver:
    """The single node's kube-apiserver as the tests look at it."""

    def __init__(self):
        self.env = node_env()

    def run(self, *argv):
        return subprocess.run(list(argv), capture_output=True, text=True, check=True, timeout=60).stdout

    def container(self):
        ids = self.run(self.env['crictl'], *self.env['crictl_args'], 'ps', '-q', '--state', 'running',
                       '--name', '^kube-apiserver$').split()
        assert len(ids) == 1, ids
        return ids[0]

    def containers_ever(self):
        """Every kube-apiserver container the runtime knows, running or exited: a restart adds one."""
        return self.run(self.env['crictl'], *self.env['crictl_args'], 'ps', '-a', '-q', '--name', '^kube-apiserver$').split()

    def metrics(self):
        text = self.run(self.env['kubectl'], '--kubeconfig', self.env['kubeconfig'], 'get', '--raw', '/metrics')
        return [line for line in text.splitlines() if line.startswith('apiserver_authentication_config_controller_')]

    def counter(self, status):
        found = [float(line.rsplit(' ', 1)[1]) for line in self.metrics()
                 if line.startswith('apiserver_authentication_config_controller_automatic_reloads_total')
                 and 'status="%s"' % status in line]
        return sum(found)

    def applied_hash(self):
        """The sha256 the apiserver reports in force, or None on releases without that metric (before 1.34)."""
        for line in self.metrics():
            match = re.search(r'_last_config_info\{.*[{,]hash="sha256:([0-9a-f]+)"', line)
            if match:
                return match.group(1)
        return None


def file_sha256():
    with open(AUTHN, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def outcome(output):
    found = re.findall(r'node1: ([^"\n\]]+)', output)
    return found[-1].strip() if found else None


def test_config_only_change_is_reloaded_and_proved(stack):
    apiserver = Apiserver()
    container, ever = apiserver.container(), apiserver.containers_ever()
    successes = apiserver.counter('success')
    rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=file', '-e', 'apiserver_oidc_username_prefix=reloaded:')
    assert rc == 0, output[-5000:]
    assert outcome(output) == 'new settings applied by a reload (no restart)', output[-3000:]
    assert 'TASK [kubeauth.authentik.apiserver_oidc : Read the apiserver\'s reload metrics until they say]' in output
    # No restart: the same container, and no other one ever started.
    assert apiserver.container() == container
    assert apiserver.containers_ever() == ever
    # The apiserver has the new file in force.
    assert apiserver.counter('success') == successes + 1
    applied = apiserver.applied_hash()
    assert applied in (None, file_sha256())
    with open(AUTHN, encoding='utf-8') as handle:
        assert '"reloaded:"' in handle.read()


def test_refused_reload_puts_the_previous_file_back_and_fails_with_the_reason(stack, tmp_path):
    """The measurement that reported a refused file as reloaded: a change the apiserver refuses on reload (here the
    issuer's CA is the cluster's own CA, which did not sign the issuer's certificate, so the new authenticator cannot
    reach the issuer within the apiserver's minute)."""
    apiserver = Apiserver()
    rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=file', '-e', 'apiserver_oidc_username_prefix=kept:')
    assert rc == 0, output[-5000:]
    with open(AUTHN, 'rb') as handle:
        previous = handle.read()
    container, ever = apiserver.container(), apiserver.containers_ever()
    failures = apiserver.counter('failure')

    wrong_ca = str(tmp_path / 'wrong-ca.crt')
    with open(apiserver.env['pki_dir'] + '/ca.crt', encoding='utf-8') as source, open(wrong_ca, 'w', encoding='utf-8') as target:
        target.write(source.read())
    rc, output = stack.playbook('site.yml', '-e', 'apiserver_oidc_mode=file', '-e', 'apiserver_oidc_username_prefix=refused:',
                                '-e', 'apiserver_oidc_ca_bundle=' + wrong_ca)
    flat = output.replace('\n', ' ')
    # Never reported as applied.
    assert rc != 0, output[-5000:]
    assert 'applied by a reload' not in output
    assert 'kube-apiserver on node1 refused the new authentication configuration' in flat, output[-5000:]
    assert 'The previous file was put back and the apiserver has it in force' in flat
    assert 'node1: restored its previous configuration file' in flat
    # The apiserver's own reason: its metrics and its log line.
    assert 'automatic_reloads_total{status="failure"}' in output
    assert 'failed to update authentication config' in output
    assert 'is not healthy' in output
    # The previous file, byte for byte, in force on the same apiserver, which never restarted.
    with open(AUTHN, 'rb') as handle:
        assert handle.read() == previous
    assert apiserver.counter('failure') > failures
    assert apiserver.applied_hash() in (None, hashlib.sha256(previous).hexdigest())
    assert apiserver.container() == container
    assert apiserver.containers_ever() == ever
    # No backup copies left beside the file.
    assert subprocess.run(['ls', '/etc/kubernetes/kubeauth-authn'], capture_output=True, text=True, check=True).stdout.split() \
        == ['authentication-config.yaml']
