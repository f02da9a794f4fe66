"""apiserver_oidc on a node whose kube-apiserver already reads its own AuthenticationConfiguration (issue 15).

The node starts from a platform's file: an `anonymous` section that lets anonymous requests reach only the health
endpoints (1.31+; the release's KEP-4633 section) and a CI issuer. Every claim is proven by requests to the apiserver
(tokens of real issuers over HTTPS, anonymous requests), never by reading the file back:
- file mode adds the authentik issuer and both the anonymous rules and the CI issuer stay in force, with no restart;
- flags mode refuses before writing anything, and everything stays in force;
- an issuer whose public URL the apiserver cannot reach works through apiserver_oidc_discovery_url, with a claim
  name CEL cannot take after a dot;
- a migration between two issuers (add the new one, keep the old in apiserver_oidc_extra_jwt, remove it) never
  restarts the apiserver and leaves exactly the wanted issuers trusted.

Run: python3 -m pytest -m node tests/node/test_authn_config_merge.py -v   (as root; KUBEAUTH_K8S_VERSION=v1.30.14 for 1.30)
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import requests
import yaml

from kubeauth_node.playbook import RolePlay
from oidc_issuers import IssuerServer

NODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'node.py')
PLATFORM_DIR = '/etc/kubernetes/platform-authn'
PLATFORM_FILE = PLATFORM_DIR + '/authentication-config.yaml'
# Reloads: fsnotify at once, else the apiserver's one-minute poll; the new authenticator must also reach its issuer.
RELOAD_TIMEOUT = 150

pytestmark = pytest.mark.node


def node_cli(*args, timeout=600):
    return subprocess.run([sys.executable, NODE] + list(args), capture_output=True, text=True, timeout=timeout, check=False)


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def minor(env):
    return int(env['k8s_version'].lstrip('v').split('.')[1])


class Cluster:
    """The node as a client sees it: anonymous requests and bearer tokens against its apiserver."""

    def __init__(self, env):
        self.env = env
        self.url = env['apiserver_url']
        self.ca = os.path.join(env['pki_dir'], 'ca.crt')

    def whoami(self, token):
        """(status, username or None) of a SelfSubjectReview with this token."""
        review = {'apiVersion': 'authentication.k8s.io/v1', 'kind': 'SelfSubjectReview'}
        response = requests.post(self.url + '/apis/authentication.k8s.io/v1/selfsubjectreviews', json=review, verify=self.ca,
                                 headers={'Authorization': 'Bearer ' + token}, timeout=10)
        user = response.json().get('status', {}).get('userInfo', {}) if response.status_code == 201 else {}
        return response.status_code, user.get('username')

    def anonymous(self, path):
        return requests.get(self.url + path, verify=self.ca, timeout=10).status_code

    def wait_user(self, token, username, timeout=RELOAD_TIMEOUT):
        """Wait until the apiserver maps the token to username (after a reload); the last (status, user) otherwise."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.whoami(token)
            if seen == (201, username):
                return seen
            time.sleep(2)
        return seen

    def wait_refused(self, token, timeout=RELOAD_TIMEOUT):
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            seen = self.whoami(token)
            if seen[0] == 401:
                return seen
            time.sleep(2)
        return seen


def crictl(env, *args):
    return subprocess.run([env['crictl']] + env['crictl_args'] + list(args), capture_output=True, text=True, check=True,
                          timeout=60).stdout


def apiserver_id(env):
    ids = crictl(env, 'ps', '-q', '--state', 'running', '--name', '^kube-apiserver$').split()
    assert len(ids) == 1, ids
    return ids[0]


def wait_ready(env, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = subprocess.run([env['kubectl'], '--kubeconfig', env['kubeconfig'], 'get', '--raw', '/readyz', '--request-timeout=5s'],
                                capture_output=True, text=True, check=False, timeout=30)
        if result.returncode == 0 and result.stdout.strip() == 'ok':
            return
        time.sleep(1)
    raise AssertionError('the apiserver was not ready within %ss' % timeout)


def install_manifest(env, text):
    """The kubelet's full cycle for a static pod: out, container gone, in, kubelet restart, ready."""
    manifest = env['apiserver_manifest']
    parked = os.path.join(env['state_dir'], 'parked-kube-apiserver.yaml')
    shutil.move(manifest, parked)
    deadline = time.monotonic() + 120
    while crictl(env, 'ps', '-q', '--name', '^kube-apiserver$').strip():
        assert time.monotonic() < deadline, 'the old kube-apiserver container did not go'
        time.sleep(1)
    with open(parked, 'w', encoding='utf-8') as handle:
        handle.write(text)
    shutil.move(parked, manifest)
    subprocess.run(['service', env['kubelet_service'], 'restart'], check=True, capture_output=True, timeout=120)
    wait_ready(env)


def platform_manifest(original):
    """The original manifest with the platform's --authentication-config (no --oidc-*), its directory mounted."""
    pod = yaml.safe_load(original)
    container = next(c for c in pod['spec']['containers'] if c['name'] == 'kube-apiserver')
    container['command'] = [a for a in container['command'] if not a.startswith(('--oidc-', '--authentication-config', '--anonymous-auth'))]
    container['command'].append('--authentication-config=' + PLATFORM_FILE)
    container['volumeMounts'] = [m for m in container.get('volumeMounts', []) if m['name'] not in ('kubeauth-authn', 'platform-authn')]
    container['volumeMounts'].append({'name': 'platform-authn', 'mountPath': PLATFORM_DIR, 'readOnly': True})
    pod['spec']['volumes'] = [v for v in pod['spec'].get('volumes', []) if v['name'] not in ('kubeauth-authn', 'platform-authn')]
    pod['spec']['volumes'].append({'name': 'platform-authn', 'hostPath': {'path': PLATFORM_DIR, 'type': 'DirectoryOrCreate'}})
    return yaml.safe_dump(pod, default_flow_style=False)


def platform_config(env, ci, ca_pem):
    config = {'apiVersion': 'apiserver.config.k8s.io/' + ('v1' if minor(env) >= 34 else 'v1beta1'),
              'kind': 'AuthenticationConfiguration',
              'jwt': [{'issuer': {'url': ci.url, 'audiences': ['ci'], 'certificateAuthority': ca_pem},
                       'claimMappings': {'username': {'claim': 'sub', 'prefix': 'ci:'}}}]}
    if minor(env) >= 31:
        # Hardened: anonymous requests reach the health endpoints only.
        config['anonymous'] = {'enabled': True, 'conditions': [{'path': '/livez'}, {'path': '/readyz'}, {'path': '/healthz'}]}
    return '# the platform team\'s file\n' + yaml.safe_dump(config, default_flow_style=False)


@pytest.fixture(scope='module', name='site')
def site_fixture(tmp_path_factory):
    """The node running the platform's AuthenticationConfiguration; taken down at the end, or given its original manifest
    back with KUBEAUTH_NODE_KEEP=1."""
    result = node_cli('up', timeout=3 * 3600)
    if result.returncode != 0:
        node_cli('down')
        pytest.fail('node.py up failed:\n%s\n%s' % (result.stdout[-3000:], result.stderr[-6000:]), pytrace=False)
    env = json.loads(node_cli('env').stdout)
    workdir = str(tmp_path_factory.mktemp('authn-merge'))
    issuers = IssuerServer(os.path.join(workdir, 'issuers'))
    ci = issuers.add('ci')
    wait_ready(env)
    with open(env['apiserver_manifest'], encoding='utf-8') as handle:
        original = handle.read()
    os.makedirs(PLATFORM_DIR, exist_ok=True)
    with open(PLATFORM_FILE, 'w', encoding='utf-8') as handle:
        handle.write(platform_config(env, ci, issuers.ca_pem()))
    install_manifest(env, platform_manifest(original))
    cluster = Cluster(env)
    assert cluster.wait_user(ci.token(audience='ci'), 'ci:sub-ci') == (201, 'ci:sub-ci'), 'the platform file is in force'
    play = RolePlay(workdir)
    site = dict(env=env, workdir=workdir, issuers=issuers, ci=ci, cluster=cluster, play=play,
                state_dir=os.path.join(workdir, 'state'))
    yield site
    keep = os.environ.get('KUBEAUTH_NODE_KEEP') == '1'
    try:
        if keep:  # a node that goes down needs no restart back to its original manifest
            install_manifest(env, original)
    finally:
        shutil.rmtree(PLATFORM_DIR, ignore_errors=True)
        issuers.stop()
        if not keep:
            down = node_cli('down')
            assert down.returncode == 0, down.stdout + down.stderr


def run_role(site, **overrides):
    env = site['env']
    values = {
        'apiserver_oidc_client_id': 'kubernetes',
        'apiserver_oidc_ca_bundle': site['issuers'].ca_path,
        'apiserver_oidc_kubectl': env['kubectl'],
        'apiserver_oidc_kubeconfig': env['kubeconfig'],
        'apiserver_oidc_crictl': env['crictl'],
        'apiserver_oidc_crictl_config': env['crictl_config'],
        'apiserver_oidc_manifest': env['apiserver_manifest'],
        'apiserver_oidc_state_dir': site['state_dir'],
        'apiserver_oidc_ready_timeout': 120,
    }
    values.update(overrides)
    return site['play'].run(values)


def assert_platform_in_force(site):
    """The CI issuer's tokens and the anonymous rules of the platform's file work, by requests."""
    cluster = site['cluster']
    assert cluster.whoami(site['ci'].token(audience='ci')) == (201, 'ci:sub-ci')
    if minor(site['env']) >= 31:
        assert cluster.anonymous('/livez') == 200, 'anonymous /livez is allowed by the anonymous section'
        assert cluster.anonymous('/version') == 401, 'anonymous /version is refused by the anonymous section'


def manifest_flags(env):
    with open(env['apiserver_manifest'], encoding='utf-8') as handle:
        pod = yaml.safe_load(handle)
    return next(c for c in pod['spec']['containers'] if c['name'] == 'kube-apiserver')['command']


def test_flags_mode_refuses_before_any_write(site):
    env = site['env']
    before = (sha256(env['apiserver_manifest']), sha256(PLATFORM_FILE), apiserver_id(env))
    ca_file = os.path.join(env['pki_dir'], 'kubeauth-oidc-ca.crt')
    ca_before = os.path.exists(ca_file)
    authentik = site['issuers'].add('refused')
    rc, output = run_role(site, apiserver_oidc_mode='flags', apiserver_oidc_issuer_url=authentik.url)
    assert rc != 0
    assert PLATFORM_FILE in output and 'apiserver_oidc_mode=file' in output and 'Nothing was changed' in output, output[-3000:]
    assert (sha256(env['apiserver_manifest']), sha256(PLATFORM_FILE), apiserver_id(env)) == before
    assert os.path.exists(ca_file) == ca_before, 'not even the CA bundle was installed'
    assert_platform_in_force(site)
    assert site['cluster'].whoami(authentik.token())[0] == 401


def test_file_mode_merges_into_the_running_file(site):
    env, cluster = site['env'], site['cluster']
    authentik = site['issuers'].add('kubernetes')
    container = apiserver_id(env)
    rc, output = run_role(site, apiserver_oidc_mode='file', apiserver_oidc_issuer_url=authentik.url)
    assert rc == 0, output[-4000:]
    assert cluster.wait_user(authentik.token(), 'oidc:user@kubernetes.example.com') == (201, 'oidc:user@kubernetes.example.com')
    assert_platform_in_force(site)
    assert apiserver_id(env) == container, 'a merge into the running file needs no restart'
    command = manifest_flags(env)
    assert '--authentication-config=' + PLATFORM_FILE in command, 'the flag keeps naming the platform file'
    assert not os.path.exists('/etc/kubernetes/kubeauth-authn/authentication-config.yaml'), 'no second file of its own'
    # A token without email_verified=true is still refused by the role's own rule.
    assert cluster.whoami(authentik.token(email_verified=False))[0] == 401

    again = run_role(site, apiserver_oidc_mode='file', apiserver_oidc_issuer_url=authentik.url)
    assert again.rc == 0 and 'changed=0' in again.output.split('PLAY RECAP')[-1], again.output[-3000:]


def test_discovery_url_for_an_issuer_reached_at_another_address(site):
    """The issuer's public name does not resolve on the node; the apiserver fetches discovery and keys at 127.0.0.1,
    and tokens keep the public issuer. The username claim has a dash: CEL needs claims["..."]."""
    cluster = site['cluster']
    inner = site['issuers'].add('inner', public_host='authentik.kubeauth.invalid')
    discovery = site['issuers'].address + '/application/o/inner/.well-known/openid-configuration'
    rc, output = run_role(site, apiserver_oidc_issuer_url=inner.url, apiserver_oidc_discovery_url=discovery,
                          apiserver_oidc_username_claim='preferred-name')
    assert rc == 0, output[-4000:]
    token = inner.token(**{'preferred-name': 'ada'})
    assert cluster.wait_user(token, 'oidc:ada') == (201, 'oidc:ada')
    assert_platform_in_force(site)


def test_migration_between_issuers_without_restart(site):
    env, cluster = site['env'], site['cluster']
    old, new = site['issuers'].add('old'), site['issuers'].add('new')
    old_user, new_user = 'oidc:user@old.example.com', 'oidc:user@new.example.com'
    assert run_role(site, apiserver_oidc_issuer_url=old.url).rc == 0
    assert cluster.wait_user(old.token(), old_user) == (201, old_user)
    container = apiserver_id(env)

    # 1. The new issuer becomes the role's; the old one is kept beside it.
    keep_old = [{'issuer_url': old.url, 'audiences': ['kubernetes'], 'certificate_authority': site['issuers'].ca_pem(),
                 'claim_mappings': {'username': {'expression': '"oidc:" + claims.email'}},
                 # kube-apiserver refuses a mapping that reads claims.email unless a rule reads email_verified.
                 'claim_validation_rules': [{'expression': 'claims.?email_verified.orValue(true) == true',
                                             'message': 'email_verified is false'}]}]
    assert run_role(site, apiserver_oidc_issuer_url=new.url, apiserver_oidc_extra_jwt=keep_old).rc == 0
    assert cluster.wait_user(new.token(), new_user) == (201, new_user)
    assert cluster.whoami(old.token()) == (201, old_user), 'users not moved yet keep working'

    # 2. Users moved: the old issuer goes, only it.
    assert run_role(site, apiserver_oidc_issuer_url=new.url).rc == 0
    assert cluster.wait_refused(old.token())[0] == 401
    assert cluster.whoami(new.token()) == (201, new_user)
    assert_platform_in_force(site)
    assert apiserver_id(env) == container, 'no restart during the migration'
