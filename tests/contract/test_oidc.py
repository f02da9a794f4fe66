"""OIDC: JWKS and token signing without and with a signing key, verified with PyJWT.

Mirrors the recorded sequence oidc-jwks-no-signing-key -> providers-oauth2-patch-signing-key ->
oidc-jwks-with-signing-key and the derived check oidc-id-token-verification.
"""

import jwt
import pytest

from standin import keys
from standin.client import StandinClient
from standin.pytest_plugin import standin_versions

from .compare import Comparison, IdMap
from .recordings import derived_check
from .scenario import kubernetes_setup, one, password_token


@pytest.fixture(name="oidc", scope="module", params=standin_versions())
def oidc_fixture(request, standin_factory):
    """(client, kubernetes setup) on a fresh stand-in per release."""
    client = StandinClient(standin_factory(request.param))
    yield client, kubernetes_setup(client)
    client.close()


def discovery(client, slug: str) -> dict:
    """The application's OpenID configuration."""
    response = client.request("GET", f"/application/o/{slug}/.well-known/openid-configuration", auth=False)
    assert response.status_code == 200
    return response.json()


def jwks(client, slug: str) -> dict:
    """The application's JWKS."""
    response = client.request("GET", f"/application/o/{slug}/jwks/", auth=False)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    return response.json()


def set_signing_key(client, setup, keypair_pk) -> None:
    """PATCH the provider's signing_key."""
    response = client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"signing_key": keypair_pk})
    assert response.status_code == 200 and response.json()["signing_key"] == keypair_pk


def verify(token: str, key, algorithm: str, client, setup) -> dict:
    """PyJWT verification with audience and issuer."""
    issuer = discovery(client, setup.app_slug)["issuer"]
    return jwt.decode(token, key=key, algorithms=[algorithm], audience=setup.provider["client_id"], issuer=issuer)


def test_without_signing_key_hs256(oidc):
    """JWKS is {}, discovery says HS256, tokens are HS256 signed with the client_secret."""
    client, setup = oidc
    set_signing_key(client, setup, None)
    assert jwks(client, setup.app_slug) == {}
    assert discovery(client, setup.app_slug)["id_token_signing_alg_values_supported"] == ["HS256"]
    token = password_token(client, setup)
    assert jwt.get_unverified_header(token["id_token"]) == {"alg": "HS256", "typ": "JWT"}
    claims = verify(token["id_token"], setup.provider["client_secret"], "HS256", client, setup)
    assert claims["iss"] == f"{client.base}/application/o/{setup.app_slug}/"
    verify(token["access_token"], setup.provider["client_secret"], "HS256", client, setup)


def test_with_signing_key_rs256(oidc):
    """JWKS has the RSA key with authentik's kid; tokens verify against it."""
    client, setup = oidc
    pair = one(client, "crypto/certificatekeypairs/", name="authentik Self-signed Certificate")
    set_signing_key(client, setup, pair["pk"])
    document = jwks(client, setup.app_slug)
    assert len(document["keys"]) == 1
    key = document["keys"][0]
    stored = client.handle.app.store.get("keypairs", pair["pk"])
    # md5 of the key PEM up to 2025.10; 2026.2 stores base64url(SHA-512) for the keys it makes.
    sha512 = client.handle.app.profile.kid_sha512
    expected_kid = keys.kid_sha512(stored["key_data"]) if sha512 else keys.kid(stored["key_data"])
    assert len(expected_kid) == (86 if sha512 else 32)
    assert key["kid"] == expected_kid and key["alg"] == "RS256" and key["use"] == "sig"
    assert discovery(client, setup.app_slug)["id_token_signing_alg_values_supported"] == ["RS256"]
    token = password_token(client, setup)
    assert jwt.get_unverified_header(token["id_token"]) == {"alg": "RS256", "kid": key["kid"], "typ": "JWT"}
    claims = verify(token["id_token"], jwt.PyJWK(key), "RS256", client, setup)
    assert claims["groups"] == [f"{setup.app_slug}-admins"]
    verify(token["access_token"], jwt.PyJWK(key), "RS256", client, setup)


def test_derived_check_shape(oidc):
    """oidc-id-token-verification: verified id_token, kid matching the JWKS, the recorded claim set."""
    client, setup = oidc
    pair = one(client, "crypto/certificatekeypairs/", name="authentik Self-signed Certificate")
    set_signing_key(client, setup, pair["pk"])
    key = jwks(client, setup.app_slug)["keys"][0]
    token = password_token(client, setup)["id_token"]
    header = jwt.get_unverified_header(token)
    recorded = derived_check()
    assert (header["kid"] == key["kid"]) is recorded["jwks_kid_match"]
    claims = verify(token, jwt.PyJWK(key), "RS256", client, setup)
    expected = list(recorded["claims"])
    jti = client.handle.app.profile.id_token_jti
    if jti:
        # 2026.2's IDToken has jti after its other registered claims (here: after acr), then the scope claims.
        expected.insert(expected.index("acr") + 1, "jti")
        other = jwt.decode(password_token(client, setup)["id_token"], options={"verify_signature": False})
        assert len(claims["jti"]) == 40 and other["jti"] != claims["jti"]
    assert list(claims) == expected
    if not jti:  # the recorded header's kid is 2025.10's md5 form
        comparison = Comparison(IdMap(), client.base, "other")
        comparison.compare({"alg": "RS256", "kid": recorded["jwt_header"]["kid"], "typ": "JWT"}, header)
        assert not comparison.problems


def test_with_ec_key_es256(oidc):
    """A generated ECDSA keypair gives an EC JWK and ES256 tokens."""
    client, setup = oidc
    body = {"common_name": f"ec-{client.handle.version}", "validity_days": 30, "alg": "ecdsa"}
    created = client.api("POST", "crypto/certificatekeypairs/generate/", json=body)
    assert created.status_code == 200, created.text
    set_signing_key(client, setup, created.json()["pk"])
    key = jwks(client, setup.app_slug)["keys"][0]
    assert key["kty"] == "EC" and key["alg"] == "ES256"
    token = password_token(client, setup)
    verify(token["id_token"], jwt.PyJWK(key), "ES256", client, setup)


def test_userinfo(oidc):
    """userinfo answers sub + claims for a valid token, 401 with WWW-Authenticate otherwise."""
    client, setup = oidc
    token = password_token(client, setup)
    good = client.request("GET", "/application/o/userinfo/", auth=False, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert good.status_code == 200
    assert list(good.json())[:2] == ["sub", "email"] and good.json()["sub"] == f"{setup.username}@example.com"
    bad = client.request("GET", "/application/o/userinfo/", auth=False, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith('error="invalid_token"')


def test_scopes_without_mapping_are_dropped(oidc):
    """Requested scopes the provider has no mapping for vanish from the grant."""
    client, setup = oidc
    token = password_token(client, setup, scope="openid email groups offline_access")
    assert set(token["scope"].split()) == {"openid", "email"}
    assert "refresh_token" not in token


def test_no_response_violations(oidc):
    """All API answers of this module validate against the release's schema."""
    client, _setup = oidc
    assert client.violations("response") == []
