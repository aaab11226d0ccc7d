"""How groove orders learnings: relevance times trust, every factor explained.

    score = relevance x trust x specificity x recency x relation effect

- relevance: reciprocal rank fusion of the vector ranking (cosine of unit vectors)
  and the keyword ranking (BM25 over words, code identifiers, paths and flags),
  normalised so the best possible fused rank is 1. Ranks, not raw scores, are fused:
  cosine and BM25 live on different scales, and RRF needs no calibration between them.
  Vector-only when no keyword matched (and the reverse).
- trust: the learning's Beta posterior over "this helps". A search uses its mean; an
  injection draws a Thompson sample, so a new learning (Beta(1, 1), wide) gets its
  chances and a contradicted one (beta grows 1.5 per contradiction) fades. Trust enters
  as `TRUST_FLOOR + (1 - TRUST_FLOOR) * t`: a relevant but untested learning is never
  ranked below an irrelevant trusted one, yet ten contradictions cost most of its place.
- specificity: project over user over enterprise (a project's own learning knows its
  project best), and the general side of a `specializes` edge yields to the specific.
- recency: a mild decay by age since the last update or use, so two equals are ordered
  by freshness; it never outweighs relevance.
- relations: a superseded learning drops out when its successor is a candidate; of a
  contradicting pair, the less trusted side is halved (it is shown with its opponent).

Pure: no I/O. `rank` returns each candidate with an `Explanation`, the record
`groove search --explain` and the hooks' logs print.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groove.domain.learning import Learning, LearningId
from groove.domain.relations import LearningRelation, RelationType
from groove.domain.usage import UsageStats

RRF_K = 10
"""Small: candidate lists are short (tens), and the first few ranks should count."""
TRUST_FLOOR = 0.25
TIER_WEIGHT = {"project": 1.0, "user": 0.92, "enterprise": 0.88}
SPECIALIZED_GENERAL = 0.8
CONTRADICTED_LOSER = 0.5
RECENCY_HALF_LIFE_DAYS = 180.0
RECENCY_WEIGHT = 0.1


@dataclass(slots=True)
class Candidate:
    """One learning a retrieval found, with what each retriever said about it."""

    learning: Learning
    tier: str
    usage: UsageStats
    similarity: float | None = None
    keyword: float | None = None


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

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Ranked:
    candidate: Candidate
    why: Explanation
    dropped: bool = False


def _ranks(values: dict[LearningId, float]) -> dict[LearningId, int]:
    order = sorted(values, key=lambda i: values[i], reverse=True)
    return {i: n + 1 for n, i in enumerate(order)}


def relevance(vector_rank: int | None, keyword_rank: int | None, k: int = RRF_K) -> float:
    """Fused rank relevance in (0, 1]: 1 when first in every ranking that found it."""
    parts = [1.0 / (k + r) for r in (vector_rank, keyword_rank) if r is not None]
    if not parts:
        return 0.0
    return sum(parts) / (len(parts) / (k + 1)) if len(parts) == 2 else parts[0] * (k + 1) * 0.75


def recency(last: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - last).total_seconds() / 86400.0)
    return 1.0 - RECENCY_WEIGHT + RECENCY_WEIGHT * math.pow(0.5, age_days
                                                            / RECENCY_HALF_LIFE_DAYS)


def rank(candidates: Sequence[Candidate], relations: Sequence[LearningRelation], now: datetime,
         *, rng: random.Random | None = None) -> list[Ranked]:
    """Order candidates best first. With `rng`, trust is a Thompson sample (injection);
    without, the posterior mean (search). Dropped (superseded) ones come back marked."""
    by_id = {c.learning.id: c for c in candidates}
    v_ranks = _ranks({i: c.similarity for i, c in by_id.items() if c.similarity is not None})
    k_ranks = _ranks({i: c.keyword for i, c in by_id.items()
                      if c.keyword is not None and c.keyword > 0})
    trust: dict[LearningId, float] = {}
    for i, c in by_id.items():
        a, b = c.usage.confidence_alpha, c.usage.confidence_beta
        trust[i] = rng.betavariate(a, b) if rng is not None else a / (a + b)
    relation_factor = dict.fromkeys(by_id, 1.0)
    notes: dict[LearningId, list[str]] = {i: [] for i in by_id}
    dropped: set[LearningId] = set()
    for r in relations:
        if r.from_id not in by_id or r.to_id not in by_id or r.from_id == r.to_id:
            continue
        if r.relation_type is RelationType.SUPERSEDES:
            dropped.add(r.to_id)
            notes[r.to_id].append(f"superseded by {r.from_id}")
        elif r.relation_type is RelationType.SPECIALIZES:
            relation_factor[r.to_id] *= SPECIALIZED_GENERAL
            notes[r.to_id].append(f"specialized by {r.from_id}")
        elif r.relation_type is RelationType.CONTRADICTS:
            loser, winner = sorted((r.from_id, r.to_id), key=lambda i: trust[i])
            relation_factor[loser] *= CONTRADICTED_LOSER
            notes[loser].append(f"contradicted by {winner}, which is trusted more")
            notes[winner].append(f"contradicts {loser}")
    out = []
    for i, c in by_id.items():
        why = Explanation(
            vector_rank=v_ranks.get(i), keyword_rank=k_ranks.get(i), similarity=c.similarity,
            keyword=c.keyword, relevance=relevance(v_ranks.get(i), k_ranks.get(i)),
            trust=trust[i], sampled=rng is not None,
            specificity=TIER_WEIGHT.get(c.tier, 1.0),
            recency=recency(max(c.learning.updated_at, c.usage.last_used or
                                c.learning.updated_at), now),
            relation=relation_factor[i], notes=notes[i])
        why.score = (why.relevance * (TRUST_FLOOR + (1 - TRUST_FLOOR) * why.trust)
                     * why.specificity * why.recency * why.relation)
        out.append(Ranked(c, why, i in dropped))
    out.sort(key=lambda r: (not r.dropped, r.why.score), reverse=True)
    return out
