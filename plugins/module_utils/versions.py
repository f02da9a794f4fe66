# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each authentik release supports, derived from its version string.

Pure functions only: the client asks these questions once it knows the server
version, so modules never branch on versions themselves.  Every boundary below
comes from the OpenAPI schemas of the releases (see docs/docsite/rst/api_versions.rst).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_VERSION_RE = re.compile(r'^\s*v?(\d+)\.(\d+)(?:\.(\d+))?')


def parse_version(text):
    """Return a comparable (year, month, patch) tuple from '2025.10.4' or 'v2024.8'."""
    match = _VERSION_RE.match(text or '')
    if not match:
        raise ValueError('not an authentik version: %r' % (text,))
    return tuple(int(part or 0) for part in match.groups())


class ServerFeatures:
    """Endpoint and field differences between authentik releases."""

    def __init__(self, version):
        self.version_string = version
        self.version = parse_version(version)

    def at_least(self, text):
        return self.version >= parse_version(text)

    @property
    def scope_mapping_path(self):
        # 2024.8 moved provider property mappings under propertymappings/provider/;
        # the old path answers POST 405 / GET 404 from then on.
        if self.at_least('2024.8'):
            return 'propertymappings/provider/scope/'
        return 'propertymappings/scope/'

    @property
    def redirect_uris_structured(self):
        # Lists of {url, matching_mode} arrived in 2024.8.5 and 2024.10.3 (both
        # backports of one fix); 2024.10.0-2024.10.2 still took a newline string.
        if self.at_least('2024.10.3'):
            return True
        return self.at_least('2024.8.5') and not self.at_least('2024.10')

    @property
    def invalidation_flow(self):
        return self.at_least('2024.10')

    @property
    def encryption_key(self):
        return self.at_least('2024.10')

    @property
    def logout(self):
        """logout_uri and logout_method."""
        return self.at_least('2025.10')

    @property
    def refresh_token_threshold(self):
        return self.at_least('2025.10')

    @property
    def key_type(self):
        # Certificate keypairs report key_type (rsa, ec, dsa, ed25519, ed448) from 2025.12.0;
        # before, private_key_type (named after the private key's class: rsa, ec, ed25519, ...).
        return self.at_least('2025.12')

    @property
    def keypair_key_type_field(self):
        """The keypair field that names the key algorithm."""
        return 'key_type' if self.key_type else 'private_key_type'

    @property
    def grant_types(self):
        # OAuth2Provider.grant_types, a list; a release without it allows every grant type.
        return self.at_least('2026.5')

    @property
    def redirect_uri_type(self):
        # redirect_uris[].redirect_uri_type: authorization or logout.
        return self.at_least('2026.5')

    def grant_type_minimum(self):
        """Grant type values and the first release that accepts each in grant_types."""
        minimum = dict((name, '2026.5') for name in (
            'authorization_code', 'implicit', 'hybrid', 'refresh_token', 'client_credentials', 'password',
            'urn:ietf:params:oauth:grant-type:device_code'))
        minimum['urn:ietf:params:oauth:grant-type:token-exchange'] = '2026.8'
        return minimum

    @property
    def group_parents_list(self):
        # Group.parent (one group) became Group.parents (a list) with core migration 0055, which
        # follows the migrations of late November 2025: schema 2025.10.4 has parent, 2026.2.2 parents.
        return self.at_least('2025.12')

    def path_hint(self, path):
        """Why this release answers 404/405 on path, when the path is known to be wrong for it; else None."""
        path = path.split('?', 1)[0].lstrip('/')
        if path.startswith('api/v3/'):
            path = path[len('api/v3/'):]
        if path.startswith('propertymappings/scope/') and self.at_least('2024.8'):
            return 'scope mappings moved to propertymappings/provider/scope/ in authentik 2024.8'
        if path.startswith('propertymappings/provider/scope/') and not self.at_least('2024.8'):
            return 'authentik %s keeps scope mappings at propertymappings/scope/ (the provider/ path arrived in 2024.8)' % self.version_string
        return None

    @property
    def email_mapping_verified_by_default(self):
        # upstream PR #16206: the managed email mapping says False from 2025.10.0.
        return not self.at_least('2025.10')

    def provider_field_minimum(self):
        """Optional provider fields and the first release that has them."""
        return {
            'invalidation_flow': '2024.10',
            'encryption_key': '2024.10',
            'refresh_token_threshold': '2025.10',
            'logout_uri': '2025.10',
            'logout_method': '2025.10',
        }

    def unsupported_provider_fields(self, fields):
        """Names among fields that this server release does not know."""
        minimum = self.provider_field_minimum()
        return sorted(f for f in fields if f in minimum and not self.at_least(minimum[f]))
