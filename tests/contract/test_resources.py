"""Every resource of every emulated release through create, read, list, update and delete,
with each answer validated against the release's schema (beyond what the recordings cover)."""

import pytest

from standin.client import StandinClient
from standin.pytest_plugin import standin_versions
from standin.versions import get_profile

from .scenario import flow_pk, provider_body


@pytest.fixture(name="client", scope="module", params=standin_versions())
def client_fixture(request, standin_factory):
    """A fresh stand-in per emulated release."""
    standin_client = StandinClient(standin_factory(request.param))
    yield standin_client
    standin_client.close()


def crud(client, path: str, lookup: str, create: dict, patch: dict) -> dict:
    """POST, GET, list, PATCH, PUT(with the create body), DELETE, GET 404; returns the created object."""
    created = client.api("POST", path, json=create)
    assert created.status_code == 201, created.text
    key = created.json()[lookup]
    assert client.api("GET", f"{path}{key}/").json() == created.json()
    assert any(item[lookup] == key for item in client.api("GET", path, params={"page_size": 1000}).json()["results"])
    patched = client.api("PATCH", f"{path}{key}/", json=patch)
    assert patched.status_code == 200, patched.text
    assert all(patched.json()[name] == value for name, value in patch.items() if not isinstance(value, list))
    put = client.api("PUT", f"{path}{key}/", json=create)
    assert put.status_code == 200, put.text
    assert client.api("DELETE", f"{path}{key}/").status_code == 204
    assert client.api("GET", f"{path}{key}/").status_code == 404
    return created.json()


def test_scope_mapping_crud(client):
    """Custom scope mapping."""
    path = get_profile(client.handle.version).scope_mapping_path + "/"
    crud(client, path, "pk", {"name": "crud-mapping", "scope_name": "crud", "expression": "return {}"}, {"description": "changed"})


def test_provider_crud(client):
    """OAuth2 provider."""
    crud(client, "providers/oauth2/", "pk", provider_body(client, "crud-provider"), {"access_token_validity": "minutes=5"})


def test_application_crud_without_provider(client):
    """Application without provider: provider_obj null, launch_url null."""
    created = crud(client, "core/applications/", "slug", {"name": "Crud", "slug": "crud-app"}, {"meta_publisher": "me"})
    assert created["provider_obj"] is None and created["launch_url"] is None


def test_group_user_token_crud(client):
    """Group, user in it, token of the user."""
    group = crud(client, "core/groups/", "pk", {"name": "crud-group"}, {"attributes": {"a": 1}})
    assert group["users"] == []
    user = crud(client, "core/users/", "pk", {"username": "crud-user", "name": "Crud User"}, {"email": "crud@example.com"})
    assert user["is_superuser"] is False
    owner = client.api("POST", "core/users/", json={"username": "token-owner", "name": "Token Owner"}).json()
    crud(client, "core/tokens/", "identifier", {"identifier": "crud-token", "user": owner["pk"], "intent": "api"}, {"description": "d"})


def test_flow_and_keypair_crud(client):
    """Flow (by slug) and a generated keypair."""
    crud(client, "flows/instances/", "slug", {"name": "Crud", "slug": "crud-flow", "title": "Crud", "designation": "authorization"}, {"title": "New"})
    generated = client.api("POST", "crypto/certificatekeypairs/generate/", json={"common_name": "crud-keypair", "validity_days": 3})
    assert generated.status_code == 200 and generated.json()["private_key_available"] is True
    assert "BEGIN CERTIFICATE" in client.api("GET", f"crypto/certificatekeypairs/{generated.json()['pk']}/view_certificate/").json()["data"]


def test_group_membership_actions(client):
    """add_user/remove_user and the users/groups views of membership."""
    group = client.api("POST", "core/groups/", json={"name": "members"}).json()
    user = client.api("POST", "core/users/", json={"username": "member", "name": "Member"}).json()
    assert client.api("POST", f"core/groups/{group['pk']}/add_user/", json={"pk": user["pk"]}).status_code == 204
    assert client.api("GET", f"core/users/{user['pk']}/").json()["groups"] == [group["pk"]]
    assert client.api("GET", f"core/groups/{group['pk']}/").json()["users"] == [user["pk"]]
    assert client.api("POST", f"core/groups/{group['pk']}/remove_user/", json={"pk": user["pk"]}).status_code == 204
    assert client.api("GET", f"core/users/{user['pk']}/").json()["groups"] == []


def test_flow_delete_cascades_to_providers(client):
    """Deleting a provider's authorization flow deletes the provider (CASCADE)."""
    flow = client.api("POST", "flows/instances/", json={"name": "Tmp", "slug": "tmp-flow", "title": "Tmp", "designation": "authorization"}).json()
    provider = client.api("POST", "providers/oauth2/", json=provider_body(client, "cascade", authorization_flow=flow["pk"])).json()
    assert client.api("DELETE", "flows/instances/tmp-flow/").status_code == 204
    assert client.api("GET", f"providers/oauth2/{provider['pk']}/").status_code == 404
    assert flow_pk(client, "default-provider-authorization-implicit-consent")


def test_brand_crud_and_the_default_brand(client):
    """Brands: the default brand of the blueprint, CRUD of another, one default, unique domains."""
    default = client.api("GET", "core/brands/", params={"default": "true"}).json()["results"]
    assert [b["domain"] for b in default] == ["authentik-default"]
    assert default[0]["flow_authentication"] == flow_pk(client, "default-authentication-flow")
    assert default[0]["flow_device_code"] is None
    device = client.api("POST", "flows/instances/", json={"name": "Device", "slug": "crud-device", "title": "Device",
                                                          "designation": "stage_configuration"}).json()
    created = crud(client, "core/brands/", "brand_uuid", {"domain": "crud.example.com"}, {"flow_device_code": device["pk"]})
    assert created["default"] is False and created["flow_authentication"] is None
    assert client.api("POST", "core/brands/", json={"domain": "authentik-default"}).json() == {"domain": ["This field must be unique."]}
    assert client.api("POST", "core/brands/", json={"domain": "x.example.com", "default": True}).json() == {
        "default": ["Only a single brand can be set as default."]}
    assert client.api("GET", "core/brands/", params={"domain": "crud.example.com"}).json()["results"] == []


def test_flow_used_by_and_delete_clears_brands(client):
    """used_by lists the brands and providers pointing at a flow; deleting it clears the brands' setting (SET_NULL)."""
    flow = client.api("POST", "flows/instances/", json={"name": "Used", "slug": "used-flow", "title": "Used",
                                                        "designation": "stage_configuration"}).json()
    brand = client.api("POST", "core/brands/", json={"domain": "used.example.com", "flow_device_code": flow["pk"],
                                                     "flow_user_settings": flow["pk"]}).json()
    used = client.api("GET", "flows/instances/used-flow/used_by/").json()
    assert used == [{"app": "authentik_brands", "model_name": "brand", "pk": brand["brand_uuid"], "name": "Brand used.example.com",
                     "action": "set_null"}] * 2
    authorization = client.api("POST", "flows/instances/", json={"name": "Authz", "slug": "used-authz", "title": "Authz",
                                                                 "designation": "authorization"}).json()
    provider = client.api("POST", "providers/oauth2/", json=provider_body(client, "used-by", authorization_flow=authorization["pk"])).json()
    assert client.api("GET", "flows/instances/used-authz/used_by/").json() == [
        {"app": "authentik_core", "model_name": "provider", "pk": str(provider["pk"]), "name": "used-by", "action": "cascade"}]
    assert client.api("DELETE", "flows/instances/used-flow/").status_code == 204
    after = client.api("GET", f"core/brands/{brand['brand_uuid']}/").json()
    assert after["flow_device_code"] is None and after["flow_user_settings"] is None
    client.api("DELETE", f"core/brands/{brand['brand_uuid']}/")
    client.api("DELETE", f"providers/oauth2/{provider['pk']}/")


def test_no_response_violations(client):
    """All answers of this module validate against the release's schema."""
    assert client.violations("response") == []
