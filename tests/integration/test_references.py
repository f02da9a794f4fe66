# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""References by id: a provider's flows, keypairs and scope mappings, and a binding's application (target).

An id the object already holds is not read (the server's request log shows no read of that endpoint);
an id it does not hold is read once and checked as a name is; check mode's placeholder ids count as pending.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from test_server_versions import ed25519_pem

SELF_SIGNED = 'authentik Self-signed Certificate'
IMPLICIT = 'default-provider-authorization-implicit-consent'
MANAGED = ['goauthentik.io/providers/oauth2/scope-openid', 'goauthentik.io/providers/oauth2/scope-profile']


def provider(name, **extra):
    args = dict(name=name, client_id=name, authorization_flow=IMPLICIT, signing_key=SELF_SIGNED, property_mappings=MANAGED,
                redirect_uris=[{'url': 'http://localhost:.*', 'matching_mode': 'regex'}], issuer_mode='per_provider')
    args.update(extra)
    return args


def api_requests(authentik):
    """[(method, path below /api/v3/)] the server received since reset_log()."""
    if authentik.standin:
        log = authentik.http.get(authentik.url + '/_standin/requests', timeout=30, verify=authentik.verify).json()
    elif authentik.access_log:
        log = authentik.access_log.entries(authentik._mark)  # pylint: disable=protected-access
    else:
        pytest.skip('the requests a real server received are known from its access log only')
    return [(r['method'], r['path'][len('/api/v3/'):]) for r in log if r['path'].startswith('/api/v3/')]


def read_paths(authentik):
    return sorted(path for method, path in api_requests(authentik) if method == 'GET' and path != 'admin/version/')


def assert_no_writes(authentik):
    assert authentik.writes() in (None, []), 'a write was sent: %r' % authentik.writes()


def ids(authentik, created):
    """The provider's references as ids, in upper case where a UUID allows it (ids are compared without case)."""
    provider_obj = created['provider']
    return dict(authorization_flow=provider_obj['authorization_flow'].upper(), signing_key=provider_obj['signing_key'],
                property_mappings=list(provider_obj['property_mappings']))


def test_held_ids_are_not_read(authentik, run_module, provider_name):
    created = run_module('oauth2_provider', provider(provider_name))
    assert created.changed and not created.failed, created.msg
    by_id = provider(provider_name, read_urls=False, **ids(authentik, created))

    authentik.reset_log()
    again = run_module('oauth2_provider', by_id)
    assert not again.changed and not again.failed, again.msg
    assert_no_writes(authentik)
    # Only the provider itself: no flow, keypair, scope mapping, nor setup_urls read.
    assert read_paths(authentik) == ['providers/oauth2/'], api_requests(authentik)
    assert 'issuer' not in again.result

    # The same provider by names still reads every reference (and the URLs).
    authentik.reset_log()
    assert not run_module('oauth2_provider', provider(provider_name)).changed
    reads = read_paths(authentik)
    assert 'flows/instances/' in reads and 'crypto/certificatekeypairs/' in reads
    assert any(path.endswith('/setup_urls/') for path in reads), reads


def test_ids_not_held_are_read_once_and_checked(authentik, run_module, provider_name):
    flow = authentik.find('flows/instances/', slug=IMPLICIT)[0]
    keypair = authentik.find('crypto/certificatekeypairs/', name=SELF_SIGNED)[0]
    mappings = [authentik.find(authentik.scope_path, managed=managed)[0]['pk'] for managed in MANAGED]
    args = provider(provider_name, authorization_flow=flow['pk'], signing_key=keypair['pk'], property_mappings=mappings)

    authentik.reset_log()
    check = run_module('oauth2_provider', args, check=True)
    assert check.changed and not check.failed, check.msg
    assert_no_writes(authentik)
    created = run_module('oauth2_provider', args)
    assert created.changed and not created.failed, created.msg
    assert created['provider']['authorization_flow'] == flow['pk'] and created['provider']['signing_key'] == keypair['pk']
    assert sorted(created['provider']['property_mappings']) == sorted(mappings)
    reads = read_paths(authentik)
    assert 'crypto/certificatekeypairs/%s/' % keypair['pk'] in reads

    # A flow of another designation, by id: refused as by slug, before any write.
    invalidation = authentik.find('flows/instances/', designation='invalidation')[0]
    authentik.reset_log()
    wrong = run_module('oauth2_provider', dict(args, authorization_flow=invalidation['pk']))
    assert wrong.failed and wrong.msg.startswith('authorization_flow:') and "expected 'authorization'" in wrong.msg, wrong.msg
    assert_no_writes(authentik)

    # An id of nothing: refused, in check mode too (no earlier task creates an object with a known id).
    missing = '00000000-0000-4000-8000-000000000000'
    for option, value in (('signing_key', missing), ('property_mappings', [missing]), ('authorization_flow', missing)):
        result = run_module('oauth2_provider', dict(args, **{option: value}), check=True)
        assert result.failed and result.msg.startswith(option + ':') and missing in result.msg, result.msg
    assert_no_writes(authentik)


def test_eddsa_keypair_by_id_is_refused(authentik, run_module, provider_name):
    certificate, key = ed25519_pem(provider_name + '-ed25519')
    pair = authentik.api_json('POST', 'crypto/certificatekeypairs/',
                              json=dict(name=provider_name + '-ed25519', certificate_data=certificate, key_data=key))
    try:
        assert not run_module('oauth2_provider', provider(provider_name)).failed
        authentik.reset_log()
        result = run_module('oauth2_provider', provider(provider_name, signing_key=pair['pk']))
        assert result.failed and result.msg.startswith('signing_key:'), result.msg
        for word in ('Ed25519', 'RS*, ES*, PS*', SELF_SIGNED, provider_name + '-ed25519'):
            assert word in result.msg, result.msg
        assert_no_writes(authentik)
    finally:
        authentik.api('DELETE', 'crypto/certificatekeypairs/%s/' % pair['pk'])


def test_placeholder_ids_are_pending_in_check_mode_only(authentik, run_module, provider_name):
    mapping = run_module('scope_mapping', dict(name=provider_name + ': email', scope_name='email', expression='return {}'), check=True)
    assert mapping.changed and mapping['scope_mapping']['pk'] == "(pending) scope mapping '%s: email'" % provider_name
    app = run_module('application', dict(slug=provider_name, name=provider_name), check=True)
    assert app.changed and app['application']['pk'] == "(pending) application '%s'" % provider_name

    authentik.reset_log()
    args = provider(provider_name, property_mappings=MANAGED + [mapping['scope_mapping']['pk']])
    check = run_module('oauth2_provider', args, check=True)
    assert check.changed and not check.failed, check.msg
    warnings = ' '.join(check.get('warnings', []))
    assert "property_mappings: (pending) scope mapping '%s: email' does not exist yet" % provider_name in warnings, check.result
    binding = run_module('policy_binding', dict(target=app['application']['pk'], group=provider_name), check=True)
    assert binding.changed and not binding.failed, binding.msg
    assert_no_writes(authentik)

    real = run_module('oauth2_provider', args)
    assert real.failed and real.msg.startswith('property_mappings:') and 'outside check mode' in real.msg, real.msg
    refused = run_module('policy_binding', dict(target=app['application']['pk'], group=provider_name))
    assert refused.failed and refused.msg.startswith('target:'), refused.msg
    assert_no_writes(authentik)


def test_binding_by_target(authentik, run_module, provider_name):
    assert not run_module('oauth2_provider', provider(provider_name)).failed
    app = run_module('application', dict(slug=provider_name, name=provider_name, provider=provider_name))
    assert app.changed and not app.failed, app.msg
    assert not run_module('group', dict(name=provider_name)).failed
    target = app['application']['pk']
    try:
        created = run_module('policy_binding', dict(target=target, group=provider_name, order=5))
        assert created.changed and not created.failed, created.msg
        assert created['binding']['target'] == target and created['binding']['order'] == 5

        # Found by target, no lookup of the application; by slug it is the same binding.
        authentik.reset_log()
        again = run_module('policy_binding', dict(target=target.upper(), group=provider_name, order=5))
        assert not again.changed and not again.failed, again.msg
        assert read_paths(authentik) == ['policies/bindings/'], api_requests(authentik)
        assert not run_module('policy_binding', dict(application=provider_name, group=provider_name, order=5)).changed
        assert_no_writes(authentik)

        slug = run_module('policy_binding', dict(target=provider_name, group=provider_name))
        assert slug.failed and slug.msg.startswith('target:') and 'not an id' in slug.msg, slug.msg

        removed = run_module('policy_binding', dict(target=target, group=provider_name, state='absent'))
        assert removed.changed and not removed.failed, removed.msg
        assert authentik.find('policies/bindings/', target=target) == []
    finally:
        run_module('group', dict(name=provider_name, state='absent'))
