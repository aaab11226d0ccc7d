"""Typed readers for JSON-shaped dicts that name the offending field on failure.

Import documents come from outside; every reader here raises `ImportRejected`
with the dotted path of the bad field so a user can find it in the file.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from groove.errors import ImportRejected

_MISSING = object()


def field(d: Any, key: str, path: str) -> Any:
    if not isinstance(d, dict):
        raise ImportRejected(f"expected an object, got {type(d).__name__}", field=path or "$")
    if key not in d:
        raise ImportRejected("required field is missing", field=_join(path, key))
    return d[key]


def known(d: Any, allowed: Iterable[str], path: str) -> None:
    """Reject a key outside `allowed`: an export is read strictly, so a typo or a field
    from another version is named instead of silently dropped."""
    if not isinstance(d, dict):
        return
    extra = sorted(set(d) - set(allowed))
    if extra:
        raise ImportRejected(f"unknown field; expected only {', '.join(sorted(allowed))}",
                             field=_join(path, str(extra[0])))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def string(d: Any, key: str, path: str, *, max_len: int | None = None) -> str:
    value = field(d, key, path)
    if not isinstance(value, str):
        raise ImportRejected(f"expected a string, got {_kind(value)}", field=_join(path, key))
    if max_len is not None and len(value) > max_len:
        raise ImportRejected(
            f"is {len(value)} characters long; the limit is {max_len}", field=_join(path, key)
        )
    return value


def integer(d: Any, key: str, path: str, *, minimum: int | None = 0) -> int:
    value = field(d, key, path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ImportRejected(f"expected an integer, got {_kind(value)}", field=_join(path, key))
    if minimum is not None and value < minimum:
        raise ImportRejected(f"must be >= {minimum}, got {value}", field=_join(path, key))
    return value


def number(
    d: Any, key: str, path: str, *, lo: float | None = None, hi: float | None = None
) -> float:
    value = field(d, key, path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ImportRejected(f"expected a number, got {_kind(value)}", field=_join(path, key))
    out = float(value)
    if not math.isfinite(out):
        raise ImportRejected(f"must be a finite number, got {value}", field=_join(path, key))
    if (lo is not None and out < lo) or (hi is not None and out > hi):
        raise ImportRejected(f"must lie in [{lo}, {hi}], got {value}", field=_join(path, key))
    return out


def uuid_field(d: Any, key: str, path: str) -> uuid.UUID:
    value = string(d, key, path)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ImportRejected(f"not a valid UUID: {value!r}", field=_join(path, key)) from None


def timestamp(d: Any, key: str, path: str, *, optional: bool = False) -> datetime | None:
    if optional and (not isinstance(d, dict) or d.get(key) is None):
        return None
    value = string(d, key, path)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ImportRejected(
            f"not an ISO-8601 timestamp: {value!r}", field=_join(path, key)
        ) from None
    if parsed.tzinfo is None:
        raise ImportRejected(
            f"timestamp {value!r} has no timezone; add one (e.g. +00:00)", field=_join(path, key)
        )
    return parsed.astimezone(UTC)


def required_time(d: Any, key: str, path: str) -> datetime:
    out = timestamp(d, key, path)
    assert out is not None
    return out


def array(d: Any, key: str, path: str) -> list[Any]:
    value = field(d, key, path)
    if not isinstance(value, list):
        raise ImportRejected(f"expected an array, got {_kind(value)}", field=_join(path, key))
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)
