"""Ranking: relevance times trust, with relations, tiers and recency, each explained."""

from __future__ import annotations

import random
import uuid

from groove import LearningRelation, Outcome, RelationType, UsageStats
from groove.domain import utcnow
from groove.domain.ranking import FADED_BELOW, Candidate, rank, relevance
from tests.conftest import make_learning


def _usage(*outcomes: Outcome) -> UsageStats:
    u = UsageStats()
    for o in outcomes:
        u.record_outcome(o)
    return u


NAMES: dict[str, str] = {}
"""Candidate id -> the text it was made from."""


def _cand(text: str, similarity: float, *outcomes: Outcome, tier: str = "project",
          keyword: float | None = None) -> Candidate:
    c = Candidate.of(make_learning(text), tier, _usage(*outcomes), similarity, keyword)
    NAMES[c.id] = text
    return c


def _id(c: Candidate) -> uuid.UUID:
    return uuid.UUID(c.id)


def test_contradicted_learning_loses_its_place() -> None:
    """Ten contradictions move a learning below an equally relevant untested one."""
    bad = _cand("bad", 0.7, *[Outcome.CONTRADICTED] * 10)
    fresh = _cand("fresh", 0.69)
    order = rank([bad, fresh], [], utcnow())
    assert [r.candidate for r in order] == [fresh, bad]
    assert order[1].why.trust < 0.1 and order[1].why.relevance > 0.9


def test_relevance_is_monotone_and_keywords_lift_it() -> None:
    """More similar is more relevant; keyword evidence lifts a candidate, saturating."""
    values = [relevance(s, None) for s in (0.1, 0.3, 0.35, 0.5, 0.8)]
    assert values == sorted(values) and abs(values[2] - 0.5) < 1e-9
    assert relevance(0.3, 0.5) > relevance(0.3, None)
    assert relevance(0.3, 1.0) == relevance(0.3, 1000.0) < relevance(0.3 + 0.26, None)


def test_irrelevant_trusted_learning_stays_below_relevant_new_one() -> None:
    """Trust never lifts an unrelated learning over a relevant untested one."""
    trusted = _cand("trusted", 0.1, *[Outcome.HELPFUL] * 20)
    relevant = _cand("relevant", 0.6)
    assert rank([trusted, relevant], [], utcnow())[0].candidate is relevant


def test_relations_supersede_specialize_contradict() -> None:
    """A superseded candidate is dropped, the general side of `specializes` yields, and the
    less trusted side of a contradiction is halved; each effect is noted."""
    old, new = _cand("old", 0.6), _cand("new", 0.6)
    general, specific = _cand("general", 0.6), _cand("specific", 0.6)
    liked, doubted = _cand("liked", 0.6, Outcome.HELPFUL), _cand("doubted", 0.6)
    rel = [LearningRelation.new(_id(new), RelationType.SUPERSEDES, _id(old)),
           LearningRelation.new(_id(specific), RelationType.SPECIALIZES, _id(general)),
           LearningRelation.new(_id(doubted), RelationType.CONTRADICTS, _id(liked))]
    out = {NAMES[r.candidate.id]: r
           for r in rank([old, new, general, specific, liked, doubted], rel, utcnow())}
    assert out["old"].dropped and not out["new"].dropped
    assert out["general"].why.relation == 0.8 and out["specific"].why.relation == 1.0
    assert out["doubted"].why.relation == 0.5 and out["liked"].why.relation == 1.0
    assert any("superseded" in n for n in out["old"].why.notes)
    assert any("contradicted by" in n for n in out["doubted"].why.notes)


def test_project_beats_user_beats_enterprise_and_fresh_beats_stale() -> None:
    """At equal relevance and trust: the more specific tier first, then the fresher."""
    p, u, e = (_cand(t, 0.6, tier=t) for t in ("project", "user", "enterprise"))
    assert [r.candidate for r in rank([e, u, p], [], utcnow())] == [p, u, e]
    stale = _cand("stale", 0.6)
    stale.active -= 720 * 86_400_000_000  # microseconds
    fresh = _cand("fresh", 0.6)
    assert [r.candidate for r in rank([stale, fresh], [], utcnow())] == [fresh, stale]


def test_thompson_explores_new_and_fades_bad() -> None:
    """With sampling, a new learning sometimes beats a well-trusted one (exploration); a
    learning contradicted three times is flagged faded."""
    rng = random.Random(1)
    trusted = _cand("trusted", 0.6, *[Outcome.HELPFUL] * 3)
    new = _cand("new", 0.6)
    wins = sum(rank([trusted, new], [], utcnow(), rng=rng)[0].candidate is new
               for _ in range(400))
    assert 10 < wins < 200
    bad = rank([_cand("bad", 0.6, *[Outcome.CONTRADICTED] * 3)], [], utcnow(), rng=rng)[0]
    assert bad.why.faded and bad.why.sampled
    assert _usage(*[Outcome.CONTRADICTED] * 3).confidence() < FADED_BELOW
