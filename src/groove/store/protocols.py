"""What any groove store offers, so another backend can stand in for `CozoStore`.

Stores take vectors; they never embed (the service above them does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from groove.domain import (
    Direction,
    Learning,
    LearningCategory,
    LearningId,
    LearningRelation,
    Outcome,
    RelationType,
    Scope,
    SystemParam,
    UsageStats,
    Vector,
)

Embedding = Sequence[float] | Vector
ScopeFilter = Scope | Iterable[Scope] | None


@runtime_checkable
class LearningStore(Protocol):
    """Storage operations for a single learning database."""

    async def store(self, learning: Learning, embedding: Embedding | None = None,
                    model_id: str | None = None,
                    relations: Sequence[LearningRelation] = (),
                    usage: UsageStats | None = None) -> LearningId: ...
    async def get(self, id: LearningId) -> Learning | None: ...
    async def update(self, learning: Learning, embedding: Embedding | None = None,
                     model_id: str | None = None) -> Learning: ...
    async def find_by_scope(self, scope: Scope) -> list[Learning]: ...
    async def find_by_category(self, category: LearningCategory) -> list[Learning]: ...
    async def semantic_search(
        self, embedding: Embedding, limit: int, scope: ScopeFilter = None,
        category: LearningCategory | None = None,
    ) -> list[tuple[Learning, float]]: ...
    async def find_similar(
        self, embedding: Embedding, threshold: float, limit: int = 10
    ) -> list[tuple[Learning, float]]: ...
    async def find_for_injection(
        self, scope: ScopeFilter, embedding: Embedding | None, limit: int
    ) -> list[tuple[Learning, float]]: ...
    async def store_embedding(self, id: LearningId, embedding: Embedding,
                              model_id: str | None = None) -> None: ...
    async def get_usage(self, id: LearningId) -> UsageStats | None: ...
    async def update_usage(self, id: LearningId, stats: UsageStats) -> None: ...
    async def record_outcome(self, id: LearningId, outcome: Outcome) -> UsageStats: ...
    async def store_relation(self, relation: LearningRelation) -> None: ...
    async def find_related(
        self, id: LearningId, relation_type: RelationType | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Learning]: ...
    async def delete(self, id: LearningId) -> bool: ...
    async def count(self) -> int: ...
    async def count_by_scope(self) -> dict[str, int]: ...
    async def count_by_category(self) -> dict[LearningCategory, int]: ...


@runtime_checkable
class ParamStore(Protocol):
    """System parameter storage."""

    async def get_param(self, name: str) -> SystemParam | None: ...
    async def store_param(self, param: SystemParam) -> None: ...
    async def all_params(self) -> list[SystemParam]: ...
