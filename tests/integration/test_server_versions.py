# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fields a release does not have fail early, naming the option and the release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

VERSIONS = ('2024.8.4', '2024.10.5')
PROVIDER = dict(name='version-check', client_id='version-check', authorization_flow='default-provider-authorization-implicit-consent',
                signing_key='authentik Self-signed Certificate')


def test_logout_uri_needs_2025_10(authentik, run_module):
    authentik.reset_log()
    result = run_module('oauth2_provider', dict(PROVIDER, logout_uri='https://example.com/logout'))
    assert result.failed and result.msg.startswith('logout_uri:') and authentik.version in result.msg and '2025.10' in result.msg
    assert authentik.writes() in (None, [])


def test_invalidation_flow_where_the_release_has_none(authentik, run_module):
    result = run_module('oauth2_provider', dict(PROVIDER, invalidation_flow='default-provider-invalidation-flow'))
    if authentik.version_tuple >= (2024, 10):
        assert not result.failed, result.msg
        run_module('oauth2_provider', dict(name=PROVIDER['name'], state='absent'))
    else:
        assert result.failed and 'invalidation_flow' in result.msg
