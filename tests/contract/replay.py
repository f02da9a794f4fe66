"""Replaying the recorded exchanges, in their recorded order, against one stand-in.

Recorded ids, pks and tokens are those of the recording run; the replay sends the stand-in's
own (learned from its earlier answers by the comparison's IdMap), and fills each redaction
with the stand-in's value of the same thing:

    <redacted:admin-api-token>            the stand-in's bootstrap token
    <redacted:k8s-e2e-app-password>       the key read back by core-tokens-view-key
    password (60 chars) of user X         X's app password (k8s-e2e) or service-account token (k8s-e2e-sa)
    password (5 chars)                    a wrong password of that length
    client_secret (128 chars)             the provider's client_secret as the stand-in returned it
    client_secret (92 chars)              base64("k8s-e2e:" + app password)
    base64(a:b)                           the base64 of the substituted a:b
    <redacted:access_token>               the last access token issued to the userinfo's subject with its scopes
"""

import base64
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from .compare import Comparison, IdMap, decode_jwt
from .recordings import load

PATH_NAMESPACES = (("/api/v3/providers/", "providers"), ("/api/v3/core/users/", "users"))
BASE64_HEADER = re.compile(r"base64\((?P<inner>.*)\)$")
TRACKED_HEADERS = ("content-type", "allow", "cache-control", "access-control-allow-origin", "vary")
SENTRY_META = re.compile(r'\n        <meta name="sentry-trace" content="[^"]*" />\n        \n        <meta name="baggage" content="" />\n')


def namespace_of(path: str) -> str:
    """Integer pk namespace of a recorded API path."""
    for prefix, namespace in PATH_NAMESPACES:
        if path.startswith(prefix):
            return namespace
    return "other"


def b64(text: str) -> str:
    """base64 of a UTF-8 string."""
    return base64.b64encode(text.encode()).decode()


class Replayer:
    """Replays recordings one by one and keeps, per recording, the list of differences."""

    def __init__(self, client):
        self.client = client
        self.ids = IdMap()
        self.secrets = {}
        self.tokens = []  # (scope words, decoded claims, access token) of every issued token
        self.results = {}
        self.responses = {}
        self.violations = {}  # recording -> schema violations its request/response caused
        self._seen_violations = 0

    # -- substitutions ----------------------------------------------------------------------------
    def secret(self, label: str, length: int, context: dict) -> str:
        """The stand-in's value for one redaction."""
        if label == "admin-api-token":
            return self.client.handle.token
        if label == "k8s-e2e-app-password":
            return self.secrets["app_password"]
        if label == "password":
            if length != 60:
                return "x" * length
            return self.secrets["sa_token"] if context.get("username") == "k8s-e2e-sa" else self.secrets["app_password"]
        if label == "client_secret":
            return self.secrets["client_secret"] if length == 128 else b64(f"k8s-e2e:{self.secrets['app_password']}")
        if label == "base64(username:app-password)":
            return b64(f"k8s-e2e:{self.secrets['app_password']}")
        if label == "access_token":
            return self.userinfo_token(context)
        raise KeyError(f"no substitute for redaction {label!r}")

    def userinfo_token(self, context: dict) -> str:
        """The latest token whose subject and scopes can produce the recorded userinfo."""
        want = context["userinfo"]
        for scope, claims, token in reversed(self.tokens):
            if claims.get("sub") == want["sub"] and {"openid", "email", "profile"} <= scope:
                return token
        raise KeyError("no access token for the userinfo replay")

    def fill(self, text: str, context: dict) -> str:
        """Replace every redaction inside a string."""
        def replace(match):
            return self.secret(match["label"], int(match["length"] or 0), context)
        return re.sub(r"<redacted:(?P<label>[^>]+?)(?: \((?P<length>\d+) chars\))?>", replace, text)

    def header_value(self, name: str, value: str, context: dict) -> str:
        """Authorization headers: redactions and the recording's base64(...) notation."""
        value = self.fill(value, context)
        if name.lower() == "authorization":
            scheme, dummy, rest = value.partition(" ")
            encoded = BASE64_HEADER.match(rest)
            if encoded:
                return f"{scheme} {b64(encoded['inner'])}"
        return value

    def map_value(self, value, key=None, namespace="other"):
        """Recorded ids in a request body -> the stand-in's."""
        if isinstance(value, dict):
            return {k: self.map_value(v, k, namespace) for k, v in value.items()}
        if isinstance(value, list):
            return [self.map_value(item, key, namespace) for item in value]
        if isinstance(value, str):
            return self.ids.get("uuid", value, value)
        if isinstance(value, int) and not isinstance(value, bool) and key in ("provider", "user", "pk"):
            space = {"provider": "providers", "user": "users"}.get(key, namespace)
            return self.ids.get(space, value, value)
        return value

    def map_path(self, path: str) -> str:
        """Recorded uuids and integer pks in a path -> the stand-in's."""
        namespace = namespace_of(path)
        parts = []
        for part in path.split("/"):
            if part.isdigit():
                part = str(self.ids.get(namespace, int(part), part))
            parts.append(self.ids.get("uuid", part, part))
        return "/".join(parts)

    # -- one exchange ------------------------------------------------------------------------------
    def build(self, recording: dict) -> dict:
        """requests.request() arguments for a recorded request."""
        request = recording["request"]
        split = urlsplit(request["full_path"])
        body = request["body"]
        context = {}
        if isinstance(body, dict) and "_form_urlencoded" in body:
            context = dict(body["_form_urlencoded"])
        if recording["name"] == "oauth2-userinfo":
            context["userinfo"] = recording["response"]["body"]
        headers = {k: self.header_value(k, v, context) for k, v in request["headers"].items()}
        query = [(k, self.ids.get("uuid", v, v)) for k, v in parse_qsl(split.query, keep_blank_values=True)]
        kwargs = {"headers": headers}
        if isinstance(body, dict) and "_form_urlencoded" in body:
            kwargs["data"] = urlencode({k: self.fill(v, context) for k, v in body["_form_urlencoded"].items()})
        elif body is not None:
            kwargs["json"] = self.map_value(body, namespace=namespace_of(split.path))
        path = self.map_path(split.path) + (f"?{urlencode(query)}" if query else "")
        return {"method": request["method"], "path": path, **kwargs}

    def replay(self, name: str) -> list:
        """Send one recorded request and return the differences of the answer."""
        recording = load(name)
        try:
            args = self.build(recording)
        except KeyError as exc:
            # An earlier exchange failed to give the stand-in's value for a redaction.
            self.results[name] = [f"cannot build the request: missing {exc}"]
            return self.results[name]
        response = self.client.request(args.pop("method"), args.pop("path"), auth=False, **args)
        self.responses[name] = response
        problems = self.compare(recording, response)
        self.capture(recording, response)
        self.results[name] = problems
        found = self.client.violations()
        self.violations[name] = found[self._seen_violations:]
        self._seen_violations = len(found)
        return problems

    def compare(self, recording: dict, response) -> list:
        """Status, tracked headers and body."""
        expected = recording["response"]
        problems = []
        if response.status_code != expected["status"]:
            problems.append(f"status: expected {expected['status']}, got {response.status_code}: {response.text[:300]}")
        for header in TRACKED_HEADERS:
            want, got = expected["headers"].get(header), response.headers.get(header)
            if want != got:
                problems.append(f"header {header}: expected {want!r}, got {got!r}")
        if "x-authentik-id" in expected["headers"] and not response.headers.get("x-authentik-id"):
            problems.append("header x-authentik-id missing")
        if expected["body_kind"] == "json":
            comparison = Comparison(self.ids, self.client.base, namespace_of(recording["request"]["path"]))
            try:
                actual = response.json()
            except ValueError:
                return problems + [f"body: not JSON: {response.text[:200]!r}"]
            comparison.compare(expected["body"], actual)
            problems += comparison.problems
        else:
            recorded_text = SENTRY_META.sub("\n", expected["body"] or "")
            if response.text != recorded_text:
                problems.append(f"text body differs: expected {recorded_text[:120]!r}..., got {response.text[:120]!r}...")
        return problems

    def capture(self, recording: dict, response) -> None:
        """Remember the stand-in's secrets that later requests need."""
        if response.status_code >= 300 or "json" not in response.headers.get("content-type", ""):
            return
        body = response.json()
        name = recording["name"]
        if name == "core-tokens-view-key":
            self.secrets["app_password"] = body["key"]
        elif name == "core-users-service-account-create":
            self.secrets["sa_token"] = body["token"]
        elif isinstance(body, dict) and body.get("client_id") == "kubernetes" and "client_secret" in body:
            self.secrets["client_secret"] = body["client_secret"]
        elif isinstance(body, dict) and "access_token" in body:
            claims = decode_jwt(body["access_token"])["claims"]
            self.tokens.append((set(body["scope"].split()), claims, body["access_token"]))
