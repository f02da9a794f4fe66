"""Exceptions that handlers raise to produce the real server's error responses."""


class ApiError(Exception):
    """A JSON error answer of the REST API (DRF style)."""

    def __init__(self, status: int, data):
        super().__init__(status, data)
        self.status = status
        self.data = data


class FieldError(Exception):
    """Validation messages of one serializer field (a list, a dict or a list of dicts)."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail if isinstance(detail, (list, dict)) else [detail]


def not_found(model_label: str) -> ApiError:
    """DRF get_object_or_404 for a lookup value of the right type that matches nothing."""
    return ApiError(404, {"detail": f"No {model_label} matches the given query."})


NOT_FOUND_GENERIC = {"detail": "Not found."}
PERMISSION_DENIED = {"detail": "You do not have permission to perform this action."}
NOT_AUTHENTICATED = {"detail": "Authentication credentials were not provided."}
