# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalization and comparison of desired and existing authentik objects.

Both sides are brought to one canonical form before they are compared, so
server defaults, list order or '60 minutes' versus 'hours=1' never make a
no-op look like a change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

HIDDEN = 'VALUE_HIDDEN'

# authentik's timedelta_string_validator: 'hours=1;minutes=2', units of datetime.timedelta.
_DURATION_UNITS = {
    'weeks': 604800.0, 'days': 86400.0, 'hours': 3600.0, 'minutes': 60.0,
    'seconds': 1.0, 'milliseconds': 0.001, 'microseconds': 0.000001,
}
_DURATION_PART = re.compile(r'^\s*(\w+)\s*=\s*(\d+(?:\.\d+)?)\s*$')


def duration_seconds(text):
    """Seconds in an authentik duration string; ValueError names the bad part."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError('empty duration')
    total = 0.0
    for part in text.split(';'):
        if not part.strip():
            continue
        match = _DURATION_PART.match(part)
        if not match or match.group(1) not in _DURATION_UNITS:
            raise ValueError('%r is not unit=number with a unit among %s' % (part.strip(), ', '.join(sorted(_DURATION_UNITS))))
        total += _DURATION_UNITS[match.group(1)] * float(match.group(2))
    return total


def sorted_list(value):
    return sorted(value or [], key=repr)


def redirect_uri_list(value):
    """Redirect URIs in the structured form, order-insensitive.

    Releases without structured redirect URIs keep a newline-separated string; both
    forms compare in the server's own shape, so this only sorts. An entry without
    redirect_uri_type (releases without it, or entries stored before it) is an
    authorization redirect, as the server treats it.
    """
    if isinstance(value, str):
        return sorted(line.strip() for line in value.splitlines() if line.strip())
    return sorted((item.get('url'), item.get('matching_mode'), item.get('redirect_uri_type') or 'authorization')
                  for item in value or [])


def text_block(value):
    """Expressions: authentik strips trailing whitespace when it stores them."""
    return (value or '').rstrip()


def duration(value):
    try:
        return duration_seconds(value)
    except ValueError:
        return value


def changed_fields(desired, existing, normalizers=None):
    """Keys of desired whose value differs from existing after normalization."""
    normalizers = normalizers or {}
    changed = []
    for key, want in desired.items():
        norm = normalizers.get(key, lambda v: v)
        if norm(want) != norm((existing or {}).get(key)):
            changed.append(key)
    return sorted(changed)


def redact(obj, hidden):
    """A copy of obj without the hidden (secret) keys."""
    if obj is None:
        return None
    return dict((k, v) for k, v in obj.items() if k not in hidden)


def diff_of(changed, before, after, hidden):
    """Ansible diff of just the changed keys; secrets shown as a marker only."""
    def side(obj, marker):
        if obj is None:
            return {}
        out = {}
        for key in changed:
            out[key] = '%s (%s)' % (HIDDEN, marker) if key in hidden else obj.get(key)
        return out
    return {'before': side(before, 'old'), 'after': side(after, 'new')}
