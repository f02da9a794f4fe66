"""admin/version and root/config."""

from ..routing import Route
from ..wire import json_response

ERROR_REPORTING = {
    "enabled": False,
    "sentry_dsn": "https://151ba72610234c4c97c5bcff4e1cffd8@authentik.error-reporting.a7k.io/4504163677503489",
    "environment": "customer",
    "send_pii": False,
    "traces_sample_rate": 0.1,
}


class Admin:
    """Version and configuration views (plain APIViews, not model viewsets)."""

    name = "admin"

    def __init__(self, app):
        self.app = app
        self.spec = app.spec

    def routes(self) -> list:
        """admin/version/ (any authenticated user) and root/config/ (anonymous allowed)."""
        return [
            Route("admin/version/", {"GET": self.version_view}, access="list", admin_only=False),
            Route("root/config/", {"GET": self.config_view}, access="public", admin_only=False),
        ]

    def version_view(self, _ctx):
        """The emulated release, never outdated; the update check cannot reach the internet from a test server."""
        version = self.app.profile.name
        checked = self.app.profile.version_latest_checked
        values = {
            "version_current": version,
            "version_latest": "0.0.0" if checked else version,
            "version_latest_valid": not checked,
            "build_hash": "",
            "outdated": False,
            "outpost_outdated": False,
        }
        return json_response(200, {name: values[name] for name in self.spec.field_names("Version")})

    def config_view(self, _ctx):
        """System configuration as a fresh install reports it."""
        values = {
            "error_reporting": dict(ERROR_REPORTING),
            "capabilities": ["can_impersonate", "is_enterprise"],
            "cache_timeout": 300,
            "cache_timeout_flows": 300,
            "cache_timeout_policies": 300,
            "cache_timeout_reputation": 300,
        }
        return json_response(200, {name: values[name] for name in self.spec.field_names("Config")})
