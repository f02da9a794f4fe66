"""Requests and responses as plain data, independent of the HTTP server, plus JSON helpers."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl

DATA_DIR = Path(__file__).resolve().parent / "data"
JSON_API = "application/json; charset=utf-8"
JSON_PLAIN = "application/json"
HTML = "text/html; charset=utf-8"
VARY = ("Vary", "Accept-Language, Cookie")


@dataclass
class Request:
    """One HTTP request as the stand-in sees it."""

    method: str
    path: str
    query_string: str = ""
    headers: dict = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    host: str = "127.0.0.1"
    remote_addr: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def query(self) -> list:
        """Query parameters as ordered (name, value) pairs."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    def query_values(self, name: str) -> list:
        """All values of one query parameter."""
        return [value for key, value in self.query if key == name]

    def header(self, name: str, default: str = "") -> str:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower(), default)

    @property
    def content_type(self) -> str:
        """Media type of the body without parameters."""
        return self.header("content-type").split(";")[0].strip().lower()

    @property
    def base_url(self) -> str:
        """https://host[:port] as Django's build_absolute_uri would derive it from Host."""
        return f"https://{self.host}"


@dataclass
class Response:
    """One HTTP response; ``data`` keeps the decoded JSON for schema checks."""

    status: int
    body: bytes = b""
    headers: list = field(default_factory=list)
    data: object = None

    def header(self, name: str):
        """A response header by case-insensitive name, or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def format_datetime(value) -> str:
    """DRF's DateTimeField output: ISO 8601 in UTC with a trailing Z."""
    text = value.astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _default(value):
    if isinstance(value, datetime):
        return format_datetime(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dump_json(data) -> bytes:
    """Compact UTF-8 JSON like authentik's renderers (orjson / DRF JSONRenderer)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def to_plain(data):
    """The JSON a client would decode (datetimes as strings), for schema validation."""
    return json.loads(dump_json(data))


def json_response(status: int, data, content_type: str = JSON_API, headers=()) -> Response:
    """A JSON response; 204 carries no body and no content type, like DRF."""
    if status == 204:
        return Response(204, b"", list(headers), None)
    plain = to_plain(data)
    return Response(status, dump_json(data), [("Content-Type", content_type), *headers], plain)


def plain_json(status: int, data, headers=()) -> Response:
    """Django's JsonResponse: "application/json" without charset (OAuth2 views, test endpoints)."""
    return Response(status, dump_json(data), [("Content-Type", JSON_PLAIN), *headers], data)


def not_found_page(version: str) -> Response:
    """authentik's HTML 404 page (Django's handler404 with authentik's template)."""
    html = (DATA_DIR / "not_found.html").read_text(encoding="utf-8").replace("{version}", version)
    return Response(404, html.encode("utf-8"), [("Content-Type", HTML)])


def not_allowed_page(allow: str) -> Response:
    """Django's HttpResponseNotAllowed of a plain view: empty text/html with Allow."""
    return Response(405, b"", [("Content-Type", HTML), ("Allow", allow)])
