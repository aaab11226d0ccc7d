"""Closed sets of strings (categories, relation types, outcomes, tiers)."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from groove.errors import ValidationError


class Choice(StrEnum):
    """A StrEnum whose `parse` rejects an unknown value naming it and the valid ones."""

    @classmethod
    def label(cls) -> str:
        """What one value is called in messages (e.g. "category")."""
        raise NotImplementedError

    @classmethod
    def parse(cls, value: str, *, field: str | None = None) -> Self:
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(m.value for m in cls)
            raise ValidationError(f"unknown {cls.label()} {value!r}; expected one of {known}",
                                  field=field or cls.label().replace(" ", "_"),
                                  value=value) from None
