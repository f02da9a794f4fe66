"""GET /application/o/authorize/: the authorization request of the code flow, as authentik answers it.

authentik.providers.oauth2.views.authorize (the same in 2025.10.4 and 2026.2.2):
OAuthAuthorizationParams checks, in this order, the client id, the redirect URI, the response
type, the scopes, the request object, the nonce and the PKCE method; a bad client id or redirect
URI is answered with authentik's HTML error page (400, title "Client ID Error" / "Redirect URI
Error", kubelogin never hears back), the other errors by a redirect to the client with
``error=...``. Then AuthorizationFlowInitView: an anonymous user is sent to the login flow with
``next`` set to this request; a logged-in one gets the provider's authorization flow planned,
whose last stage (OAuthFulfillmentStage) issues the code. Without stages that need the flow
interface (a consent stage) the code redirect is answered straight away.
"""

import re
import time
import uuid
from datetime import timedelta
from html import escape
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

from . import policies
from .resources.providers import parse_duration
from .wire import HTML, Response, not_allowed_page, not_found_page

FORBIDDEN_URI_SCHEMES = {"javascript", "data", "vbscript"}
ALLOWED_PROMPTS = ("none", "consent", "login")
RESPONSE_MODES = ("query", "fragment", "form_post")
IMPLICIT_TYPES = ("id_token", "id_token token")
HYBRID_TYPES = ("code token", "code id_token", "code id_token token")
CODE_TYPES = ("code",) + HYBRID_TYPES
# A blank redirect URI list adopts the first URI a client sends, as a strict entry; 2026.2.3 removed that.
ADOPT_BLANK_BEFORE = (2026, 2, 3)
AUTHORIZE_ERRORS = {
    "invalid_request": "The request is otherwise malformed",
    "unsupported_response_type": "The authorization server does not support obtaining an authorization code using this method",
    "invalid_scope": "The requested scope is invalid, unknown, or malformed",
    "login_required": "The Authorization Server requires End-User authentication",
    "consent_required": "The Authorization Server requires End-User consent",
    "request_not_supported": "The provider does not support use of the request parameter",
}
REDIRECT_URI_ERROR = ("Redirect URI Error", "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).")
CLIENT_ID_ERROR = ("Client ID Error", "The client identifier (client_id) is missing or invalid.")


def error_page(version: str, title: str, message: str, status: int = 400) -> Response:
    """bad_request_message: authentik's error template (the recorded 404 page is the same template)."""
    page = not_found_page(version).body.decode("utf-8")
    page = page.replace("\nNot Found\n", f"\n{escape(title)}\n", 1).replace("<p></p>", f"<p>{escape(message)}</p>", 1)
    return Response(status, page.encode("utf-8"), [("Content-Type", HTML)])


class PageError(Exception):
    """ClientIdError / RedirectUriError: answered with the HTML error page, never to the client."""

    def __init__(self, title_message):
        super().__init__(title_message[0])
        self.title, self.message = title_message


class AuthorizeError(Exception):
    """authentik's AuthorizeError: the client hears about it at its redirect URI."""

    def __init__(self, redirect_uri, error, grant_type, state, description=None):
        super().__init__(error)
        self.redirect_uri, self.error, self.grant_type, self.state = redirect_uri, error, grant_type, state
        self.description = description or AUTHORIZE_ERRORS[error]

    def response(self, version: str) -> Response:
        """get_response: a redirect with error= (fragment for implicit/hybrid), the error page without a URI."""
        separator = "#" if self.grant_type in ("implicit", "hybrid") else "?"
        uri = f"{self.redirect_uri}{separator}error={self.error}&error_description={quote(self.description)}"
        uri += f"&state={self.state}" if self.state else ""
        if urlsplit(uri).scheme:
            return Response(302, b"", [("Content-Type", HTML), ("Location", uri)])
        return error_page(version, self.error, self.description)


def release(profile) -> tuple:
    """The emulated release as a comparable tuple, e.g. (2025, 10, 4)."""
    return tuple(int(part) for part in profile.name.split("."))


class AuthorizeParams:
    """OAuthAuthorizationParams: parsed from the query and checked against the provider."""

    def __init__(self, endpoint, request):
        def get(name, default=None):
            """QueryDict.get: the last value."""
            return (request.query_values(name) or [default])[-1]
        self.client_id, self.redirect_uri = get("client_id", ""), get("redirect_uri", "")
        self.response_type, self.response_mode = get("response_type", ""), get("response_mode")
        self.scope = list(dict.fromkeys(get("scope", "").split()))
        self.state, self.nonce, self.request_object = get("state"), get("nonce"), get("request")
        self.prompt = [name for name in ALLOWED_PROMPTS if name in get("prompt", "").split()]
        max_age = get("max_age")
        self.max_age = int(max_age) if max_age else None
        self.code_challenge, self.code_challenge_method = get("code_challenge"), get("code_challenge_method", "plain")
        self.grant_type = ""
        self.provider = endpoint.store.find("providers", client_id=self.client_id)
        if self.provider is None:
            raise PageError(CLIENT_ID_ERROR)
        endpoint.check_redirect_uri(self.provider, self.redirect_uri)
        self.check_grant()
        self.check_scope(endpoint.claims.mappings(self.provider))
        if self.request_object:
            raise AuthorizeError(self.redirect_uri, "request_not_supported", self.grant_type, self.state)
        self.check_nonce()
        if self.code_challenge and self.code_challenge_method not in ("plain", "S256"):
            raise AuthorizeError(self.redirect_uri, "invalid_request", self.grant_type, self.state,
                                 f"Unsupported challenge method {self.code_challenge_method}")

    def check_grant(self):
        if self.response_type == "code":
            self.grant_type = "authorization_code"
        elif self.response_type in IMPLICIT_TYPES:
            self.grant_type = "implicit"
        elif self.response_type in HYBRID_TYPES:
            self.grant_type = "hybrid"
        else:
            raise AuthorizeError(self.redirect_uri, "unsupported_response_type", "", self.state)
        if self.response_mode not in RESPONSE_MODES:
            self.response_mode = "fragment" if self.grant_type in ("implicit", "hybrid") else "query"

    def check_scope(self, mappings):
        # Scopes the provider has no mapping for are dropped (all of them when none is asked for).
        available = [mapping["scope_name"] for mapping in mappings]
        self.scope = [name for name in self.scope if name in available] if self.scope else list(dict.fromkeys(available))
        if "openid" not in self.scope and (self.grant_type == "hybrid" or self.response_type in IMPLICIT_TYPES):
            raise AuthorizeError(self.redirect_uri, "invalid_scope", self.grant_type, self.state)
        if "offline_access" in self.scope and self.response_type not in CODE_TYPES:
            self.scope.remove("offline_access")

    def check_nonce(self):
        if self.response_type in ("id_token", "id_token token", "code id_token", "code id_token token") \
                and "openid" in self.scope and not self.nonce:
            raise AuthorizeError(self.redirect_uri, "invalid_request", self.grant_type, self.state)


def redirect_uri_matches(allowed: list, redirect_uri: str) -> bool:
    """authentik 2024.10+: strict entries compare equal, regex entries must re.fullmatch; bad regexes never match."""
    for entry in allowed:
        if entry["matching_mode"] == "strict" and redirect_uri == entry["url"]:
            return True
        if entry["matching_mode"] == "regex":
            try:
                if re.fullmatch(entry["url"], redirect_uri):
                    return True
            except re.error:
                continue  # authentik logs "Failed to parse regular expression" and goes on
    return False


def legacy_redirect_uri_matches(allowed: list, redirect_uri: str) -> bool:
    """Before 2024.10 (newline string): every line a regex (fullmatch); strict comparison when one does not compile."""
    try:
        return any(re.fullmatch(line, redirect_uri) for line in allowed)
    except re.error:
        return any(line == redirect_uri for line in allowed)


class AuthorizeEndpoint:
    """/application/o/authorize/ (AuthorizationFlowInitView) and the code it finally issues."""

    def __init__(self, oidc):
        self.app = oidc.app
        self.store = oidc.store
        self.claims = oidc.claims
        self.sessions = oidc.sessions

    @property
    def version(self) -> str:
        return self.app.profile.name

    def check_redirect_uri(self, provider: dict, redirect_uri: str) -> None:
        """OAuthAuthorizationParams.check_redirect_uri, per release."""
        if not redirect_uri:
            raise PageError(REDIRECT_URI_ERROR)
        allowed = provider["redirect_uris"]
        if isinstance(allowed, list):
            if not allowed and release(self.app.profile) < ADOPT_BLANK_BEFORE:
                provider["redirect_uris"] = allowed = [{"matching_mode": "strict", "url": redirect_uri}]
            matched = redirect_uri_matches(allowed, redirect_uri)
        else:
            if allowed == "":
                provider["redirect_uris"] = allowed = redirect_uri
            if allowed == "*":
                provider["redirect_uris"] = allowed = ".*"
            matched = legacy_redirect_uri_matches(allowed.split(), redirect_uri)
        if not matched or urlsplit(redirect_uri).scheme in FORBIDDEN_URI_SCHEMES:
            raise PageError(REDIRECT_URI_ERROR)

    def handle(self, request) -> Response:
        """GET /application/o/authorize/."""
        if request.method not in ("GET", "HEAD"):
            return not_allowed_page("GET, HEAD, OPTIONS")
        if not request.query:
            return not_found_page(self.version)
        try:
            params = AuthorizeParams(self, request)
        except PageError as exc:
            return error_page(self.version, exc.title, exc.message)
        except AuthorizeError as exc:
            return exc.response(self.version)
        session = self.sessions.load(request)
        response = self.authorize(request, session, params)
        self.sessions.save(session, response)
        return response

    def authorize(self, request, session: dict, params: AuthorizeParams) -> Response:
        user = self.sessions.user(session)
        if "none" in params.prompt and user is None:
            return AuthorizeError(params.redirect_uri, "login_required", params.grant_type, params.state).response(self.version)
        application = self.store.find("applications", provider=params.provider["pk"])
        if application is None:
            return error_page(self.version, "Access denied", "Failed to resolve application", status=200)
        full_path = f"{request.path}?{request.query_string}"
        if user is None or self.needs_login(session, params):
            session["application_pre"] = application["name"]
            # Django's redirect_to_login: next quoted with "/" kept.
            location = "/flows/-/default/authentication/?next=" + quote(full_path, safe="/")
            return Response(302, b"", [("Content-Type", HTML), ("Location", location)])
        if not policies.evaluate(self.app, application, user).passing:
            # PolicyAccessView: the application's policy engine refuses the user; AccessDeniedResponse
            # (policies/denied.html, 200) says "Request has been denied." and sends nothing to the client.
            return error_page(self.version, "Permission denied", "Request has been denied.", status=200)
        if params.grant_type != "authorization_code" or params.response_mode == "form_post":
            return Response(501, b"not emulated by the authentik stand-in: only response_type=code with query or fragment\n",
                            [("Content-Type", "text/plain; charset=utf-8")])
        flow = self.store.get("flows", params.provider["authorization_flow"])
        # The default authorization flows' only stage is a consent stage; prompt=consent adds one that always asks.
        stages = ["consent"] if flow["stages"] else []
        if "consent" in params.prompt and not stages:
            stages = ["consent_always"]
        if not stages:
            return self.fulfil(session, params)
        session["plan"] = {"flow": flow["slug"], "stages": stages + ["fulfillment"], "params": vars_of(params),
                           "application": application["pk"], "pending_user": None}
        query = request.query_string + ("&inspector=available" if self.app.resource("users").is_superuser(user) else "")
        return Response(302, b"", [("Content-Type", HTML), ("Location", f"/if/flow/{flow['slug']}/?{query}")])

    @staticmethod
    def needs_login(session: dict, params: AuthorizeParams) -> bool:
        """max_age exceeded or prompt=login: log in again (once: the new login has a new uid)."""
        too_old = params.max_age is not None and time.time() - session["login_time"] > params.max_age
        if too_old or ("login" in params.prompt and session.get("last_login_uid") in (None, session["login_uid"])):
            session["last_login_uid"] = session["login_uid"]
            return True
        return False

    def error_uri(self, params: dict, error: str) -> str:
        """Where an AuthorizeError sends the client (the fulfillment stage's consent_required)."""
        exc = AuthorizeError(params["redirect_uri"], error, params["grant_type"], params["state"])
        return exc.response(self.version).header("Location")

    def fulfil(self, session: dict, params) -> Response:
        """OAuthFulfillmentStage: store the code and redirect to the client with code and state."""
        params = params if isinstance(params, dict) else vars_of(params)
        provider = self.store.get("providers", params["provider"])
        if provider is None:
            return not_found_page(self.version)
        now = time.time()
        code = self.store.add("authorization_codes", {
            "pk": self.store.new_uuid(), "code": uuid.uuid4().hex, "provider": provider["pk"], "user": session["user"],
            "scope": params["scope"], "nonce": params["nonce"], "auth_time": session["login_time"], "session": session["pk"],
            "expires": now + parse_seconds(provider["access_code_validity"]),
            "code_challenge": params["code_challenge"] if params["code_challenge"] and params["code_challenge_method"] else None,
            "code_challenge_method": params["code_challenge_method"] if params["code_challenge"] else None,
        })
        uri = urlsplit(params["redirect_uri"])
        values = {"code": code["code"], "state": [str(params["state"]) if params["state"] else ""]}
        if params["response_mode"] == "query":
            query = parse_qs(uri.query)
            query.update(values)
            uri = uri._replace(query=urlencode(query, doseq=True))
        else:
            uri = uri._replace(fragment=uri.fragment + urlencode(values, doseq=True))
        return Response(302, b"", [("Content-Type", HTML), ("Location", urlunsplit(uri))])


def vars_of(params: AuthorizeParams) -> dict:
    """What the flow plan keeps of the request (PLAN_CONTEXT_PARAMS)."""
    keep = ("client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "prompt",
            "code_challenge", "code_challenge_method", "grant_type")
    return dict({name: getattr(params, name) for name in keep}, provider=params.provider["pk"])


def parse_seconds(duration: str) -> float:
    """timedelta_from_string in seconds."""
    return timedelta(**parse_duration(duration)).total_seconds()
