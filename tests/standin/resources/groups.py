"""core/groups. Membership is stored on the users (user["groups"]); a group's users are derived.

Parents are stored as a list (group["parents"]): the release's schema decides whether the API
shows one ``parent`` (before 2025.12) or ``parents`` (Group.parents, many-to-many, 2026.2).
"""

import uuid

from ..errors import ApiError
from ..fields import BodyValidator, Relation
from ..routing import Route
from ..wire import json_response
from .base import Resource, boolean, exact


class Groups(Resource):
    """GroupViewSet."""

    collection = "groups"
    model_label = "Group"
    path = "core/groups"
    lookup_kwarg = "group_uuid"
    schema = "Group"
    relations = {
        "parent": Relation("groups"),
        "parents": Relation("groups"),
        "users": Relation("users", "int"),
        "roles": Relation("roles"),
        "children": Relation("groups"),
    }
    # Roles are not emulated.
    constants = {"roles_obj": []}

    @property
    def unique(self) -> dict:
        """Group names are unique: 2025.10's serializer adds a plain UniqueValidator (the model is not unique
        there), 2026.2's model field is unique=True (Django's message). Releases before 2025.10 are taken to
        behave like 2025.10 (not recorded)."""
        if self.multiple_parents:
            return {"name": "Group with this name already exists."}
        return {"name": "This field must be unique."}

    @property
    def multiple_parents(self) -> bool:
        """Group.parents (a list) instead of Group.parent."""
        return "parents" in self.spec.field_names("Group")

    def routes(self) -> list:
        detail = f"{self.path}/{{group_uuid}}"
        return [
            Route(f"{detail}/add_user/", {"POST": self.add_user_view}, access="detail"),
            Route(f"{detail}/remove_user/", {"POST": self.remove_user_view}, access="detail"),
        ] + super().routes()

    def filters(self) -> dict:
        return {
            "name": exact("name"),
            "is_superuser": boolean("is_superuser"),
            "members_by_pk": lambda obj, values: any(str(pk) in values for pk in self.member_pks(obj)),
            "members_by_username": lambda obj, values: any(u["username"] in values for u in self.members(obj)),
        }

    # -- computed fields --------------------------------------------------------------------------
    def members(self, group: dict) -> list:
        """Users in the group."""
        return [user for user in self.store.all("users") if group["pk"] in user["groups"]]

    def member_pks(self, group: dict) -> list:
        """Primary keys of the users in the group."""
        return [user["pk"] for user in self.members(group)]

    @staticmethod
    def get_num_pk(obj, _ctx):
        """Group.num_pk: the first five digits of the uuid as an integer."""
        return int(str(uuid.UUID(obj["pk"]).int)[:5])

    @staticmethod
    def get_parent(obj, _ctx):
        """The (first) parent, on releases with one parent per group."""
        return obj["parents"][0] if obj["parents"] else None

    @staticmethod
    def get_parents(obj, _ctx):
        """Parent group pks (2025.12+)."""
        return list(obj["parents"])

    def get_parent_name(self, obj, _ctx):
        """Name of the parent group."""
        parent = self.store.get("groups", obj["parents"][0]) if obj["parents"] else None
        return parent["name"] if parent else None

    def get_parents_obj(self, obj, ctx):
        """Parent groups, only with ?include_parents=true."""
        if ctx.query("include_parents", "false").lower() != "true":
            return None
        schema = self.nested_schema("parents_obj")
        return [self.represent(group, ctx, schema) for pk in obj["parents"] if (group := self.store.get("groups", pk))]

    @staticmethod
    def get_inherited_roles_obj(_obj, ctx):
        """Roles of ancestor groups, only with ?include_inherited_roles=true (roles are not emulated: none)."""
        return [] if ctx.query("include_inherited_roles", "false").lower() == "true" else None

    @staticmethod
    def get_group_uuid(obj, _ctx):
        """RelatedGroupSerializer.group_uuid (the pk again)."""
        return obj["pk"]

    def ancestors(self, pks) -> set:
        """The groups and all their ancestors (authentik's recursive CTE stops at 20 levels)."""
        found, frontier = set(pks), set(pks)
        for _depth in range(20):
            frontier = {parent for pk in frontier if (group := self.store.get("groups", pk)) for parent in group["parents"]} - found
            if not frontier:
                break
            found |= frontier
        return found

    def get_users(self, obj, _ctx):
        """Member pks."""
        return self.member_pks(obj)

    def get_users_obj(self, obj, ctx):
        """Members as partial users, unless ?include_users=false."""
        if ctx.query("include_users", "true").lower() in ("false", "0"):
            return None
        users = self.app.resource("users")
        schema = self.nested_schema("users_obj")
        return [users.represent(user, ctx, schema) for user in self.members(obj)]

    def get_children(self, obj, _ctx):
        """Child group pks."""
        return [group["pk"] for group in self.store.all("groups") if obj["pk"] in group["parents"]]

    def get_children_obj(self, obj, ctx):
        """Child groups, only with ?include_children=true."""
        if ctx.query("include_children", "false").lower() not in ("true", "1"):
            return None
        schema = self.nested_schema("children_obj")
        return [self.represent(group, ctx, schema) for group in self.store.all("groups") if obj["pk"] in group["parents"]]

    # -- writing --------------------------------------------------------------------------------
    def validate_object(self, validated: dict, instance, _ctx) -> dict:
        """GroupSerializer.validate_parent (2025.10): a group cannot be its own parent."""
        if instance is not None and validated.get("parent") == instance["pk"]:
            raise ApiError(400, {"parent": ["Cannot set group as parent of itself."]})
        return validated

    @staticmethod
    def store_parents(validated: dict) -> None:
        """parent (one) or parents (a list) of the request, kept as a list."""
        if "parent" in validated:
            parent = validated.pop("parent")
            validated["parents"] = [parent] if parent else []

    def defaults(self, _ctx) -> dict:
        return {"is_superuser": False, "parents": [], "attributes": {}, "roles": []}

    def set_members(self, group: dict, user_pks) -> None:
        """Replace the group's members."""
        for user in self.store.all("users"):
            inside = group["pk"] in user["groups"]
            if user["pk"] in user_pks and not inside:
                user["groups"].append(group["pk"])
            elif user["pk"] not in user_pks and inside:
                user["groups"].remove(group["pk"])

    def create(self, validated: dict, ctx) -> dict:
        users = validated.pop("users", None)
        validated.pop("children", None)
        self.store_parents(validated)
        group = super().create(validated, ctx)
        if users is not None:
            self.set_members(group, users)
        return group

    def update(self, obj: dict, validated: dict, ctx) -> dict:
        users = validated.pop("users", None)
        validated.pop("children", None)
        self.store_parents(validated)
        super().update(obj, validated, ctx)
        if users is not None:
            self.set_members(obj, users)
        return obj

    def destroy(self, obj: dict, ctx) -> None:
        self.set_members(obj, [])
        for child in self.store.all("groups"):
            if obj["pk"] in child["parents"]:
                child["parents"] = [pk for pk in child["parents"] if pk != obj["pk"]]
        # PolicyBinding.group is CASCADE.
        self.app.resource("policy_bindings").drop_for("group", obj["pk"])
        super().destroy(obj, ctx)

    # -- actions --------------------------------------------------------------------------------
    def membership_user(self, ctx) -> dict:
        """The user named by a UserAccountRequest body; 404 when it does not exist."""
        validated = BodyValidator(self.spec, "UserAccountRequest", partial=False, relations={}, exists=self.store.exists, hooks={}).run(ctx.data)
        user = self.store.get("users", validated["pk"])
        if user is None:
            raise ApiError(404, {"detail": "User not found"})
        return user

    def add_user_view(self, ctx):
        """POST add_user/ {pk}: 204."""
        group = self.get_object(ctx)
        user = self.membership_user(ctx)
        if group["pk"] not in user["groups"]:
            user["groups"].append(group["pk"])
        return json_response(204, None)

    def remove_user_view(self, ctx):
        """POST remove_user/ {pk}: 204."""
        group = self.get_object(ctx)
        user = self.membership_user(ctx)
        if group["pk"] in user["groups"]:
            user["groups"].remove(group["pk"])
        return json_response(204, None)
