# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging JWT authenticators into an existing AuthenticationConfiguration."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml

from ansible_collections.kubeauth.authentik.plugins.module_utils.authn_config import (
    AuthnConfigError, api_version_for, changed_entries, check_document, claim_access, claim_problem, entry_problems, merged)

AUTHENTIK = 'https://ak.example.com/application/o/kubernetes/'
CI = 'https://token.ci.example.com'

# A hardened cluster's own file: anonymous only for the health endpoints, and a CI issuer.
EXISTING = yaml.safe_load("""
apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
anonymous:
  enabled: true
  conditions:
    - path: /livez
    - path: /readyz
jwt:
  - issuer:
      url: https://token.ci.example.com
      audiences: [ci]
    claimMappings:
      username:
        claim: sub
        prefix: "ci:"
""")


def entry(url=AUTHENTIK, prefix='oidc:'):
    return {'issuer': {'url': url, 'audiences': ['kubernetes']},
            'claimMappings': {'username': {'expression': '"%s" + claims.email' % prefix}}}


def test_adds_own_entry_and_keeps_everything_else():
    result = merged(EXISTING, [entry()])
    assert result['apiVersion'] == 'apiserver.config.k8s.io/v1beta1'
    assert result['anonymous'] == EXISTING['anonymous']
    assert [e['issuer']['url'] for e in result['jwt']] == [CI, AUTHENTIK]
    assert result['jwt'][0] == EXISTING['jwt'][0]
    assert EXISTING['jwt'][0]['issuer']['url'] == CI and len(EXISTING['jwt']) == 1, 'the input is not modified'


def test_updates_own_entry_in_place_and_reports_only_it():
    first = merged(merged(EXISTING, [entry(CI.replace('ci', 'other'))]), [entry()])
    second = merged(first, [entry(prefix='new:')])
    assert [e['issuer']['url'] for e in second['jwt']] == [e['issuer']['url'] for e in first['jwt']]
    issuers, before, after = changed_entries(first, second)
    assert issuers == [AUTHENTIK]
    assert before[0]['claimMappings']['username']['expression'] == '"oidc:" + claims.email'
    assert after[0]['claimMappings']['username']['expression'] == '"new:" + claims.email'
    assert merged(second, [entry(prefix='new:')]) == second, 'idempotent'


def test_absent_removes_only_own_entry():
    with_ours = merged(EXISTING, [entry()])
    removed = merged(with_ours, [entry()], state='absent')
    assert removed == EXISTING
    assert changed_entries(with_ours, removed) == ([AUTHENTIK], [entry()], [])


def test_remove_issuers_drops_a_previous_issuer_but_never_a_wanted_one():
    old = 'https://old.example.com/application/o/kubernetes/'
    both = merged(EXISTING, [entry(old), entry()])
    moved = merged(both, [entry()], remove_issuers=[old, AUTHENTIK])
    assert [e['issuer']['url'] for e in moved['jwt']] == [CI, AUTHENTIK]


def test_new_file_and_api_versions():
    assert api_version_for(30) == 'apiserver.config.k8s.io/v1beta1'
    assert api_version_for('33') == 'apiserver.config.k8s.io/v1beta1'
    assert api_version_for(34) == 'apiserver.config.k8s.io/v1'
    assert api_version_for(29) == 'apiserver.config.k8s.io/v1alpha1'


@pytest.mark.parametrize('document, problem', [
    ([], 'not a YAML mapping'),
    ({'kind': 'Pod', 'apiVersion': 'v1'}, 'kind'),
    ({'kind': 'AuthenticationConfiguration', 'apiVersion': 'apiserver.config.k8s.io/v2'}, 'apiVersion'),
    ({'kind': 'AuthenticationConfiguration', 'apiVersion': 'apiserver.config.k8s.io/v1', 'jwt': {}}, 'jwt'),
])
def test_refuses_what_is_not_an_authentication_configuration(document, problem):
    with pytest.raises(AuthnConfigError, match=problem):
        check_document(document)


def test_claim_access_takes_any_name():
    assert claim_access('email') == 'claims.email'
    assert claim_access('preferred_username') == 'claims.preferred_username'
    assert claim_access('no-such-claim') == 'claims["no-such-claim"]'
    assert claim_access('in') == 'claims["in"]', 'a CEL reserved word cannot follow the dot'
    assert claim_access('https://example.com/email') == 'claims["https://example.com/email"]'
    assert claim_access('a"b') == 'claims["a\\"b"]'
    assert claim_problem('') and claim_problem(' email') and claim_problem('a\nb') and claim_problem(None)
    assert claim_problem('no-such-claim') is None


def test_entry_problems_name_the_field():
    assert entry_problems(entry()) == []
    assert any('issuer.url' in p for p in entry_problems({'issuer': {'url': 'http://x', 'audiences': ['a']},
                                                          'claimMappings': {'username': {'claim': 'sub'}}}))
    assert any('audiences' in p for p in entry_problems({'issuer': {'url': 'https://x'}, 'claimMappings': {'username': {'claim': 'sub'}}}))
    assert any('claimMappings.username' in p for p in entry_problems({'issuer': {'url': 'https://x', 'audiences': ['a']}}))
    same = dict(entry(), issuer={'url': AUTHENTIK, 'audiences': ['k'], 'discoveryURL': AUTHENTIK})
    assert any('discoveryURL' in p for p in entry_problems(same))
