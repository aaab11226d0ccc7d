"""Where a learning applies: everywhere, to one user, or to one project."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal

from groove.errors import InvalidScope

ScopeKind = Literal["global", "user", "project"]

MAX_SCOPE_CHARS = 4_096
"""Longest user id or project path accepted: Linux's PATH_MAX. A scope is a key that is
stored, indexed and shown in one line, not free text."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""C0 and C1 control characters (NUL, newline, escape...): never part of an id or path."""

_WHAT = {"user": "user id", "project": "project path"}


def _rejected(kind: str, value: str, reason: str) -> InvalidScope:
    """An `InvalidScope` that says what is wrong with the value, not only the format."""
    return InvalidScope(f"{kind}:{value}", reason=f"the {_WHAT[kind]} {reason}")


def _check_value(kind: str, value: str) -> None:
    """Reject ids and paths that cannot be stored verbatim and shown on one line."""
    if len(value) > MAX_SCOPE_CHARS:
        raise _rejected(kind, value, f"is {len(value):,} characters; the limit is "
                                          f"{MAX_SCOPE_CHARS:,}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _rejected(kind, value, f"is not valid Unicode text ({e.reason} at "
                                          f"position {e.start})") from None
    if bad := _CONTROL.search(value):
        raise _rejected(kind, value, f"contains the control character "
                                          f"U+{ord(bad[0]):04X} at position {bad.start()}; "
                                          "ids and paths must be printable")


@dataclass(frozen=True, slots=True)
class Scope:
    """A learning's scope, stored as one string: `global` | `user:<id>` | `project:<path>`.

    Every way of making one validates it, so no scope that cannot be stored, compared
    or printed exists."""

    kind: ScopeKind
    value: str = ""

    GLOBAL: ClassVar[Scope]

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise InvalidScope(f"{self.kind}:{self.value!r}")
        if self.kind == "global" and not self.value:
            return
        if self.kind not in _WHAT or not self.value:
            raise InvalidScope(f"{self.kind}:{self.value}")
        _check_value(self.kind, self.value)

    @classmethod
    def user(cls, user_id: str) -> Scope:
        return cls("user", user_id)

    @classmethod
    def project(cls, path: str) -> Scope:
        return cls("project", str(path))

    def to_db_string(self) -> str:
        return "global" if self.kind == "global" else f"{self.kind}:{self.value}"

    @classmethod
    def from_db_string(cls, s: str) -> Scope:
        if s == "global":
            return cls.GLOBAL
        kind, sep, value = s.partition(":")
        if sep and value and kind == "user":
            return cls("user", value)
        if sep and value and kind == "project":
            return cls("project", value)
        raise InvalidScope(s)

    def to_json(self) -> str:
        return self.to_db_string()

    @classmethod
    def from_json(cls, s: str) -> Scope:
        return cls.from_db_string(s)

    def __str__(self) -> str:
        return self.to_db_string()


Scope.GLOBAL = Scope("global")
