"""core/applications: looked up by slug; an application binds one provider (one-to-one)."""

from ..fields import Relation
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

    def filters(self) -> dict:
        return {name: exact(name) for name in ("slug", "name", "group", "meta_description", "meta_launch_url", "meta_publisher")}

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
