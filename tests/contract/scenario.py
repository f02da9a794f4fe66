"""Building blocks shared by the version and OIDC contract tests: the kubernetes setup of the seed."""

from dataclasses import dataclass

from standin.versions import get_profile

REDIRECTS = [{"matching_mode": "regex", "url": "http://localhost:.*"}, {"matching_mode": "regex", "url": "http://127\\.0\\.0\\.1:.*"}]


def one(client, path: str, **params) -> dict:
    """The single result of a filtered list."""
    response = client.api("GET", path, params=params)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 1, results
    return results[0]


def flow_pk(client, slug: str) -> str:
    """pk of a flow by slug."""
    return one(client, "flows/instances/", slug=slug)["pk"]


def mapping_pks(client, *scopes: str) -> list:
    """pks of the managed scope mappings for some scopes, in that order."""
    path = get_profile(client.handle.version).scope_mapping_path
    return [one(client, f"{path}/", managed=f"goauthentik.io/providers/oauth2/scope-{scope}")["pk"] for scope in scopes]


def provider_body(client, name: str, **overrides) -> dict:
    """A provider create body in the release's own format."""
    profile = get_profile(client.handle.version)
    body = {
        "name": name,
        "authorization_flow": flow_pk(client, "default-provider-authorization-implicit-consent"),
        "client_type": "public",
        "client_id": name,
        "sub_mode": "user_email",
        "include_claims_in_id_token": True,
        "issuer_mode": "per_provider",
        "property_mappings": mapping_pks(client, "openid", "email", "profile"),
        "redirect_uris": REDIRECTS if profile.redirect_uris_as_list else "http://localhost:8000\nhttp://127.0.0.1:8000",
    }
    if profile.has_invalidation_flow:
        body["invalidation_flow"] = flow_pk(client, "default-provider-invalidation-flow")
    body.update(overrides)
    return body


@dataclass
class Setup:
    """What the kubernetes scenario created."""

    provider: dict
    app_slug: str
    username: str
    app_password: str


def kubernetes_setup(client, name: str = "kubernetes") -> Setup:
    """Provider, application, group, user and app password, as the recordings' scenario made them."""
    created = client.api("POST", "providers/oauth2/", json=provider_body(client, name))
    assert created.status_code == 201, created.text
    app = client.api("POST", "core/applications/", json={"name": name.title(), "slug": name, "provider": created.json()["pk"]})
    assert app.status_code == 201, app.text
    group = client.api("POST", "core/groups/", json={"name": f"{name}-admins"}).json()
    username = f"{name}-user"
    user_body = {"username": username, "name": "Kube User", "email": f"{username}@example.com", "groups": [group["pk"]]}
    user = client.api("POST", "core/users/", json=user_body)
    assert user.status_code == 201, user.text
    token_body = {"identifier": f"{name}-app-password", "intent": "app_password", "user": user.json()["pk"], "expiring": False}
    token = client.api("POST", "core/tokens/", json=token_body)
    assert token.status_code == 201, token.text
    key = client.api("GET", f"core/tokens/{name}-app-password/view_key/").json()["key"]
    return Setup(provider=created.json(), app_slug=name, username=username, app_password=key)


def password_token(client, setup: Setup, scope: str = "openid email profile") -> dict:
    """A token from the client_credentials grant with username + app password."""
    response = client.request("POST", "/application/o/token/", auth=False, data={
        "grant_type": "client_credentials", "client_id": setup.provider["client_id"],
        "username": setup.username, "password": setup.app_password, "scope": scope,
    })
    assert response.status_code == 200, response.text
    return response.json()
