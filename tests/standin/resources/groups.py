"""core/groups. Membership is stored on the users (user["groups"]); a group's users are derived."""

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
        "users": Relation("users", "int"),
        "roles": Relation("roles"),
        "children": Relation("groups"),
    }
    unique = {"name": "Group with this name already exists."}
    # Roles are not emulated.
    constants = {"roles_obj": []}

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

    def get_parent_name(self, obj, _ctx):
        """Name of the parent group."""
        parent = self.store.get("groups", obj["parent"]) if obj.get("parent") else None
        return parent["name"] if parent else None

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
        return [group["pk"] for group in self.store.all("groups") if group.get("parent") == obj["pk"]]

    def get_children_obj(self, obj, ctx):
        """Child groups, only with ?include_children=true."""
        if ctx.query("include_children", "false").lower() not in ("true", "1"):
            return None
        schema = self.nested_schema("children_obj")
        return [self.represent(group, ctx, schema) for group in self.store.all("groups") if group.get("parent") == obj["pk"]]

    # -- writing --------------------------------------------------------------------------------
    def defaults(self, _ctx) -> dict:
        return {"is_superuser": False, "parent": None, "attributes": {}, "roles": []}

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
        group = super().create(validated, ctx)
        if users is not None:
            self.set_members(group, users)
        return group

    def update(self, obj: dict, validated: dict, ctx) -> dict:
        users = validated.pop("users", None)
        validated.pop("children", None)
        super().update(obj, validated, ctx)
        if users is not None:
            self.set_members(obj, users)
        return obj

    def destroy(self, obj: dict, ctx) -> None:
        self.set_members(obj, [])
        for child in self.store.all("groups"):
            if child.get("parent") == obj["pk"]:
                child["parent"] = None
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
