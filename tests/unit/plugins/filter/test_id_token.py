# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeauth.authentik.plugins.filter.id_token import id_token_problems

ISSUER = 'https://authentik.example.com/application/o/kubernetes/'
NOW = 1800000000
GOOD = {'iss': ISSUER, 'sub': 'alice@example.com', 'aud': 'kubernetes', 'exp': NOW + 3600, 'iat': NOW,
        'email': 'alice@example.com', 'email_verified': True, 'groups': ['k8s-admins']}


def token(header=None, **changes):
    claims = dict(GOOD, **changes)
    claims = dict((key, value) for key, value in claims.items() if value is not None)

    def segment(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip('=')
    return '%s.%s.signature' % (segment(header or {'alg': 'RS256', 'kid': 'k', 'typ': 'JWT'}), segment(claims))


def problems(raw, **kwargs):
    args = dict(issuers=[ISSUER], audiences=['kubernetes'], algorithms=['RS256'], now=NOW)
    args.update(kwargs)
    return id_token_problems(raw, **args)


def test_a_good_token_has_no_problem():
    assert problems(token()) == []
    assert problems(token(aud=['other', 'kubernetes'])) == [], 'a list audience containing the client id is fine'
    assert problems(token(email_verified=None)) == [], 'kube-apiserver accepts a missing email_verified'


@pytest.mark.parametrize('raw, claim, words', [
    (token({'alg': 'HS256', 'typ': 'JWT'}), 'alg',
     ['signed with HS256', 'no signing key', 'authentik_oidc_signing_key', "'Empty JWKS or HS256 tokens'"]),
    (token(iss=ISSUER.rstrip('/')), 'iss', ['trailing slash', 'apiserver_oidc_issuer_url', "'Issuer mismatch'"]),
    (token(aud='k8s'), 'aud', ["audience 'k8s'", "accepts 'kubernetes'", 'apiserver_oidc_client_id', "'Audience mismatch'"]),
    (token(exp=NOW - 30), 'exp', ['expired', '30 s before', 'authentik_oidc_access_token_validity', 'clocks', "'Token expired'"]),
    (token(exp=None), 'exp', ['no expiry (exp)']),
    (token(email=None), 'email', ['no email claim', 'oidc_kubeconfig_extra_scopes', "'Token has no email claim'"]),
    (token(email_verified=False), 'email_verified', ['email_verified false', 'authentik_oidc_email_mapping_name',
                                                     "'Email not verified' in the troubleshooting guide"]),
], ids=['alg', 'iss', 'aud', 'exp', 'no-exp', 'email', 'email_verified'])
def test_each_wrong_claim_is_named_with_its_fix(raw, claim, words):
    found = problems(raw)
    assert [entry['claim'] for entry in found] == [claim]
    for word in words:
        assert word in found[0]['message']
    assert 'gotcha' not in found[0]['message']


def test_every_problem_is_reported_at_once():
    found = problems(token({'alg': 'HS256'}, iss='https://elsewhere/', aud='x', exp=NOW - 1))
    assert [entry['claim'] for entry in found] == ['alg', 'iss', 'aud', 'exp']


def test_another_username_claim():
    assert problems(token(email_verified=False), username_claim='sub') == [], 'email_verified only matters for email user names'
    found = problems(token(), username_claim='preferred_username')
    assert [entry['claim'] for entry in found] == ['preferred_username']
    assert 'apiserver_oidc_username_claim' in found[0]['message']


def test_not_a_jwt():
    with pytest.raises(AnsibleFilterError, match='not a JWT'):
        problems('no-dots-here')
