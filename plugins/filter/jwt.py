# -*- coding: utf-8 -*-
# Copyright: kubeauth.authentik contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decode one segment of a JWT for inspection (never for trust: nothing is verified)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def jwt_segment(segment):
    """base64url JSON (a JWT header or claims segment) -> dict."""
    try:
        text = to_text(segment).strip()
        padded = text + '=' * (-len(text) % 4)
        return json.loads(to_text(base64.urlsafe_b64decode(padded)))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError('jwt_segment: not a base64url JSON segment of a JWT: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'jwt_segment': jwt_segment}
