"""The device code grant of the stand-in, held to authentik's device views (views/device_*.py and the token view).

The same in 2024.6.4 to 2026.2.2 but for two things the schemas and sources show: 2024.6's and 2024.8's code entry
takes an integer, and 2026.2 reads the device request's client id from HTTP Basic too. A person (tests/e2e/person.py) logs
in at the verification page and types the code, as on a second machine. tests/real compares the same steps with
the real 2025.10.4 and 2026.2.2.
"""

import time
from datetime import datetime, timezone

import jwt
import pytest

from e2e.person import Person, PersonError
from standin.client import StandinClient
from standin.device import cleaned_at
from standin.pytest_plugin import standin_versions

from .scenario import flow_pk, kubernetes_setup

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPE = "openid email profile offline_access"
# Releases whose code entry takes an integer (OAuthDeviceCodeChallengeResponseRequest.code) and looks it up as text.
INTEGER_CODE = ("2024.6.4", "2024.8.4")


@pytest.fixture(name="device", scope="module", params=standin_versions())
def device_fixture(request, standin_factory):
    """(client, setup) on a fresh stand-in of each release, with a device code flow on the default brand."""
    # More device requests than authentik's 20 an hour per address (test_throttle checks the throttle).
    client = StandinClient(standin_factory(request.param, key_size=2048, device_throttle="100/hour"))
    setup = kubernetes_setup(client)
    flow = client.api("POST", "flows/instances/", json={"name": "Device code", "slug": "device-code", "title": "Device code",
                                                        "designation": "stage_configuration", "authentication": "require_authenticated"})
    assert flow.status_code == 201, flow.text
    set_device_flow(client, flow.json()["pk"])
    yield client, setup
    client.close()


def default_brand(client):
    return client.api("GET", "core/brands/", params={"default": "true"}).json()["results"][0]


def set_device_flow(client, pk):
    response = client.api("PATCH", f"core/brands/{default_brand(client)['brand_uuid']}/", json={"flow_device_code": pk})
    assert response.status_code == 200, response.text


def authorize(client, client_id="kubernetes", scope=SCOPE, **kwargs):
    """The device authorization request. Where the code entry takes an integer and looks it up as text (INTEGER_CODE), a
    code with a leading zero can never be entered (one in ten): such a code is asked for again."""
    while True:
        response = client.request("POST", "/application/o/device/", auth=False, data={"client_id": client_id, "scope": scope},
                                  **kwargs)
        if client.handle.version not in INTEGER_CODE or response.status_code != 200 or not response.json()["user_code"].startswith("0"):
            return response


def poll(client, device_code, client_id="kubernetes"):
    return client.request("POST", "/application/o/token/", auth=False,
                          data={"grant_type": DEVICE_GRANT, "client_id": client_id, "device_code": device_code})


def enter(client, setup, answer, password=None):
    """A person at another machine: the verification page without the code, the login, then the code typed in."""
    person = Person(setup.username, password or setup.app_password, client.handle.ca_path)
    code = int(answer["user_code"]) if client.handle.version in INTEGER_CODE else answer["user_code"]
    person.enter_device_code(answer["verification_uri"], code)
    return person


def test_device_authorization_answer(device):
    client, _setup = device
    response = authorize(client)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Pragma"] == "no-cache"
    body = response.json()
    assert list(body) == ["device_code", "verification_uri", "verification_uri_complete", "user_code", "expires_in", "interval"]
    assert body["verification_uri"] == client.base + "/device"
    assert body["verification_uri_complete"] == client.base + "/device?code=" + body["user_code"]
    assert len(body["user_code"]) == 9 and body["user_code"].isdigit() and len(body["device_code"]) == 128
    # access_code_validity (minutes=1 by default) is all the time the person gets.
    assert body["expires_in"] == 60 and body["interval"] == 5
    pending = poll(client, body["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"


def test_device_authorization_refusals(device):
    client, setup = device
    assert authorize(client, client_id="nobody").json()["error"] == "invalid_client"
    lone = client.api("POST", "providers/oauth2/", json=dict(
        {k: v for k, v in setup.provider.items() if k in ("authorization_flow", "invalidation_flow", "property_mappings",
                                                          "redirect_uris", "client_type")}, name="lone", client_id="lone"))
    assert lone.status_code == 201, lone.text
    assert authorize(client, client_id="lone").json()["error"] == "invalid_client", "a provider without application"
    get = client.request("GET", "/application/o/device/", auth=False)
    assert get.status_code == 405 and get.headers["Allow"] == "POST, OPTIONS"
    assert poll(client, "no-such-code").json()["error"] == "invalid_grant"
    client.api("DELETE", f"providers/oauth2/{lone.json()['pk']}/")


def test_client_id_over_http_basic_from_2026_2(device):
    client, _setup = device
    response = client.request("POST", "/application/o/device/", auth=False, data={"scope": "openid"}, headers={
        "Authorization": "Basic a3ViZXJuZXRlczo="})  # kubernetes:
    expected = 200 if client.handle.version == "2026.2.2" else 400
    assert response.status_code == expected, response.text


def test_person_enters_the_code_and_the_device_gets_tokens(device):
    client, setup = device
    answer = authorize(client).json()
    person = enter(client, setup, answer)
    components = [step["what"] for step in person.steps if not step["what"] == "get"]
    assert components == ["ak-stage-identification", "ak-stage-password", "xak-flow-redirect", "ak-provider-oauth2-device-code",
                          "xak-flow-redirect", "ak-provider-oauth2-device-code-finish"]
    assert person.steps[1]["url"].endswith("/flows/-/default/authentication/?next=/device")
    response = poll(client, answer["device_code"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == SCOPE and body["expires_in"] == 3600
    # The provider has no offline_access mapping: authentik does not filter the device request's scopes.
    assert len(body["refresh_token"]) == 128
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert claims["email"] == f"{setup.username}@example.com" and claims["aud"] == "kubernetes"
    assert "sid" not in claims and abs(claims["auth_time"] - time.time()) < 30
    assert poll(client, answer["device_code"]).json()["error"] == "invalid_grant", "a device code worked twice"
    refreshed = client.request("POST", "/application/o/token/", auth=False, data={
        "grant_type": "refresh_token", "client_id": "kubernetes", "refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["scope"] == SCOPE


def test_without_offline_access_no_refresh_token(device):
    client, setup = device
    answer = authorize(client, scope="openid email profile").json()
    enter(client, setup, answer)
    body = poll(client, answer["device_code"]).json()
    assert "access_token" in body and "refresh_token" not in body


def test_code_in_the_link_and_a_wrong_code(device):
    client, setup = device
    answer = authorize(client).json()
    person = Person(setup.username, setup.app_password, client.handle.ca_path)
    person.device_code = answer["user_code"]
    person.open(answer["verification_uri_complete"])
    assert person.device_done and poll(client, answer["device_code"]).status_code == 200
    # A code nobody issued: authentik's access denied page, inside the device code flow.
    with pytest.raises(PersonError, match="device-code shows a page: Permission denied"):
        enter(client, setup, dict(answer, user_code="000000001"))


def test_refused_person_binds_nothing(device):
    client, setup = device
    application = client.api("GET", f"core/applications/{setup.app_slug}/").json()
    others = client.api("POST", "core/groups/", json={"name": "device-others"}).json()
    binding = client.api("POST", "policies/bindings/", json={"target": application["pk"], "group": others["pk"], "order": 0}).json()
    try:
        answer = authorize(client).json()
        with pytest.raises(PersonError, match="Permission denied"):
            enter(client, setup, answer)
        assert poll(client, answer["device_code"]).json()["error"] == "authorization_pending"
    finally:
        client.api("DELETE", f"policies/bindings/{binding['pk']}/")


def test_consent_in_the_authorization_flow(device):
    client, setup = device
    explicit = flow_pk(client, "default-provider-authorization-explicit-consent")
    client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"authorization_flow": explicit})
    try:
        answer = authorize(client).json()
        person = enter(client, setup, answer)
        assert "ak-stage-consent" in [step["what"] for step in person.steps]
        assert poll(client, answer["device_code"]).status_code == 200
    finally:
        client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"authorization_flow": setup.provider["authorization_flow"]})


def test_no_device_code_flow_on_the_brand(device):
    client, setup = device
    flow = default_brand(client)["flow_device_code"]
    set_device_flow(client, None)
    try:
        answer = authorize(client).json()
        assert answer["verification_uri"], "the device request does not look at the brand"
        with pytest.raises(PersonError, match="/device answered 404"):
            enter(client, setup, answer)
        anonymous = client.request("GET", "/device", auth=False)
        assert anonymous.status_code == 302 and anonymous.headers["Location"] == "/flows/-/default/authentication/?next=/device"
    finally:
        set_device_flow(client, flow)


def test_expiry_is_only_enforced_by_the_cleanup_task(device):
    """expires_in passes without effect; clean_expired_models (every five minutes) deletes the code."""
    client, setup = device
    client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"access_code_validity": "seconds=1"})
    # Not across a scheduled run of the task, which would delete the code before the first poll.
    wait = cleaned_at(time.time() + 1) - time.time()
    if wait < 10:
        time.sleep(wait + 1)
    try:
        answer = authorize(client).json()
        assert answer["expires_in"] == 1
        time.sleep(1.5)
        assert poll(client, answer["device_code"]).json()["error"] == "authorization_pending"
        client.request("POST", "/_standin/tasks/clean_expired_models", auth=False).raise_for_status()
        assert poll(client, answer["device_code"]).json()["error"] == "invalid_grant"
        with pytest.raises(PersonError, match="Permission denied"):
            enter(client, setup, answer)
    finally:
        client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"access_code_validity": "minutes=1"})


def test_answering_the_finish_stage_is_a_flow_error(device):
    """authentik's page for the finish stage sends nothing back; an answer fails (challenge_valid returns nothing),
    after the code is bound: the device gets its token all the same."""
    client, setup = device
    answer = authorize(client).json()
    person = enter(client, setup, answer)
    failed = person.session.post(person.steps[-1]["url"], json={"component": "ak-provider-oauth2-device-code-finish"}, timeout=30)
    assert failed.status_code == 200 and failed.json()["component"] == "ak-stage-flow-error"
    assert "error" not in failed.json(), "the error text is for superusers only"
    assert poll(client, answer["device_code"]).status_code == 200


def test_no_response_violations(device):
    client, _setup = device
    assert client.violations() == []


def test_cleanup_schedule():
    """crontab 2-59/5: the first run after the expiry."""
    def at(text):
        return datetime.strptime(text, "%H:%M:%S").replace(year=2026, month=1, day=5, tzinfo=timezone.utc).timestamp()
    assert cleaned_at(at("10:00:30")) == at("10:02:00")
    assert cleaned_at(at("10:02:00")) == at("10:07:00")
    assert cleaned_at(at("10:58:10")) == at("11:02:00")


def test_throttle(standin_factory):
    """20 device requests an hour per client address by default; here 2, to see the 429 slow_down."""
    client = StandinClient(standin_factory("2025.10.4", key_size=2048, device_throttle="2/hour"))
    kubernetes_setup(client)
    assert [authorize(client).status_code for dummy in range(3)] == [200, 200, 429]
    assert authorize(client).json()["error"] == "slow_down"
    assert authorize(client, headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 200, "another client address"


def test_grant_types_enforced_from_2026_5(standin_factory):
    """Emulated from authentik-client 2026.5.0 and the release notes: a grant the provider leaves out is refused."""
    client = StandinClient(standin_factory("2026.5.0", key_size=2048))
    setup = kubernetes_setup(client)
    flow = client.api("POST", "flows/instances/", json={"name": "Device code", "slug": "device-code", "title": "Device code",
                                                        "designation": "stage_configuration"}).json()
    set_device_flow(client, flow["pk"])
    everything = ["authorization_code", "implicit", "hybrid", "refresh_token", "client_credentials", "password", DEVICE_GRANT]
    assert sorted(setup.provider["grant_types"]) == sorted(everything)
    client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"grant_types": ["authorization_code", "refresh_token"]})
    answer = authorize(client).json()
    enter(client, setup, answer)
    refused = poll(client, answer["device_code"])
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"
    client.api("PATCH", f"providers/oauth2/{setup.provider['pk']}/", json={"grant_types": ["authorization_code", DEVICE_GRANT]})
    assert poll(client, answer["device_code"]).status_code == 200
    assert client.violations() == []
