# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apiserver_oidc role's authentication options: turned into jwt entries, and refused early with the option named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeauth.authentik.plugins.filter.authn import authn_option_problems, cel_claim, jwt_authenticator

ISSUER = 'https://ak.example.com/application/o/kubernetes/'
GOOD = {'mode': 'file', 'issuer_url': ISSUER, 'username_claim': 'email', 'groups_claim': 'groups', 'discovery_url': '',
        'claim_validation_rules': [], 'user_validation_rules': [], 'extra_jwt': []}
OLD = {'issuer_url': 'https://old.example.com/application/o/kubernetes/', 'audiences': ['kubernetes'],
       'claim_mappings': {'username': {'claim': 'email', 'prefix': 'oidc:'}}}


def test_jwt_authenticator_from_option_names():
    entry = jwt_authenticator(dict(OLD, discovery_url='https://authentik.authentik.svc/application/o/kubernetes/.well-known/openid-configuration',
                                   certificate_authority='-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n\n',
                                   claim_validation_rules=[{'claim': 'hd', 'required_value': 'example.com'}],
                                   user_validation_rules=[{'expression': "!user.username.startsWith('system:')", 'message': 'no'}]))
    assert entry['issuer'] == {'url': OLD['issuer_url'], 'audiences': ['kubernetes'],
                               'discoveryURL': 'https://authentik.authentik.svc/application/o/kubernetes/.well-known/openid-configuration',
                               'certificateAuthority': '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n'}
    assert entry['claimValidationRules'] == [{'claim': 'hd', 'requiredValue': 'example.com'}]
    assert entry['userValidationRules'] == [{'expression': "!user.username.startsWith('system:')", 'message': 'no'}]
    assert entry['claimMappings'] == OLD['claim_mappings']
    assert set(jwt_authenticator(OLD)) == {'issuer', 'claimMappings'}, 'no empty rule lists'


def test_cel_claim():
    assert cel_claim('email') == 'claims.email'
    assert cel_claim('no-such-claim') == 'claims["no-such-claim"]'
    with pytest.raises(AnsibleFilterError, match='claim name'):
        cel_claim('')


def test_good_options_have_no_problem():
    assert authn_option_problems(dict(GOOD, extra_jwt=[OLD], user_validation_rules=[{'expression': 'true'}],
                                      claim_validation_rules=[{'claim': 'hd', 'required_value': 'x'}, {'expression': 'true'}])) == []
    assert authn_option_problems(dict(GOOD, username_claim='no-such-claim')) == [], 'any claim name works through claims["..."]'
    verified = dict(OLD, claim_mappings={'username': {'expression': '"x:" + claims.email'}},
                    claim_validation_rules=[{'expression': 'claims.?email_verified.orValue(true) == true', 'message': 'm'}])
    assert authn_option_problems(dict(GOOD, extra_jwt=[verified])) == []


@pytest.mark.parametrize('options, option', [
    ({'username_claim': ''}, 'apiserver_oidc_username_claim'),
    ({'groups_claim': 'groups\n'}, 'apiserver_oidc_groups_claim'),
    ({'discovery_url': 'http://authentik.authentik.svc/'}, 'apiserver_oidc_discovery_url'),
    ({'discovery_url': ISSUER}, 'apiserver_oidc_discovery_url'),
    ({'claim_validation_rules': [{'message': 'm'}]}, 'apiserver_oidc_claim_validation_rules[0]'),
    ({'claim_validation_rules': [{'claim': 'hd'}]}, 'required_value'),
    ({'user_validation_rules': [{'message': 'm'}]}, 'apiserver_oidc_user_validation_rules[0]'),
    ({'extra_jwt': [dict(OLD, issuer_url=ISSUER)]}, 'apiserver_oidc_extra_jwt[0]: issuer %s is listed twice' % ISSUER),
    ({'extra_jwt': [OLD, OLD]}, 'apiserver_oidc_extra_jwt[1]'),
    ({'extra_jwt': [dict(OLD, audiences=[])]}, 'apiserver_oidc_extra_jwt[0]: audiences'),
    ({'extra_jwt': [dict(OLD, claim_mappings={})]}, 'apiserver_oidc_extra_jwt[0]: claim_mappings.username'),
    ({'extra_jwt': [dict(OLD, claim_mappings={'username': {'expression': '"x:" + claims.email'}})]}, 'email_verified'),
    ({'mode': 'flags', 'extra_jwt': [OLD]}, 'apiserver_oidc_extra_jwt only work in apiserver_oidc_mode=file'),
])
def test_problems_name_the_option(options, option):
    problems = authn_option_problems(dict(GOOD, **options))
    assert problems and any(option in p for p in problems), problems
