"""The real OpenAPI schema of the emulated release: loading, errata, and field lookups.

The stand-in takes the *set and order of fields* of every request and response from the
schema, so that a release's shapes come from that release and not from hand-written tables.
"""

import copy
import functools
import threading

import yaml
from openapi_core import Config, OpenAPI

from .versions import VersionProfile, reference_dir

VALIDATION_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}}
GENERIC_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/GenericError"}}}
ASSIGNED_APP_FIELDS = (
    "assigned_application_slug",
    "assigned_application_name",
    "assigned_backchannel_application_slug",
    "assigned_backchannel_application_name",
)

# Places where the real server's responses and its own schema disagree. The stand-in answers
# like the server (as recorded) and patches its copy of the schema, so that the schema check
# flags stand-in bugs only. Each entry: (what, why we know).
ERRATA = (
    ("every operation can answer 404 {detail} (unknown object, invalid page); most do not document it",
     "recordings *-404, crypto-certificatekeypairs-page-out-of-range"),
    ("a documented response without content (400 of generate, 404 of view_key) still carries the JSON error body",
     "DRF renders every error as JSON"),
    ("OAuth2ProviderSetupURLs: issuer, provider_info, logout are null and jwks is missing while no application uses the provider",
     "recording providers-oauth2-setup-urls-no-application"),
    ("Provider/OAuth2Provider assigned_*application_* are null without an application; schemas before 2025 lack nullable",
     "same serializer code in all releases; 2025.10.4 schema documents nullable"),
    ("Application.provider_obj is null for an application without provider (serializer allow_null; the schema drops nullable on allOf refs)",
     "authentik/core/api/applications.py ApplicationSerializer.provider_obj"),
    ("PolicyBinding.policy_obj/group_obj/user_obj are null for the other kinds of binding (serializers without allow_null; "
     "the schema drops nullable on allOf refs)", "authentik/policies/api/bindings.py PolicyBindingSerializer"),
    ("strings that may be blank but carry a format (User.email, meta_launch_url, logout_uri) are \"\" on users without email etc.",
     "DRF EmailField/URLField with allow_blank; drf-spectacular still emits format"),
    ("the flow executor's query parameter is empty when the flow interface was opened without a query (e.g. a brand's device "
     "code flow at /if/flow/<slug>/): OpenAPI 3.0 rejects an empty value unless allowEmptyValue is set",
     "web/src/flow/FlowExecutor.ts sends query: window.location.search.substring(1), \"\" for such a page"),
    ("a nullable reference (nullable beside allOf, e.g. 2026.2's background_themed_urls, meta_icon_themed_urls) "
     "is written as anyOf [reference, null]",
     "the schema says nullable; openapi-core ignores nullable next to allOf (OpenAPI 3.0 leaves it open)"),
)
BLANK_FORMATS = ("email", "uri")


@functools.lru_cache(maxsize=None)
def load_raw_document(schema_file: str) -> dict:
    """The schema file exactly as upstream ships it (cached per process)."""
    with open(reference_dir() / schema_file, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _patch_responses(document: dict) -> None:
    for operations in document["paths"].values():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            if "404" not in responses:
                responses["404"] = {"description": "", "content": GENERIC_ERROR_CONTENT}
            for code, response in responses.items():
                if "$ref" in response or response.get("content"):
                    continue
                if code == "400":
                    response["content"] = VALIDATION_ERROR_CONTENT
                elif code in ("403", "404"):
                    response["content"] = GENERIC_ERROR_CONTENT


def _patch_executor_query(document: dict) -> None:
    for operation in document["paths"].get("/flows/executor/{flow_slug}/", {}).values():
        for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
            if parameter.get("in") == "query" and parameter.get("name") == "query":
                parameter["allowEmptyValue"] = True


def _patch_schemas(document: dict) -> None:
    schemas = document["components"]["schemas"]
    setup_urls = schemas.get("OAuth2ProviderSetupURLs")
    if setup_urls:
        for name in ("issuer", "provider_info", "logout"):
            setup_urls["properties"][name]["nullable"] = True
        setup_urls["required"] = [name for name in setup_urls["required"] if name != "jwks"]
    provider_obj = schemas["Application"]["properties"]["provider_obj"]
    provider_obj["anyOf"] = provider_obj.pop("allOf") + [{"enum": [None]}]
    provider_obj["nullable"] = True
    for name in ("policy_obj", "group_obj", "user_obj"):
        prop = schemas["PolicyBinding"]["properties"][name]
        prop["anyOf"] = prop.pop("allOf") + [{"enum": [None]}]
        prop["nullable"] = True
    _nullable_captcha_stage(schemas)
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        for prop in properties.values():
            if prop.get("nullable") and "allOf" in prop:
                prop["anyOf"] = prop.pop("allOf") + [{"enum": [None]}]
        for field in ASSIGNED_APP_FIELDS:
            if field in properties:
                properties[field]["nullable"] = True
        for prop in properties.values():
            _allow_blank_format(prop, request=name.endswith("Request"))


def _nullable_captcha_stage(schemas: dict) -> None:
    """IdentificationChallenge.captcha_stage is documented nullable next to an allOf $ref, and authentik sends
    null without a captcha stage; openapi-core checks null against the allOf part and fails. Written as
    anyOf [the ref, null]: a validator quirk, not an erratum of the schema (the flow executor is not
    built from the schema, so nothing else reads this property)."""
    prop = schemas.get("IdentificationChallenge", {}).get("properties", {}).get("captcha_stage", {})
    if prop.get("nullable") and "allOf" in prop:
        prop["anyOf"] = prop.pop("allOf") + [{"enum": [None]}]


def _allow_blank_format(prop: dict, request: bool) -> None:
    """Let "" pass a format check where DRF allows blank (responses always, requests without minLength)."""
    if prop.get("format") not in BLANK_FORMATS or (request and prop.get("minLength", 0) >= 1):
        return
    fmt = prop.pop("format")
    # The stand-in's own DRF validation still needs the format (fields.BodyValidator reads x-format).
    prop["x-format"] = fmt
    prop["anyOf"] = [{"format": fmt}, {"maxLength": 0}]


GRANT_TYPES = ["authorization_code", "implicit", "hybrid", "refresh_token", "client_credentials", "password",
               "urn:ietf:params:oauth:grant-type:device_code"]


def _add_grant_types(schemas: dict) -> None:
    """2026.5 (authentik-client 2026.5.0): OAuth2Provider.grant_types, a list of GrantTypesEnum, not empty when sent."""
    schemas["GrantTypesEnum"] = {"enum": list(GRANT_TYPES), "type": "string"}
    for name in ("OAuth2Provider", "OAuth2ProviderRequest", "PatchedOAuth2ProviderRequest"):
        prop = {"type": "array", "items": {"$ref": "#/components/schemas/GrantTypesEnum"}}
        if name != "OAuth2Provider":
            prop["minItems"] = 1
        schemas[name]["properties"]["grant_types"] = prop


def _add_redirect_uri_type(schemas: dict) -> None:
    """2026.5 (authentik-client 2026.5.0): redirect_uris[].redirect_uri_type, authorization or logout."""
    schemas["RedirectUriTypeEnum"] = {"enum": ["authorization", "logout"], "type": "string"}
    for name in ("RedirectURI", "RedirectURIRequest"):
        schemas[name]["properties"]["redirect_uri_type"] = {"$ref": "#/components/schemas/RedirectUriTypeEnum"}


# Additions for releases emulated without their own schema (versions.DERIVED).
SCHEMA_PATCHES = {"grant_types": _add_grant_types, "redirect_uri_type": _add_redirect_uri_type}


@functools.lru_cache(maxsize=None)
def load_document(schema_file: str, patches: tuple = ()) -> dict:
    """Schema of one release with the errata applied (cached per process), plus a derived release's additions."""
    document = copy.deepcopy(load_raw_document(schema_file))
    for patch in patches:
        SCHEMA_PATCHES[patch](document["components"]["schemas"])
    _patch_responses(document)
    _patch_executor_query(document)
    _patch_schemas(document)
    return document


class Spec:
    """Lookups into one release's schema."""

    def __init__(self, profile: VersionProfile):
        self.profile = profile
        self.document = load_document(profile.schema_file, profile.schema_patches)
        self.schemas = self.document["components"]["schemas"]
        self._openapi = None
        self._openapi_lock = threading.Lock()

    # -- components -------------------------------------------------------------------------
    def has_schema(self, name: str) -> bool:
        """Whether the release defines a component schema of that name."""
        return name in self.schemas

    def ref(self, ref: str) -> dict:
        """Follow a local $ref."""
        node = self.document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def resolve(self, prop: dict) -> dict:
        """A property schema with allOf/$ref to enums and objects folded into one dict."""
        prop = dict(prop)
        if "allOf" in prop:
            for part in prop.pop("allOf"):
                prop.update({k: v for k, v in self.resolve(part).items() if k not in prop})
        if "$ref" in prop:
            ref = prop.pop("$ref")
            target = self.ref(ref)
            if "enum" in target:
                prop.setdefault("enum", target["enum"])
                prop.setdefault("type", target.get("type", "string"))
            else:
                prop.setdefault("object", target)
                prop.setdefault("object_name", ref.rsplit("/", 1)[-1])
                prop.setdefault("type", "object")
        return prop

    def properties(self, schema_name: str) -> list:
        """[(field, resolved property schema)] in the schema's (= serializer's) order."""
        schema = self.schemas[schema_name]
        return [(name, self.resolve(prop)) for name, prop in schema.get("properties", {}).items()]

    def field_names(self, schema_name: str) -> list:
        """Field names of a component schema, in order."""
        return list(self.schemas[schema_name].get("properties", {}))

    def required(self, schema_name: str) -> set:
        """Required fields of a component schema."""
        return set(self.schemas[schema_name].get("required", []))

    # -- paths -------------------------------------------------------------------------------
    def operation(self, template: str, method: str):
        """Operation object for an API path template (relative to /api/v3) or None."""
        return self.document["paths"].get(template, {}).get(method.lower())

    def has_path(self, template: str) -> bool:
        """Whether the release's API has that path."""
        return template in self.document["paths"]

    def query_params(self, template: str, method: str = "get") -> set:
        """Names of the query parameters an operation accepts."""
        operation = self.operation(template, method) or {}
        params = (self.ref(p["$ref"]) if "$ref" in p else p for p in operation.get("parameters", []))
        return {p["name"] for p in params if p["in"] == "query"}

    # -- openapi-core ---------------------------------------------------------------------------
    @property
    def openapi(self):
        """openapi-core application for this schema (built on first use)."""
        with self._openapi_lock:
            if self._openapi is None:
                # The schema is upstream's; validating the schema itself only costs time.
                self._openapi = OpenAPI.from_dict(self.document, config=Config(spec_validator_cls=None))
            return self._openapi


def check_profile(spec: Spec) -> None:
    """Fail early when a version flag contradicts the release's schema."""
    profile = spec.profile
    props = dict(spec.properties("OAuth2ProviderRequest"))
    checks = {
        "scope_mapping_path": spec.has_path(f"/{profile.scope_mapping_path}/"),
        "redirect_uris_as_list": (props["redirect_uris"]["type"] == "array") == profile.redirect_uris_as_list,
        "has_invalidation_flow": ("invalidation_flow" in props) == profile.has_invalidation_flow,
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        raise RuntimeError(f"version profile {profile.name} contradicts its schema: {', '.join(wrong)}")
