"""/application/o/: routing, discovery, JWKS and userinfo (the token endpoint is grants.py and codegrant.py).

Follows authentik.providers.oauth2 (views/jwks.py, views/provider.py, views/userinfo.py) as
recorded from 2025.10.4. The authorization endpoint and the login it leads to are authorize.py
and executor.py, the device code grant device.py; end-session, introspection and revocation are not emulated.
"""

import re
import time
from urllib.parse import parse_qsl

from . import keys, signing
from .authorize import AuthorizeEndpoint
from .claims import Claims
from .device import DeviceCodes, DeviceTokenEndpoint
from .executor import FlowExecutor
from .grants import ACR
from .sessions import Sessions
from .wire import Response, not_allowed_page, not_found_page, plain_json

BEARER_ERRORS = {
    "invalid_token": (401, "The access token provided is expired, revoked, malformed, or invalid for other reasons"),
    "insufficient_scope": (403, "The request requires higher privileges than provided by the access token"),
}
NOT_EMULATED = ("introspect", "revoke", "end-session")
APP_ROUTE = re.compile(r"^/application/o/(?P<slug>[^/]+)/(?P<rest>.*)$")


class OIDC:
    """The OAuth2/OpenID provider endpoints."""

    def __init__(self, app, device_throttle=None):
        self.app = app
        self.store = app.store
        self.claims = Claims(app)
        self.tokens = DeviceTokenEndpoint(app, self.claims)
        self.sessions = Sessions(self.store)
        self.devices = DeviceCodes(self, **({"throttle_rate": device_throttle} if device_throttle else {}))
        self.tokens.devices = self.devices
        self.authorize = AuthorizeEndpoint(self)
        self.executor = FlowExecutor(self)
        for route in self.executor.routes():
            app.router.add(route)

    # -- routing --------------------------------------------------------------------------------
    def handle(self, request) -> Response:
        """Dispatch a request below /application/o/."""
        path = request.path
        if path == "/application/o/token/":
            return self.tokens.handle(request) if request.method == "POST" else not_allowed_page("POST, OPTIONS")
        if path == "/application/o/authorize/":
            return self.authorize.handle(request)
        if path == "/application/o/device/":
            return self.devices.authorize(request)
        if path == "/application/o/userinfo/":
            if request.method not in ("GET", "POST"):
                return not_allowed_page("GET, POST, OPTIONS")
            return self.userinfo_view(request)
        match = APP_ROUTE.match(path)
        if match and match["rest"] in (".well-known/openid-configuration", "jwks/") and request.method == "GET":
            provider = self.provider_for_slug(match["slug"])
            if provider is None:
                return not_found_page(self.app.profile.name)
            if match["rest"] == "jwks/":
                return self.jwks_view(provider)
            return self.discovery_view(request, provider, match["slug"])
        if any(f"/{name}/" in path for name in NOT_EMULATED):
            return Response(501, b"not emulated by the authentik stand-in\n", [("Content-Type", "text/plain; charset=utf-8")])
        return not_found_page(self.app.profile.name)

    def provider_for_slug(self, slug: str):
        """get_object_or_404(Application, slug=...) and then its OAuth2 provider."""
        application = self.store.find("applications", slug=slug)
        if application is None or application["provider"] is None:
            return None
        return self.store.get("providers", application["provider"])

    # -- keys and issuer --------------------------------------------------------------------------
    def keypair(self, provider: dict, field: str = "signing_key"):
        """A provider's keypair object, or None."""
        return self.store.get("keypairs", provider[field]) if provider.get(field) else None

    def issuer(self, provider: dict, base_url: str):
        """OAuth2Provider.get_issuer."""
        return self.app.resource("providers").issuer(provider, base_url)

    def jwks_view(self, provider: dict) -> Response:
        """JWKS: {} without a signing key; otherwise the signing (and encryption) key."""
        data = {}
        for field, use in (("signing_key", "sig"), ("encryption_key", "enc")):
            pair = self.keypair(provider, field)
            jwk = keys.jwk(pair["certificate_data"], pair["key_data"], use, self.app.resource("keypairs").kid(pair)) if pair else None
            if jwk:
                data.setdefault("keys", []).append(jwk)
        return plain_json(200, data, [("Access-Control-Allow-Origin", "*")])

    def discovery_view(self, request, provider: dict, slug: str) -> Response:
        """ProviderInfoView: the OpenID configuration of one application."""
        base = request.base_url
        pair = self.keypair(provider)
        # ProviderInfoView: every mapping's scope name (duplicates kept), openid appended when none has it.
        scopes = [mapping["scope_name"] for mapping in self.claims.mappings(provider)]
        if "openid" not in scopes:
            scopes.append("openid")
        data = {
            "issuer": self.issuer(provider, base),
            "authorization_endpoint": f"{base}/application/o/authorize/",
            "token_endpoint": f"{base}/application/o/token/",
            "userinfo_endpoint": f"{base}/application/o/userinfo/",
            "end_session_endpoint": f"{base}/application/o/{slug}/end-session/",
            "introspection_endpoint": f"{base}/application/o/introspect/",
            "revocation_endpoint": f"{base}/application/o/revoke/",
            "device_authorization_endpoint": f"{base}/application/o/device/",
        }
        if self.app.profile.discovery_backchannel_logout:
            data.update({"backchannel_logout_supported": True, "backchannel_logout_session_supported": True})
        data.update({
            "response_types_supported": ["code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "jwks_uri": f"{base}/application/o/{slug}/jwks/",
            "grant_types_supported": [
                "authorization_code", "refresh_token", "implicit", "client_credentials", "password",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
            "id_token_signing_alg_values_supported": [signing.algorithm(pair["key_data"] if pair else "")],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "acr_values_supported": [ACR],
            "scopes_supported": scopes,
            "request_parameter_supported": False,
            "claims_supported": self.claims.supported(provider),
            "claims_parameter_supported": False,
            "code_challenge_methods_supported": ["plain", "S256"],
        })
        return plain_json(200, data)

    # -- userinfo -------------------------------------------------------------------------------
    def bearer_token(self, request):
        """extract_access_token: Authorization Bearer, else access_token in the form or query."""
        header = request.header("authorization")
        if header.lower().startswith("bearer "):
            return header.split(" ", 1)[1].strip()
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"))) if request.method == "POST" else {}
        return form.get("access_token") or (request.query_values("access_token") or [None])[-1]

    def valid_access_token(self, raw):
        """A stored, unexpired access token, or None."""
        token = self.store.find("access_tokens", token=raw) if raw else None
        if token is None or token["expires"] < time.time():
            return None
        return token

    def userinfo_view(self, request) -> Response:
        """GET/POST userinfo: sub plus the claims of the token's scopes (mappings evaluated now)."""
        token = self.valid_access_token(self.bearer_token(request))
        error = "invalid_token" if token is None else None if "openid" in token["scope"] else "insufficient_scope"
        if error:
            status, description = BEARER_ERRORS[error]
            return Response(status, b"", [
                ("Content-Type", "text/html; charset=utf-8"),
                ("WWW-Authenticate", f'error="{error}", error_description="{description}"'),
            ])
        provider = self.store.get("providers", token["provider"])
        user = self.store.get("users", token["user"])
        data = {"sub": token["sub"]}
        data.update(self.claims.for_user(provider, user, token["scope"]))
        return plain_json(200, data, [("Cache-Control", "no-store")])
