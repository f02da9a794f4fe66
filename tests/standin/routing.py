"""URL routing for /api/v3/: DRF-router-like routes with their access rules."""

import re
from dataclasses import dataclass, field
from typing import Any

# Order of the Allow header (DRF: http_method_names order; Django adds HEAD for GET).
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# How a route treats a request without credentials (see README, "Authentication"):
# - "list": DjangoObjectPermissions.has_permission fails -> NotAuthenticated
# - "detail": has_permission passes for lookups; ObjectFilter then raises PermissionDenied
# - "public": AllowAny
ACCESS_KINDS = ("list", "detail", "public")


@dataclass
class Route:
    """One URL pattern (relative to /api/v3/, with trailing slash) and its handlers."""

    pattern: str
    handlers: dict  # method -> callable(ctx, **kwargs)
    access: str = "list"
    admin_only: bool = True  # False: any authenticated user (users/me, admin/version)
    regex: re.Pattern = field(init=False)

    def __post_init__(self):
        if self.access not in ACCESS_KINDS:
            raise ValueError(self.access)
        # DRF's default lookup value regex excludes dots.
        self.regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/.]+)", self.pattern) + "$")

    @property
    def allow(self) -> str:
        """Allow header value."""
        methods = set(self.handlers) | {"OPTIONS"}
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(method for method in METHOD_ORDER if method in methods)


@dataclass
class Ctx:
    """Everything a handler needs about the current request."""

    app: Any
    request: Any
    user: dict = None
    data: Any = None
    kwargs: dict = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """https://host:port of this request."""
        return self.request.base_url

    def query(self, name: str, default=None):
        """Last value of a query parameter (QueryDict.get semantics)."""
        values = self.request.query_values(name)
        return values[-1] if values else default


class Router:
    """First-match routing over registered routes."""

    def __init__(self):
        self.routes = []

    def add(self, route: Route) -> None:
        """Register a route."""
        self.routes.append(route)

    def match(self, path: str):
        """(route, kwargs) for a path relative to /api/v3/, or (None, None)."""
        for route in self.routes:
            found = route.regex.match(path)
            if found:
                return route, found.groupdict()
        return None, None
