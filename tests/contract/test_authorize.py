"""The authorization-code flow of the stand-in, held to authentik's authorize and token views.

authentik/providers/oauth2/views/authorize.py and token.py (2025.10.4; unchanged in 2026.2.2):
redirect URIs (strict: equal; regex: re.fullmatch; a blank list adopts the first URI as strict),
the HTML "Redirect URI Error" page, PKCE S256, single-use codes, refresh tokens for offline_access
only, rotation and reuse detection; the login through the flow executor by a non-browser client.
Not recorded (the recordings have no browser flow); the source is the reference.
"""

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from e2e.person import Person, PersonError
from standin.client import StandinClient
from standin.pytest_plugin import standin_versions
from standin.versions import get_profile

from .scenario import flow_pk, kubernetes_setup, mapping_pks

CALLBACK = "http://localhost:43210"
LIST_RELEASES = [version for version in standin_versions() if get_profile(version).redirect_uris_as_list]


@pytest.fixture(name="oidc", scope="module")
def oidc_fixture(standin_factory):
    """(client, kubernetes setup) on a fresh 2025.10.4 stand-in."""
    client = StandinClient(standin_factory("2025.10.4"))
    yield client, kubernetes_setup(client)
    client.close()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_url(client, redirect_uri=CALLBACK, challenge=None, scope="openid email profile", **extra):
    query = {"client_id": "kubernetes", "redirect_uri": redirect_uri, "response_type": "code", "scope": scope,
             "state": "st-1", "nonce": "n-1"}
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    query.update(extra)
    return f"{client.base}/application/o/authorize/?{urlencode(query)}"


def person(client, setup, password=None):
    return Person(setup.username, password or setup.app_password, client.handle.ca_path)


def log_in(client, setup, **kwargs):
    """A person logs in; returns the code and state authentik sends back to CALLBACK."""
    back = person(client, setup).open(authorize_url(client, **kwargs), stop_at=kwargs.get("redirect_uri", CALLBACK))
    query = parse_qs(urlsplit(back).query)
    return query["code"][0], query["state"][0]


def exchange(client, code, verifier=None, redirect_uri=CALLBACK):
    data = {"grant_type": "authorization_code", "client_id": "kubernetes", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return client.request("POST", "/application/o/token/", auth=False, data=data)


def set_provider(client, setup, **fields):
    response = client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json=fields)
    assert response.status_code == 200, response.text
    return response.json()


def test_login_pkce_and_single_use_code(oidc):
    client, setup = oidc
    verifier, challenge = pkce_pair()
    code, state = log_in(client, setup, challenge=challenge)
    assert state == "st-1" and re.fullmatch(r"[0-9a-f]{32}", code)
    response = exchange(client, code, verifier)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body, "a refresh token without offline_access"
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["nonce"] == "n-1" and claims["email"] == f"{setup.username}@example.com" and len(claims["sid"]) == 64
    again = exchange(client, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", "a code worked twice"
    assert client.violations("response") == []


@pytest.mark.parametrize("verifier", ["wrong", None], ids=["wrong-verifier", "no-verifier"])
def test_pkce_is_verified(oidc, verifier):
    client, setup = oidc
    _right, challenge = pkce_pair()
    code, _state = log_in(client, setup, challenge=challenge)
    response = exchange(client, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_verifier_without_challenge_is_a_downgrade(oidc):
    client, setup = oidc
    code, _state = log_in(client, setup)
    assert exchange(client, code, "some-verifier").json()["error"] == "invalid_grant"


def test_strict_uri_refuses_other_ports_with_an_error_page(oidc):
    client, setup = oidc
    set_provider(client, setup, redirect_uris=[{"matching_mode": "strict", "url": "http://localhost:8000"}])
    try:
        for refused in ("http://localhost:43210", "http://localhost:8000/", "http://127.0.0.1:8000"):
            response = client.request("GET", urlsplit(authorize_url(client, refused)).path + "?" + urlsplit(
                authorize_url(client, refused)).query, auth=False)
            assert response.status_code == 400 and response.headers["content-type"] == "text/html; charset=utf-8"
            assert re.search(r"<h1[^>]*>\s*Redirect URI Error\s*</h1>", response.text), refused
            assert "mismatching redirection URI (redirect_uri)." in response.text
        with pytest.raises(PersonError, match="400: Redirect URI Error"):
            person(client, setup).open(authorize_url(client, "http://localhost:43210"), stop_at="http://localhost")
        code, _state = log_in(client, setup, redirect_uri="http://localhost:8000")
        # The token endpoint checks the URI again: one that was not allowed is invalid_client.
        assert exchange(client, code, redirect_uri="http://localhost:43210").json()["error"] == "invalid_client"
    finally:
        set_provider(client, setup, redirect_uris=setup.provider["redirect_uris"])


def test_regex_uri_must_match_fully(oidc):
    client, setup = oidc
    set_provider(client, setup, redirect_uris=[{"matching_mode": "regex", "url": "http://localhost:[0-9]+"}])
    try:
        assert person(client, setup).open(authorize_url(client, "http://localhost:5"), stop_at="http://localhost")
        with pytest.raises(PersonError, match="Redirect URI Error"):
            person(client, setup).open(authorize_url(client, "http://localhost:5/x"), stop_at="http://localhost")
    finally:
        set_provider(client, setup, redirect_uris=setup.provider["redirect_uris"])


@pytest.mark.parametrize("version", LIST_RELEASES)
def test_blank_redirect_uris_adopt_the_first_uri(standin_factory, version):
    client = StandinClient(standin_factory.shared(version))
    setup = kubernetes_setup(client, "adopt")
    set_provider(client, setup, redirect_uris=[])
    url = authorize_url(client, "http://localhost:1111", client_id="adopt")
    assert client.request("GET", url[len(client.base):], auth=False).status_code == 302
    stored = client.api("GET", f"providers/oauth2/{setup.provider['pk']}/").json()["redirect_uris"]
    assert stored == [{"matching_mode": "strict", "url": "http://localhost:1111"}]
    other = authorize_url(client, "http://localhost:2222", client_id="adopt")
    assert client.request("GET", other[len(client.base):], auth=False).status_code == 400


def test_offline_access_refresh_rotation_and_reuse(oidc):
    client, setup = oidc
    set_provider(client, setup, property_mappings=mapping_pks(client, "openid", "email", "profile", "offline_access"))
    try:
        verifier, challenge = pkce_pair()
        code, _state = log_in(client, setup, challenge=challenge, scope="openid email profile offline_access")
        first = exchange(client, code, verifier).json()
        assert len(first["refresh_token"]) == 128 and "offline_access" in first["scope"].split()

        def refresh(token):
            return client.request("POST", "/application/o/token/", auth=False,
                                  data={"grant_type": "refresh_token", "client_id": "kubernetes", "refresh_token": token})
        second = refresh(first["refresh_token"])
        assert second.status_code == 200, second.text
        claims = jwt.decode(second.json()["id_token"], options={"verify_signature": False})
        assert "nonce" not in claims and claims["email"] == f"{setup.username}@example.com"
        assert second.json()["refresh_token"] != first["refresh_token"]
        reuse = refresh(first["refresh_token"])
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant", "a rotated refresh token worked again"
    finally:
        set_provider(client, setup, property_mappings=setup.provider["property_mappings"])


def test_errors_at_the_authorize_step(oidc):
    client, _setup = oidc
    assert client.request("GET", "/application/o/authorize/", auth=False).status_code == 404
    unknown = client.request("GET", "/application/o/authorize/?client_id=nobody&redirect_uri=" + CALLBACK, auth=False)
    assert unknown.status_code == 400 and re.search(r"<h1[^>]*>\s*Client ID Error\s*</h1>", unknown.text)
    bad_type = client.request("GET", authorize_url(client, response_type="token")[len(client.base):], auth=False)
    assert bad_type.status_code == 302
    assert bad_type.headers["location"].startswith(CALLBACK + "?error=unsupported_response_type&error_description=")


def test_wrong_password_is_refused_at_the_password_stage(oidc):
    client, setup = oidc
    with pytest.raises(PersonError, match="Invalid password"):
        person(client, setup, password="not-the-app-password").open(authorize_url(client), stop_at=CALLBACK)


def test_explicit_consent_is_asked_once(oidc):
    client, setup = oidc
    set_provider(client, setup, authorization_flow=flow_pk(client, "default-provider-authorization-explicit-consent"))
    try:
        someone = person(client, setup)
        url = someone.open(authorize_url(client), stop_at=CALLBACK)
        assert "code=" in url and "ak-stage-consent" in [step["what"] for step in someone.steps]
        someone.steps.clear()
        someone.open(authorize_url(client), stop_at=CALLBACK)
        assert "ak-stage-consent" not in [step["what"] for step in someone.steps], "consent asked again"
        assert "ak-stage-identification" not in [step["what"] for step in someone.steps], "logged in again"
        assert client.violations("response") == []
    finally:
        set_provider(client, setup, authorization_flow=setup.provider["authorization_flow"])


@pytest.mark.parametrize("version", standin_versions())
def test_login_on_every_release_fits_its_schema(standin_factory, version):
    """The flow executor's challenges and answers validate against each emulated release's schema; the
    redirect URI check works in both storage formats (newline string before 2024.10, objects after)."""
    client = StandinClient(standin_factory.shared(version))
    setup = kubernetes_setup(client, "everyrelease")
    client.clear_violations()
    url = authorize_url(client, "http://localhost:8000", client_id="everyrelease")
    back = person(client, setup).open(url, stop_at="http://localhost:8000")
    assert "code=" in back
    refused = authorize_url(client, "http://example.com:9", client_id="everyrelease")
    assert client.request("GET", refused[len(client.base):], auth=False).status_code == 400
    assert client.violations() == []
