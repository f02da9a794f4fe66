# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundled local stack: the authentik stand-in over HTTPS and the real test node.

Used by the end-to-end tests and by the README's main job:

    cd tests && python3 -m e2e.stack demo   # node up, stand-in, site.yml twice, verify.yml, kubectl auth whoami

Everything the playbooks need is written into one state directory: the inventory
(with the node's paths from tests/node/node.py env), the test user's app password
in a vars file readable by root only, and the stand-in's CA. `kubectl oidc-login`
is the real kubelogin, built from its vendored source (tests/e2e/kubelogin.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys
import time

from e2e import authentik_server, kubelogin
from e2e.authentik_user import API, ensure_user

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

NODE = os.path.join(ROOT, 'tests', 'node', 'node.py')
TEST_USER = dict(username='k8s-e2e', email='k8s-e2e@example.com', group='k8s-admins')


def node(*args):
    """Run tests/node/node.py; its own output shows progress."""
    subprocess.check_call([sys.executable, NODE] + list(args))


def node_env():
    return json.loads(subprocess.check_output([sys.executable, NODE, 'env']))


class Stack:
    """A running stand-in plus the files that point the playbooks at it and at the node."""

    def __init__(self, state_dir, version='2025.10.4'):
        self.state_dir = state_dir
        os.makedirs(state_dir, exist_ok=True)
        self.kubelogin = kubelogin.build()
        # The stand-in, or the real authentik KUBEAUTH_E2E_AUTHENTIK=real:<version> names (tests/authentik).
        self.standin = authentik_server.start(version, os.path.join(state_dir, 'standin'))
        self.started = self.standin.mark()
        self.api = API(self.standin.url, self.standin.token, self.standin.ca_path)
        self.user = ensure_user(self.api, TEST_USER['username'], TEST_USER['email'], TEST_USER['group'])
        self.inventory = os.path.join(state_dir, 'inventory.yml')
        self.secrets = os.path.join(state_dir, 'secrets.yml')
        self.user_kubeconfig = os.path.join(state_dir, 'user-kubeconfig')
        self._write_inventory(node_env())

    def _write_inventory(self, env):
        crictl = dict(bin=env['crictl'], config=env['crictl_config'])
        inventory = {'all': {
            'children': {'control_plane': {'hosts': {'node1': {'ansible_connection': 'local',
                                                               'ansible_python_interpreter': sys.executable}}}},
            'vars': {
                'authentik_oidc_url': self.standin.url,
                'authentik_oidc_ca_path': self.standin.ca_path,
                'apiserver_oidc_ca_bundle': self.standin.ca_path,
                # The end to end checks the --oidc-* flags (kubeadm extraArgs, the dry run's manifest diff).
                'apiserver_oidc_mode': 'flags',
                # Only members of these groups may log in (the role is closed by default).
                'authentik_oidc_access_groups': [{'name': TEST_USER['group']}],
                # Every way the tests log in: a browser (test_kubelogin), a device code, the password grant of the user
                # kubeconfig below, the client credentials of oidc_verify.
                'authentik_oidc_login_methods': ['authcode', 'device-code', 'password', 'client-credentials'],
                'apiserver_oidc_kubectl': env['kubectl'], 'apiserver_oidc_crictl': crictl['bin'],
                'apiserver_oidc_crictl_config': crictl['config'], 'apiserver_oidc_persist_kubeadm_config': True,
                'oidc_rbac_kubectl': env['kubectl'],
                'oidc_rbac_bindings': [{'name': 'oidc-e2e-admins', 'role': 'cluster-admin', 'groups': [TEST_USER['group']]}],
                'oidc_kubeconfig_path': self.user_kubeconfig, 'oidc_kubeconfig_server': env['apiserver_url'],
                'oidc_kubeconfig_issuer_ca_file': self.standin.ca_path, 'oidc_kubeconfig_current_context': True,
                # No browser here: kubelogin's password grant, which authentik answers for app passwords;
                # its token cache stays in the state directory.
                'oidc_kubeconfig_login_method': 'password', 'oidc_kubeconfig_username': TEST_USER['username'],
                'oidc_kubeconfig_extra_args': ['--password={{ oidc_verify_app_password }}',
                                               '--token-cache-dir=' + os.path.join(self.state_dir, 'kubelogin-cache')],
                'oidc_verify_kubectl': env['kubectl'], 'oidc_verify_crictl': crictl['bin'], 'oidc_verify_crictl_config': crictl['config'],
                'oidc_verify_username': TEST_USER['username'],
                'oidc_verify_expected_username': 'oidc:' + TEST_USER['email'],
                'oidc_verify_expected_groups': ['oidc:' + TEST_USER['group']],
            }}}
        with open(self.inventory, 'w') as handle:
            json.dump(inventory, handle, indent=1)
        fd = os.open(self.secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'authentik_oidc_token': self.standin.token, 'oidc_verify_app_password': self.user['app_password']}, handle)

    def user_kubectl(self, *args, **kwargs):
        """Real kubectl with a user kubeconfig (the generated one unless kubeconfig= says otherwise);
        `kubectl oidc-login` resolves to the real kubelogin. env= adds environment variables."""
        kubectl = node_env()['kubectl']
        path = os.pathsep.join([os.path.dirname(self.kubelogin), os.path.dirname(kubectl), os.environ.get('PATH', '')])
        env = dict(os.environ, PATH=path, **kwargs.get('env', {}))
        return subprocess.run([kubectl, '--kubeconfig', kwargs.get('kubeconfig', self.user_kubeconfig)] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)

    def playbook(self, name, *extra, **kwargs):
        """ansible-playbook playbooks/<name> against the stack; returns (rc, output) and echoes the output."""
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', self.inventory,
                   '-e', '@' + self.secrets, os.path.join(ROOT, 'playbooks', name)] + list(extra)
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0')
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if kwargs.get('echo', True):
                sys.stdout.write(line)
        return proc.wait(), ''.join(lines)

    def stop(self):
        self.standin.stop()


def recap(output, host):
    """{'ok': n, 'changed': n, ...} of one host from a PLAY RECAP."""
    match = re.search(r'^%s\s*:\s*(.*)$' % re.escape(host), output, re.MULTILINE)
    return dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(1))) if match else {}


def kubeadm_cluster_configuration():
    """The ClusterConfiguration text of the kube-system/kubeadm-config ConfigMap."""
    env = node_env()
    return subprocess.check_output([env['kubectl'], '--kubeconfig', env['kubeconfig'], '-n', 'kube-system', 'get', 'configmap',
                                    'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}'], universal_newlines=True)


def apiserver_container_id():
    env = node_env()
    return subprocess.check_output([env['crictl'], '--config', env['crictl_config'], 'ps', '-q', '--state', 'running',
                                    '--name', '^kube-apiserver$'], universal_newlines=True).strip()


def demo(state_dir):
    started = time.time()
    print('== test node (real kubelet, containerd, kube-apiserver; a cold build takes ~10 minutes)', flush=True)
    node('up')
    real = authentik_server.choice()
    print('== authentik %s and a test user' % ('stand-in (2025.10.4 behaviour, HTTPS, own CA)' if real == 'standin' else
                                               'real %s (tests/authentik/server.py, behind its TLS front)' % real), flush=True)
    stack = Stack(state_dir)
    try:
        for run in ('first', 'second'):
            print('== site.yml, %s run' % run, flush=True)
            rc, output = stack.playbook('site.yml')
            if rc:
                sys.exit('site.yml failed')
        if recap(output, 'node1').get('changed') or recap(output, 'localhost').get('changed'):
            sys.exit('the second site.yml run changed something')
        print('== verify.yml: a real token against the real kube-apiserver', flush=True)
        rc, output = stack.playbook('verify.yml')
        if rc:
            sys.exit('verify.yml failed')
        print('== kubectl with the generated user kubeconfig, logging in through the real %s' % kubelogin.version_of(stack.kubelogin),
              flush=True)
        user = stack.user_kubectl('auth', 'whoami')
        if user.returncode:
            sys.exit('kubectl with the user kubeconfig failed:\n%s' % user.stderr)
        print(user.stdout.rstrip())
        whoami = re.findall(r'kubectl auth whoami: .*', output)
        print('\n== done in %.0fs; %s' % (time.time() - started, whoami[-1].rstrip('"') if whoami else 'no whoami line'))
    finally:
        stack.stop()


if __name__ == '__main__':
    if sys.argv[1:2] != ['demo']:
        sys.exit('usage: stack.py demo [STATE_DIR]')
    demo(sys.argv[2] if len(sys.argv) > 2 else '/var/cache/kubeauth/demo')
