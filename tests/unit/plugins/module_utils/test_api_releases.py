# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules send to, and read from, each authentik release (api.py, compare.py).

Shapes of 2026.5 and 2026.8 are those of the releases' published API clients (authentik-client
2026.5.x and 2026.8.x on PyPI): grant_types, redirect_uris[].redirect_uri_type, key_type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.kubeauth.authentik.plugins.module_utils.api import AuthentikAPI
from ansible_collections.kubeauth.authentik.plugins.module_utils.errors import InputError
from ansible_collections.kubeauth.authentik.plugins.module_utils.compare import changed_fields, redirect_uri_list, sorted_list
from ansible_collections.kubeauth.authentik.plugins.module_utils.versions import ServerFeatures

KUBELOGIN_GRANTS = ['authorization_code', 'refresh_token', 'password']
URIS = [dict(url='http://localhost:.*', matching_mode='regex', redirect_uri_type=None),
        dict(url=r'http://127\.0\.0\.1:.*', matching_mode='regex', redirect_uri_type=None)]


class FakeClient:
    """Only what AuthentikAPI reads: the release and keypair lists."""

    def __init__(self, version, keypairs=()):
        self.features = ServerFeatures(version)
        self.keypairs = list(keypairs)

    def list(self, path, params=None):
        params = params or {}
        return [k for k in self.keypairs if all(str(k.get(f)) == str(v) for f, v in params.items() if f == 'name')]


def api_for(version, keypairs=()):
    return AuthentikAPI(FakeClient(version, keypairs))


def keypair(name, version, algorithm, private=True):
    field = 'key_type' if ServerFeatures(version).at_least('2025.12') else 'private_key_type'
    return {'pk': 'pk-' + name, 'name': name, 'private_key_available': private, field: algorithm}


# ---------------------------------------------------------------- grant_types
@pytest.mark.parametrize('version', ['2026.5.0', '2026.5.8', '2026.8.5'])
def test_grant_types_sent_where_the_release_has_them(version):
    api = api_for(version)
    wire = api.provider_to_wire(dict(name='k', grant_types=KUBELOGIN_GRANTS))
    assert wire['grant_types'] == KUBELOGIN_GRANTS
    assert api.warnings == []


@pytest.mark.parametrize('version', ['2024.8.4', '2025.10.4', '2026.2.2', '2026.2.7'])
def test_grant_types_before_2026_5_warn_and_send_nothing(version):
    api = api_for(version)
    wire = api.provider_to_wire(dict(name='k', grant_types=KUBELOGIN_GRANTS))
    assert 'grant_types' not in wire
    assert len(api.warnings) == 1 and version in api.warnings[0] and 'every grant type' in api.warnings[0]


def test_token_exchange_needs_2026_8():
    exchange = 'urn:ietf:params:oauth:grant-type:token-exchange'
    with pytest.raises(InputError) as err:
        api_for('2026.5.8').provider_to_wire(dict(name='k', grant_types=['authorization_code', exchange]))
    assert err.value.option == 'grant_types' and '2026.8' in str(err.value) and exchange in str(err.value)
    assert api_for('2026.8.0').provider_to_wire(dict(name='k', grant_types=[exchange]))['grant_types'] == [exchange]


def test_grant_types_not_given_are_not_sent():
    assert 'grant_types' not in api_for('2026.8.5').provider_to_wire(dict(name='k', grant_types=None))


def test_grant_types_compare_without_order():
    existing = {'grant_types': ['refresh_token', 'password', 'authorization_code']}
    assert changed_fields({'grant_types': KUBELOGIN_GRANTS}, existing, {'grant_types': sorted_list}) == []
    assert changed_fields({'grant_types': ['authorization_code']}, existing, {'grant_types': sorted_list}) == ['grant_types']


# ------------------------------------------------------------ redirect_uri_type
def test_redirect_uri_type_sent_on_every_entry_from_2026_5():
    wire = api_for('2026.5.8').provider_to_wire(dict(name='k', redirect_uris=URIS + [
        dict(url='https://app.example.com/bye', matching_mode='strict', redirect_uri_type='logout')]))
    assert [u['redirect_uri_type'] for u in wire['redirect_uris']] == ['authorization', 'authorization', 'logout']


@pytest.mark.parametrize('version', ['2024.10.5', '2025.10.4', '2026.2.2'])
def test_redirect_uri_type_not_sent_before_2026_5(version):
    wire = api_for(version).provider_to_wire(dict(name='k', redirect_uris=URIS))
    assert wire['redirect_uris'] == [dict(url=u['url'], matching_mode=u['matching_mode']) for u in URIS]


def test_logout_redirect_before_2026_5_is_refused_before_any_write():
    with pytest.raises(InputError) as err:
        api_for('2026.2.2').provider_to_wire(dict(name='k', redirect_uris=URIS + [
            dict(url='https://app.example.com/bye', matching_mode='strict', redirect_uri_type='logout')]))
    assert err.value.option == 'redirect_uris[2].redirect_uri_type' and '2026.5' in str(err.value)


def test_newline_string_before_2024_10_3():
    assert api_for('2024.8.4').provider_to_wire(dict(name='k', redirect_uris=URIS))['redirect_uris'] == \
        'http://localhost:.*\nhttp://127\\.0\\.0\\.1:.*'


def test_round_trip_is_a_no_op():
    """What 2026.5 stores (typed entries, or entries stored before it without a type) equals what the module sends."""
    sent = api_for('2026.5.8').provider_to_wire(dict(name='k', redirect_uris=URIS))['redirect_uris']
    stored_typed = [dict(u, redirect_uri_type='authorization') for u in sent]
    stored_untyped = [dict(url=u['url'], matching_mode=u['matching_mode']) for u in reversed(sent)]
    for stored in (stored_typed, stored_untyped):
        assert changed_fields({'redirect_uris': sent}, {'redirect_uris': stored}, {'redirect_uris': redirect_uri_list}) == []
    retyped = [dict(sent[0], redirect_uri_type='logout'), sent[1]]
    assert changed_fields({'redirect_uris': sent}, {'redirect_uris': retyped}, {'redirect_uris': redirect_uri_list}) == ['redirect_uris']


# --------------------------------------------------------------- key types
@pytest.mark.parametrize('version,field', [('2025.10.4', 'private_key_type'), ('2025.12.0', 'key_type'), ('2026.8.5', 'key_type')])
def test_key_type_field_by_release(version, field):
    assert ServerFeatures(version).keypair_key_type_field == field
    assert api_for(version).keypair_key_type(keypair('k', version, 'ec')) == 'ec'


@pytest.mark.parametrize('version', ['2025.10.4', '2026.2.2', '2026.8.5'])
@pytest.mark.parametrize('algorithm', ['rsa', 'ec'])
def test_rsa_and_ec_keys_sign_for_kubernetes(version, algorithm):
    api = api_for(version, [keypair('signer', version, algorithm)])
    assert api.signing_keypair('signer', 'signing_key')['pk'] == 'pk-signer'


@pytest.mark.parametrize('version', ['2026.2.2', '2026.5.8', '2026.8.5'])
@pytest.mark.parametrize('algorithm,shown', [('ed25519', 'Ed25519'), ('ed448', 'Ed448'), ('dsa', 'DSA')])
def test_keys_kube_apiserver_cannot_verify_are_refused(version, algorithm, shown):
    api = api_for(version, [keypair('edwards', version, algorithm)])
    with pytest.raises(InputError) as err:
        api.signing_keypair('edwards', 'signing_key')
    message = str(err.value)
    assert err.value.option == 'signing_key' and shown in message and 'RS*, ES*, PS*' in message
    assert 'authentik Self-signed Certificate' in message


def test_key_without_private_part_is_refused_first():
    api = api_for('2026.2.2', [keypair('public-only', '2026.2.2', 'ed25519', private=False)])
    with pytest.raises(InputError, match='no private key'):
        api.signing_keypair('public-only', 'signing_key')
