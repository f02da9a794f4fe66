# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input fails before any write, with a message that names the option to fix."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

VERSIONS = ('2025.10.4',)
PROVIDER = dict(name='bad-input', client_id='bad-input', authorization_flow='default-provider-authorization-implicit-consent',
                signing_key='authentik Self-signed Certificate')
MAPPING = dict(name='bad-input-mapping', scope_name='email', expression='return {}')
APP = dict(name='Bad input', slug='bad-input')

CASES = [
    # (id, module, args, option named in the message, another word the message must carry)
    ('secret-on-public-client', 'oauth2_provider', dict(PROVIDER, client_secret='a-long-secret-value'), 'client_secret', 'public'),
    ('no-signing-key', 'oauth2_provider', dict(PROVIDER, signing_key=None), 'signing_key', 'JWKS'),
    ('unknown-signing-key', 'oauth2_provider', dict(PROVIDER, signing_key='no such key'), 'signing_key', 'HS256'),
    ('unknown-encryption-key', 'oauth2_provider', dict(PROVIDER, encryption_key='no such key'), 'encryption_key', 'no certificate keypair'),
    ('unknown-authorization-flow', 'oauth2_provider', dict(PROVIDER, authorization_flow='no-such-flow'), 'authorization_flow',
     'default-provider-authorization-implicit-consent'),
    ('flow-of-wrong-designation', 'oauth2_provider', dict(PROVIDER, invalidation_flow='default-provider-authorization-implicit-consent'),
     'invalidation_flow', 'designation'),
    ('missing-authorization-flow', 'oauth2_provider', dict(PROVIDER, authorization_flow=None), 'authorization_flow', 'required'),
    ('malformed-redirect-regex', 'oauth2_provider', dict(PROVIDER, redirect_uris=[dict(url='http://localhost:([', matching_mode='regex')]),
     'redirect_uris[0].url', 'regular expression'),
    ('empty-redirect-uri', 'oauth2_provider', dict(PROVIDER, redirect_uris=[dict(url=' ')]), 'redirect_uris[0].url', 'empty'),
    ('bad-matching-mode', 'oauth2_provider', dict(PROVIDER, redirect_uris=[dict(url='http://x', matching_mode='glob')]),
     'matching_mode', 'strict'),
    ('redirect-uri-without-url', 'oauth2_provider', dict(PROVIDER, redirect_uris=[dict(matching_mode='regex')]), 'url', 'missing'),
    ('unknown-property-mapping', 'oauth2_provider', dict(PROVIDER, property_mappings=['no such mapping']), 'property_mappings',
     'scope_mapping'),
    ('bad-validity', 'oauth2_provider', dict(PROVIDER, access_token_validity='ten minutes'), 'access_token_validity', 'hours=1'),
    ('bad-sub-mode', 'oauth2_provider', dict(PROVIDER, sub_mode='email'), 'sub_mode', 'user_email'),
    ('bad-issuer-mode', 'oauth2_provider', dict(PROVIDER, issuer_mode='provider'), 'issuer_mode', 'per_provider'),
    ('bool-not-bool', 'oauth2_provider', dict(PROVIDER, include_claims_in_id_token='maybe'), 'include_claims_in_id_token', 'bool'),
    ('mappings-not-list-of-str', 'oauth2_provider', dict(PROVIDER, property_mappings=[{'name': 'x'}]), 'property_mappings', ''),
    ('unknown-option', 'oauth2_provider', dict(PROVIDER, signing_key_name='x'), 'signing_key_name', 'Unsupported'),
    ('expression-syntax', 'scope_mapping', dict(MAPPING, expression='return {'), 'expression', 'syntax'),
    ('expression-empty', 'scope_mapping', dict(MAPPING, expression='  '), 'expression', 'empty'),
    ('mapping-without-scope', 'scope_mapping', dict(MAPPING, scope_name=None), 'scope_name', 'required'),
    ('application-bad-slug', 'application', dict(APP, slug='kube rnetes!'), 'slug', 'letters'),
    ('application-unknown-provider', 'application', dict(APP, provider='no such provider'), 'provider', 'oauth2_provider'),
    ('application-bad-launch-url', 'application', dict(APP, launch_url='not a url'), 'launch_url', 'absolute'),
    ('application-bad-policy-mode', 'application', dict(APP, policy_engine_mode='some'), 'policy_engine_mode', 'any'),
    ('application-without-name', 'application', dict(slug='bad-input'), 'name', 'required'),
    ('group-unknown-user', 'group', dict(name='bad-input-group', users=['no-such-user']), 'users', 'no user'),
    ('group-unknown-parent', 'group', dict(name='bad-input-group', parents=['no-such-group']), 'parents', 'kubeauth.authentik.group'),
    ('group-own-parent', 'group', dict(name='bad-input-group', parents=['bad-input-group']), 'parents', 'own parent'),
    ('group-empty-username', 'group', dict(name='bad-input-group', users=[' ']), 'users[0]', 'empty'),
    ('group-attributes-not-dict', 'group', dict(name='bad-input-group', attributes='x'), 'attributes', 'dict'),
    ('group-superuser-not-allowed', 'group', dict(name='bad-input-group', is_superuser=True), 'is_superuser', 'allow_superuser'),
    ('binding-two-subjects', 'policy_binding', dict(application='bad-input', group='g', user='u'), 'group', 'mutually exclusive'),
    ('binding-no-subject', 'policy_binding', dict(application='bad-input'), 'group', 'one of'),
    ('binding-unknown-application', 'policy_binding', dict(application='no-such-app', group='g'), 'application', 'no application'),
    ('binding-order-too-big', 'policy_binding', dict(application='bad-input', group='g', order=2 ** 31), 'order', '32 bits'),
    ('binding-negative-timeout', 'policy_binding', dict(application='bad-input', group='g', policy_timeout=-1), 'policy_timeout',
     'seconds'),
    ('access-unknown-application', 'application_access_info', dict(application='no-such-app', username='akadmin'), 'application',
     'no application'),
    ('flow-info-bad-designation', 'flow_info', dict(designation='login'), 'designation', 'authorization'),
    ('keypair-info-bad-bool', 'certificate_keypair_info', dict(has_key='perhaps'), 'has_key', 'bool'),
    ('bad-url', 'flow_info', dict(authentik_url='authentik.example.com'), 'authentik_url', 'absolute'),
    ('bad-timeout', 'flow_info', dict(timeout='soon'), 'timeout', 'int'),
]


@pytest.mark.parametrize('module,args,option,word', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_fails_before_any_write(authentik, run_module, module, args, option, word):
    args = dict((k, v) for k, v in args.items() if v is not None)
    authentik.reset_log()
    result = run_module(module, args)
    assert result.failed, 'accepted bad input: %r' % result.result
    assert option in result.msg, result.msg
    assert word in result.msg, result.msg
    assert authentik.writes() in (None, []), 'a write was sent before the error: %r' % authentik.writes()


def test_rejected_token_is_explained(authentik, run_module):
    result = run_module('flow_info', dict(authentik_token='not-a-token'))
    assert result.failed and 'authentik_token' in result.msg and '403' in result.msg


def test_unreachable_issuer_names_the_option(authentik, run_module):
    result = run_module('oidc_discovery_info', dict(issuer='https://127.0.0.1:1/application/o/x/', timeout=2), connection=False)
    assert result.failed and result.msg.startswith('issuer:')


def test_at_least_twenty_cases():
    assert len(CASES) >= 20
