# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device code login with the real kubelogin and kubectl, as on a jump host without a browser.

The kubeconfig comes from the oidc_kubeconfig role with oidc_kubeconfig_login_method=device-code (site.yml of the
stack lists device-code in authentik_oidc_login_methods, so the default brand has the role's device code flow). kubectl
runs kubelogin, which prints the link with the code; the test person (tests/e2e/person.py) opens the verification page
as on another machine, logs in and types the code; kubectl then goes on and the apiserver accepts the token. Against the
stand-in (stage node) or a real authentik (KUBEAUTH_E2E_AUTHENTIK=real:<version>).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import time

import pytest
import yaml

from e2e.authentik_user import ensure_user
from e2e.person import Person, run_with_device_code
from e2e.stack import HERE, TEST_USER, node_env

pytestmark = pytest.mark.node

PLAYBOOK = os.path.join(HERE, 'playbooks', 'user_kubeconfig.yml')
USER = 'oidc:' + TEST_USER['email']


class DeviceLogin:
    """A user kubeconfig for the device code login, and kubectl runs in which a person enters the printed code."""

    def __init__(self, stack, directory, **role_vars):
        self.stack = stack
        self.kubeconfig = os.path.join(directory, 'kubeconfig')
        self.cache = os.path.join(directory, 'token-cache')
        extra = dict({
            'oidc_kubeconfig_path': self.kubeconfig,
            'oidc_kubeconfig_issuer_url': stack.standin.url + '/application/o/kubernetes/',
            'oidc_kubeconfig_login_method': 'device-code',
            'oidc_kubeconfig_extra_args': ['--token-cache-dir=' + self.cache],
        }, **role_vars)
        rc, output = stack.playbook(PLAYBOOK, '-e', json.dumps(extra), echo=False)
        assert rc == 0, output

    def args(self):
        """The arguments of the kubelogin exec plugin in the written kubeconfig."""
        with open(self.kubeconfig, encoding='utf-8') as handle:
            return yaml.safe_load(handle)['users'][0]['user']['exec']['args']

    def kubectl(self, person, *args, give_up_after=None):
        """kubectl with this kubeconfig; when kubelogin prints a link, `person` (or nobody) enters its code.
        Returns (completed process, the printed link or None, the person's error or None)."""
        kubectl = node_env()['kubectl']
        path = os.pathsep.join([os.path.dirname(self.stack.kubelogin), os.path.dirname(kubectl), os.environ.get('PATH', '')])
        return run_with_device_code([kubectl, '--kubeconfig', self.kubeconfig] + list(args), person, env=dict(os.environ, PATH=path),
                                    timeout=300, give_up_after=give_up_after)

    def cached(self):
        names = [name for name in os.listdir(self.cache) if not name.endswith('.lock')]
        assert len(names) == 1, names
        with open(os.path.join(self.cache, names[0]), encoding='utf-8') as handle:
            cached = json.load(handle)
        payload = cached['id_token'].split('.')[1]
        return json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4))), cached


def person_for(stack, user=None):
    user = user or stack.user
    return Person(user['username'], user['app_password'], stack.standin.ca_path)


@pytest.fixture(name='provider')
def provider_fixture(applied):
    """The kubernetes provider; whatever a test changes on it is put back."""
    provider = applied.api.first('providers/oauth2/', name='kubernetes')
    kept = {name: provider[name] for name in ('access_token_validity', 'access_code_validity')}
    yield provider
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json=kept)


def test_site_sets_up_device_code(applied):
    provider = applied.api.first('providers/oauth2/', name='kubernetes')
    assert provider['access_code_validity'] == 'minutes=10'
    brand = applied.api.first('core/brands/', default='true')
    flow = applied.api.first('flows/instances/', slug='kubernetes-device-code')
    assert flow and flow['designation'] == 'stage_configuration' and brand['flow_device_code'] == flow['pk']


def test_device_code_login_then_the_cache(applied, tmp_path):
    login = DeviceLogin(applied, str(tmp_path))
    assert '--grant-type=device-code' in login.args() and '--skip-open-browser' in login.args()
    assert '--oidc-extra-scope=offline_access' in login.args()
    result, link, error = login.kubectl(person_for(applied), 'auth', 'whoami', '-o', 'json')
    assert error is None and result.returncode == 0, (error, result.stderr)
    assert link.startswith(applied.standin.url + '/device?code=')
    assert json.loads(result.stdout)['status']['userInfo']['username'] == USER
    claims, cached = login.cached()
    assert cached.get('refresh_token'), 'no refresh token although the kubeconfig asks for offline_access'

    again, link, dummy = login.kubectl(None, 'get', 'namespaces')
    assert again.returncode == 0 and link is None, again.stderr
    assert login.cached()[1] == cached, 'the cached token was replaced'
    assert claims['aud'] == 'kubernetes'


def test_expired_token_is_refreshed_without_a_new_code(applied, provider, tmp_path):
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_token_validity': 'seconds=20'})
    login = DeviceLogin(applied, str(tmp_path))
    result, link, error = login.kubectl(person_for(applied), 'auth', 'whoami')
    assert result.returncode == 0 and link and error is None, (error, result.stderr)
    claims, cached = login.cached()
    assert claims['exp'] - claims['iat'] == 20
    time.sleep(max(0, claims['exp'] - time.time()) + 1.5)
    again, link, dummy = login.kubectl(None, 'auth', 'whoami', '-o', 'json')
    assert again.returncode == 0 and link is None, 'an expired token led to a new code instead of a refresh: ' + again.stderr
    assert json.loads(again.stdout)['status']['userInfo']['username'] == USER
    refreshed, cached_now = login.cached()
    assert refreshed['exp'] > claims['exp'] and cached_now['refresh_token'] != cached['refresh_token']


def test_without_offline_access_no_refresh_token(applied, tmp_path):
    login = DeviceLogin(applied, str(tmp_path), oidc_kubeconfig_offline_access=False)
    assert '--oidc-extra-scope=offline_access' not in login.args(), login.args()
    result, link, error = login.kubectl(person_for(applied), 'auth', 'whoami')
    assert result.returncode == 0 and link and error is None, (error, result.stderr)
    assert not login.cached()[1].get('refresh_token'), 'a refresh token was issued without offline_access'


def test_refused_person_gets_no_token(applied, provider, tmp_path):
    """Someone outside the access groups sees Permission denied, and kubectl gets no token, also once the code has
    expired. (authentik answers the expired code only when its worker has cleaned it up, up to minutes later; kubectl
    then gives up by itself. The person gives up earlier: well after the code's 15 seconds.)"""
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_code_validity': 'seconds=15'})
    outsider = ensure_user(applied.api, 'k8s-e2e-outsider', 'k8s-e2e-outsider@example.com', 'k8s-e2e-outsiders')
    login = DeviceLogin(applied, str(tmp_path))
    started = time.monotonic()
    result, link, error = login.kubectl(person_for(applied, outsider), 'auth', 'whoami', give_up_after=45)
    assert link and error and 'Permission denied' in error, error
    assert result.returncode != 0 and not result.stdout, (result.returncode, result.stdout)
    if result.returncode > 0:  # kubectl gave up by itself: kubelogin says why
        assert 'device code' in result.stderr, result.stderr
    assert time.monotonic() - started >= 10
    assert not os.path.exists(login.cache) or not [n for n in os.listdir(login.cache) if not n.endswith('.lock')]
