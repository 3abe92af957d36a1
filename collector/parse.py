"""Strict readers for the values platform payloads carry.

A value of the wrong type raises :class:`BadValue`; the adapter then logs the item's raw payload
(redacted) and skips that item only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


class BadValue(ValueError):
    """A field of a platform payload is not of its documented type."""


def count(payload: Mapping[str, Any], name: str) -> int | None:
    """A non-negative count that may arrive as a JSON number or a decimal string (YouTube).

    Missing or null means the platform did not give it: None, never 0.
    """
    if name not in payload or payload[name] is None:
        return None
    value = payload[name]
    if isinstance(value, bool):
        raise BadValue(f"{name} is a boolean, expected a count")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float) and value.is_integer():
        result = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        result = int(value.strip())
    else:
        raise BadValue(f"{name}={value!r} is not a count")
    if result < 0:
        raise BadValue(f"{name}={result} is negative")
    return result


def text(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadValue(f"{name}={value!r} is not a string")
    return value


def identifier(payload: Mapping[str, Any], name: str = "id") -> str:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise BadValue(f"{name}={value!r} is not an id")
    return str(value)


def timestamp(value: Any) -> datetime | None:
    """ISO-8601 (``2026-09-14T17:02:11+0000``, ``...Z``) or Unix seconds, as aware UTC."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadValue(f"time {value!r} is a boolean")
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise BadValue(f"time {value!r} is not a string")
    s = value.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    elif len(s) > 5 and s[-5] in "+-" and s[-4:].isdigit():
        s = f"{s[:-2]}:{s[-2:]}"
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError as exc:
        raise BadValue(f"time {value!r} is not ISO-8601") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadValue(f"{what} is not an object")
    return value


def sequence(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadValue(f"{what} is not a list")
    return value


__all__ = ["BadValue", "count", "identifier", "mapping", "sequence", "text", "timestamp"]
