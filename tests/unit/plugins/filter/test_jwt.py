# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubeauth.authentik.plugins.filter.jwt import jwt_segment


def segment(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip('=')


@pytest.mark.parametrize('obj', [{'alg': 'RS256', 'kid': 'x'}, {'email': 'a@b.c', 'email_verified': True, 'groups': ['g?>']}])
def test_round_trip_without_padding(obj):
    assert jwt_segment(segment(obj)) == obj


def test_garbage():
    with pytest.raises(AnsibleFilterError, match='jwt_segment'):
        jwt_segment('not json!')
