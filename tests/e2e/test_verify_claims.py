# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify.yml names the claim kube-apiserver would reject, since the apiserver (1.34+) logs only "invalid bearer token"."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

pytestmark = pytest.mark.node


def test_token_born_expired_is_named(applied):
    """access_token_validity seconds=0: the token expires as it is issued; verify says so and names the option."""
    provider = applied.api.first('providers/oauth2/', name='kubernetes')
    applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_token_validity': 'seconds=0'})
    try:
        rc, output = applied.playbook('verify.yml', echo=False)
    finally:
        applied.api.call('PATCH', 'providers/oauth2/%s/' % provider['pk'], json={'access_token_validity': provider['access_token_validity']})
    assert rc != 0, 'verify accepted a token that was expired when issued'
    assert 'kube-apiserver would reject this token (exp)' in output
    assert 'authentik_oidc_access_token_validity' in output and "'Token expired' in the troubleshooting guide" in output
    assert 'gotcha' not in output


def test_algorithm_the_apiserver_does_not_accept_is_named(applied):
    """The apiserver's accepted algorithms (here said to be ES256 only) against an RS256 token."""
    rc, output = applied.playbook('verify.yml', '-e', '{"oidc_verify_accepted_algs": ["ES256"]}', echo=False)
    assert rc != 0
    assert 'kube-apiserver would reject this token (alg)' in output and 'signed with RS256' in output
    assert 'apiserver_oidc_signing_algs' in output
