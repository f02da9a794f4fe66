"""Objects a fresh install has after its blueprints ran (as recorded on 2025.10.4).

Flows: the default blueprints' flows (14 on 2025.10.4; default-provider-invalidation-flow
only from 2024.10). Names, titles, designations, authentication modes and the number of
stages/policies bound to the recorded flows are the recorded ones; the others come from
the blueprint files. Scope mappings: the release's providers-oauth2 blueprint plus the proxy
outpost mapping. Keypair: ``authentik Self-signed Certificate``. User akadmin in group
``authentik Admins`` with the bootstrap API token.
"""

import uuid

import yaml

from . import keys
from .resources.brands import seed_default_brand
from .versions import blueprint_text

# slug: (name, title, designation, authentication, stages, policies)
FLOWS = {
    "default-authentication-flow": ("Welcome to authentik!", "Welcome to authentik!", "authentication", "none", 4, 0),
    "default-authenticator-static-setup": (
        "default-authenticator-static-setup", "Setup Static OTP Tokens", "stage_configuration", "require_authenticated", 1, 0),
    "default-authenticator-totp-setup": (
        "default-authenticator-totp-setup", "Set up Two-Factor authentication", "stage_configuration", "require_authenticated", 1, 0),
    "default-authenticator-webauthn-setup": (
        "default-authenticator-webauthn-setup", "Setup WebAuthn", "stage_configuration", "require_authenticated", 1, 0),
    "default-invalidation-flow": ("Logout", "Default Invalidation Flow", "invalidation", "none", 1, 0),
    "default-password-change": ("Change Password", "Change password", "stage_configuration", "require_authenticated", 2, 0),
    "default-provider-authorization-explicit-consent": (
        "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated", 1, 0),
    "default-provider-authorization-implicit-consent": (
        "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated", 0, 0),
    "default-provider-invalidation-flow": ("Logged out of application", "You've logged out of %(app)s.", "invalidation", "none", 0, 0),
    "default-source-authentication": ("Welcome to authentik!", "Welcome to authentik!", "authentication", "require_unauthenticated", 1, 1),
    "default-source-enrollment": (
        "Welcome to authentik! Please select a username.", "Welcome to authentik! Please select a username.", "enrollment", "none", 3, 1),
    "default-source-pre-authentication": ("Pre-Authentication", "Pre-authentication", "stage_configuration", "none", 0, 0),
    "default-user-settings-flow": ("User settings", "Update your info", "stage_configuration", "require_authenticated", 2, 0),
    "initial-setup": ("default-oobe-setup", "Welcome to authentik!", "stage_configuration", "none", 3, 1),
}
PROXY_MAPPING = {
    "managed": "goauthentik.io/providers/proxy/scope-proxy",
    "name": "authentik default OAuth Mapping: Proxy outpost",
    "scope_name": "ak_proxy",
    "description": "authentik Proxy - User information",
    "expression": (
        "# This mapping is used by the authentik proxy. It passes extra user attributes,\n"
        "# which are used for example for the HTTP-Basic Authentication mapping.\n"
        "return {\n"
        '    "ak_proxy": {\n'
        '        "user_attributes": request.user.group_attributes(request),\n'
        '        "is_superuser": request.user.is_superuser,\n'
        "    }\n"
        "}"
    ),
}
SELF_SIGNED = "authentik Self-signed Certificate"
ADMIN_GROUP = "authentik Admins"
BOOTSTRAP_TOKEN = "authentik-bootstrap-token"
# Users created by migrations before akadmin (AnonymousUser, outpost accounts): akadmin is pk 4.
USERS_BEFORE_AKADMIN = 3


def blueprint_mappings(blueprint_file: str) -> list:
    """The managed scope mappings of a providers-oauth2 blueprint, as the API shows them."""
    document = yaml.safe_load(blueprint_text(blueprint_file))
    mappings = []
    for entry in document["entries"]:
        attrs = entry["attrs"]
        mappings.append({
            "managed": entry["identifiers"]["managed"],
            "name": attrs["name"],
            "scope_name": attrs["scope_name"],
            "description": attrs.get("description", ""),
            # Blueprints go through the serializer, whose CharField trims the block scalar's newline.
            "expression": attrs["expression"].strip(),
        })
    return mappings


def seed_flows(app) -> None:
    """Default flows, sorted like their blueprints create them."""
    for slug, (name, title, designation, authentication, stages, policies) in FLOWS.items():
        if slug == "default-provider-invalidation-flow" and not app.profile.has_invalidation_flow:
            continue
        app.store.add("flows", {
            "pk": str(uuid.uuid4()),
            "policybindingmodel_ptr_id": str(uuid.uuid4()),
            "name": name,
            "slug": slug,
            "title": title,
            "designation": designation,
            "stages": [str(uuid.uuid4()) for dummy in range(stages)],
            "policies": [str(uuid.uuid4()) for dummy in range(policies)],
            "policy_engine_mode": "any",
            "compatibility_mode": False,
            "layout": "stacked",
            "denied_action": "message_continue",
            "authentication": authentication,
        })


def seed_mappings(app) -> None:
    """Managed scope mappings of the release's blueprint plus the proxy mapping."""
    for mapping in [PROXY_MAPPING] + blueprint_mappings(app.profile.blueprint_file):
        app.store.add("mappings", dict(mapping, pk=str(uuid.uuid4())))


def seed_keypair(app) -> None:
    """authentik Self-signed Certificate (a real RSA key and certificate)."""
    certificate, key = keys.build_self_signed(SELF_SIGNED, app.profile.name, key_size=app.key_size)
    app.store.add("keypairs", {"pk": str(uuid.uuid4()), "name": SELF_SIGNED, "certificate_data": certificate, "key_data": key, "managed": None})


def seed_admin(app, token: str, email: str) -> None:
    """akadmin, the admin group and the bootstrap API token."""
    group = app.store.add("groups", {
        "pk": str(uuid.uuid4()), "name": ADMIN_GROUP, "is_superuser": True, "parents": [], "attributes": {}, "roles": [],
    })
    app.store.seed_counter("users", USERS_BEFORE_AKADMIN)
    users = app.resource("users")
    admin = users.create({"username": "akadmin", "name": "authentik Default Admin", "email": email, "groups": [group["pk"]]}, None)
    app.resource("tokens").create({
        "identifier": BOOTSTRAP_TOKEN, "intent": "api", "user": admin["pk"], "expiring": False, "key": token,
        "description": "",
    }, None)


def seed(app, token: str, email: str) -> None:
    """Everything a fresh install of the emulated release has."""
    seed_keypair(app)
    seed_flows(app)
    seed_default_brand(app)
    seed_mappings(app)
    seed_admin(app, token, email)
