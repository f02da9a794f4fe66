"""core/users: users, users/me and users/service_account."""

import base64
import hashlib
import re
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

from ..errors import ApiError
from ..fields import BodyValidator, Relation
from ..keys import generate_id
from ..routing import Route
from ..wire import json_response
from .base import Resource, any_of, boolean, exact

# What users/me lists for a superuser of 2025.10.4 (recorded).
SUPERUSER_PERMISSIONS = [
    "add_role", "view_system_info", "delete_role", "view_role", "unassign_role_permissions", "change_role",
    "view_initialpermissions", "access_admin_interface", "assign_role_permissions", "delete_initialpermissions",
    "add_initialpermissions", "change_initialpermissions", "edit_system_settings", "view_system_settings",
]
AVATAR_FONTS = "'RedHatText','Overpass',overpass,helvetica,arial,sans-serif"
SERVICE_ACCOUNT_PATH = "goauthentik.io/service-accounts"


def now() -> datetime:
    """Current time, aware UTC."""
    return datetime.now(timezone.utc)


def avatar(name: str) -> str:
    """Initials avatar (system setting avatars=initials) as authentik renders it: an SVG data URI."""
    color = int(hashlib.md5(name.lower().encode("utf-8"), usedforsecurity=False).hexdigest(), 16) % 0xFFFFFF
    blue = min(max(color & 0xFF, 55), 200)
    green = min(max((color >> 8) & 0xFF, 55), 200)
    red = min(max((color >> 16) & 0xFF, 55), 200)
    text = "000" if (red * 0.299 + green * 0.587 + blue * 0.114) > 186 else "fff"
    parts = name.split()
    if len(parts) > 2:
        parts = [parts[0], parts[-1]]
    if len(parts) == 1:
        initials = parts[0][:2]
    else:
        initials = ("".join(part[0] for part in parts[:-1]) + parts[-1])[:2] if parts else ""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64px" height="64px" viewBox="0 0 64 64" version="1.1">'
        f'<rect fill="#{red:02x}{green:02x}{blue:02x}" cx="32" cy="32" width="64" height="64" r="32"/>'
        f'<text x="50%" y="50%" style="color: #{text}; line-height: 1; font-family: {AVATAR_FONTS}; " fill="#{text}" '
        'alignment-baseline="middle" dominant-baseline="middle" text-anchor="middle" font-size="28" font-weight="400" dy=".1em">'
        f"{escape(initials.upper())}</text></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def slugify(value: str) -> str:
    """django.utils.text.slugify for ASCII input."""
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


class Users(Resource):
    """UserViewSet."""

    collection = "users"
    model_label = "User"
    path = "core/users"
    lookup_kwarg = "id"
    lookup_type = "int"
    schema = "User"
    ordering = ("username",)
    search_fields = ("username", "name", "email", "path")
    relations = {"groups": Relation("groups"), "roles": Relation("roles")}
    unique = {"username": "A user with that username already exists."}

    def routes(self) -> list:
        return [
            Route(f"{self.path}/me/", {"GET": self.me_view}, access="list", admin_only=False),
            Route(f"{self.path}/service_account/", {"POST": self.service_account_view}, access="list"),
        ] + super().routes()

    def filters(self) -> dict:
        filters = {name: exact(name) for name in ("username", "email", "name", "path", "uuid")}
        filters["is_active"] = boolean("is_active")
        filters["is_superuser"] = boolean(self.is_superuser)
        filters["type"] = any_of("type")
        filters["path_startswith"] = lambda obj, values: obj["path"].startswith(values[-1])
        filters["groups_by_pk"] = lambda obj, values: any(pk in values for pk in obj["groups"])
        filters["groups_by_name"] = lambda obj, values: any(g["name"] in values for g in self.groups_of(obj))
        return filters

    # -- computed fields --------------------------------------------------------------------------
    def groups_of(self, user: dict) -> list:
        """The user's group objects."""
        return [group for pk in user["groups"] if (group := self.store.get("groups", pk))]

    def is_superuser(self, user: dict) -> bool:
        """Superuser through membership of a superuser group."""
        return any(group.get("is_superuser") for group in self.groups_of(user))

    def get_is_superuser(self, obj, _ctx):
        """Superuser through a superuser group."""
        return self.is_superuser(obj)

    def get_groups_obj(self, obj, ctx):
        """Partial groups, unless ?include_groups=false."""
        if ctx.query("include_groups", "true").lower() in ("false", "0"):
            return None
        groups = self.app.resource("groups")
        schema = self.nested_schema("groups_obj")
        return [groups.represent(group, ctx, schema) for group in self.groups_of(obj)]

    def get_uid(self, obj, _ctx):
        """User.uid: a hash of the pk and the installation id."""
        return hashlib.sha256(f"{self.app.install_id}-{obj['pk']}".encode()).hexdigest()

    @staticmethod
    def get_roles(_obj, _ctx):
        """User.roles (2026.2): RBAC roles are not emulated, so none (a role pk sent is 'does not exist')."""
        return []

    @staticmethod
    def get_roles_obj(_obj, ctx):
        """Roles as objects, unless ?include_roles=false (2026.2)."""
        return None if ctx.query("include_roles", "true").lower() != "true" else []

    @staticmethod
    def get_avatar(obj, _ctx):
        """Initials avatar."""
        return avatar(obj["name"])

    def defaults(self, _ctx) -> dict:
        moment = now()
        return {
            "pk": self.store.next_int("users"),
            "name": "",
            "is_active": True,
            "last_login": None,
            "date_joined": moment,
            "password_change_date": moment,
            "last_updated": moment,
            "groups": [],
            "email": "",
            "attributes": {},
            "path": "users",
            "type": "internal",
            "uuid": self.store.new_uuid(),
        }

    def update(self, obj: dict, validated: dict, ctx) -> dict:
        obj["last_updated"] = now()
        return super().update(obj, validated, ctx)

    def destroy(self, obj: dict, ctx) -> None:
        # Tokens and issued OAuth2 tokens cascade with their user.
        for collection in ("tokens", "access_tokens"):
            for token in list(self.store.all(collection)):
                if token["user"] == obj["pk"]:
                    self.store.remove(collection, token["pk"])
        self.app.resource("policy_bindings").drop_for("user", obj["pk"])
        super().destroy(obj, ctx)

    # -- actions --------------------------------------------------------------------------------
    def me_view(self, ctx):
        """GET me/: the authenticated user as SessionUser."""
        user = ctx.user
        data = {
            "pk": user["pk"],
            "username": user["username"],
            "name": user["name"],
            "is_active": user["is_active"],
            "is_superuser": self.is_superuser(user),
            "groups": [{"name": group["name"], "pk": group["pk"]} for group in self.groups_of(user)],
            "email": user["email"],
            "avatar": avatar(user["name"]),
            "uid": self.get_uid(user, ctx),
            "settings": {},
            "type": user["type"],
            "system_permissions": list(SUPERUSER_PERMISSIONS) if self.is_superuser(user) else [],
            "roles": [],  # 2026.2: roles of the user and its groups; RBAC roles are not emulated
        }
        fields = self.spec.field_names("UserSelf")
        return json_response(200, {"user": {name: data[name] for name in fields}})

    def service_account_view(self, ctx):
        """POST service_account/: a service account user and its app-password token."""
        validated = BodyValidator(self.spec, "UserServiceAccountRequest", partial=False, relations={}, exists=self.store.exists, hooks={}).run(ctx.data)
        username = validated["name"]
        expiring = validated.get("expiring", True)
        if self.store.find("users", username=username):
            raise ApiError(400, {"non_field_errors": ["A user/group with these details already exists"]})
        user = self.create({
            "username": username, "name": username, "type": "service_account", "path": SERVICE_ACCOUNT_PATH,
            "attributes": {"goauthentik.io/user/service-account": True, "goauthentik.io/user/token-expires": expiring},
        }, ctx)
        response = {"username": username, "user_uid": self.get_uid(user, ctx), "user_pk": user["pk"]}
        if validated.get("create_group"):
            group = self.app.resource("groups").create({"name": username}, ctx)
            user["groups"].append(group["pk"])
            response["group_pk"] = group["pk"]
        expires = validated.get("expires") or (now() + timedelta(days=360) if expiring else None)
        token = self.app.resource("tokens").create({
            "identifier": slugify(f"service-account-{username}-password"), "intent": "app_password",
            "user": user["pk"], "expires": expires, "expiring": expiring, "key": generate_id(60),
        }, ctx)
        response["token"] = token["key"]
        return json_response(200, response)
