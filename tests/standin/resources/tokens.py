"""core/tokens: API tokens and app passwords, looked up by identifier."""

from datetime import timedelta

from ..errors import ApiError
from ..fields import BodyValidator, Relation
from ..keys import generate_id
from ..routing import Route
from ..wire import json_response
from .base import Resource, boolean, exact
from .users import now

ALLOWED_INTENTS = ("api", "app_password")


class Tokens(Resource):
    """TokenViewSet."""

    collection = "tokens"
    model_label = "Token"
    path = "core/tokens"
    lookup = "identifier"
    lookup_kwarg = "identifier"
    lookup_type = "str"
    schema = "Token"
    ordering = ("identifier",)
    search_fields = ("identifier", "intent", "description")
    relations = {"user": Relation("users", "int")}
    unique = {"identifier": "Token with this identifier already exists."}

    def routes(self) -> list:
        detail = f"{self.path}/{{identifier}}"
        return [
            Route(f"{detail}/view_key/", {"GET": self.view_key_view}, access="detail"),
            Route(f"{detail}/set_key/", {"POST": self.set_key_view}, access="detail"),
        ] + super().routes()

    def filters(self) -> dict:
        filters = {name: exact(name) for name in ("identifier", "intent", "description", "managed")}
        filters["expiring"] = boolean("expiring")
        filters["user__username"] = lambda obj, values: (self.store.get("users", obj["user"]) or {}).get("username") == values[-1]
        return filters

    def get_user_obj(self, obj, ctx):
        """The token's user as the User serializer shows it."""
        return self.app.resource("users").represent(self.store.get("users", obj["user"]), ctx)

    def validate_object(self, validated: dict, instance, ctx) -> dict:
        """TokenSerializer.validate: user defaults to the caller; only api/app_password intents."""
        if instance is None:
            validated.setdefault("user", ctx.user["pk"])
            validated.setdefault("intent", "api")
        intent = validated.get("intent", instance["intent"] if instance else "api")
        if intent not in ALLOWED_INTENTS:
            raise ApiError(400, {"intent": [f"Invalid intent {intent}"]})
        return validated

    def defaults(self, _ctx) -> dict:
        return {"managed": None, "description": "", "expires": None, "expiring": True, "key": generate_id(60)}

    def create(self, validated: dict, ctx) -> dict:
        token = super().create(validated, ctx)
        if token["expiring"] and token["expires"] is None:
            # default_token_duration: minutes=30
            token["expires"] = now() + timedelta(minutes=30)
        return token

    # -- actions --------------------------------------------------------------------------------
    def view_key_view(self, ctx):
        """GET view_key/: the secret key."""
        return json_response(200, {"key": self.get_object(ctx)["key"]})

    def set_key_view(self, ctx):
        """POST set_key/ {key}: 204."""
        token = self.get_object(ctx)
        validated = BodyValidator(self.spec, "TokenSetKeyRequest", partial=False, relations={}, exists=self.store.exists, hooks={}).run(ctx.data)
        token["key"] = validated["key"]
        return json_response(204, None)


def active_token(store, key: str, intent: str):
    """A non-expired token with that key and intent, or None."""
    for token in store.all("tokens"):
        if token["key"] == key and token["intent"] == intent:
            if token["expiring"] and token["expires"] is not None and token["expires"] < now():
                return None
            return token
    return None
