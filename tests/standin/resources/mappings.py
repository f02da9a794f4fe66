"""Scope mappings: propertymappings/provider/scope (2024.8+) or propertymappings/scope (2024.6),
and the generic read-only propertymappings/all.

Only OAuth2 scope mappings exist in the stand-in; authentik's other mapping types (SAML, LDAP,
SCIM, RADIUS, ...) are not emulated, so propertymappings/all lists scope mappings only.
"""

from .. import expressions
from ..errors import FieldError
from ..routing import Route
from ..wire import json_response
from .base import Resource, any_of, exact, isnull


class ScopeMappings(Resource):
    """ScopeMappingViewSet."""

    collection = "mappings"
    model_label = "ScopeMapping"
    lookup_kwarg = "pm_uuid"
    schema = "ScopeMapping"
    ordering = ("scope_name", "name")
    search_fields = ("name", "scope_name")
    unique = {"name": "Property Mapping with this name already exists."}
    constants = {
        "verbose_name": "Scope Mapping",
        "verbose_name_plural": "Scope Mappings",
        "meta_model_name": "authentik_providers_oauth2.scopemapping",
    }

    @property
    def path(self) -> str:
        """The release's scope mapping endpoint."""
        return self.profile.scope_mapping_path

    def routes(self) -> list:
        return [Route(f"{self.path}/{{pm_uuid}}/used_by/", {"GET": self.used_by_view}, access="detail")] + super().routes()

    def filters(self) -> dict:
        return {
            "name": exact("name"),
            "scope_name": exact("scope_name"),
            "managed": any_of("managed"),
            "managed__isnull": isnull("managed"),
        }

    def get_component(self, _obj, _ctx):
        """Web UI form component (renamed when the endpoint moved in 2024.8)."""
        if self.profile.scope_mapping_path == "propertymappings/scope":
            return "ak-property-mapping-scope-form"
        return "ak-property-mapping-provider-scope-form"

    @staticmethod
    def validate_expression(value: str):
        """PropertyMappingSerializer.validate_expression: the expression must compile."""
        message = expressions.syntax_error(value)
        if message:
            raise FieldError(message)

    def defaults(self, _ctx) -> dict:
        return {"managed": None, "description": ""}

    def destroy(self, obj: dict, ctx) -> None:
        # Provider.property_mappings is a many-to-many: deleting a mapping drops it from providers.
        for provider in self.store.all("providers"):
            if obj["pk"] in provider["property_mappings"]:
                provider["property_mappings"] = [pk for pk in provider["property_mappings"] if pk != obj["pk"]]
        super().destroy(obj, ctx)

    def used_by_view(self, ctx):
        """GET used_by/: providers that use the mapping (as recorded: app authentik_core, model provider)."""
        obj = self.get_object(ctx)
        used = [
            {"app": "authentik_core", "model_name": "provider", "pk": str(p["pk"]), "name": p["name"], "action": "cascade_many"}
            for p in self.store.all("providers") if obj["pk"] in p["property_mappings"]
        ]
        return json_response(200, used)


class AllMappings(ScopeMappings):
    """PropertyMappingViewSet (propertymappings/all): list, detail, delete over every mapping type."""

    name = "mappings_all"
    path = "propertymappings/all"
    schema = "PropertyMapping"
    ordering = ("name",)

    def routes(self) -> list:
        return [
            Route(f"{self.path}/", {"GET": self.list_view}, access="list"),
            Route(f"{self.path}/{{pm_uuid}}/", {"GET": self.detail_view, "DELETE": self.delete_view}, access="detail"),
        ]
