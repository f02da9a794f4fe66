# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical payloads in the shape one release takes: pure functions of ServerFeatures, no requests.

Modules describe an object once, in the newest shape; these functions turn it into what the
connected release accepts, or raise InputError (naming the option) for what it cannot hold, so a
play written for a newer server fails before anything is written. AuthentikAPI calls them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from .errors import InputError
from .versions import GRANT_TYPE


def provider(features, payload, warnings):
    """A canonical OAuth2 provider payload for this release; notes for the user go to warnings (a list)."""
    unsupported = features.unsupported_provider_fields(k for k, v in payload.items() if v is not None)
    if unsupported:
        raise InputError(unsupported[0], 'authentik %s does not have this field (it appeared in %s); remove the option '
                                         'or upgrade authentik' % (features.version_string, features.release_of(unsupported[0])))
    wire = dict(payload)
    grant_types = wire.pop('grant_types', None)
    if grant_types is not None:
        wire.update(_grant_types(features, grant_types, warnings))
    if 'redirect_uris' in wire:
        wire['redirect_uris'] = _redirect_uris(features, wire['redirect_uris'])
    return wire


def _grant_types(features, grant_types, warnings):
    """{'grant_types': [...]} where the release has the field; {} and a warning before."""
    if not features.has('grant_types'):
        # Such a release lets every provider use every grant type: the grants asked for
        # are all available, only the restriction to them cannot be made.
        warnings.append('grant_types: authentik %s allows every grant type on every provider (per-provider grant '
                        'types arrived in %s), so %s are available but the others are not switched off'
                        % (features.version_string, features.release_of('grant_types'), ', '.join(grant_types)))
        return {}
    for name in grant_types:
        if not features.has_grant_type(name):
            raise InputError('grant_types', 'authentik %s does not have the grant type %s (it arrived in %s); remove it '
                                            'or upgrade authentik' % (features.version_string, name, features.release_of(GRANT_TYPE + name)))
    return {'grant_types': grant_types}


def _redirect_uris(features, items):
    """Canonical [{url, matching_mode, redirect_uri_type}] in the release's shape."""
    if features.has('redirect_uri_type'):
        # Sent on every entry, so that what is stored reads back the same.
        return [dict(url=item['url'], matching_mode=item['matching_mode'],
                     redirect_uri_type=item.get('redirect_uri_type') or 'authorization') for item in items]
    for index, item in enumerate(items):
        if item.get('redirect_uri_type') not in (None, 'authorization'):
            raise InputError('redirect_uris[%d].redirect_uri_type' % index,
                             'authentik %s has no typed redirect URIs (they arrived in %s); every entry is an '
                             'authorization redirect there: drop the entry or the type, or upgrade authentik'
                             % (features.version_string, features.release_of('redirect_uri_type')))
    if not features.has('redirect_uris_structured'):
        # One URI per line; the server tries every line both verbatim and as a regular expression.
        return '\n'.join(item['url'] for item in items)
    return [dict(url=item['url'], matching_mode=item['matching_mode']) for item in items]


def group(features, payload):
    """A canonical group (parents: a list of group ids) for this release: parent (one) or parents."""
    wire = dict(payload)
    if 'parents' in wire and not features.has('group_parents'):
        parents = wire.pop('parents')
        if len(parents) > 1:
            raise InputError('parents', 'authentik %s gives a group one parent (several arrived in %s); name at most one'
                             % (features.version_string, features.release_of('group_parents')))
        wire['parent'] = parents[0] if parents else None
    return wire
