"""Tiers, and a learning as read across them.

They live in the domain (not beside the tier storage) so that a client of the groove
server can decode what the server sends without loading the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from groove.domain.choice import Choice
from groove.domain.explanation import Explanation
from groove.domain.learning import Learning


class Tier(Choice):
    PROJECT = "project"
    USER = "user"
    ENTERPRISE = "enterprise"

    @classmethod
    def label(cls) -> str:
        return "tier"


PRECEDENCE = (Tier.PROJECT, Tier.USER, Tier.ENTERPRISE)


@dataclass(slots=True)
class TieredLearning:
    """A learning as read across tiers: where it lives, its score for this read, and (for
    ranked reads) why it scored so."""

    learning: Learning
    tier: Tier
    score: float = 0.0
    why: Explanation | None = None

    @property
    def similarity(self) -> float | None:
        """Cosine similarity to the query, when a ranked read found it by vector."""
        return None if self.why is None else self.why.similarity
