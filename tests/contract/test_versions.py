"""The version-difference table of shared/authentik/README.md holds for every emulated release,
with every answer validated against that release's own schema.

| item                      | 2024.6.4        | 2024.8.4 | 2024.10.5          | 2025.10.4                    | 2026.2.2 |
|---------------------------|-----------------|----------|--------------------|------------------------------|----------|
| scope mapping endpoint    | propertymappings/scope | propertymappings/provider/scope | same | same | same |
| redirect_uris             | newline string  | string   | [{matching_mode, url}], required | same             | same |
| invalidation_flow         | absent          | absent   | required           | required                     | required |
| encryption_key            | absent          | absent   | present            | present                      | present |
| JWT federation            | jwks_sources    | same     | same               | jwt_federation_sources/_providers | same |
| refresh_token_threshold, logout_uri, logout_method | absent | absent | absent | present                 | present |
| default scope-email       | email_verified True | True | True              | False                        | False |
| scope-entitlements        | absent          | absent   | absent             | present                      | present |
| keypair key algorithm     | private_key_type (rsa, ec; from the private key) | same | same | same | key_type (+ dsa, ed25519, ed448; from the certificate) |
| generate alg              | rsa, ecdsa      | same     | same               | same                         | + ed25519, ed448 |
"""

import jwt
import pytest

from standin.client import StandinClient
from standin.pytest_plugin import standin_versions
from standin.versions import get_profile

from .scenario import REDIRECTS, kubernetes_setup, mapping_pks, password_token, provider_body

NEW_PATH, OLD_PATH = "propertymappings/provider/scope", "propertymappings/scope"


@pytest.fixture(name="client", scope="module", params=standin_versions())
def client_fixture(request, standin_factory):
    """A fresh stand-in per emulated release."""
    standin_client = StandinClient(standin_factory(request.param))
    yield standin_client
    standin_client.close()


def at_least(client, version: str) -> bool:
    """Whether the emulated release is version or newer."""
    return _as_tuple(client.handle.version) >= _as_tuple(version)


def _as_tuple(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def request_violations(client) -> list:
    """Request-side schema violations so far."""
    return client.violations("request")


def test_version_endpoint(client):
    """admin/version reports the emulated release."""
    assert client.api("GET", "admin/version/").json()["version_current"] == client.handle.version


def test_scope_mapping_endpoint(client):
    """2024.6 serves propertymappings/scope/; later releases propertymappings/provider/scope/."""
    current, other = (OLD_PATH, NEW_PATH) if client.handle.version == "2024.6.4" else (NEW_PATH, OLD_PATH)
    assert get_profile(client.handle.version).scope_mapping_path == current
    assert client.api("GET", f"{current}/").status_code == 200
    missing = client.api("GET", f"{other}/")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert client.api("POST", f"{other}/", json={"name": "x", "scope_name": "x", "expression": "return {}"}).status_code == 405


def test_provider_fields(client):
    """Field set and redirect_uris representation of a created provider."""
    before = len(request_violations(client))
    created = client.api("POST", "providers/oauth2/", json=provider_body(client, "fields"))
    assert created.status_code == 201, created.text
    body = created.json()
    new = at_least(client, "2024.10.5")
    assert isinstance(body["redirect_uris"], list if new else str)
    assert ("invalidation_flow" in body) == new
    assert ("encryption_key" in body) == new
    assert ("jwks_sources" in body) == (not at_least(client, "2025.10.4"))
    for field in ("jwt_federation_sources", "jwt_federation_providers", "refresh_token_threshold", "logout_uri", "logout_method"):
        assert (field in body) == at_least(client, "2025.10.4"), field
    assert len(request_violations(client)) == before


def test_invalidation_flow_required(client):
    """Without invalidation_flow: 400 from 2024.10 on, accepted before."""
    body = provider_body(client, "no-invalidation")
    body.pop("invalidation_flow", None)
    response = client.api("POST", "providers/oauth2/", json=body)
    if at_least(client, "2024.10.5"):
        assert response.status_code == 400
        assert response.json() == {"invalidation_flow": ["This field is required."]}
    else:
        assert response.status_code == 201, response.text


def test_redirect_uris_other_format_rejected(client):
    """Each release rejects the other release family's redirect_uris format with DRF's message."""
    if at_least(client, "2024.10.5"):
        response = client.api("POST", "providers/oauth2/", json=provider_body(client, "wrong-format", redirect_uris="http://localhost:8000"))
        assert response.json() == {"redirect_uris": {"non_field_errors": ['Expected a list of items but got type "str".']}}
    else:
        response = client.api("POST", "providers/oauth2/", json=provider_body(client, "wrong-format", redirect_uris=REDIRECTS))
        assert response.json() == {"redirect_uris": ["Not a valid string."]}
    assert response.status_code == 400


def test_default_email_mapping(client):
    """The managed email mapping's email_verified and the entitlements mapping per release."""
    path = get_profile(client.handle.version).scope_mapping_path
    email = client.api("GET", f"{path}/", params={"managed": "goauthentik.io/providers/oauth2/scope-email"}).json()["results"][0]
    verified = not at_least(client, "2025.10.4")
    assert f'"email_verified": {verified}' in email["expression"]
    entitlements = client.api("GET", f"{path}/", params={"managed": "goauthentik.io/providers/oauth2/scope-entitlements"}).json()
    assert entitlements["pagination"]["count"] == (1 if at_least(client, "2025.10.4") else 0)
    if client.handle.version != "2024.6.4":
        assert mapping_pks(client, "openid")


def test_email_verified_claim(client):
    """The default mapping's email_verified reaches the token as the release's blueprint says."""
    setup = kubernetes_setup(client, f"claims-{client.handle.version.replace('.', '-')}")
    token = password_token(client, setup)
    claims = jwt.decode(token["id_token"], options={"verify_signature": False})
    assert claims["email_verified"] is (not at_least(client, "2025.10.4"))
    assert claims["sub"] == f"{setup.username}@example.com"


def test_keypair_key_algorithm(client):
    """private_key_type until 2025.10; key_type from 2026.2 (the row of the table), with EdDSA keys that generate."""
    keypairs = "crypto/certificatekeypairs/"
    pair = client.api("GET", keypairs, params={"name": "authentik Self-signed Certificate"}).json()["results"][0]
    new = at_least(client, "2026.2.2")
    assert ("key_type" in pair) is new and ("private_key_type" in pair) is not new
    assert pair["key_type" if new else "private_key_type"] == "rsa"
    body = {"common_name": f"edwards-{client.handle.version}", "validity_days": 3, "alg": "ed25519"}
    generated = client.api("POST", f"{keypairs}generate/", json=body)
    if not new:
        assert generated.status_code == 400 and generated.json() == {"alg": ['"ed25519" is not a valid choice.']}
        return
    assert generated.status_code == 200, generated.text
    assert generated.json()["key_type"] == "ed25519" and generated.json()["private_key_available"] is True
    listed = client.api("GET", keypairs, params={"key_type": "ed25519"}).json()["results"]
    assert [item["name"] for item in listed] == [body["common_name"]]


def test_no_response_violations(client):
    """Every answer of this module validated against the release's own schema."""
    assert client.violations("response") == []
