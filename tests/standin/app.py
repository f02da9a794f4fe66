"""The stand-in application: request dispatch, the request log and the test-only endpoints."""

import json
import secrets
import sys
import threading
import time
import traceback

from . import auth
from .errors import ApiError
from .oidc import OIDC
from .resources import RESOURCES
from .routing import Ctx, Router
from .schema_check import SchemaCheck
from .seed import seed
from .spec import ERRATA, Spec, check_profile
from .store import Store
from .versions import get_profile
from .wire import HTML, VARY, Response, json_response, not_allowed_page, not_found_page, plain_json

API_PREFIX = "/api/v3/"
BODY_METHODS = ("POST", "PUT", "PATCH")


class StandinApp:
    """One emulated authentik instance (HTTP-server independent)."""

    def __init__(self, version: str, token: str, admin_email: str = "admin@example.com", key_size: int = 4096,
                 device_throttle: str = None):
        self.profile = get_profile(version)
        self.spec = Spec(self.profile)
        check_profile(self.spec)
        self.key_size = key_size
        self.install_id = secrets.token_hex(16)
        self.store = Store()
        self.lock = threading.RLock()
        self.requests = []
        # Injected answers (POST /_standin/faults), consumed by the next matching requests.
        self.faults = []
        # Injected latency (POST /_standin/latency): {(method, path prefix): seconds}, slept before the
        # request takes the lock, as a busy server's would; it widens the window between two runs'
        # lookups and creates so that tests can make them race for real.
        self.latency = {}
        self.checks = SchemaCheck(self.spec)
        self.resources = {}
        self.router = Router()
        for resource_class in RESOURCES:
            resource = resource_class(self)
            self.resources[resource.name] = resource
            for route in resource.routes():
                self.router.add(route)
        self.oidc = OIDC(self, device_throttle)
        seed(self, token, admin_email)

    def resource(self, name: str):
        """A registered resource by name (collection, or e.g. providers_all)."""
        return self.resources[name]

    # -- entry point ----------------------------------------------------------------------------
    def handle(self, request) -> Response:
        """Answer one request; everything except /_standin/ is logged."""
        if request.path.startswith("/_standin/"):
            return self.introspection(request)
        for (method, prefix), seconds in list(self.latency.items()):
            if request.method == method and request.path.startswith(prefix):
                time.sleep(seconds)
        with self.lock:
            try:
                response = self.injected_fault(request) or self.route(request)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # a stand-in bug must surface in the tests, not kill the connection
                response = self.internal_error(request, exc)
            response.headers += [VARY, ("X-authentik-id", request.request_id)]
            self.requests.append({
                "method": request.method,
                "path": request.path,
                "query": {key: request.query_values(key) for key, dummy in request.query},
                "status": response.status,
            })
        return response

    def injected_fault(self, request):
        """The answer of an injected fault matching this request, if any (consumed).

        A throttled request gets what Django REST framework's Throttled answers: 429,
        Retry-After and {"detail": "Request was throttled. Expected available in N seconds."}.
        """
        for fault in self.faults:
            if request.method == fault["method"] and request.path.startswith(fault["path_prefix"]) and fault["count"] > 0:
                fault["count"] -= 1
                wait = fault["retry_after"]
                body = {"detail": f"Request was throttled. Expected available in {wait} second{'' if wait == 1 else 's'}."}
                response = json_response(fault["status"], body)
                response.headers.append(("Retry-After", str(wait)))
                return response
        return None

    def route(self, request) -> Response:
        """API, OAuth2/OIDC, the login pages, or Django's 404 page."""
        if request.path.startswith(API_PREFIX):
            return self.api(request)
        if request.path.startswith("/application/o/"):
            return self.oidc.handle(request)
        if request.path.startswith(("/flows/", "/if/flow/")):
            return self.oidc.executor.handle_page(request)
        if request.path == "/device":
            return self.oidc.devices.entry(request)
        return not_found_page(self.profile.name)

    def internal_error(self, request, exc) -> Response:
        """500 like Django's, recorded as a response violation (it is a stand-in bug)."""
        trace = traceback.format_exc()
        sys.stderr.write(trace)
        self.checks.record_error(request, exc, trace)
        return Response(500, b"<h1>Server Error (500)</h1>", [("Content-Type", HTML)])

    # -- /api/v3/ -------------------------------------------------------------------------------
    def api(self, request) -> Response:
        """Schema-check the request, answer it, schema-check the answer."""
        self.checks.check_request(request)
        response = self.api_response(request)
        self.checks.check_response(request, response)
        return response

    def api_response(self, request) -> Response:
        """Route and answer an API request, turning exceptions into the server's error answers."""
        relative = request.path[len(API_PREFIX):]
        route, kwargs = self.router.match(relative)
        if route is None:
            return self.unrouted(request, relative)
        try:
            response = self.call(route, kwargs, request)
        except ApiError as exc:
            response = json_response(exc.status, exc.data)
        response.headers.append(("Allow", route.allow))
        if request.method == "HEAD":
            response.body = b""
        return response

    def unrouted(self, request, relative: str) -> Response:
        """No API route: Django's APPEND_SLASH redirect, else the 404 page (GET) or an empty 405.

        Recorded on 2025.10.4 for the removed propertymappings/scope/: GET 404 HTML, POST 405.
        """
        if not relative.endswith("/") and self.router.match(relative + "/")[0] is not None:
            location = request.path + "/" + (f"?{request.query_string}" if request.query_string else "")
            return Response(301, b"", [("Content-Type", HTML), ("Location", location)])
        if request.method in ("GET", "HEAD"):
            return not_found_page(self.profile.name)
        return not_allowed_page("GET, HEAD, OPTIONS")

    def call(self, route, kwargs: dict, request) -> Response:
        """Authentication, permissions, method check, body parsing, then the handler."""
        user = auth.authenticate(self, request)
        auth.check_anonymous(route, user)
        method = "GET" if request.method == "HEAD" else request.method
        if method == "OPTIONS":
            return json_response(200, {"name": route.pattern, "renders": ["application/json"], "parses": ["application/json"]})
        handler = route.handlers.get(method)
        if handler is None:
            raise ApiError(405, {"detail": f'Method "{request.method}" not allowed.'})
        auth.check_object_access(self, route, user)
        ctx = Ctx(app=self, request=request, user=user, data=self.parse_body(request) if method in BODY_METHODS else None, kwargs=kwargs)
        return handler(ctx)

    @staticmethod
    def parse_body(request):
        """DRF's JSON parser: empty body means {}, other media types are 415."""
        if not request.body:
            return {}
        if request.content_type and request.content_type != "application/json":
            raise ApiError(415, {"detail": f'Unsupported media type "{request.header("content-type")}" in request.'})
        try:
            return json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None

    # -- /_standin/ -----------------------------------------------------------------------------
    def introspection(self, request) -> Response:
        """Test-only endpoints (no authentication, not logged, outside the schema)."""
        route = (request.method, request.path)
        with self.lock:
            if route == ("GET", "/_standin/requests"):
                return plain_json(200, list(self.requests))
            if route == ("POST", "/_standin/reset-log"):
                self.requests.clear()
                return plain_json(200, {"cleared": True})
            if route == ("GET", "/_standin/violations"):
                return plain_json(200, self.checks.snapshot())
            if route == ("DELETE", "/_standin/violations"):
                self.checks.clear()
                return plain_json(200, {"cleared": True})
            if route == ("GET", "/_standin/state"):
                return plain_json(200, self.store.dump())
            if route == ("POST", "/_standin/latency"):
                latency = json.loads(request.body or b"{}")
                key = (latency.get("method", "POST"), latency.get("path_prefix", API_PREFIX))
                self.latency[key] = float(latency.get("seconds", 0))
                if not self.latency[key]:
                    del self.latency[key]
                return plain_json(200, {"latency": len(self.latency)})
            if route == ("POST", "/_standin/faults"):
                fault = json.loads(request.body or b"{}")
                self.faults.append({
                    "status": int(fault.get("status", 429)), "count": int(fault.get("count", 1)),
                    "retry_after": int(fault.get("retry_after", 1)), "method": fault.get("method", "GET"),
                    "path_prefix": fault.get("path_prefix", API_PREFIX),
                })
                return plain_json(200, {"queued": len(self.faults)})
            if route == ("DELETE", "/_standin/faults"):
                self.faults.clear()
                return plain_json(200, {"cleared": True})
            if route == ("POST", "/_standin/tasks/clean_expired_models"):
                return plain_json(200, {"device_tokens": self.oidc.devices.clean_expired()})
            if route == ("GET", "/_standin/info"):
                return plain_json(200, {"version": self.profile.name, "errata": [what for what, _why in ERRATA]})
        return plain_json(404, {"detail": "unknown stand-in endpoint"})
