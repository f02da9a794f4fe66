"""Scope mapping expressions: Python, as authentik runs them.

authentik wraps a mapping's expression in a function and exec()s it with a context
(``request``, ``user``, ``provider``, ``token``, helpers such as ``ak_is_group_member``).
The stand-in does the same with small views of its objects, enough for the managed
blueprint expressions and custom ones such as
``return {"email": request.user.email, "email_verified": True}``.
"""

import re
from textwrap import indent

ARGS = ("request", "user", "provider", "token", "ak_is_group_member", "ak_user_by", "ak_logger", "regex_match", "regex_replace", "list_flatten")


def wrap(expression: str) -> str:
    """The function authentik compiles around an expression (body on line 2 onwards)."""
    return f"def handler({', '.join(ARGS)}):\n{indent(expression, '    ')}\n"


def syntax_error(expression: str):
    """'Expression Syntax Error: ...' like BaseEvaluator.validate, or None when it compiles."""
    try:
        # authentik compiles with its evaluator's filename, which is None when validating.
        compile(wrap(expression), "None", "exec")
    except (SyntaxError, ValueError) as exc:
        return f"Expression Syntax Error: {exc}"
    return None


class Manager:
    """Enough of a Django related manager for expressions: all(), filter(), exists(), count()."""

    def __init__(self, items):
        self._items = list(items)

    def all(self):
        """Every related object."""
        return list(self._items)

    def filter(self, **match):
        """Objects whose attributes equal the given values."""
        return Manager(item for item in self._items if all(getattr(item, key, None) == value for key, value in match.items()))

    def exists(self):
        """Whether there is any object."""
        return bool(self._items)

    def count(self):
        """How many objects."""
        return len(self._items)

    def __iter__(self):
        return iter(self._items)


class GroupView:
    """A group as expressions see it."""

    def __init__(self, group: dict):
        self.pk = group["pk"]
        self.name = group["name"]
        self.is_superuser = group.get("is_superuser", False)
        self.attributes = dict(group.get("attributes") or {})
        self.num_pk = group.get("num_pk")


class UserView:
    """A user as expressions see it (``request.user`` and ``user``)."""

    def __init__(self, user: dict, groups: list):
        self.pk = self.id = user.get("pk")
        self.username = user.get("username", "")
        self.name = user.get("name", "")
        self.email = user.get("email", "")
        self.uid = user.get("uid", "")
        self.uuid = user.get("uuid")
        self.is_active = user.get("is_active", False)
        self.type = user.get("type", "internal")
        self.attributes = dict(user.get("attributes") or {})
        self.is_superuser = any(group.get("is_superuser") for group in groups)
        self.is_authenticated = user.get("pk") is not None
        self.ak_groups = self.groups = Manager(GroupView(group) for group in groups)

    def group_attributes(self, _request=None) -> dict:
        """Group attributes merged, then the user's own on top."""
        merged = {}
        for group in self.ak_groups.all():
            merged.update(group.attributes)
        merged.update(self.attributes)
        return merged

    @staticmethod
    def app_entitlements(_application=None) -> list:
        """Application entitlements are not emulated: none."""
        return []


class Namespace:
    """Attribute bag (provider, application, request)."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


class _Logger:
    def __getattr__(self, _name):
        return lambda *args, **kwargs: None


def _regex_match(value, pattern):
    return re.search(pattern, value) is not None


def _regex_replace(value, pattern, replacement):
    return re.sub(pattern, replacement, value)


def _list_flatten(value):
    if isinstance(value, (list, tuple)):
        return value[0] if len(value) == 1 else value
    return value


def evaluate(expression: str, *, user: UserView, provider, token=None, find_user=None):
    """Run an expression; returns its result (exceptions propagate to the caller)."""
    namespace = {}
    # authentik exec()s mapping expressions too; here they come from the tests' own requests.
    exec(compile(wrap(expression), "mapping", "exec"), namespace)  # nosec  # pylint: disable=exec-used
    request = Namespace(user=user, http_request=None, context={}, obj=provider)
    return namespace["handler"](
        request,
        user,
        provider,
        token,
        lambda member, name=None: any(group.name == name for group in member.ak_groups.all()),
        find_user or (lambda **kwargs: None),
        _Logger(),
        _regex_match,
        _regex_replace,
        _list_flatten,
    )
