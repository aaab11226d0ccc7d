"""Why a ranked read put a learning where it did: each retriever's rank and every factor
of its score (see `groove.domain.ranking`), as `groove search --explain` and the hooks'
logs show it.

Apart from the ranking itself because it travels with every ranked answer: a client of
the groove server decodes it without importing how it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Explanation:
    """Why a candidate ranked where it did."""

    vector_rank: int | None
    keyword_rank: int | None
    similarity: float | None
    keyword: float | None
    relevance: float
    trust: float
    sampled: bool
    specificity: float
    recency: float
    relation: float
    notes: list[str] = field(default_factory=list)
    score: float = 0.0
    faded: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}

    def summary(self) -> str:
        """One line for a log: the retrievals' ranks and each factor of the score."""
        sim = "-" if self.similarity is None else f"{self.similarity:.3f}"
        parts = [f"score {self.score:.3f}", f"vector #{self.vector_rank or '-'} sim {sim}",
                 f"keyword #{self.keyword_rank or '-'}", f"relevance {self.relevance:.2f}",
                 f"trust {self.trust:.2f}{' (sampled)' if self.sampled else ''}",
                 f"tier {self.specificity:.2f}", f"recency {self.recency:.2f}",
                 f"relations {self.relation:.2f}"]
        if self.faded:
            parts.append("faded")
        return "; ".join(parts + self.notes)
