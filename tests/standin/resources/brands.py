"""core/brands: which flows authentik runs for the domains a brand serves (authentik.brands.api.BrandViewSet).

The same serializer and model in 2024.6 to 2026.2 for what the stand-in serves: fields come from the release's
schema; the default brand is made by the default-brand blueprint (domain ``authentik-default``, the default
authentication, invalidation and user settings flows). ``get_brand_for_request``: the brand whose domain is the
longest case-insensitive suffix of the request's host, else the default brand.
"""

from ..errors import ApiError
from ..fields import Relation
from .base import Resource, boolean, exact

FLOW_FIELDS = ("flow_authentication", "flow_invalidation", "flow_recovery", "flow_unenrollment", "flow_user_settings",
               "flow_device_code")
# Brand.__str__ and the related names its flow foreign keys give Flow (for the flows' used_by).
RELATED_NAMES = dict((field, "brand_" + field[len("flow_"):]) for field in FLOW_FIELDS)
DEFAULT_DOMAIN = "authentik-default"


def brand_name(brand: dict) -> str:
    """Brand.__str__."""
    return "Default brand" if brand["default"] else f"Brand {brand['domain']}"


class Brands(Resource):
    """BrandViewSet (the current/ action is not emulated)."""

    collection = "brands"
    model_label = "Brand"
    path = "core/brands"
    lookup = "brand_uuid"
    lookup_kwarg = "brand_uuid"
    schema = "Brand"
    ordering = ("domain",)
    search_fields = ("domain", "branding_title")
    relations = dict(dict((field, Relation("flows")) for field in FLOW_FIELDS),
                     default_application=Relation("applications"), web_certificate=Relation("keypairs"),
                     client_certificates=Relation("keypairs"))
    # BrandSerializer: domain is not unique in the database, the serializer checks it (UniqueValidator).
    unique = {"domain": "This field must be unique."}

    def filters(self) -> dict:
        names = ("brand_uuid", "domain", "branding_title", "branding_logo", "branding_favicon", "branding_default_flow_background",
                 "web_certificate") + FLOW_FIELDS
        filters = {name: exact(name) for name in names}
        filters["default"] = boolean("default")
        return filters

    def defaults(self, _ctx) -> dict:
        return {
            "default": False,
            "branding_title": "authentik",
            "branding_logo": "/static/dist/assets/icons/icon_left_brand.svg",
            "branding_favicon": "/static/dist/assets/icons/icon.png",
            "branding_custom_css": "",
            "branding_default_flow_background": "/static/dist/assets/images/flow_background.jpg",
            "default_application": None,
            "web_certificate": None,
            "client_certificates": [],
            "attributes": {},
            **{field: None for field in FLOW_FIELDS},
        }

    def create(self, validated: dict, ctx) -> dict:
        obj = self.defaults(ctx)
        obj.update(validated)
        obj["brand_uuid"] = obj["pk"] = self.store.new_uuid()
        return self.store.add(self.collection, obj)

    def validate_object(self, validated: dict, instance, _ctx) -> dict:
        """BrandSerializer.validate: one default brand."""
        if validated.get("default", False):
            others = [b for b in self.store.all(self.collection) if b["default"] and (instance is None or b["pk"] != instance["pk"])]
            if others:
                raise ApiError(400, {"default": ["Only a single brand can be set as default."]})
        return validated

    def for_host(self, host: str):
        """get_brand_for_request: the longest matching domain suffix of the host, else the default brand, else None."""
        host = host.lower()
        matching = [b for b in self.store.all(self.collection) if host.endswith(b["domain"].lower())]
        if matching:
            return max(matching, key=lambda b: (len(b["domain"]), b["default"]))
        return next((b for b in self.store.all(self.collection) if b["default"]), None)

    def flow_removed(self, flow_pk: str) -> None:
        """Brand flow foreign keys are SET_NULL."""
        for brand in self.store.all(self.collection):
            for field in FLOW_FIELDS:
                if brand.get(field) == flow_pk:
                    brand[field] = None

    def used_flow(self, flow_pk: str) -> list:
        """(related name, brand) for every brand setting that names the flow."""
        return [(RELATED_NAMES[field], brand) for brand in self.store.all(self.collection) for field in FLOW_FIELDS
                if brand.get(field) == flow_pk]


def seed_default_brand(app) -> None:
    """The default-brand blueprint: domain authentik-default, default, the default login, logout and user settings flows."""
    flows = {flow["slug"]: flow["pk"] for flow in app.store.all("flows")}
    brands = app.resource("brands")
    brands.create({
        "domain": DEFAULT_DOMAIN, "default": True,
        "flow_authentication": flows.get("default-authentication-flow"),
        "flow_invalidation": flows.get("default-invalidation-flow"),
        "flow_user_settings": flows.get("default-user-settings-flow"),
    }, None)
