# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release differences, decided by the version the server reports (never by what kind of server it is),
so that every test holds against the stand-in's emulations and against a real server of any release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

SELF_SIGNED = 'authentik Self-signed Certificate'
KUBELOGIN_GRANTS = ['authorization_code', 'refresh_token', 'password']


def provider(name, **extra):
    return dict(name=name, client_id=name, authorization_flow='default-provider-authorization-implicit-consent',
                signing_key=SELF_SIGNED, **extra)


@pytest.fixture
def name(authentik, run_module, unique):
    yield unique
    run_module('oauth2_provider', dict(name=unique, state='absent'))


def assert_refused_before_any_write(authentik, result, option, *words):
    assert result.failed and result.msg.startswith(option + ':'), result.msg
    for word in words:
        assert word in result.msg, result.msg
    assert authentik.writes() in (None, []), 'a write was sent before the error: %r' % authentik.writes()


def test_logout_uri_needs_2025_10(authentik, run_module, name):
    authentik.reset_log()
    result = run_module('oauth2_provider', provider(name, logout_uri='https://example.com/logout'))
    if authentik.version_tuple >= (2025, 10):
        assert result.changed and not result.failed, result.msg
        assert result['provider']['logout_uri'] == 'https://example.com/logout'
        authentik.reset_log()
        assert not run_module('oauth2_provider', provider(name, logout_uri='https://example.com/logout')).changed
        assert authentik.writes() in (None, [])
    else:
        assert_refused_before_any_write(authentik, result, 'logout_uri', authentik.version, '2025.10')


def test_invalidation_flow_where_the_release_has_none(authentik, run_module, name):
    result = run_module('oauth2_provider', provider(name, invalidation_flow='default-provider-invalidation-flow'))
    if authentik.version_tuple >= (2024, 10):
        assert not result.failed, result.msg
    else:
        assert result.failed and 'invalidation_flow' in result.msg


def test_grant_types_by_release(authentik, run_module, name):
    """Sent and kept from 2026.5; before, every grant type is allowed, so the task warns and writes nothing for it."""
    args = provider(name, grant_types=KUBELOGIN_GRANTS)
    created = run_module('oauth2_provider', args)
    assert created.changed and not created.failed, created.msg
    stored = authentik.find('providers/oauth2/', name=name)[0]
    warnings = ' '.join(created.get('warnings', []))
    if authentik.version_tuple >= (2026, 5):
        assert sorted(stored['grant_types']) == sorted(KUBELOGIN_GRANTS) and 'grant_types' not in warnings
    else:
        assert 'grant_types' not in stored
        assert 'grant_types:' in warnings and authentik.version in warnings and '2026.5' in warnings
    authentik.reset_log()
    again = run_module('oauth2_provider', dict(args, grant_types=list(reversed(KUBELOGIN_GRANTS))))
    assert not again.changed and not again.failed, again.msg
    assert authentik.writes() in (None, [])


def test_empty_grant_types_refused_everywhere(authentik, run_module, name):
    authentik.reset_log()
    result = run_module('oauth2_provider', provider(name, grant_types=[]))
    assert_refused_before_any_write(authentik, result, 'grant_types', 'authorization_code', 'refresh_token')


def test_logout_typed_redirect_uri_by_release(authentik, run_module, name):
    uris = [dict(url='http://localhost:.*', matching_mode='regex'),
            dict(url='https://app.example.com/bye', matching_mode='strict', redirect_uri_type='logout')]
    authentik.reset_log()
    result = run_module('oauth2_provider', provider(name, redirect_uris=uris))
    if authentik.version_tuple >= (2026, 5):
        assert result.changed and not result.failed, result.msg
        stored = authentik.find('providers/oauth2/', name=name)[0]['redirect_uris']
        assert sorted(u['redirect_uri_type'] for u in stored) == ['authorization', 'logout']
        authentik.reset_log()
        assert not run_module('oauth2_provider', provider(name, redirect_uris=uris)).changed
        assert authentik.writes() in (None, [])
    else:
        assert_refused_before_any_write(authentik, result, 'redirect_uris[1].redirect_uri_type', authentik.version, '2026.5')


def test_keypair_key_type_on_every_release(authentik, run_module):
    result = run_module('certificate_keypair_info', dict(name=SELF_SIGNED))
    assert not result.failed, result.msg
    assert [k['key_type'] for k in result['keypairs']] == ['rsa']
    assert 'key_data' not in result['keypairs'][0] and 'private_key_download_url' not in result['keypairs'][0]


def ed25519_pem(common_name):
    """An Ed25519 certificate and key as authentik 2026.2's CertificateBuilder makes them (PKCS8 key, no hash)."""
    key = ed25519.Ed25519PrivateKey.generate()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, None))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def test_eddsa_signing_key_refused_for_kubernetes(authentik, run_module, name):
    """kube-apiserver verifies RS*/ES*/PS* only: an Ed25519 keypair is refused on every release, before any write."""
    certificate, key = ed25519_pem(name + '-ed25519')
    pair = authentik.api_json('POST', 'crypto/certificatekeypairs/',
                              json=dict(name=name + '-ed25519', certificate_data=certificate, key_data=key))
    try:
        info = run_module('certificate_keypair_info', dict(name=name + '-ed25519'))
        assert [k['key_type'] for k in info['keypairs']] == ['ed25519']
        authentik.reset_log()
        result = run_module('oauth2_provider', dict(provider(name), signing_key=name + '-ed25519'))
        assert_refused_before_any_write(authentik, result, 'signing_key', 'Ed25519', 'RS*, ES*, PS*', SELF_SIGNED)
        assert authentik.find('providers/oauth2/', name=name) == []
    finally:
        authentik.api('DELETE', 'crypto/certificatekeypairs/%s/' % pair['pk'])
