"""Comparing a stand-in response with a recorded one: status, headers, body shape and values.

Values are compared exactly where the real server is deterministic (messages, defaults, names,
URLs, claims). Where it is not (generated ids, secrets, timestamps, fingerprints, key material)
the comparison checks the kind of value instead, and maps recorded ids to the stand-in's:
the first time a recorded id meets an actual one the pair is remembered, and every later
appearance (in bodies, paths, URLs) must agree.
"""

import base64
import json
import re
from collections import defaultdict

from .recordings import RECORDED_BASE

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UUID_ANYWHERE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DATETIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
REDACTED_RE = re.compile(r"^<redacted:(?P<label>[^(>;]+?)(?: \((?P<length>\d+) chars\))?(?:;[^>]*)?>$")
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")
B64_RE = re.compile(r"^[A-Za-z0-9+/]+=*$")
CHAR_CLASSES = (("hex", re.compile(r"^[0-9a-f]+$")), ("alnum", re.compile(r"^[A-Za-z0-9]+$")), ("colon-hex", re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2})+$")))

SAME_SHAPE_KEYS = {"uid", "user_uid", "request_id", "kid", "fingerprint_sha256", "fingerprint_sha1"}
# Random base64url ids (2026.2's kid): one without "-" or "_" is as likely as any, so the class is base64url.
B64URL_ID_KEYS = {"kid"}
DATETIME_KEYS = {"date_joined", "password_change_date", "last_updated", "cert_expiry", "last_login", "expires"}
B64URL_KEYS = {"n", "x5t", "x5t#S256"}
VOLATILE_INT_KEYS = {"exp", "iat", "auth_time", "num_pk"}
WORD_SET_KEYS = {"scope"}
INT_ID_NAMESPACE = {"provider": "providers", "user": "users", "user_pk": "users"}
NESTED_NAMESPACE = {"provider_obj": "providers", "user_obj": "users", "users_obj": "users"}
GENERATED_CLIENT_ID = re.compile(r"^[A-Za-z0-9]{40}$")


def _char_class(text: str):
    for name, regex in CHAR_CLASSES:
        if regex.match(text):
            return name
    return None


def decode_jwt(token: str) -> dict:
    """{header, claims} of a compact JWT, without verification (that is test_oidc's job)."""
    header, payload, _signature = token.split(".")
    return {"header": _b64_json(header), "claims": _b64_json(payload)}


def _b64_json(segment: str):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


class IdMap:
    """Recorded id -> stand-in id, per namespace ('uuid' for all uuids; 'providers'/'users' for integer pks)."""

    def __init__(self):
        self.forward = defaultdict(dict)
        self.reverse = defaultdict(dict)

    def match(self, namespace: str, recorded, actual) -> bool:
        """Whether the pair agrees with what is known; unknown pairs are learned."""
        known = self.forward[namespace].get(recorded)
        if known is not None:
            return known == actual
        if actual in self.reverse[namespace]:
            return False
        self.forward[namespace][recorded] = actual
        self.reverse[namespace][actual] = recorded
        return True

    def get(self, namespace: str, recorded, default=None):
        """The stand-in id for a recorded one."""
        return self.forward[namespace].get(recorded, default)

    def text(self, text: str, base_url: str) -> str:
        """A recorded string with the recorded base URL and every known uuid replaced."""
        text = text.replace(RECORDED_BASE, base_url)
        return UUID_ANYWHERE.sub(lambda m: self.forward["uuid"].get(m.group(0), m.group(0)), text)


class Comparison:
    """Collects the differences between one recorded and one actual JSON body."""

    def __init__(self, ids: IdMap, base_url: str, namespace: str):
        self.ids = ids
        self.base_url = base_url
        self.namespace = namespace
        self.problems = []

    def fail(self, where: str, message: str) -> None:
        """Record a difference."""
        self.problems.append(f"{where}: {message}")

    def compare(self, recorded, actual, where: str = "$", key: str = None, namespace: str = None) -> None:
        """Compare recursively; ``key`` is the dict key the values sit under."""
        namespace = namespace or self.namespace
        if isinstance(recorded, dict):
            self.compare_dict(recorded, actual, where, namespace)
        elif isinstance(recorded, list):
            self.compare_list(recorded, actual, where, key, namespace)
        elif isinstance(recorded, str):
            self.compare_str(recorded, actual, where, key, namespace)
        elif isinstance(recorded, bool) or recorded is None:
            if actual is not recorded:
                self.fail(where, f"expected {recorded!r}, got {actual!r}")
        elif isinstance(recorded, int):
            self.compare_int(recorded, actual, where, key, namespace)
        elif recorded != actual:
            self.fail(where, f"expected {recorded!r}, got {actual!r}")

    def compare_dict(self, recorded: dict, actual, where: str, namespace: str) -> None:
        """Same keys in the same order; __decoded siblings are compared with the decoded JWT."""
        if not isinstance(actual, dict):
            self.fail(where, f"expected an object, got {type(actual).__name__}")
            return
        expected_keys = [k for k in recorded if not k.endswith("__decoded")]
        if list(actual) != expected_keys:
            self.fail(where, f"keys differ: expected {expected_keys}, got {list(actual)}")
        if recorded.get("model_name") == "provider":
            namespace = "providers"
        for name in expected_keys:
            if name in actual:
                self.compare(recorded[name], actual[name], f"{where}.{name}", name, NESTED_NAMESPACE.get(name, namespace))
        for name in recorded:
            if name.endswith("__decoded") and isinstance(actual.get(name[:-9]), str):
                self.compare_jwt(recorded[name], actual[name[:-9]], f"{where}.{name}")

    def compare_jwt(self, recorded: dict, token: str, where: str) -> None:
        """Decoded header and claims, plus the token lifetime (exp - iat)."""
        try:
            decoded = decode_jwt(token)
        except ValueError as exc:
            self.fail(where, f"not a JWT: {exc}")
            return
        self.compare(recorded, decoded, where)
        claims, actual_claims = recorded["claims"], decoded["claims"]
        if "exp" in claims and actual_claims.get("exp", 0) - actual_claims.get("iat", 0) != claims["exp"] - claims["iat"]:
            self.fail(where, "token lifetime (exp - iat) differs")

    def compare_list(self, recorded: list, actual, where: str, key: str, namespace: str) -> None:
        """Same length, element by element."""
        if not isinstance(actual, list):
            self.fail(where, f"expected a list, got {type(actual).__name__}")
            return
        if len(recorded) != len(actual):
            self.fail(where, f"expected {len(recorded)} items, got {len(actual)}")
            return
        if key == "x5c":
            if not all(isinstance(item, str) and B64_RE.match(item) for item in actual):
                self.fail(where, "x5c items must be base64 DER certificates")
            return
        for index, (rec, act) in enumerate(zip(recorded, actual)):
            self.compare(rec, act, f"{where}[{index}]", key, namespace)

    def compare_str(self, recorded: str, actual, where: str, key: str, namespace: str) -> None:
        """Redactions, volatile values, ids, word sets, then plain equality."""
        redacted = REDACTED_RE.match(recorded)
        if redacted:
            self.check_redacted(redacted, actual, where)
            return
        if not isinstance(actual, str):
            self.fail(where, f"expected a string, got {actual!r}")
            return
        if key in WORD_SET_KEYS:
            if set(recorded.split()) != set(actual.split()):
                self.fail(where, f"expected the words {sorted(set(recorded.split()))}, got {actual!r}")
        elif UUID_RE.match(recorded):
            if not UUID_RE.match(actual) or not self.ids.match("uuid", recorded, actual):
                self.fail(where, f"id {recorded} maps to {self.ids.get('uuid', recorded)}, got {actual!r}")
        elif key == "pk" and recorded.isdigit():
            if not actual.isdigit() or not self.ids.match(namespace, int(recorded), int(actual)):
                self.fail(where, f"pk {recorded} maps to {self.ids.get(namespace, int(recorded))}, got {actual!r}")
        elif self.volatile_str(recorded, actual, where, key):
            return
        elif self.ids.text(recorded, self.base_url) != actual:
            self.fail(where, f"expected {self.ids.text(recorded, self.base_url)!r}, got {actual!r}")

    def volatile_str(self, recorded: str, actual: str, where: str, key: str) -> bool:
        """Shape checks for values that differ per install; True when the key is volatile."""
        if key in SAME_SHAPE_KEYS or (key == "client_id" and GENERATED_CLIENT_ID.match(recorded)):
            if key in B64URL_ID_KEYS and B64URL_RE.match(recorded):
                same_class = bool(B64URL_RE.match(actual))
            else:
                same_class = _char_class(recorded) == _char_class(actual)
            if len(recorded) != len(actual) or not same_class:
                self.fail(where, f"expected a {_char_class(recorded)} value of {len(recorded)} characters, got {actual!r}")
            return True
        if key in DATETIME_KEYS:
            if not DATETIME_RE.match(actual):
                self.fail(where, f"expected a UTC datetime, got {actual!r}")
            return True
        if key in B64URL_KEYS:
            if not B64URL_RE.match(actual):
                self.fail(where, f"expected base64url, got {actual!r}")
            return True
        return False

    def check_redacted(self, redacted, actual, where: str) -> None:
        """<redacted:label (N chars)>: a string of that length (JWTs: three segments)."""
        if not isinstance(actual, str):
            self.fail(where, f"expected a (redacted) string, got {actual!r}")
        elif redacted["label"] == "jwt":
            if actual.count(".") != 2:
                self.fail(where, "expected a JWT")
        elif redacted["length"] and len(actual) != int(redacted["length"]):
            self.fail(where, f"expected {redacted['length']} characters, got {len(actual)}")

    def compare_int(self, recorded: int, actual, where: str, key: str, namespace: str) -> None:
        """Integer pks map per namespace; timestamps and num_pk only need to be integers."""
        if isinstance(actual, bool) or not isinstance(actual, int):
            self.fail(where, f"expected an integer, got {actual!r}")
        elif key in VOLATILE_INT_KEYS:
            return
        elif key == "pk" or key in INT_ID_NAMESPACE:
            space = INT_ID_NAMESPACE.get(key, namespace)
            if not self.ids.match(space, recorded, actual):
                self.fail(where, f"{space} pk {recorded} maps to {self.ids.get(space, recorded)}, got {actual}")
        elif recorded != actual:
            self.fail(where, f"expected {recorded}, got {actual}")
