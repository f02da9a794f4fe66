# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merging JWT authenticators into a kube-apiserver AuthenticationConfiguration.

Pure functions over the parsed YAML. An entry is known by its issuer URL: an entry is added or
replaced in place, every other entry, the anonymous section and the apiVersion stay as they are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import re

KIND = 'AuthenticationConfiguration'
GROUP = 'apiserver.config.k8s.io/'
API_VERSIONS = ('v1alpha1', 'v1beta1', 'v1')

# CEL reserved words and literals: never usable after "claims.".
CEL_RESERVED = frozenset(('as', 'break', 'const', 'continue', 'else', 'false', 'for', 'function', 'if', 'import', 'in', 'let',
                          'loop', 'package', 'namespace', 'null', 'return', 'true', 'var', 'void', 'while'))
CEL_IDENTIFIER = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


class AuthnConfigError(Exception):
    pass


def api_version_for(minor):
    """The apiVersion kube-apiserver 1.<minor> serves for the file: v1 from 1.34, v1beta1 from 1.30, else v1alpha1."""
    minor = int(minor)
    if minor >= 34:
        return GROUP + 'v1'
    if minor >= 30:
        return GROUP + 'v1beta1'
    return GROUP + 'v1alpha1'


def claim_problem(name):
    """Why a claim name cannot be used, or None."""
    if not isinstance(name, str) or not name:
        return 'must be a non-empty string'
    if name != name.strip() or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return 'must not hold spaces at its ends or control characters'
    return None


def claim_access(name):
    """CEL that reads one claim: claims.email for a plain identifier, claims["a-b"] for any other name."""
    if CEL_IDENTIFIER.match(name) and name not in CEL_RESERVED:
        return 'claims.' + name
    # A JSON string is a valid CEL string literal (same escapes for quotes, backslashes and \\uXXXX).
    return 'claims[%s]' % json.dumps(name)


def issuer_of(entry):
    issuer = entry.get('issuer') if isinstance(entry, dict) else None
    return issuer.get('url') if isinstance(issuer, dict) else None


def entry_problems(entry):
    """What stops kube-apiserver from taking this jwt entry, as short phrases (empty when none)."""
    if not isinstance(entry, dict):
        return ['is not a mapping']
    problems = []
    url = issuer_of(entry)
    if not isinstance(url, str) or not url.startswith('https://'):
        problems.append('issuer.url must be an https URL, got %r' % (url,))
    issuer = entry.get('issuer') if isinstance(entry.get('issuer'), dict) else {}
    audiences = issuer.get('audiences')
    if not isinstance(audiences, list) or not audiences or not all(isinstance(a, str) and a for a in audiences):
        problems.append('issuer.audiences must be a non-empty list of strings')
    discovery = issuer.get('discoveryURL')
    if discovery is not None and (not isinstance(discovery, str) or not discovery.startswith('https://')):
        problems.append('issuer.discoveryURL must be an https URL, got %r' % (discovery,))
    if discovery is not None and discovery == url:
        problems.append('issuer.discoveryURL must differ from issuer.url (leave it out instead)')
    username = (entry.get('claimMappings') or {}).get('username') if isinstance(entry.get('claimMappings'), dict) else None
    if not isinstance(username, dict) or not (username.get('claim') or username.get('expression')):
        problems.append('claimMappings.username needs a claim or an expression')
    return problems


def empty_config(api_version):
    return {'apiVersion': api_version, 'kind': KIND, 'jwt': []}


def check_document(document):
    """Raise AuthnConfigError unless document is an AuthenticationConfiguration this module can merge into."""
    if not isinstance(document, dict):
        raise AuthnConfigError('it is not a YAML mapping')
    if document.get('kind') != KIND:
        raise AuthnConfigError('its kind is %r, not %s' % (document.get('kind'), KIND))
    version = document.get('apiVersion')
    if not isinstance(version, str) or not version.startswith(GROUP) or version[len(GROUP):] not in API_VERSIONS:
        raise AuthnConfigError('its apiVersion %r is not one of %s' % (version, ', '.join(GROUP + v for v in API_VERSIONS)))
    jwt = document.get('jwt')
    if jwt is not None and not isinstance(jwt, list):
        raise AuthnConfigError('its jwt field is not a list')


def merged(document, authenticators, remove_issuers=(), state='present'):
    """A new document: each of authenticators added or replaced (by issuer URL, in place), the entries of
    remove_issuers dropped (with state=absent, authenticators' issuers dropped too); nothing else changes."""
    result = copy.deepcopy(document)
    jwt = list(result.get('jwt') or [])
    wanted = [] if state == 'absent' else authenticators
    drop = set(remove_issuers) | (set(issuer_of(a) for a in authenticators) if state == 'absent' else set())
    drop -= set(issuer_of(a) for a in wanted)
    jwt = [e for e in jwt if issuer_of(e) not in drop]
    for entry in wanted:
        url = issuer_of(entry)
        for index, current in enumerate(jwt):
            if issuer_of(current) == url:
                jwt[index] = copy.deepcopy(entry)
                break
        else:
            jwt.append(copy.deepcopy(entry))
    if jwt or 'jwt' in result:
        result['jwt'] = jwt
    return result


def changed_entries(before, after):
    """(issuers added/changed/removed, before entries of those, after entries of those), in file order."""
    old = dict((issuer_of(e), e) for e in (before or {}).get('jwt') or [])
    new = dict((issuer_of(e), e) for e in (after or {}).get('jwt') or [])
    order = [issuer_of(e) for e in (before or {}).get('jwt') or []]
    order += [u for u in (issuer_of(e) for e in (after or {}).get('jwt') or []) if u not in old]
    issuers = [u for u in order if old.get(u) != new.get(u)]
    return issuers, [old[u] for u in issuers if u in old], [new[u] for u in issuers if u in new]
