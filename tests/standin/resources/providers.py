"""providers/oauth2 (integer pks) and the generic read-only providers/all."""

import re
from urllib.parse import urlparse, urlunparse

from ..errors import FieldError
from ..fields import Relation
from ..keys import generate_id
from ..spec import GRANT_TYPES
from ..routing import Route
from ..wire import json_response
from .base import Resource, any_of, boolean, exact

DURATION_KEYS = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
DURATION_FIELDS = ("access_code_validity", "access_token_validity", "refresh_token_validity", "refresh_token_threshold")


def parse_duration(text: str) -> dict:
    """authentik.lib.utils.time.timedelta_from_string: 'hours=1;minutes=2' -> timedelta kwargs."""
    kwargs = {}
    for pair in text.split(";"):
        key, value = pair.split("=")
        if key.lower() not in DURATION_KEYS:
            continue
        kwargs[key.lower()] = float(value.strip())
    if not kwargs:
        raise ValueError("No valid keys to pass to timedelta")
    return kwargs


def duration_validator(value: str):
    """timedelta_string_validator with its message."""
    try:
        parse_duration(value)
    except ValueError:
        raise FieldError(f"{value} is not in the correct format of 'hours=3;minutes=1'.") from None


def first_redirect_url(redirect_uris):
    """First redirect URI in either storage format (list of objects, or newline string)."""
    if isinstance(redirect_uris, list):
        return redirect_uris[0]["url"] if redirect_uris else None
    lines = [line for line in (redirect_uris or "").split() if line]
    return lines[0] if lines else None


class ProviderMixin:
    """Fields every provider serializer computes."""

    # OAuth2 providers are never backchannel providers.
    constants = {
        "component": "ak-provider-oauth2-form",
        "verbose_name": "OAuth2/OpenID Provider",
        "verbose_name_plural": "OAuth2/OpenID Providers",
        "meta_model_name": "authentik_providers_oauth2.oauth2provider",
        "assigned_backchannel_application_slug": None,
        "assigned_backchannel_application_name": None,
    }

    def application_of(self, provider: dict):
        """The application using a provider (Application.provider is one-to-one), or None."""
        return self.store.find("applications", provider=provider["pk"])

    def get_assigned_application_slug(self, obj, _ctx):
        """Slug of the application using the provider."""
        app = self.application_of(obj)
        return app["slug"] if app else None

    def get_assigned_application_name(self, obj, _ctx):
        """Name of the application using the provider."""
        app = self.application_of(obj)
        return app["name"] if app else None


class OAuth2Providers(ProviderMixin, Resource):
    """OAuth2ProviderViewSet."""

    collection = "providers"
    model_label = "OAuth2Provider"
    path = "providers/oauth2"
    lookup_kwarg = "id"
    lookup_type = "int"
    schema = "OAuth2Provider"
    relations = {
        "authentication_flow": Relation("flows"),
        "authorization_flow": Relation("flows"),
        "invalidation_flow": Relation("flows"),
        "property_mappings": Relation("mappings"),
        "signing_key": Relation("keypairs"),
        "encryption_key": Relation("keypairs"),
        "jwks_sources": Relation("sources"),
        "jwt_federation_sources": Relation("sources"),
        "jwt_federation_providers": Relation("providers", "int"),
    }
    unique = {
        "name": "provider with this name already exists.",
        "client_id": "OAuth2/OpenID Provider with this Client ID already exists.",
    }

    def routes(self) -> list:
        return [
            Route(f"{self.path}/{{id}}/setup_urls/", {"GET": self.setup_urls_view}, access="detail"),
            Route(f"{self.path}/{{id}}/used_by/", {"GET": self.used_by_view}, access="detail"),
        ] + super().routes()

    def filters(self) -> dict:
        filters = {name: exact(name) for name in (
            "name", "client_id", "client_type", "sub_mode", "issuer_mode", "authorization_flow", "signing_key",
            "access_code_validity", "access_token_validity", "refresh_token_validity", "redirect_uris",
        )}
        filters["include_claims_in_id_token"] = boolean("include_claims_in_id_token")
        filters["property_mappings"] = lambda obj, values: any(pk in values for pk in obj["property_mappings"])
        filters["application"] = any_of(lambda obj: (self.application_of(obj) or {}).get("pk"))
        return filters

    # -- validation --------------------------------------------------------------------------------
    def hooks(self, instance) -> dict:
        hooks = super().hooks(instance)
        for name in DURATION_FIELDS:
            hooks.setdefault(name, []).append(duration_validator)
        return hooks

    def validate_redirect_uris(self, value):
        """Regex entries must compile (2024.10.3+; the older string form is not checked)."""
        if not isinstance(value, list):
            return
        for entry in value:
            if entry.get("matching_mode") == "regex":
                try:
                    re.compile(entry.get("url", ""))
                except re.error:
                    raise FieldError(f"Invalid Regex Pattern: {entry.get('url')}") from None

    def defaults(self, _ctx) -> dict:
        return {
            "pk": self.store.next_int("providers"),
            "authentication_flow": None,
            "invalidation_flow": None,
            "property_mappings": [],
            "client_type": "confidential",
            "client_id": generate_id(40),
            "client_secret": generate_id(128),
            "access_code_validity": "minutes=1",
            "access_token_validity": "hours=1",
            "refresh_token_validity": "days=30",
            "refresh_token_threshold": "seconds=0",
            "include_claims_in_id_token": True,
            "signing_key": None,
            "encryption_key": None,
            "redirect_uris": [] if self.profile.redirect_uris_as_list else "",
            "logout_uri": "",
            "logout_method": "backchannel",
            "sub_mode": "hashed_user_id",
            "issuer_mode": "per_provider",
            "jwks_sources": [],
            "jwt_federation_sources": [],
            "jwt_federation_providers": [],
            # 2026.5 (derived): every grant type unless the request narrows them.
            "grant_types": list(GRANT_TYPES),
        }

    def destroy(self, obj: dict, ctx) -> None:
        # Application.provider is SET_NULL; tokens issued by the provider die with it.
        app = self.application_of(obj)
        if app:
            app["provider"] = None
        for token in list(self.store.all("access_tokens")):
            if token["provider"] == obj["pk"]:
                self.store.remove("access_tokens", token["pk"])
        super().destroy(obj, ctx)

    # -- actions --------------------------------------------------------------------------------
    def issuer(self, provider: dict, base_url: str):
        """OAuth2Provider.get_issuer: global, per application, or None without application."""
        if provider["issuer_mode"] == "global":
            return f"{base_url}/application/o/"
        app = self.application_of(provider)
        return f"{base_url}/application/o/{app['slug']}/" if app else None

    def setup_urls_view(self, ctx):
        """GET setup_urls/: endpoints; the per-application ones only once an application uses it."""
        provider = self.get_object(ctx)
        base = ctx.base_url
        data = {
            "issuer": self.issuer(provider, base),
            "authorize": f"{base}/application/o/authorize/",
            "token": f"{base}/application/o/token/",
            "user_info": f"{base}/application/o/userinfo/",
            "provider_info": None,
            "logout": None,
        }
        app = self.application_of(provider)
        if app:
            data["provider_info"] = f"{base}/application/o/{app['slug']}/.well-known/openid-configuration"
            data["logout"] = f"{base}/application/o/{app['slug']}/end-session/"
            data["jwks"] = f"{base}/application/o/{app['slug']}/jwks/"
        return json_response(200, data)

    def used_by_view(self, ctx):
        """GET used_by/: the application that uses the provider."""
        provider = self.get_object(ctx)
        app = self.application_of(provider)
        used = [{"app": "authentik_core", "model_name": "application", "pk": app["pk"], "name": app["name"], "action": "set_null"}] if app else []
        return json_response(200, used)


class AllProviders(ProviderMixin, Resource):
    """ProviderViewSet (providers/all): every provider type; here only OAuth2 providers exist."""

    collection = "providers"
    name = "providers_all"
    model_label = "Provider"
    path = "providers/all"
    lookup_kwarg = "id"
    lookup_type = "int"
    schema = "Provider"
    ordering = ("pk",)
    search_fields = ("name", "application_name")

    def routes(self) -> list:
        return [
            Route(f"{self.path}/", {"GET": self.list_view}, access="list"),
            Route(f"{self.path}/{{id}}/", {"GET": self.detail_view, "DELETE": self.delete_view}, access="detail"),
        ]

    def filters(self) -> dict:
        return {
            "application__isnull": boolean(lambda obj: self.application_of(obj) is None),
            "backchannel": boolean(lambda obj: False),
        }

    def search_value(self, obj, field: str) -> str:
        if field == "application_name":
            return (self.application_of(obj) or {}).get("name", "")
        return super().search_value(obj, field)

    def destroy(self, obj: dict, ctx) -> None:
        self.app.resource("providers").destroy(obj, ctx)


def launch_url(provider: dict):
    """OAuth2Provider.launch_url: origin of the first redirect URI."""
    url = first_redirect_url(provider["redirect_uris"])
    if not url:
        return None
    try:
        return urlunparse(urlparse(url)._replace(path=""))
    except ValueError:
        return None
