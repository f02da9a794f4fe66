"""Request body validation the way Django REST framework does it, driven by the schema.

authentik's serializers are DRF ModelSerializers; its OpenAPI schema is generated from them
(drf-spectacular), so a request schema carries what DRF checks: required, nullable,
minLength 1 (= blank not allowed), maxLength, pattern, enums, uuid/integer relations.
Messages and error nesting are DRF's (and Django's, where DRF lets them through), e.g.
``{"redirect_uris": [{"matching_mode": ["This field is required."]}]}``.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import ApiError, FieldError

SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"
PATTERN_MESSAGES = {
    SLUG_PATTERN: 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
    r"^[\w.@+-]+$": "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
}
# A slug pattern without maxLength is a model TextField with Django's validate_slug (Application.slug from 2026.2),
# whose message has typographic quotes; a models.SlugField (maxLength 50) gets DRF SlugField's. Seen on real servers.
DJANGO_SLUG_MESSAGE = "Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens."
# DRF BooleanField's spellings (True/False are covered by 1/0, which compare equal).
TRUE_VALUES = {"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1}
FALSE_VALUES = {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}
EMAIL_RE = re.compile(r"^[^@\s]+@([^@\s.]+\.)+[^@\s.]+$|^[^@\s]+@localhost$")
URL_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$")
DECIMAL_SUFFIX = re.compile(r"\.0*\s*$")
DATETIME_FORMATS = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"


@dataclass(frozen=True)
class Relation:
    """A primary-key related field: which store collection, and the pk type."""

    collection: str
    pk_type: str = "uuid"  # "uuid" or "int"


def _type_name(value) -> str:
    return type(value).__name__


class BodyValidator:
    """Validates one request body against a request schema (one serializer)."""

    def __init__(self, spec, schema_name: str, *, partial: bool, relations: dict, exists, hooks: dict):
        self.spec = spec
        self.schema_name = schema_name
        self.partial = partial
        self.relations = relations
        self.exists = exists  # (collection, pk) -> bool
        self.hooks = hooks  # field -> [callable(value) raising FieldError]

    def run(self, data) -> dict:
        """Validated data, or ApiError(400) with DRF's error dict."""
        if not isinstance(data, dict):
            raise ApiError(400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type_name(data)}."]})
        validated, errors = self.fields(self.schema_name, data, self.partial)
        if errors:
            raise ApiError(400, errors)
        return validated

    def fields(self, schema_name: str, data: dict, partial: bool):
        """Validate every field of a schema; returns (validated, errors) in field order."""
        required = self.spec.required(schema_name)
        validated, errors = {}, {}
        for name, prop in self.spec.properties(schema_name):
            if name not in data:
                if name in required and not partial:
                    errors[name] = ["This field is required."]
                continue
            try:
                value = self.field(name, prop, data[name])
                if schema_name == self.schema_name:
                    value = self.run_hooks(name, value)
                validated[name] = value
            except FieldError as exc:
                errors[name] = exc.detail
        return validated, errors

    def run_hooks(self, name: str, value):
        """Field validators after the type check: unique checks, then validate_<field>."""
        for hook in self.hooks.get(name, ()):
            result = hook(value)
            if result is not None:
                value = result
        return value

    # -- one field ---------------------------------------------------------------------------
    def field(self, name: str, prop: dict, value):
        """Validate one value; FieldError carries DRF's messages."""
        if value is None:
            if prop.get("nullable"):
                return None
            raise FieldError("This field may not be null.")
        relation = self.relations.get(name)
        kind = prop.get("type")
        if kind == "array":
            return self.array(name, prop, value, relation)
        if relation is not None:
            return self.related(relation, value)
        if "enum" in prop:
            return self.choice(prop, value)
        if kind == "string":
            return self.string(prop, value)
        if kind == "integer":
            return self.integer(value)
        if kind == "boolean":
            return self.boolean(value)
        if kind == "object":
            return self.mapping(prop, value)
        return value

    @staticmethod
    def choice(prop: dict, value):
        """ChoiceField: compares str(value) with the choices."""
        for choice in prop["enum"]:
            if str(value) == str(choice):
                return choice
        raise FieldError(f'"{value}" is not a valid choice.')

    def string(self, prop: dict, value) -> str:
        """CharField and its subclasses (slug, email, URL, date-time)."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise FieldError("Not a valid string.")
        text = str(value).strip()
        if text == "":
            if prop.get("minLength", 0) >= 1:
                raise FieldError("This field may not be blank.")
            return ""
        return self.string_checks(prop, text)

    @staticmethod
    def string_checks(prop: dict, text: str) -> str:
        """Length, pattern and format checks of a non-blank string."""
        if "maxLength" in prop and len(text) > prop["maxLength"]:
            raise FieldError(f"Ensure this field has no more than {prop['maxLength']} characters.")
        if prop.get("minLength", 0) > 1 and len(text) < prop["minLength"]:
            raise FieldError(f"Ensure this field has at least {prop['minLength']} characters.")
        pattern = prop.get("pattern")
        if pattern and not re.search(pattern, text):
            if pattern == SLUG_PATTERN and "maxLength" not in prop:
                raise FieldError(DJANGO_SLUG_MESSAGE)
            raise FieldError(PATTERN_MESSAGES.get(pattern, "This value does not match the required pattern."))
        fmt = prop.get("format") or prop.get("x-format")
        if fmt == "email" and not EMAIL_RE.match(text):
            raise FieldError("Enter a valid email address.")
        if fmt == "uri" and not URL_RE.match(text):
            raise FieldError("Enter a valid URL.")
        if fmt == "date-time":
            return _datetime(text)
        if fmt == "uuid":
            return _uuid_field(text)
        return text

    @staticmethod
    def integer(value) -> int:
        """IntegerField (accepts numeric strings and integral floats, not booleans)."""
        try:
            return int(DECIMAL_SUFFIX.sub("", str(value)))
        except ValueError:
            raise FieldError("A valid integer is required.") from None

    @staticmethod
    def boolean(value) -> bool:
        """BooleanField with DRF's accepted spellings."""
        try:
            if value in TRUE_VALUES:
                return True
            if value in FALSE_VALUES:
                return False
        except TypeError:  # unhashable (list, dict)
            pass
        raise FieldError("Must be a valid boolean.")

    def mapping(self, prop: dict, value):
        """Dict fields (attributes) and nested serializers."""
        if "properties" in prop.get("object", {}):
            return self.nested(prop, value)
        if not isinstance(value, dict):
            raise FieldError(f'Expected a dictionary of items but got type "{_type_name(value)}".')
        return value

    def nested(self, prop: dict, value) -> dict:
        """A nested serializer given as one object."""
        if not isinstance(value, dict):
            raise FieldError({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type_name(value)}."]})
        validated, errors = self.fields(prop["object_name"], value, False)
        if errors:
            raise FieldError(errors)
        return validated

    def related(self, relation: Relation, value):
        """PrimaryKeyRelatedField: Django's casting errors, then existence."""
        if isinstance(value, bool):
            raise FieldError(f"Incorrect type. Expected pk value, received {_type_name(value)}.")
        if relation.pk_type == "int":
            pk = _int_pk(value)
        else:
            pk = _uuid_pk(value)
        if not self.exists(relation.collection, pk):
            raise FieldError(f'Invalid pk "{value}" - object does not exist.')
        return pk

    def array(self, name: str, prop: dict, value, relation):
        """ManyRelatedField, nested ListSerializer or ListField, each with its own error shape."""
        items = prop.get("items", {})
        items = self.spec.resolve(items)
        if relation is not None:
            if isinstance(value, str) or not hasattr(value, "__iter__"):
                raise FieldError(f'Expected a list of items but got type "{_type_name(value)}".')
            return [self.related(relation, item) for item in value]
        if "properties" in items.get("object", {}):
            return self.nested_list(items, value)
        if isinstance(value, (str, dict)) or not hasattr(value, "__iter__"):
            raise FieldError(f'Expected a list of items but got type "{_type_name(value)}".')
        if prop.get("minItems") and not list(value):
            raise FieldError("This list may not be empty.")  # ListField(allow_empty=False)
        result, errors = [], {}
        for index, item in enumerate(value):
            try:
                result.append(self.field(name, items, item))
            except FieldError as exc:
                errors[str(index)] = exc.detail
        if errors:
            raise FieldError(errors)
        return result

    def nested_list(self, items: dict, value) -> list:
        """ListSerializer(many=True) of a nested serializer."""
        if not isinstance(value, list):
            raise FieldError({"non_field_errors": [f'Expected a list of items but got type "{_type_name(value)}".']})
        schema_name = items["object_name"]
        result, errors = [], []
        for item in value:
            if not isinstance(item, dict):
                errors.append({"non_field_errors": [f"Invalid data. Expected a dictionary, but got {_type_name(item)}."]})
                continue
            validated, item_errors = self.fields(schema_name, item, False)
            errors.append(item_errors)
            result.append(validated)
        if any(errors):
            raise FieldError(errors)
        return result


def _int_pk(value) -> int:
    """Django AutoField lookup: int() or the ValueError DRF reports as 'Incorrect type'."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(f"Incorrect type. Expected pk value, received {_type_name(value)}.") from None


def _uuid_pk(value) -> str:
    """Django UUIDField lookup: ints become UUID(int=...), other junk is 'not a valid UUID'."""
    try:
        if isinstance(value, int):
            return str(uuid.UUID(int=value))
        return str(uuid.UUID(hex=value))
    except (AttributeError, TypeError, ValueError):
        raise FieldError(f"\u201c{value}\u201d is not a valid UUID.") from None


def _uuid_field(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise FieldError("Must be a valid UUID.") from None


def _datetime(text: str) -> datetime:
    """DateTimeField; naive values are taken as UTC (authentik runs with TIME_ZONE UTC)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise FieldError(f"Datetime has wrong format. Use one of these formats instead: {DATETIME_FORMATS}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
