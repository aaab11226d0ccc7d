"""Property tests: any valid learning round-trips; any outcome sequence stays consistent."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groove import (
    CozoStore,
    GrooveExport,
    Learning,
    LearningCategory,
    LearningContent,
    LearningExport,
    Outcome,
    Scope,
    TranscriptSource,
    UsageStats,
    UserCreatedSource,
)
from groove.domain import uuid7

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids,
                                                              max_size=4),
    max_leaves=10)
times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1),
                     timezones=st.just(UTC))
scope_text = st.characters(exclude_categories=("Cc", "Cs"))  # what scopes accept
scopes = st.one_of(st.just(Scope.GLOBAL),
                   st.builds(Scope.user, st.text(scope_text, min_size=1, max_size=30)),
                   st.builds(Scope.project, st.text(scope_text, min_size=1, max_size=60)))
sources = st.one_of(st.just(UserCreatedSource()),
                    st.builds(TranscriptSource, text, st.integers(0, 10**6)))


@st.composite
def learnings(draw: st.DrawFn) -> Learning:
    created = draw(times)
    return Learning(uuid7(), draw(scopes), draw(st.sampled_from(list(LearningCategory))),
                    LearningContent(draw(text), draw(text), draw(st.none() | json_value)),
                    draw(st.floats(0, 1)), created, draw(times), draw(sources))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(learnings(), min_size=1, max_size=5))
def test_learning_round_trips_through_store_and_export(xs: list[Learning]) -> None:
    """Any valid learning comes back unchanged from store/get and from export/import, but
    for its confidence, which is always its usage stats' mean (the prior here)."""

    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with await CozoStore.open(Path(tmp) / "a") as a:
                for x in xs:
                    await a.store(x)
                    assert await a.get(x.id) == replace(x, confidence=UsageStats().confidence())
                doc = GrooveExport.from_json((await a.export()).to_json())
            async with await CozoStore.open(Path(tmp) / "b") as b:
                await b.import_(doc)
                for x in xs:
                    assert await b.get(x.id) == replace(x, confidence=UsageStats().confidence())

    asyncio.run(run())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(Outcome)), max_size=200))
def test_outcome_sequences_stay_consistent(outcomes: list[Outcome]) -> None:
    """Any sequence of outcomes keeps confidence in (0, 1) and counters equal to the sequence."""
    stats = UsageStats()
    for o in outcomes:
        stats.record_outcome(o)
        assert 0.0 < stats.confidence() < 1.0
    assert stats.times_injected == len(outcomes)
    assert stats.times_helpful == outcomes.count(Outcome.HELPFUL)
    assert stats.times_ignored == outcomes.count(Outcome.IGNORED)
    assert stats.times_contradicted == outcomes.count(Outcome.CONTRADICTED)
    assert abs(stats.confidence_alpha - (1 + outcomes.count(Outcome.HELPFUL))) < 1e-9
    assert abs(stats.confidence_beta - (1 + 0.1 * outcomes.count(Outcome.IGNORED)
                                        + 1.5 * outcomes.count(Outcome.CONTRADICTED))) < 1e-9
    assert LearningExport(Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION,
                                       LearningContent("x")), stats).usage_stats == stats


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(list(Outcome)), min_size=1, max_size=30))
def test_outcome_sequences_in_the_store(outcomes: list[Outcome]) -> None:
    """The store applies outcome sequences exactly like the domain type does."""
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with await CozoStore.open(Path(tmp) / "db") as s:
                x = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent("x"))
                await s.store(x)
                expected = UsageStats()
                for o in outcomes:
                    got = await s.record_outcome(x.id, o)
                    expected.record_outcome(o, got.last_used)
                assert await s.get_usage(x.id) == expected
                stored = await s.get(x.id)
                assert stored is not None and stored.confidence == expected.confidence()

    asyncio.run(run())
