"""A DRF ModelViewSet, generically: list/filter/search/order/paginate, detail, create, update, delete.

A concrete resource declares its store collection, URL, lookup field, schema names, relations
and unique fields, and overrides only what its authentik viewset does differently.
"""

import copy
import uuid

from ..errors import ApiError, FieldError, NOT_FOUND_GENERIC, not_found
from ..fields import BodyValidator
from ..pagination import order, paginate, search
from ..routing import Route
from ..wire import json_response
from .ql import autocomplete


def exact(field: str):
    """django-filter exact match on one field (the last value of the parameter counts)."""
    return lambda obj, values: str(_plain(obj.get(field))) == values[-1]


def _parse_bool(text: str):
    return {"true": True, "1": True, "false": False, "0": False}.get(text.lower())


def _getter(field_or_getter):
    return field_or_getter if callable(field_or_getter) else (lambda obj: obj.get(field_or_getter))


def boolean(field_or_getter):
    """django-filter BooleanFilter; unparsable values leave the list unfiltered."""
    getter = _getter(field_or_getter)

    def check(obj, values):
        wanted = _parse_bool(values[-1])
        return wanted is None or bool(getter(obj)) == wanted
    return check


def any_of(field_or_getter):
    """MultipleChoiceFilter: repeated parameter, OR-ed."""
    getter = _getter(field_or_getter)
    return lambda obj, values: str(_plain(getter(obj))) in values


def isnull(field: str):
    """<field>__isnull=true|false."""
    def check(obj, values):
        wanted = _parse_bool(values[-1])
        return wanted is None or (obj.get(field) is None) == wanted
    return check


def _plain(value):
    return "" if value is None else value


class Resource:
    """Base of all model resources."""

    collection = ""
    name = ""  # registry name; defaults to the collection
    model_label = ""
    path = ""
    lookup = "pk"
    lookup_kwarg = "pk"
    lookup_type = "uuid"
    schema = ""
    ordering = ("name",)
    search_fields = ("name",)
    relations = {}
    unique = {}
    read_only = False
    # Serializer fields with the same value for every object (verbose names, components, ...).
    constants = {}

    def __init__(self, app):
        self.app = app
        self.store = app.store
        self.spec = app.spec
        self.profile = app.profile
        self.name = self.name or self.collection

    # -- routes ---------------------------------------------------------------------------------
    @property
    def template(self) -> str:
        """OpenAPI path template of the list route."""
        return f"/{self.path}/"

    def routes(self) -> list:
        """List and detail routes; subclasses add their actions before calling this."""
        collection = {"GET": self.list_view}
        detail = {"GET": self.detail_view}
        if not self.read_only:
            collection["POST"] = self.create_view
            detail.update({"PUT": self.put_view, "PATCH": self.patch_view, "DELETE": self.delete_view})
        return [
            Route(f"{self.path}/", collection, access="list"),
            Route(f"{self.path}/{{{self.lookup_kwarg}}}/", detail, access="detail"),
        ]

    # -- reading --------------------------------------------------------------------------------
    def queryset(self, _ctx) -> list:
        """Objects visible through this viewset."""
        return self.store.all(self.collection)

    def filters(self) -> dict:
        """Query parameter -> predicate(obj, values); applied only where the release documents it."""
        return {}

    def list_view(self, ctx):
        """GET collection: filter, search, order, paginate."""
        objects = self.queryset(ctx)
        accepted = self.spec.query_params(self.template, "get")
        for name, predicate in self.filters().items():
            values = ctx.request.query_values(name)
            if values and name in accepted:
                objects = [obj for obj in objects if predicate(obj, values)]
        objects = search(objects, ctx.query("search"), self.search_fields, self.search_value)
        objects = order(objects, ctx.query("ordering"), self.ordering, self.sort_value)
        page, envelope = paginate(objects, ctx.query("page"), ctx.query("page_size"))
        body = {"pagination": envelope, "results": [self.represent(obj, ctx) for obj in page]}
        if "autocomplete" in self.spec.field_names(f"Paginated{self.schema}List"):
            body["autocomplete"] = autocomplete(self.spec, self.schema)
        return json_response(200, body)

    def search_value(self, obj, field: str) -> str:
        """Text a search term is matched against."""
        return str(_plain(obj.get(field)))

    def sort_value(self, obj, field: str):
        """Value an ordering field sorts by."""
        return obj.get(field)

    def get_object(self, ctx):
        """Object of a detail URL; DRF's two kinds of 404."""
        raw = ctx.kwargs[self.lookup_kwarg]
        value = self.parse_lookup(raw)
        for obj in self.queryset(ctx):
            if obj.get(self.lookup) == value:
                return obj
        raise not_found(self.model_label)

    def parse_lookup(self, raw: str):
        """Cast the URL value like the model field would; a failed cast is a plain 'Not found.'"""
        try:
            if self.lookup_type == "int":
                return int(raw)
            if self.lookup_type == "uuid":
                return str(uuid.UUID(raw))
        except ValueError:
            raise ApiError(404, NOT_FOUND_GENERIC) from None
        return raw

    def detail_view(self, ctx):
        """GET one object."""
        return json_response(200, self.represent(self.get_object(ctx), ctx))

    # -- representation -----------------------------------------------------------------------------
    def represent(self, obj, ctx, schema: str = None) -> dict:
        """The object as the release's response schema lists its fields."""
        return {name: self.field_value(obj, name, ctx) for name in self.spec.field_names(schema or self.schema)}

    def nested_schema(self, field: str, schema: str = None) -> str:
        """Component name of a nested object field (or of its list items) in the release's schema."""
        prop = dict(self.spec.properties(schema or self.schema))[field]
        if prop.get("type") == "array":
            prop = self.spec.resolve(prop["items"])
        return prop["object_name"]

    def field_value(self, obj, name: str, ctx):
        """A computed field (get_<name>) or the stored value."""
        if name in self.constants:
            return copy.deepcopy(self.constants[name])
        getter = getattr(self, f"get_{name}", None)
        if getter is not None:
            return getter(obj, ctx)
        if name not in obj:
            raise KeyError(f"{self.collection} object has no field {name!r} (schema {self.schema})")
        return obj[name]

    # -- writing --------------------------------------------------------------------------------
    def request_schema(self, partial: bool) -> str:
        """Request body schema of create/update (Patched... for PATCH)."""
        return f"Patched{self.schema}Request" if partial else f"{self.schema}Request"

    def validate(self, ctx, instance=None, partial=False) -> dict:
        """DRF serializer validation of ctx.data; ApiError(400) on errors."""
        validator = BodyValidator(
            self.spec,
            self.request_schema(partial),
            partial=partial,
            relations=self.relations,
            exists=self.store.exists,
            hooks=self.hooks(instance),
        )
        validated = validator.run(ctx.data)
        return self.validate_object(validated, instance, ctx)

    def hooks(self, instance) -> dict:
        """Field validators: uniqueness first, then validate_<field> methods."""
        hooks = {}
        for name, message in self.unique.items():
            hooks.setdefault(name, []).append(self.unique_check(name, message, instance))
        for name, _prop in self.spec.properties(self.request_schema(False)):
            method = getattr(self, f"validate_{name}", None)
            if method is not None:
                hooks.setdefault(name, []).append(method)
        return hooks

    def unique_check(self, name: str, message: str, instance):
        """UniqueValidator for one field, excluding the instance being updated."""
        def check(value):
            for obj in self.store.all(self.collection):
                if obj.get(name) == value and (instance is None or obj["pk"] != instance["pk"]):
                    raise FieldError(message)
        return check

    def validate_object(self, validated: dict, _instance, _ctx) -> dict:
        """Serializer.validate(); field errors stop before it, as in DRF."""
        return validated

    def create_view(self, ctx):
        """POST collection."""
        validated = self.validate(ctx)
        obj = self.create(validated, ctx)
        return json_response(201, self.represent(obj, ctx))

    def put_view(self, ctx):
        """PUT: full validation, but omitted optional fields keep their values (DRF)."""
        obj = self.get_object(ctx)
        validated = self.validate(ctx, instance=obj)
        return json_response(200, self.represent(self.update(obj, validated, ctx), ctx))

    def patch_view(self, ctx):
        """PATCH: partial validation; lists (M2M, redirect_uris) are replaced as a whole."""
        obj = self.get_object(ctx)
        validated = self.validate(ctx, instance=obj, partial=True)
        return json_response(200, self.represent(self.update(obj, validated, ctx), ctx))

    def delete_view(self, ctx):
        """DELETE: 204 without body."""
        obj = self.get_object(ctx)
        self.destroy(obj, ctx)
        return json_response(204, None)

    def defaults(self, _ctx) -> dict:
        """Model defaults of a new object."""
        return {}

    def create(self, validated: dict, ctx) -> dict:
        """Store a new object."""
        obj = self.defaults(ctx)
        obj.update(validated)
        obj.setdefault("pk", self.store.new_uuid())
        return self.store.add(self.collection, obj)

    def update(self, obj: dict, validated: dict, _ctx) -> dict:
        """Apply validated fields to an object."""
        obj.update(validated)
        return obj

    def destroy(self, obj: dict, _ctx) -> None:
        """Remove an object (subclasses clean up relations first)."""
        self.store.remove(self.collection, obj["pk"])
