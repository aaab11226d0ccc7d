"""How groove orders learnings: relevance times trust, every factor explained.

    score = relevance x trust x specificity x recency x relation effect

- relevance: the chance the learning is about this query, a logistic curve over its
  cosine similarity (unit vectors), lifted by keyword evidence (BM25 over words, code
  identifiers, paths and flags). A calibrated chance rather than a rank: among several
  clearly relevant learnings, small wording differences should not outweigh trust (the
  loop simulation in bench/loop.py measured rank fusion stuck at 68% of an oracle).
- trust: the learning's Beta posterior over "this helps". A search uses its mean; an
  injection draws a Thompson sample, so a new learning (Beta(1, 1), wide) gets its
  chances and a contradicted one (beta grows 1.5 per contradiction) fades (the sample is
  drawn from a sharpened posterior, `SHARPNESS`). Trust enters as
  `floor + (1 - floor) * t`: for injection `TRUST_FLOOR` (trust decides among relevant
  candidates), for search `SEARCH_TRUST_FLOOR` (relevance first). A relevant but
  untested learning is never ranked below an irrelevant trusted one.
- specificity: project over user over enterprise (a project's own learning knows its
  project best), and the general side of a `specializes` edge yields to the specific.
- recency: a mild decay by age since the last update or use, so two equals are ordered
  by freshness; it never outweighs relevance.
- relations: a superseded learning drops out when its successor is a candidate; of a
  contradicting pair, the less trusted side is halved (it is shown with its opponent).

Pure: no I/O. `rank` returns each candidate with an `Explanation`, the record
`groove search --explain` and the hooks' logs print. A candidate carries what ranking
reads, not the learning: a search weighs ~40 candidates and reads the rows of the ten it
returns.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from groove.domain.clock import to_micros
from groove.domain.explanation import Explanation
from groove.domain.learning import Learning
from groove.domain.relations import LearningRelation, RelationType
from groove.domain.usage import PRIOR_ALPHA, PRIOR_BETA, UsageStats

RELEVANT_AT = 0.35
"""Cosine at which all-MiniLM-L6-v2 texts are as likely about the query as not."""
RELEVANCE_WIDTH = 0.08
KEYWORD_LIFT = 0.1
"""At most this much cosine is added by keyword evidence: the query's best BM25 match
gets all of it, the others their share of the best score. bench/rankset is flat from
0.075 to 0.125 (cluster cross-validated); reciprocal rank fusion, a convex mix of
normalised cosine and BM25 and saturating or query-IDF shares all measured worse."""
TRUST_FLOOR = 0.1
"""Injection is a bet on helpfulness: among relevant candidates, trust decides."""
SEARCH_TRUST_FLOOR = 0.8
"""Search answers a question: relevance first, trust breaks near-ties (measured with
bench/rankset: a floor of 0.1 let a random outcome history cost a third of hit@1)."""
SHARPNESS = 3.0
"""Thompson samples come from Beta(a * SHARPNESS, b * SHARPNESS): the same mean, a
narrower spread. Measured with bench/loop.py (seeds 7 and 11): plain Thompson (1.0)
ended at 87% of the oracle's helpful share, 2.0 at 92%, 3.0 at 92-94%; a new learning,
Beta(3, 3), still draws anywhere from 0.2 to 0.8."""
FADED_BELOW = 0.2
"""An injection skips a learning whose posterior mean fell below this (e.g. three
contradictions and no help: Beta(1, 5.5), mean 0.15); a search still shows it."""
TIER_WEIGHT = {"project": 1.0, "user": 0.92, "enterprise": 0.88}
SPECIALIZED_GENERAL = 0.8
CONTRADICTED_LOSER = 0.5
RECENCY_HALF_LIFE_DAYS = 180.0
RECENCY_WEIGHT = 0.1


@dataclass(slots=True)
class Candidate:
    """One learning a retrieval found: what each retriever said about it, its posterior
    and when it was last active."""

    id: str
    """The learning's id as text (hashed cheaply: a search ranks dozens)."""
    tier: str
    active: int
    """The later of its last update and its last use, microseconds since the epoch (as
    the store keeps it: no datetime made per candidate)."""
    alpha: float = PRIOR_ALPHA
    beta: float = PRIOR_BETA
    similarity: float | None = None
    keyword: float | None = None
    """BM25 relative to the query's best keyword match, in (0, 1]."""

    @classmethod
    def of(cls, learning: Learning, tier: str, usage: UsageStats,
           similarity: float | None = None, keyword: float | None = None) -> Candidate:
        """A candidate read whole (its row and usage stats)."""
        return cls(str(learning.id), tier,
                   to_micros(max(learning.updated_at, usage.last_used or learning.updated_at)),
                   usage.confidence_alpha, usage.confidence_beta, similarity, keyword)


@dataclass(slots=True)
class Ranked:
    candidate: Candidate
    why: Explanation
    dropped: bool = False


def _ranks(values: Sequence[float | None]) -> list[int | None]:
    """1-based rank of each value (None: not ranked), best first, ties in input order."""
    present = [(v, j) for j, v in enumerate(values) if v is not None]
    present.sort(key=lambda p: p[0], reverse=True)
    ranks: list[int | None] = [None] * len(values)
    for n, (_, j) in enumerate(present):
        ranks[j] = n + 1
    return ranks


def relevance(similarity: float | None, keyword: float | None) -> float:
    """The chance, in (0, 1), that a learning is about the query."""
    s = -1.0 if similarity is None else similarity
    if keyword:
        s += KEYWORD_LIFT * min(1.0, keyword)
    return 1.0 / (1.0 + math.exp(-(s - RELEVANT_AT) / RELEVANCE_WIDTH))


def recency(age_days: float) -> float:
    """The decay factor of a learning last active `age_days` ago."""
    return 1.0 - RECENCY_WEIGHT + RECENCY_WEIGHT * math.pow(
        0.5, max(0.0, age_days) / RECENCY_HALF_LIFE_DAYS)


_MICROS_PER_DAY = 86_400_000_000


def rank(candidates: Sequence[Candidate], relations: Sequence[LearningRelation], now: datetime,
         *, rng: random.Random | None = None) -> list[Ranked]:
    """Order candidates best first. With `rng`, trust is a Thompson sample (injection);
    without, the posterior mean (search). Dropped (superseded) ones come back marked."""
    pos: dict[str, int] = {}
    cands: list[Candidate] = []
    for c in candidates:
        j = pos.get(c.id)
        if j is None:
            pos[c.id] = len(cands)
            cands.append(c)
        else:
            cands[j] = c  # the last word on a learning given twice
    v_ranks = _ranks([c.similarity for c in cands])
    k_ranks = _ranks([c.keyword if c.keyword is not None and c.keyword > 0 else None
                      for c in cands])
    trust = []
    for c in cands:
        a, b = c.alpha, c.beta
        trust.append(rng.betavariate(a * SHARPNESS, b * SHARPNESS) if rng is not None
                     else a / (a + b))
    relation_factor = [1.0] * len(cands)
    notes: list[list[str]] = [[] for _ in cands]
    dropped = [False] * len(cands)
    for r in relations:
        f, t = pos.get(str(r.from_id)), pos.get(str(r.to_id))
        if f is None or t is None or f == t:
            continue
        if r.relation_type is RelationType.SUPERSEDES:
            dropped[t] = True
            notes[t].append(f"superseded by {r.from_id}")
        elif r.relation_type is RelationType.SPECIALIZES:
            relation_factor[t] *= SPECIALIZED_GENERAL
            notes[t].append(f"specialized by {r.from_id}")
        elif r.relation_type is RelationType.CONTRADICTS:
            loser, winner = sorted((f, t), key=lambda j: trust[j])
            relation_factor[loser] *= CONTRADICTED_LOSER
            notes[loser].append(f"contradicted by {cands[winner].id}, which is trusted more")
            notes[winner].append(f"contradicts {cands[loser].id}")
    floor = TRUST_FLOOR if rng is not None else SEARCH_TRUST_FLOOR
    now_us = to_micros(now)
    out = []
    for j, c in enumerate(cands):
        why = Explanation(
            vector_rank=v_ranks[j], keyword_rank=k_ranks[j], similarity=c.similarity,
            keyword=c.keyword, relevance=relevance(c.similarity, c.keyword),
            trust=trust[j], sampled=rng is not None,
            specificity=TIER_WEIGHT.get(c.tier, 1.0),
            recency=recency((now_us - c.active) / _MICROS_PER_DAY),
            relation=relation_factor[j], notes=notes[j])
        why.score = (why.relevance * (floor + (1 - floor) * why.trust)
                     * why.specificity * why.recency * why.relation)
        mean = c.alpha / (c.alpha + c.beta)
        if mean < FADED_BELOW:
            why.faded = True
            why.notes.append(f"faded: mean trust {mean:.2f} < {FADED_BELOW}")
        out.append(Ranked(c, why, dropped[j]))
    out.sort(key=lambda r: (not r.dropped, r.why.score), reverse=True)
    return out
