"""API authentication and access rules, as authentik's TokenAuthentication and RBAC apply them.

- ``Authorization: Bearer <key>`` of a non-expired token with intent ``api``; or an OAuth2
  access token that carries the ``goauthentik.io/api`` scope.
- Other schemes: 403 "Unsupported authentication type"; unknown keys, app passwords: 403
  "Token invalid/expired" (recorded). A header without a space counts as no header.
- No credentials: list/create routes fail DjangoObjectPermissions.has_permission ->
  "Authentication credentials were not provided."; detail routes pass it and hit
  ObjectFilter's PermissionDenied -> "You do not have permission to perform this action."
  (both recorded). Non-superusers get the latter on admin routes (no RBAC in the stand-in).
"""

from .errors import NOT_AUTHENTICATED, PERMISSION_DENIED, ApiError
from .resources.tokens import active_token

API_SCOPE = "goauthentik.io/api"


def authenticate(app, request):
    """The user a request authenticates as, None for anonymous; ApiError(403) for bad credentials."""
    header = request.header("authorization").strip()
    if header == "" or " " not in header:
        return None
    scheme, dummy, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(403, {"detail": "Unsupported authentication type"})
    if credentials == "":
        raise ApiError(403, {"detail": "Malformed header"})
    token = active_token(app.store, credentials, "api")
    if token is not None:
        return app.store.get("users", token["user"])
    access = app.oidc.valid_access_token(credentials)
    if access is not None and API_SCOPE in access["scope"]:
        return app.store.get("users", access["user"])
    raise ApiError(403, {"detail": "Token invalid/expired"})


def check_anonymous(route, user) -> None:
    """has_permission for requests without credentials (runs before the method check)."""
    if user is None and route.access == "list":
        raise ApiError(403, NOT_AUTHENTICATED)


def check_object_access(app, route, user) -> None:
    """ObjectFilter / superuser check (runs after the method check)."""
    if route.access == "public":
        return
    if user is None:
        raise ApiError(403, PERMISSION_DENIED)
    if route.admin_only and not app.resource("users").is_superuser(user):
        raise ApiError(403, PERMISSION_DENIED)
