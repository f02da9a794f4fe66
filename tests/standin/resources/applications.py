"""core/applications: looked up by slug; an application binds one provider (one-to-one)."""

from .. import policies
from ..errors import ApiError
from ..fields import Relation
from ..routing import Route
from ..wire import json_response
from .base import Resource, exact
from .providers import launch_url


class Applications(Resource):
    """ApplicationViewSet."""

    collection = "applications"
    model_label = "Application"
    path = "core/applications"
    lookup = "slug"
    lookup_kwarg = "slug"
    lookup_type = "str"
    schema = "Application"
    search_fields = ("name", "slug", "meta_launch_url", "meta_description", "meta_publisher", "group")
    relations = {"provider": Relation("providers", "int"), "backchannel_providers": Relation("providers", "int")}
    unique = {
        "slug": "Application with this slug already exists.",
        "provider": "Application with this provider already exists.",
    }
    # Backchannel providers (SCIM, ...) are not emulated.
    constants = {"backchannel_providers_obj": []}

    def routes(self) -> list:
        check = Route(f"{self.path}/{{slug}}/check_access/", {"GET": self.check_access_view}, access="detail", admin_only=False)
        return [check] + super().routes()

    def filters(self) -> dict:
        return {name: exact(name) for name in ("slug", "name", "group", "meta_description", "meta_launch_url", "meta_publisher")}

    def check_access_view(self, ctx):
        """GET check_access/: the policy engine's verdict for the caller, or for ?for_user= when a superuser asks.

        Only a superuser sees the messages; log_messages (authentik's captured debug log) stay empty here.
        """
        application = self.get_object(ctx)
        user = ctx.user
        superuser = self.app.resource("users").is_superuser(user)
        if superuser and ctx.request.query_values("for_user"):
            try:
                user = self.store.get("users", int(ctx.query("for_user")))
            except ValueError:
                raise ApiError(400, {"for_user": "for_user must be numerical"}) from None
            if user is None:
                raise ApiError(400, {"for_user": "User not found"})
        result = policies.evaluate(self.app, application, user)
        return json_response(200, {"passing": result.passing, "messages": result.messages if superuser else [], "log_messages": []})

    def destroy(self, obj: dict, ctx) -> None:
        # PolicyBinding.target is CASCADE.
        self.app.resource("policy_bindings").drop_for("target", obj["pk"])
        super().destroy(obj, ctx)

    def unique_check(self, name: str, message: str, instance):
        check = super().unique_check(name, message, instance)
        # A NULL provider is not a duplicate (unique constraints ignore NULL).
        return (lambda value: None if value is None else check(value)) if name == "provider" else check

    def get_provider_obj(self, obj, ctx):
        """The provider as ProviderSerializer shows it, or null."""
        provider = self.store.get("providers", obj["provider"]) if obj["provider"] is not None else None
        if provider is None:
            return None
        return self.app.resource("providers_all").represent(provider, ctx)

    def get_meta_icon(self, obj, _ctx):
        """2026.2: the stored file name (blank by default); before, the read-only icon URL (null without icon)."""
        if "meta_icon" in self.spec.field_names("ApplicationRequest"):
            return obj.get("meta_icon") or ""
        return obj.get("meta_icon")

    @staticmethod
    def get_meta_icon_url(obj, _ctx):
        """Application.get_meta_icon (2026.2): the icon's URL, null without icon."""
        return obj.get("meta_icon") or None

    @staticmethod
    def get_meta_icon_themed_urls(_obj, _ctx):
        """Per-theme URLs exist only for names with %(theme)s, which the stand-in does not serve: null."""
        return None

    def get_launch_url(self, obj, _ctx):
        """Application.get_launch_url: meta_launch_url, else the provider's guess."""
        if obj["meta_launch_url"]:
            return obj["meta_launch_url"]
        provider = self.store.get("providers", obj["provider"]) if obj["provider"] is not None else None
        return launch_url(provider) if provider else None

    def defaults(self, _ctx) -> dict:
        return {
            "provider": None,
            "backchannel_providers": [],
            "open_in_new_tab": False,
            "meta_launch_url": "",
            "meta_icon": None,
            "meta_description": "",
            "meta_publisher": "",
            "policy_engine_mode": "any",
            "group": "",
        }
