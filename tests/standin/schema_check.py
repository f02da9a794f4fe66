"""Every /api/v3/ request and response checked against the release's OpenAPI schema (openapi-core).

Violations are recorded, never answered: the stand-in answers a bad request the way the real
server does (its DRF-style validation), and a response violation is a stand-in bug.
"""

import threading

from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.datastructures import Headers, ImmutableMultiDict

from .wire import HTML

UNROUTED = (PathNotFound, OperationNotFound)


class OpenAPIRequest:
    """openapi-core's request protocol over a stand-in Request."""

    def __init__(self, request):
        self.host_url = request.base_url
        self.path = request.path
        # HEAD is GET without a body (Django); the schema documents only GET.
        self.method = "get" if request.method == "HEAD" else request.method.lower()
        self.content_type = request.content_type or "application/json"
        self.body = request.body or None
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.query),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


class OpenAPIResponse:
    """openapi-core's response protocol over a stand-in Response."""

    def __init__(self, response):
        self.data = response.body
        self.status_code = response.status
        self.headers = Headers(response.headers)
        self.content_type = (response.header("Content-Type") or "").split(";")[0]


def _details(exc) -> list:
    """Schema error messages with their JSON paths, when openapi-core gives them."""
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None) or []
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}" for error in errors]


class SchemaCheck:
    """Validates traffic against one release's schema and keeps the violations."""

    def __init__(self, spec):
        self.spec = spec
        self.violations = []
        self.lock = threading.Lock()

    def _record(self, side: str, request, exc, status=None) -> None:
        self.violations.append({
            "side": side,
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "status": status,
            "error": type(exc).__name__,
            "message": str(exc),
            "details": _details(exc),
        })

    def check_request(self, request) -> None:
        """Validate a request (path, parameters, security, body)."""
        with self.lock:
            try:
                self.spec.openapi.validate_request(OpenAPIRequest(request))
            except Exception as exc:  # pylint: disable=broad-exception-caught  # openapi-core raises many unrelated types; all are violations
                self._record("request", request, exc)

    def check_response(self, request, response) -> None:
        """Validate a DRF response; Django-level pages and unrouted paths have no schema."""
        if response.header("Content-Type") == HTML or request.method == "HEAD":
            return
        with self.lock:
            try:
                self.spec.openapi.validate_response(OpenAPIRequest(request), OpenAPIResponse(response))
            except UNROUTED:
                return
            except Exception as exc:  # pylint: disable=broad-exception-caught  # see check_request
                self._record("response", request, exc, response.status)

    def record_error(self, request, exc, trace: str) -> None:
        """A stand-in exception, kept with the response violations."""
        with self.lock:
            self.violations.append({
                "side": "response", "method": request.method, "path": request.path, "query": request.query_string,
                "status": 500, "error": "StandinInternalError", "message": f"{type(exc).__name__}: {exc}",
                "details": trace.splitlines()[-12:],
            })

    def clear(self) -> None:
        """Forget recorded violations."""
        with self.lock:
            self.violations.clear()

    def snapshot(self) -> list:
        """A copy of the recorded violations."""
        with self.lock:
            return list(self.violations)
