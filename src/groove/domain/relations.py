"""Typed, directed edges between learnings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from groove.domain import _fields as f
from groove.domain.choice import Choice
from groove.domain.clock import utcnow
from groove.domain.learning import LearningId
from groove.errors import ImportRejected, ValidationError


class RelationType(Choice):
    SUPERSEDES = "supersedes"  # from replaces to
    CONTRADICTS = "contradicts"  # from conflicts with to
    DERIVED_FROM = "derived_from"  # from was derived (or promoted) from to
    RELATED_TO = "related_to"  # same topic
    SPECIALIZES = "specializes"  # from is a specific case of to

    @classmethod
    def label(cls) -> str:
        return "relation type"

    def as_str(self) -> str:
        return self.value


CROSS_TIER = frozenset({RelationType.DERIVED_FROM, RelationType.SUPERSEDES,
                        RelationType.CONTRADICTS})
"""Edge types whose far end may live in another tier: provenance of a copy, or a project
learning that overrides a user or enterprise one. An edge is stored in its `from` tier."""


class Direction(StrEnum):
    """Which edges `find_related` follows, seen from the given learning."""

    OUTGOING = "outgoing"
    INCOMING = "incoming"
    BOTH = "both"


@dataclass(slots=True)
class LearningRelation:
    from_id: LearningId
    relation_type: RelationType
    to_id: LearningId
    weight: float = 1.0
    created_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not isinstance(self.relation_type, RelationType):
            self.relation_type = RelationType.parse(str(self.relation_type))
        if not isinstance(self.weight, int | float) or not math.isfinite(self.weight):
            raise ValidationError(f"must be a finite number, got {self.weight!r}", field="weight")
        if self.from_id == self.to_id:
            raise ValidationError("a learning cannot relate to itself", field="to_id")

    @classmethod
    def new(cls, from_id: LearningId, relation_type: RelationType, to_id: LearningId
            ) -> LearningRelation:
        return cls(from_id, relation_type, to_id)

    def key(self) -> tuple[LearningId, RelationType, LearningId]:
        """What identifies an edge in a store: one edge per (from, type, to)."""
        return self.from_id, self.relation_type, self.to_id

    def with_weight(self, weight: float) -> LearningRelation:
        return LearningRelation(self.from_id, self.relation_type, self.to_id, weight,
                                self.created_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_id": str(self.from_id),
            "relation_type": self.relation_type.value,
            "to_id": str(self.to_id),
            "weight": self.weight,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: Any, path: str = "relation") -> LearningRelation:
        f.known(d, ("from_id", "relation_type", "to_id", "weight", "created_at"), path)
        kind = f.string(d, "relation_type", path)
        try:
            rtype = RelationType.parse(kind, field=f"{path}.relation_type")
            return cls(
                f.uuid_field(d, "from_id", path),
                rtype,
                f.uuid_field(d, "to_id", path),
                f.number(d, "weight", path),
                f.required_time(d, "created_at", path),
            )
        except ValidationError as e:
            if isinstance(e, ImportRejected):
                raise
            field_ = e.field if e.field and e.field.startswith(path) else f"{path}.{e.field}"
            raise ImportRejected(e.reason, field=field_) from None
