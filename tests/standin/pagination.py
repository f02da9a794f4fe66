"""DRF list mechanics: SearchFilter, OrderingFilter and authentik's page-number pagination."""

import math
import re

from .errors import ApiError

PAGE_SIZE = 100  # authentik's REST_FRAMEWORK PAGE_SIZE


def search(objects: list, term, fields, value_of) -> list:
    """SearchFilter: every whitespace/comma separated term must occur (icontains) in some field."""
    if not term:
        return objects
    terms = [part.lower() for part in re.split(r"[\s,]+", term.strip()) if part]
    return [obj for obj in objects if all(any(t in value_of(obj, field).lower() for field in fields) for t in terms)]


def _sort_key(value):
    # PostgreSQL sorts NULLs last in ascending order; text roughly as a en_US collation would
    # (case-insensitive first), which the server's database uses.
    if value is None:
        return (1, "", "")
    if isinstance(value, bool):
        return (0, int(value), "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    return (0, str(value).casefold(), str(value))


def order(objects: list, ordering, default, value_of) -> list:
    """OrderingFilter: comma separated fields, '-' for descending; falls back to the default."""
    fields = [field.strip() for field in (ordering or "").split(",") if field.strip()]
    valid = [field for field in fields if objects and field.lstrip("-") in objects[0]] if objects else fields
    result = list(objects)
    for field in reversed(valid or list(default)):
        name = field.lstrip("-")
        result.sort(key=lambda obj, name=name: _sort_key(value_of(obj, name)), reverse=field.startswith("-"))
    return result


def _page_size(raw) -> int:
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return PAGE_SIZE
    return size if size > 0 else PAGE_SIZE


def _page_number(raw, num_pages: int) -> int:
    if raw is None:
        return 1
    if raw == "last":
        return num_pages
    try:
        number = float(raw)
    except ValueError:
        raise ApiError(404, {"detail": "Invalid page."}) from None
    if number != int(number) or not 1 <= number <= num_pages:
        raise ApiError(404, {"detail": "Invalid page."})
    return int(number)


def paginate(objects: list, page, page_size):
    """(items of the page, pagination envelope) or ApiError 404 'Invalid page.'"""
    size = _page_size(page_size)
    count = len(objects)
    num_pages = max(1, math.ceil(count / size))
    number = _page_number(page, num_pages)
    start = (number - 1) * size
    items = objects[start:start + size]
    envelope = {
        "next": number + 1 if number < num_pages else 0,
        "previous": number - 1 if number > 1 else 0,
        "count": count,
        "current": number,
        "total_pages": num_pages,
        "start_index": start + 1 if count else 0,
        "end_index": start + len(items),
    }
    return items, envelope
