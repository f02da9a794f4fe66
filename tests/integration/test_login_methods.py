# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The authentik_oidc role's login methods: the grants they need and nothing else, refresh without a browser
(offline_access) on by default and off on request, device code (its flow, the brand's setting, a lifetime a person
can meet), and bad input refused before any write.

On 2026.5.0 (emulated: the stand-in enforces the provider's grant types as that release does) a token request with a
grant the role left out fails.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import requests

import pytest

from integration.role_runner import role_vars, run_role, task_outcomes

VERSIONS = ('2025.10.4',)
OFFLINE = 'goauthentik.io/providers/oauth2/scope-offline_access'
DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'


def provider(authentik, name):
    return authentik.find('providers/oauth2/', name=name)[0]


def offline_mapping(authentik):
    return authentik.find(authentik.scope_path, managed=OFFLINE)[0]['pk']


def changed_tasks(output):
    return [task for task, outcome in task_outcomes(output).items() if outcome == 'changed']


@pytest.fixture
def domain(authentik, unique):
    """A brand domain of the test's own (a real server's default brand is left alone); brand and flow removed after."""
    yield unique + '.example.com'
    for brand in authentik.find('core/brands/', domain=unique + '.example.com'):
        authentik.api_json('DELETE', 'core/brands/%s/' % brand['brand_uuid'])
    if authentik.find('flows/instances/', slug=unique + '-device'):
        authentik.api_json('DELETE', 'flows/instances/%s-device/' % unique)


def test_refresh_on_by_default_then_off(authentik, tmp_path, unique):
    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique))
    assert rc == 0, output[-4000:]
    made = provider(authentik, unique)
    assert offline_mapping(authentik) in made['property_mappings']
    assert made['refresh_token_validity'] == 'days=30'
    assert made['access_code_validity'] == 'minutes=1', 'without device code the access code validity is left alone'
    if 'grant_types' in made:
        assert sorted(made['grant_types']) == ['authorization_code', 'refresh_token']

    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, authentik_oidc_offline_access=False), '--diff')
    assert rc == 0, output[-4000:]
    off = provider(authentik, unique)
    assert offline_mapping(authentik) not in off['property_mappings'] and len(off['property_mappings']) == len(made['property_mappings']) - 1
    if 'grant_types' in off:
        assert off['grant_types'] == ['authorization_code']

    authentik.reset_log()
    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, authentik_oidc_offline_access=False))
    assert rc == 0 and changed_tasks(output) == [], output[-3000:]
    assert authentik.writes() in (None, [])


def test_device_code(authentik, tmp_path, unique, domain):
    variables = role_vars(authentik, unique, authentik_oidc_login_methods=['authcode', 'device-code'],
                          authentik_oidc_device_brand_domain=domain, authentik_oidc_device_flow_slug=unique + '-device')
    authentik.reset_log()
    rc, dry, dummy = run_role(authentik, tmp_path, variables, '--check', '--diff')
    assert rc == 0, dry[-4000:]
    assert authentik.writes() in (None, []), 'the dry run wrote'
    assert any(task.endswith("The brand's device code flow (device-code login)") for task in changed_tasks(dry)), dry[-4000:]

    rc, output, dummy = run_role(authentik, tmp_path, variables)
    assert rc == 0, output[-4000:]
    flow = authentik.find('flows/instances/', slug=unique + '-device')[0]
    assert flow['designation'] == 'stage_configuration' and flow['authentication'] == 'require_authenticated'
    assert flow['title'] == 'Log in to Kubernetes'
    assert authentik.find('core/brands/', domain=domain)[0]['flow_device_code'] == flow['pk']
    made = provider(authentik, unique)
    assert made['access_code_validity'] == 'minutes=10'
    if 'grant_types' in made:
        assert sorted(made['grant_types']) == sorted(['authorization_code', 'refresh_token', DEVICE_GRANT])
    # The person gets the lifetime the role set to enter the code.
    answer = requests.post(authentik.url + '/application/o/device/', verify=authentik.verify, timeout=30,
                           data={'client_id': unique, 'scope': 'openid'})
    assert answer.status_code == 200 and answer.json()['expires_in'] == 600, answer.text

    authentik.reset_log()
    rc, again, dummy = run_role(authentik, tmp_path, variables)
    assert rc == 0 and changed_tasks(again) == [], again[-3000:]
    assert authentik.writes() in (None, [])


@pytest.mark.parametrize('bad, option', [
    (dict(authentik_oidc_login_methods=[]), 'authentik_oidc_login_methods'),
    (dict(authentik_oidc_login_methods=['authcode', 'sms']), 'authentik_oidc_login_methods'),
    (dict(authentik_oidc_device_code_validity='ten minutes'), 'authentik_oidc_device_code_validity'),
    (dict(authentik_oidc_refresh_token_validity='days=thirty'), 'authentik_oidc_refresh_token_validity'),
    (dict(authentik_oidc_device_flow_slug='device code'), 'authentik_oidc_device_flow_slug'),
    (dict(authentik_oidc_device_flow_title=' '), 'authentik_oidc_device_flow_title'),
    (dict(authentik_oidc_offline_access='sometimes'), 'authentik_oidc_offline_access'),
    (dict(authentik_oidc_device_brand_domain=' login.example.com'), 'authentik_oidc_device_brand_domain'),
])
def test_bad_input_is_refused_before_any_write(authentik, tmp_path, unique, bad, option):
    authentik.reset_log()
    rc, output, dummy = run_role(authentik, tmp_path, role_vars(authentik, unique, **bad))
    assert rc != 0 and option in output, output[-3000:]
    assert authentik.writes() in (None, []), 'a write was sent before the error'


def test_grants_that_are_off_fail_where_authentik_enforces_them(tmp_path, unique):
    """2026.5 enforces a provider's grant types: the client credentials grant (oidc_verify) only when asked for."""
    import standin  # pylint: disable=import-outside-toplevel
    from integration.conftest import Server  # pylint: disable=import-outside-toplevel
    handle = standin.start(version='2026.5.0', state_dir=str(tmp_path / 'standin'), key_size=2048)
    try:
        server = Server(handle.url, handle.token, handle.ca_path, '2026.5.0', standin=handle)
        person = server.api_json('POST', 'core/users/', json=dict(username=unique + '-p', name='p', email=unique + '@example.com'))
        token = dict(identifier=unique + '-pw', intent='app_password', user=person['pk'], expiring=False)
        server.api_json('POST', 'core/tokens/', json=token)
        password = server.api_json('GET', 'core/tokens/%s-pw/view_key/' % unique)['key']
        groups = [{'name': unique + '-admins', 'users': [person['username']]}]

        def client_credentials():
            return requests.post(handle.url + '/application/o/token/', verify=handle.ca_path, timeout=30, data=dict(
                grant_type='client_credentials', client_id=unique, username=person['username'], password=password,
                scope='openid email')).json()

        rc, output, dummy = run_role(server, tmp_path, role_vars(server, unique, authentik_oidc_access_groups=groups))
        assert rc == 0, output[-4000:]
        assert sorted(provider(server, unique)['grant_types']) == ['authorization_code', 'refresh_token']
        assert client_credentials().get('error') == 'unauthorized_client'

        rc, output, dummy = run_role(server, tmp_path, role_vars(server, unique, authentik_oidc_access_groups=groups,
                                                                 authentik_oidc_login_methods=['authcode', 'client-credentials']))
        assert rc == 0, output[-4000:]
        assert 'id_token' in client_credentials()
    finally:
        handle.stop()
