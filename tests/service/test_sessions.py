"""Sessions: what was injected is recorded, outcomes are credited once, parameters tune."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groove import Outcome, ValidationError
from groove.config import GrooveConfig
from groove.domain.injection import (
    INJECTION_BUDGET,
    INJECTION_THRESHOLD,
    THRESHOLD_PRIOR,
    InjectedVia,
    OutcomeSource,
)
from groove.service import LocalGroove, RequestContext
from groove.testing import HashEmbedder
from groove.tiers import Tier


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[LocalGroove]:
    async with LocalGroove(GrooveConfig(tmp_path / "user"), embedder=HashEmbedder(),
                           rng=random.Random(3)) as g:
        yield g


@pytest.fixture
def ctx(tmp_path: Path) -> RequestContext:
    (tmp_path / "proj" / ".vibes").mkdir(parents=True)
    return RequestContext(tmp_path / "proj")


async def test_injections_are_recorded_and_not_repeated(api: LocalGroove,
                                                        ctx: RequestContext) -> None:
    """A prompt injects what is relevant and not yet shown in the session; each injection
    is recorded with its prompt index, tier and similarity."""
    a = await api.add(ctx, "run tests with pytest -x", insight="stop at the first failure")
    await api.add(ctx, "deploy with ops/deploy.sh", tier=Tier.USER)
    first = await api.find_for_injection(ctx, "how do I run the pytest tests", session_id="s1",
                                         prompt_index=1)
    assert [h.learning.id for h in first] == [a.learning.id]
    again = await api.find_for_injection(ctx, "run the pytest tests again", session_id="s1",
                                         prompt_index=2)
    assert again == []
    other = await api.find_for_injection(ctx, "run the pytest tests again", session_id="s2")
    assert [h.learning.id for h in other] == [a.learning.id]
    shown = await api.session(ctx, "s1")
    assert [(i.learning_id, i.via, i.prompt_index, i.tier) for i in shown] == [
        (a.learning.id, InjectedVia.PROMPT, 1, "project")]
    assert shown[0].similarity is not None and shown[0].similarity > 0.3


async def test_outcome_credited_once_per_session(api: LocalGroove, ctx: RequestContext) -> None:
    """A transcript outcome is credited once per learning per session; an explicit rating
    replaces it (its effect taken back); a second explicit rating changes nothing."""
    a = await api.add(ctx, "use ruff check --fix")
    await api.find_for_injection(ctx, None, session_id="s1")
    r1 = await api.record_outcome(ctx, a.learning.id, Outcome.IGNORED, session_id="s1",
                                  source=OutcomeSource.TRANSCRIPT, evidence="never used")
    r2 = await api.record_outcome(ctx, a.learning.id, Outcome.IGNORED, session_id="s1",
                                  source=OutcomeSource.TRANSCRIPT)
    assert r1.applied and not r2.applied
    r3 = await api.record_outcome(ctx, a.learning.id, Outcome.HELPFUL, session_id="s1",
                                  evidence="the agent said it helped")
    r4 = await api.record_outcome(ctx, a.learning.id, Outcome.CONTRADICTED, session_id="s1")
    assert r3.applied and not r4.applied
    usage = (await api.get(ctx, a.learning.id)).usage
    assert (usage.times_injected, usage.times_helpful, usage.times_ignored) == (1, 1, 0)
    assert usage.confidence_alpha == 2.0 and usage.confidence_beta == 1.0
    [shown] = await api.session(ctx, "s1")
    assert shown.outcome is Outcome.HELPFUL and shown.outcome_source is OutcomeSource.EXPLICIT
    assert shown.evidence == "the agent said it helped"


async def test_only_what_a_session_saw_is_credited(api: LocalGroove, ctx: RequestContext) -> None:
    """A learning never injected into (nor found by) a session cannot be credited to it;
    one the session found by searching can."""
    a = await api.add(ctx, "cache pip downloads in CI")
    with pytest.raises(ValidationError, match="not injected"):
        await api.record_outcome(ctx, a.learning.id, Outcome.HELPFUL, session_id="s9")
    await api.search(ctx, "pip cache in CI", session_id="s9")
    assert (await api.record_outcome(ctx, a.learning.id, Outcome.HELPFUL,
                                     session_id="s9")).applied


async def test_five_helpful_two_contradicted_sessions(api: LocalGroove,
                                                      ctx: RequestContext) -> None:
    """Injected in 7 sessions, followed in 5 and corrected in 2: the plan's Beta update gives
    Beta(1 + 5, 1 + 2 * 1.5), confidence 0.6, with the evidence of each session kept."""
    a = await api.add(ctx, "format with black -l 100")
    for n in range(7):
        await api.find_for_injection(ctx, None, session_id=f"s{n}")
        outcome = Outcome.HELPFUL if n < 5 else Outcome.CONTRADICTED
        await api.record_outcome(ctx, a.learning.id, outcome, session_id=f"s{n}",
                                 source=OutcomeSource.TRANSCRIPT, evidence=f"session {n}")
    detail = await api.get(ctx, a.learning.id)
    assert detail.found.learning.confidence == pytest.approx(0.6)
    assert (detail.usage.confidence_alpha, detail.usage.confidence_beta) == (6.0, 4.0)
    assert [i.evidence for n in range(7) for i in await api.session(ctx, f"s{n}")] == [
        f"session {n}" for n in range(7)]


async def test_outcomes_tune_threshold_and_budget(api: LocalGroove, ctx: RequestContext) -> None:
    """Ignored injections just above the threshold raise it and lower the budget; the
    parameters are stored in the user tier, where the next injection reads them."""
    prior = THRESHOLD_PRIOR[0] / sum(THRESHOLD_PRIOR)
    credited = 0
    for n in range(6):
        words = " ".join(f"w{n}x{k}" for k in range(9))  # about 0.45 similar to the query
        await api.add(ctx, f"pytest fixtures {words}")
        hits = await api.find_for_injection(ctx, "pytest fixtures", session_id=f"t{n}")
        for h in hits:
            assert h.similarity is not None and abs(h.similarity - prior) < 0.15, h.similarity
            await api.record_outcome(ctx, h.learning.id, Outcome.IGNORED, session_id=f"t{n}",
                                     source=OutcomeSource.TRANSCRIPT)
            credited += 1
    [threshold] = await api.params(ctx, INJECTION_THRESHOLD)
    [budget] = await api.params(ctx, INJECTION_BUDGET)
    assert credited >= 3
    assert threshold.param.observations == budget.param.observations == credited
    assert threshold.param.value > prior and budget.param.value < 0.5
