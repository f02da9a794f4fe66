"""What a token says about a user: a provider's scope mappings, evaluated (UserInfoView.get_claims)."""

from . import expressions

DEFAULT_CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce"]


def _deep_merge(target: dict, source: dict) -> None:
    """deepmerge's always_merger: dicts recurse, lists append, everything else overrides."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            target[key] = target[key] + value
        else:
            target[key] = value


def _by_scope(mappings: list) -> list:
    # authentik orders by scope_name; the name only makes ties deterministic.
    return sorted(mappings, key=lambda m: (m["scope_name"], m["name"]))


class Claims:
    """Scope mappings of providers, evaluated for users."""

    def __init__(self, app):
        self.app = app
        self.store = app.store

    def mappings(self, provider: dict) -> list:
        """The provider's scope mappings in assignment order."""
        return [mapping for pk in provider["property_mappings"] if (mapping := self.store.get("mappings", pk))]

    def user_view(self, user: dict) -> expressions.UserView:
        """A user as mapping expressions see it."""
        users = self.app.resource("users")
        data = dict(user, uid=users.get_uid(user, None)) if user.get("pk") is not None else user
        return expressions.UserView(data, users.groups_of(user) if user.get("pk") is not None else [])

    def provider_view(self, provider: dict) -> expressions.Namespace:
        """A provider (with .application) as mapping expressions see it."""
        app = self.store.find("applications", provider=provider["pk"])
        application = expressions.Namespace(**app) if app else None
        return expressions.Namespace(application=application, **{k: v for k, v in provider.items() if k != "application"})

    def evaluate(self, mapping: dict, user: dict, provider: dict):
        """A mapping's result, or None when it fails or returns no dict (authentik logs and skips)."""
        try:
            value = expressions.evaluate(
                mapping["expression"], user=self.user_view(user), provider=self.provider_view(provider),
                find_user=lambda **match: self.store.find("users", **match),
            )
        except Exception:  # pylint: disable=broad-exception-caught  # any error in a user expression is skipped, as authentik does
            return None
        return value if isinstance(value, dict) else None

    def for_user(self, provider: dict, user: dict, scope: list) -> dict:
        """UserInfoView.get_claims: the provider's mappings for the granted scopes, by scope name."""
        selected = [m for m in self.mappings(provider) if m["scope_name"] in scope]
        result = {}
        for mapping in _by_scope(selected):
            value = self.evaluate(mapping, user, provider)
            if value is not None:
                _deep_merge(result, value)
        return result

    def supported(self, provider: dict) -> list:
        """ProviderInfoView.get_claims: default claims plus the keys each mapping returns."""
        claims = list(DEFAULT_CLAIMS)
        anonymous = {"pk": None, "username": "AnonymousUser", "name": "", "email": "", "groups": []}
        for mapping in _by_scope(self.mappings(provider)):
            value = self.evaluate(mapping, anonymous, provider)
            if value is not None:
                claims.extend(value.keys())
        return claims
