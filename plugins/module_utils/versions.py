# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each authentik release supports, derived from its version string.

RELEASES is the one table of release boundaries: {feature: the first release that has it}.
ServerFeatures answers from it, and every message that names a release reads the release from
it (ServerFeatures.release_of), so no other file of the plugins writes a release number.
To support a new field or grant type, add a row. Every boundary comes from the OpenAPI schemas
of the releases (see docs/docsite/rst/api_versions.rst).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_VERSION_RE = re.compile(r'^\s*v?(\d+)\.(\d+)(?:\.(\d+))?')

GRANT_TYPE = 'grant_type:'

RELEASES = {
    # Provider property mappings moved under propertymappings/provider/ (the old path answers POST 405, GET 404).
    'scope_mappings_under_provider': '2024.8',
    # redirect_uris as a list of {url, matching_mode}; one URI per line before (see BACKPORTS).
    'redirect_uris_structured': '2024.10.3',
    # Optional fields of an OAuth2 provider (PROVIDER_FIELDS).
    'invalidation_flow': '2024.10',
    'encryption_key': '2024.10',
    'refresh_token_threshold': '2025.10',
    'logout_uri': '2025.10',
    'logout_method': '2025.10',
    # Certificate keypairs name their algorithm key_type (private_key_type before, with the same values).
    'key_type': '2025.12',
    # The managed email scope mapping says email_verified False (upstream PR #16206).
    'email_mapping_unverified': '2025.10',
    # Group.parents, a list (Group.parent, one group, before): core migration 0055, after 2025.10.4's schema.
    'group_parents': '2025.12',
    # OAuth2Provider.grant_types; a release without it allows every grant type on every provider.
    'grant_types': '2026.5',
    # redirect_uris[].redirect_uri_type: authorization or logout.
    'redirect_uri_type': '2026.5',
    # The values grant_types accepts, each from its release.
    GRANT_TYPE + 'authorization_code': '2026.5',
    GRANT_TYPE + 'implicit': '2026.5',
    GRANT_TYPE + 'hybrid': '2026.5',
    GRANT_TYPE + 'refresh_token': '2026.5',
    GRANT_TYPE + 'client_credentials': '2026.5',
    GRANT_TYPE + 'password': '2026.5',
    GRANT_TYPE + 'urn:ietf:params:oauth:grant-type:device_code': '2026.5',
    GRANT_TYPE + 'urn:ietf:params:oauth:grant-type:token-exchange': '2026.8',
}

# Features an older line received in a patch release: {feature: ((first patch release, the line after it), ...)}.
# The structured redirect URIs were one fix backported to 2024.8.5; 2024.10.0 to 2024.10.2 still took a string.
BACKPORTS = {
    'redirect_uris_structured': (('2024.8.5', '2024.10'),),
}

# The provider fields that a release may lack: a play that gives one fails before anything is written.
PROVIDER_FIELDS = ('invalidation_flow', 'encryption_key', 'refresh_token_threshold', 'logout_uri', 'logout_method')


def parse_version(text):
    """Return a comparable (year, month, patch) tuple from '2025.10.4' or 'v2024.8'."""
    match = _VERSION_RE.match(text or '')
    if not match:
        raise ValueError('not an authentik version: %r' % (text,))
    return tuple(int(part or 0) for part in match.groups())


class ServerFeatures:
    """What one release has: has(feature) for each row of RELEASES, and the shapes that follow from it."""

    def __init__(self, version):
        self.version_string = version
        self.version = parse_version(version)

    def at_least(self, text):
        return self.version >= parse_version(text)

    def has(self, feature):
        """Whether this release has feature (a key of RELEASES; KeyError for an unknown one)."""
        if self.at_least(RELEASES[feature]):
            return True
        return any(self.at_least(first) and not self.at_least(before) for first, before in BACKPORTS.get(feature, ()))

    @staticmethod
    def release_of(feature):
        """The first release that has feature, for messages ('it arrived in 2026.5')."""
        return RELEASES[feature]

    @property
    def scope_mapping_path(self):
        if self.has('scope_mappings_under_provider'):
            return 'propertymappings/provider/scope/'
        return 'propertymappings/scope/'

    @property
    def keypair_key_type_field(self):
        """The keypair field that names the key algorithm."""
        return 'key_type' if self.has('key_type') else 'private_key_type'

    def has_grant_type(self, name):
        """Whether grant_types accepts the value name on this release."""
        return self.has(GRANT_TYPE + name)

    def unsupported_provider_fields(self, fields):
        """Names among fields that this server release does not know, sorted."""
        return sorted(f for f in fields if f in PROVIDER_FIELDS and not self.has(f))

    def path_hint(self, path):
        """Why this release answers 404/405 on path, when the path is known to be wrong for it; else None."""
        path = path.split('?', 1)[0].lstrip('/')
        if path.startswith('api/v3/'):
            path = path[len('api/v3/'):]
        moved = self.has('scope_mappings_under_provider')
        if path.startswith('propertymappings/scope/') and moved:
            return 'scope mappings moved to propertymappings/provider/scope/ in authentik %s' % self.release_of('scope_mappings_under_provider')
        if path.startswith('propertymappings/provider/scope/') and not moved:
            return 'authentik %s keeps scope mappings at propertymappings/scope/ (the provider/ path arrived in %s)' % (
                self.version_string, self.release_of('scope_mappings_under_provider'))
        return None
