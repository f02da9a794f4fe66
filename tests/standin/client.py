"""A small requests-based client for tests that talk to a stand-in (API, OIDC and /_standin/)."""

import requests


class StandinClient:
    """HTTPS client trusting the stand-in's CA, authenticated with its bootstrap token."""

    def __init__(self, handle, token: str = None):
        self.handle = handle
        self.base = handle.url
        self.session = requests.Session()
        # REQUESTS_CA_BUNDLE would otherwise replace session.verify (requests merges the environment).
        self.session.trust_env = False
        self.session.verify = handle.ca_path
        self.token = handle.token if token is None else token

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs) -> requests.Response:
        """Any request; ``path`` is absolute (/api/v3/..., /application/o/...)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.session.request(method, self.base + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request below /api/v3/ (path without that prefix)."""
        return self.request(method, "/api/v3/" + path.lstrip("/"), **kwargs)

    # -- introspection --------------------------------------------------------------------------
    def requests_log(self) -> list:
        """[{method, path, query, status}] received since the last reset."""
        return self.request("GET", "/_standin/requests", auth=False).json()

    def reset_log(self) -> None:
        """Forget the request log."""
        self.request("POST", "/_standin/reset-log", auth=False).raise_for_status()

    def violations(self, side: str = None) -> list:
        """Schema violations recorded so far (request and/or response side)."""
        found = self.request("GET", "/_standin/violations", auth=False).json()
        return [v for v in found if side is None or v["side"] == side]

    def clear_violations(self) -> None:
        """Forget recorded violations."""
        self.request("DELETE", "/_standin/violations", auth=False).raise_for_status()

    def writes(self) -> list:
        """Logged requests that could change state (anything but GET/HEAD/OPTIONS below /api/v3/)."""
        return [r for r in self.requests_log() if r["method"] not in ("GET", "HEAD", "OPTIONS") and r["path"].startswith("/api/v3/")]

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()
