# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the roles set up, used by the real kubelogin against the real authentik: the authentik_oidc role with the
device-code login method, the oidc_kubeconfig role's device-code kubeconfig, and kubelogin's `get-token` from that
kubeconfig's exec arguments. kubelogin prints the link, the test person enters the code as on another machine, and
kubelogin prints the ExecCredential kubectl would hand the apiserver (tests/e2e/test_device_login.py goes on to the
apiserver on the test node); a refused person leaves kubelogin without a token.

The default brand gets the role's device code flow for the duration of the module (authentik serves /device with the
brand of the host people open, 127.0.0.1 here) and its previous device code flow back afterwards, unless another one
was set meanwhile.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import uuid

import jwt
import pytest
import yaml

from e2e import kubelogin
from e2e.person import Person, run_with_device_code


def ansible_playbook(play, tmp_path, real, name):
    book = tmp_path / (name + '.yml')
    book.write_text(json.dumps(play))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING='False',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='False', AUTHENTIK_URL=real.url, AUTHENTIK_TOKEN=real.token)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), str(book)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


@pytest.fixture(name='site', scope='module')
def site_fixture(real, real_client, tmp_path_factory):
    """The authentik_oidc role (device-code and authcode, unique names) and a device-code user kubeconfig."""
    tmp_path = tmp_path_factory.mktemp('kubelogin-device')
    unique = 'kd-%s' % uuid.uuid4().hex[:8]
    api = real_client.api
    brand = api('GET', 'core/brands/', params={'default': 'true'}).json()['results'][0]
    user = api('POST', 'core/users/', json={'username': unique + '-user', 'name': 'k', 'email': unique + '@example.com'}).json()
    outsider = api('POST', 'core/users/', json={'username': unique + '-out', 'name': 'o', 'email': unique + '-out@example.com'}).json()
    passwords = {}
    for person in (user, outsider):
        identifier = person['username'] + '-pw'
        api('POST', 'core/tokens/', json={'identifier': identifier, 'intent': 'app_password', 'user': person['pk'], 'expiring': False})
        passwords[person['username']] = api('GET', 'core/tokens/%s/view_key/' % identifier).json()['key']
    kubeconfig = str(tmp_path / 'kubeconfig')
    variables = {
        'authentik_oidc_ca_path': real.ca_path, 'authentik_oidc_provider_name': unique, 'authentik_oidc_client_id': unique,
        'authentik_oidc_application_slug': unique, 'authentik_oidc_application_name': unique,
        'authentik_oidc_email_mapping_name': unique + ': email',
        'authentik_oidc_access_groups': [{'name': unique + '-admins', 'users': [user['username']]}],
        'authentik_oidc_login_methods': ['authcode', 'device-code'], 'authentik_oidc_device_flow_slug': unique + '-device',
    }
    kubeconfig_vars = {
        'oidc_kubeconfig_path': kubeconfig, 'oidc_kubeconfig_server': 'https://127.0.0.1:6443',
        'oidc_kubeconfig_cluster_ca_pem': open(real.ca_path, encoding='utf-8').read(),
        'oidc_kubeconfig_issuer_ca_file': real.ca_path, 'oidc_kubeconfig_login_method': 'device-code',
        'oidc_kubeconfig_extra_args': ['--token-cache-dir=' + str(tmp_path / 'cache')],
    }
    ansible_playbook([
        {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'kubeauth.authentik.authentik_oidc', 'vars': variables}]},
        {'hosts': 'localhost', 'gather_facts': False, 'roles': [{'role': 'kubeauth.authentik.oidc_kubeconfig', 'vars': kubeconfig_vars}]},
    ], tmp_path, real, 'site')
    with open(kubeconfig, encoding='utf-8') as handle:
        args = yaml.safe_load(handle)['users'][0]['user']['exec']['args']
    yield {'unique': unique, 'args': args, 'cache': str(tmp_path / 'cache'), 'ca': real.ca_path,
           'user': (user['username'], passwords[user['username']]), 'outsider': (outsider['username'], passwords[outsider['username']])}
    flow = api('GET', 'flows/instances/%s-device/' % unique).json()
    if api('GET', 'core/brands/%s/' % brand['brand_uuid']).json()['flow_device_code'] in (flow.get('pk'), None):
        api('PATCH', 'core/brands/%s/' % brand['brand_uuid'], json={'flow_device_code': brand['flow_device_code']})
    api('DELETE', 'core/applications/%s/' % unique)
    for provider in api('GET', 'providers/oauth2/', params={'name': unique}).json()['results']:
        api('DELETE', 'providers/oauth2/%s/' % provider['pk'])
    api('DELETE', 'flows/instances/%s-device/' % unique)
    for person in (user, outsider):
        api('DELETE', 'core/users/%s/' % person['pk'])
    for group in api('GET', 'core/groups/', params={'name': unique + '-admins'}).json()['results']:
        api('DELETE', 'core/groups/%s/' % group['pk'])


def get_token(site, who, cache_name, give_up_after=None):
    """kubelogin with the kubeconfig's exec arguments; `who` enters the printed code. (process, link, person's error)."""
    binary = kubelogin.build()
    args = [a for a in site['args'][1:] if not a.startswith('--token-cache-dir=')]
    return run_with_device_code([binary] + args + ['--token-cache-dir=' + os.path.join(site['cache'], cache_name)],
                                Person(who[0], who[1], site['ca']), give_up_after=give_up_after)


def test_the_kubeconfig_asks_for_a_device_code_and_offline_access(site):
    assert site['args'][:2] == ['oidc-login', 'get-token']
    assert '--grant-type=device-code' in site['args'] and '--skip-open-browser' in site['args']
    assert '--oidc-extra-scope=offline_access' in site['args']
    assert not [a for a in site['args'] if a.startswith('--oidc-pkce-method')]


def test_person_enters_the_code_and_kubelogin_gets_the_token(site, real):
    result, link, error = get_token(site, site['user'], 'user')
    assert error is None and result.returncode == 0, (error, result.stderr)
    assert link.startswith(real.url.rstrip('/') + '/device?code=')
    credential = json.loads(result.stdout)
    assert credential['kind'] == 'ExecCredential'
    claims = jwt.decode(credential['status']['token'], options={'verify_signature': False})
    assert claims['aud'] == site['unique'] and claims['email'] == site['unique'] + '@example.com'
    cached = [name for name in os.listdir(os.path.join(site['cache'], 'user')) if not name.endswith('.lock')]
    with open(os.path.join(site['cache'], 'user', cached[0]), encoding='utf-8') as handle:
        assert json.load(handle).get('refresh_token'), 'no refresh token for offline_access'
    again, link, dummy = get_token(site, site['user'], 'user')
    assert again.returncode == 0 and link is None, 'a second call asked for a new code: ' + again.stderr


def test_a_refused_person_gets_no_token(site, real_client):
    provider = real_client.api('GET', 'providers/oauth2/', params={'name': site['unique']}).json()['results'][0]
    real_client.api('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_code_validity': 'seconds=15'})
    try:
        # authentik answers an expired code only once its worker has cleaned it up (up to minutes later): the person
        # gives up well after the code's 15 seconds, unless kubelogin already has.
        result, link, error = get_token(site, site['outsider'], 'outsider', give_up_after=45)
    finally:
        real_client.api('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_code_validity': 'minutes=10'})
    assert link and error and 'Permission denied' in error, error
    assert result.returncode != 0 and not result.stdout, (result.returncode, result.stdout)
    if result.returncode > 0:  # kubelogin gave up by itself and says why
        assert 'device code' in result.stderr, result.stderr
