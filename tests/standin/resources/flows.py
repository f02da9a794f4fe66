"""flows/instances: looked up by slug, not by uuid (as recorded)."""

from ..routing import Route
from ..wire import json_response
from .base import Resource, exact
from .brands import brand_name

BACKGROUND = "/static/dist/assets/images/flow_background.jpg"


class Flows(Resource):
    """FlowViewSet."""

    collection = "flows"
    model_label = "Flow"
    path = "flows/instances"
    lookup = "slug"
    lookup_kwarg = "slug"
    lookup_type = "str"
    schema = "Flow"
    ordering = ("slug",)
    search_fields = ("name", "slug", "title", "designation")
    unique = {"slug": "Flow with this slug already exists."}
    # No flow plan cache in the stand-in.
    constants = {"cache_count": 0}

    def routes(self) -> list:
        return [Route(f"{self.path}/{{slug}}/used_by/", {"GET": self.used_by_view}, access="detail")] + super().routes()

    def filters(self) -> dict:
        return {
            "slug": exact("slug"),
            "name": exact("name"),
            "designation": exact("designation"),
            "denied_action": exact("denied_action"),
            "flow_uuid": exact("pk"),
        }

    def get_background(self, obj, _ctx):
        """2026.2: the stored file name (blank by default); before, the read-only URL of the image."""
        if "background" in self.spec.field_names("FlowRequest"):
            return obj.get("background", "")
        return BACKGROUND

    @staticmethod
    def get_background_url(obj, _ctx):
        """Flow.background_url (2026.2): the file's URL, else the default brand's background."""
        return obj.get("background") or BACKGROUND

    @staticmethod
    def get_background_themed_urls(_obj, _ctx):
        """Per-theme URLs exist only for names with %(theme)s, which the stand-in does not serve: null."""
        return None

    @staticmethod
    def get_export_url(obj, _ctx):
        """URL of the flow export action."""
        return f"/api/v3/flows/instances/{obj['slug']}/export/"

    def defaults(self, _ctx) -> dict:
        return {
            "policybindingmodel_ptr_id": self.store.new_uuid(),
            "stages": [],
            "policies": [],
            "policy_engine_mode": "any",
            "compatibility_mode": False,
            "layout": "stacked",
            "denied_action": "message_continue",
            "authentication": "none",
        }

    def used_by_view(self, ctx):
        """GET used_by/ (UsedByMixin): every object that points at the flow, by the name of the relation (getmembers
        order), with what deleting the flow does to it. Emulated for brands and providers, the only objects the
        stand-in has that point at flows."""
        flow = self.get_object(ctx)
        used = [(name, "authentik_brands", "brand", brand["brand_uuid"], brand_name(brand), "set_null")
                for name, brand in self.app.resource("brands").used_flow(flow["pk"])]
        for field, action in (("authentication_flow", "set_null"), ("authorization_flow", "cascade"),
                              ("invalidation_flow", "set_default")):
            name = "provider_" + field[:-len("_flow")]
            used += [(name, "authentik_core", "provider", str(p["pk"]), p["name"], action)
                     for p in self.store.all("providers") if p.get(field) == flow["pk"]]
        used.sort(key=lambda item: item[0])
        return json_response(200, [{"app": app, "model_name": model, "pk": pk, "name": name, "action": action}
                                   for dummy, app, model, pk, name, action in used])

    def destroy(self, obj: dict, ctx) -> None:
        # Provider.authorization_flow cascades; the optional flow references are SET_NULL (the brands' too).
        self.app.resource("brands").flow_removed(obj["pk"])
        providers = self.app.resource("providers")
        for provider in list(self.store.all("providers")):
            if provider["authorization_flow"] == obj["pk"]:
                providers.destroy(provider, ctx)
                continue
            for name in ("authentication_flow", "invalidation_flow"):
                if provider.get(name) == obj["pk"]:
                    provider[name] = None
        self.app.resource("policy_bindings").drop_for("target", obj["pk"])
        super().destroy(obj, ctx)
