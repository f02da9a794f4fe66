# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oauth2_provider and application: the Kubernetes provider of the seed, on every emulated release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


SELF_SIGNED = 'authentik Self-signed Certificate'
REGEX_URIS = [{'url': 'http://localhost:.*', 'matching_mode': 'regex'}, {'url': r'http://127\.0\.0\.1:.*', 'matching_mode': 'regex'}]


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def kubernetes_provider(name):
    return dict(
        name=name, client_type='public', client_id=name,
        authorization_flow='default-provider-authorization-implicit-consent',
        signing_key=SELF_SIGNED, redirect_uris=REGEX_URIS,
        property_mappings=['goauthentik.io/providers/oauth2/scope-openid', 'goauthentik.io/providers/oauth2/scope-profile'],
        sub_mode='user_email', include_claims_in_id_token=True, issuer_mode='per_provider',
    )


def server_secret(authentik, name):
    return authentik.find('providers/oauth2/', name=name)[0]['client_secret']


def test_provider_lifecycle(authentik, run_module, provider_name):
    args = kubernetes_provider(provider_name)

    authentik.reset_log()
    check = run_module('oauth2_provider', args, check=True, diff=True)
    assert check.changed and not check.failed, check.msg
    assert_no_writes(authentik)
    assert authentik.find('providers/oauth2/', name=provider_name) == []

    created = run_module('oauth2_provider', args, diff=True)
    assert created.changed and not created.failed, created.msg
    provider = created['provider']
    assert 'client_secret' not in provider
    assert provider['client_type'] == 'public' and provider['sub_mode'] == 'user_email'
    keypair = authentik.find('crypto/certificatekeypairs/', name=SELF_SIGNED)[0]
    assert provider['signing_key'] == keypair['pk']
    assert created['issuer'] is None, 'no application yet, so no issuer'
    if authentik.version_tuple >= (2024, 10):
        flow = authentik.find('flows/instances/', slug='default-provider-invalidation-flow')[0]
        assert provider['invalidation_flow'] == flow['pk']
    # The server sends the (public) client's secret on every read; it never reaches output.
    secret = server_secret(authentik, provider_name)
    assert secret and secret not in created.output

    authentik.reset_log()
    again = run_module('oauth2_provider', args)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)
    assert secret not in again.output

    # Same meaning, other spelling or order: still no change.
    authentik.reset_log()
    same = dict(args, redirect_uris=list(reversed(REGEX_URIS)), property_mappings=list(reversed(args['property_mappings'])))
    assert not run_module('oauth2_provider', same).changed
    assert_no_writes(authentik)

    authentik.reset_log()
    shorter = run_module('oauth2_provider', dict(args, access_token_validity='minutes=10'), diff=True)
    assert shorter.changed
    assert shorter['diff']['before'] == {'access_token_validity': 'hours=1'}
    assert shorter['diff']['after'] == {'access_token_validity': 'minutes=10'}
    if authentik.writes() is not None:  # every server but one given by URL without its access log
        assert [w['method'] for w in authentik.writes()] == ['PATCH']
    authentik.reset_log()
    assert not run_module('oauth2_provider', dict(args, access_token_validity='seconds=600')).changed
    assert_no_writes(authentik)

    stored = authentik.find('providers/oauth2/', name=provider_name)[0]
    if authentik.version_tuple >= (2024, 10, 3):
        assert sorted(u['url'] for u in stored['redirect_uris']) == sorted(u['url'] for u in REGEX_URIS)
    else:
        assert isinstance(stored['redirect_uris'], str) and stored['redirect_uris'].count('\n') == 1

    authentik.reset_log()
    assert run_module('oauth2_provider', dict(name=provider_name, state='absent'), check=True).changed
    assert_no_writes(authentik)
    assert run_module('oauth2_provider', dict(name=provider_name, state='absent')).changed
    assert authentik.find('providers/oauth2/', name=provider_name) == []
    assert not run_module('oauth2_provider', dict(name=provider_name, state='absent')).changed


def test_application_gives_the_issuer(authentik, run_module, provider_name):
    assert run_module('oauth2_provider', kubernetes_provider(provider_name)).changed
    app_args = dict(name='Kubernetes %s' % provider_name, slug=provider_name, provider=provider_name, launch_url='blank://blank',
                    policy_engine_mode='any')

    authentik.reset_log()
    check = run_module('application', app_args, check=True)
    assert check.changed and not check.failed, check.msg
    assert_no_writes(authentik)

    app = run_module('application', app_args)
    assert app.changed and not app.failed, app.msg
    assert app['issuer'] == '%s/application/o/%s/' % (authentik.url, provider_name)
    assert app['jwks_url'] == app['issuer'] + 'jwks/'

    authentik.reset_log()
    again = run_module('application', app_args)
    assert not again.changed
    assert_no_writes(authentik)

    provider = run_module('oauth2_provider', kubernetes_provider(provider_name))
    assert not provider.changed
    assert provider['issuer'] == app['issuer'] and provider['issuer'].endswith('/')
    assert provider['discovery_url'] == app['issuer'] + '.well-known/openid-configuration'

    updated = run_module('application', dict(app_args, description='Kubernetes API'), diff=True)
    assert updated.changed and updated['diff']['after'] == {'meta_description': 'Kubernetes API'}

    discovery = run_module('oidc_discovery_info', dict(issuer=app['issuer'], ca_path=authentik.ca_path, fail_on_empty_jwks=True),
                           connection=False)
    assert not discovery.failed, discovery.msg
    assert discovery['issuer_matches'] and discovery['key_count'] >= 1 and 'RS256' in discovery['algorithms']

    no_slash = run_module('oidc_discovery_info', dict(issuer=app['issuer'].rstrip('/'), ca_path=authentik.ca_path), connection=False)
    assert not no_slash.failed and not no_slash['issuer_matches']

    other = run_module('application', dict(app_args, slug=provider_name + '-other'))
    assert other.failed and 'provider' in other.msg and 'already belongs' in other.msg

    assert run_module('application', dict(slug=provider_name, state='absent')).changed
    assert not run_module('application', dict(slug=provider_name, state='absent')).changed


def test_empty_jwks_is_diagnosed(authentik, run_module, unique):
    """A provider made without a signing key (by hand, not by the module) has an empty JWKS."""
    flow = authentik.find('flows/instances/', slug='default-provider-authorization-implicit-consent')[0]['pk']
    body = dict(name=unique, authorization_flow=flow, client_type='public', client_id=unique)
    if authentik.version_tuple >= (2024, 10):
        body['invalidation_flow'] = authentik.find('flows/instances/', slug='default-provider-invalidation-flow')[0]['pk']
    body['redirect_uris'] = [] if authentik.version_tuple >= (2024, 10, 3) else ''
    pk = authentik.api_json('POST', 'providers/oauth2/', json=body)['pk']
    authentik.api_json('POST', 'core/applications/', json=dict(name=unique, slug=unique, provider=pk))
    try:
        issuer = '%s/application/o/%s/' % (authentik.url, unique)
        result = run_module('oidc_discovery_info', dict(issuer=issuer, ca_path=authentik.ca_path, fail_on_empty_jwks=True),
                            connection=False)
        assert result.failed and result['key_count'] == 0
        assert 'signing_key' in result.msg and 'HS256' in result.msg
        lenient = run_module('oidc_discovery_info', dict(issuer=issuer, ca_path=authentik.ca_path), connection=False)
        assert not lenient.failed and lenient['key_count'] == 0
    finally:
        authentik.api('DELETE', 'core/applications/%s/' % unique)
        authentik.api('DELETE', 'providers/oauth2/%s/' % pk)


def test_confidential_client_secret_is_managed_but_never_shown(authentik, run_module, provider_name):
    args = dict(kubernetes_provider(provider_name), client_type='confidential', client_secret='first-secret-value-0123456789')
    created = run_module('oauth2_provider', args)
    assert created.changed and not created.failed, created.msg
    assert server_secret(authentik, provider_name) == 'first-secret-value-0123456789'

    authentik.reset_log()
    assert not run_module('oauth2_provider', args).changed
    assert_no_writes(authentik)

    rotated = run_module('oauth2_provider', dict(args, client_secret='second-secret-value-0123456789'), diff=True)
    assert rotated.changed
    assert rotated['diff']['before'] == {'client_secret': 'VALUE_HIDDEN (old)'}
    assert rotated['diff']['after'] == {'client_secret': 'VALUE_HIDDEN (new)'}
    assert 'first-secret-value' not in rotated.output and 'second-secret-value' not in rotated.output
    assert server_secret(authentik, provider_name) == 'second-secret-value-0123456789'
