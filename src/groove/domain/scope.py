"""Where a learning applies: everywhere, to one user, or to one project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from groove.errors import InvalidScope

ScopeKind = Literal["global", "user", "project"]


@dataclass(frozen=True, slots=True)
class Scope:
    """A learning's scope, stored as one string: `global` | `user:<id>` | `project:<path>`."""

    kind: ScopeKind
    value: str = ""

    GLOBAL: ClassVar[Scope]

    @classmethod
    def user(cls, user_id: str) -> Scope:
        if not user_id:
            raise InvalidScope("user:")
        return cls("user", user_id)

    @classmethod
    def project(cls, path: str) -> Scope:
        if not str(path):
            raise InvalidScope("project:")
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
