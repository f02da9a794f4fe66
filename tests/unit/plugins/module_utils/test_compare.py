# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalization: a no-op must stay a no-op whatever form the server answers in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kubeauth.authentik.plugins.module_utils.compare import (
    HIDDEN,
    changed_fields,
    diff_of,
    duration,
    duration_seconds,
    redact,
    redirect_uri_list,
    sorted_list,
    text_block,
)


@pytest.mark.parametrize('text,seconds', [
    ('hours=1', 3600),
    ('minutes=60', 3600),
    ('hours=1;minutes=2;seconds=3', 3723),
    ('days=30', 2592000),
    ('seconds=0', 0),
    ('minutes=1;', 60),
])
def test_duration_seconds(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize('text', ['ten minutes', 'hours', 'fortnights=1', '', 'hours=-1'])
def test_duration_rejects_bad_format(text):
    with pytest.raises(ValueError):
        duration_seconds(text)


def test_equivalent_durations_are_no_change():
    normalizers = dict(access_token_validity=duration)
    assert changed_fields({'access_token_validity': 'minutes=60'}, {'access_token_validity': 'hours=1'}, normalizers) == []
    assert changed_fields({'access_token_validity': 'minutes=61'}, {'access_token_validity': 'hours=1'}, normalizers) == ['access_token_validity']


def test_redirect_uris_compare_without_order():
    a = [{'url': 'http://localhost:.*', 'matching_mode': 'regex'}, {'url': r'http://127\.0\.0\.1:.*', 'matching_mode': 'regex'}]
    b = list(reversed(a))
    assert redirect_uri_list(a) == redirect_uri_list(b)
    assert redirect_uri_list(a) != redirect_uri_list([dict(a[0], matching_mode='strict'), a[1]])


def test_redirect_uris_newline_string_form():
    assert redirect_uri_list('b\na\n\n') == redirect_uri_list('a\nb')


def test_lists_and_expressions():
    assert sorted_list(['b', 'a']) == sorted_list(['a', 'b'])
    assert sorted_list(None) == []
    assert text_block('return {}\n\n') == text_block('return {}')


def test_changed_fields_only_considers_desired_keys():
    existing = {'name': 'k', 'client_type': 'public', 'pk': 6, 'verbose_name': 'x'}
    assert changed_fields({'name': 'k', 'client_type': 'public'}, existing) == []
    assert changed_fields({'name': 'k', 'client_type': 'confidential'}, existing) == ['client_type']
    assert changed_fields({'sub_mode': 'user_email'}, existing) == ['sub_mode']


def test_diff_shows_changed_keys_and_hides_secrets():
    before = {'name': 'k', 'client_secret': 's3cret-old', 'sub_mode': 'hashed_user_id'}
    after = {'name': 'k', 'client_secret': 's3cret-new', 'sub_mode': 'user_email'}
    diff = diff_of(['client_secret', 'sub_mode'], before, after, frozenset(['client_secret']))
    assert diff['before'] == {'client_secret': HIDDEN + ' (old)', 'sub_mode': 'hashed_user_id'}
    assert diff['after'] == {'client_secret': HIDDEN + ' (new)', 'sub_mode': 'user_email'}
    assert 's3cret' not in repr(diff)


def test_redact():
    assert redact({'a': 1, 'client_secret': 'x'}, frozenset(['client_secret'])) == {'a': 1}
    assert redact(None, frozenset()) is None
