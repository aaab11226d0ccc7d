"""Property tests: every document groove writes imports back, and confidence never drifts."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groove import (
    GrooveExport,
    Learning,
    LearningExport,
    Outcome,
    RelationType,
    UsageStats,
    ValidationError,
)
from groove.config import EnterpriseConfig, GrooveConfig
from groove.service import LocalGroove, RequestContext
from groove.testing import HashEmbedder
from groove.tiers import Tier
from tests.conftest import make_learning, open_embedded

pytestmark = pytest.mark.slow

# One step of building a home: (kind, a, b, c) with small ints picking targets.
steps = st.lists(st.tuples(
    st.sampled_from(["add_project", "add_user", "promote", "propose", "accept", "reject",
                     "relate", "outcome"]),
    st.integers(0, 50), st.integers(0, 50), st.sampled_from(list(RelationType))),
    min_size=1, max_size=25)


async def _build(api: LocalGroove, ctx: RequestContext, plan: list[tuple[str, int, int,
                                                                             RelationType]]
                 ) -> None:
    """Apply a random plan; steps that the rules refuse (a ValidationError) are skipped."""
    for n, (kind, a, b, relation) in enumerate(plan):
        items = await api.list(ctx, limit=None)
        everything = [t for tier in Tier for t in await api.list(ctx, tiers=[tier], limit=None)]
        pending = [p for p in await api.proposals(ctx) if p.status.value == "pending"]
        try:
            if kind in ("add_project", "add_user"):
                await api.add(ctx, f"learning {n} with `tool-{a}` and path src/{b}.py",
                              tier=Tier.PROJECT if kind == "add_project" else Tier.USER)
            elif kind == "promote" and items:
                await api.promote(ctx, items[a % len(items)].learning.id)
            elif kind == "propose" and items:
                await api.propose(ctx, items[a % len(items)].learning.id)
            elif kind == "accept" and pending:
                await api.accept(ctx, pending[a % len(pending)].id)
            elif kind == "reject" and pending:
                await api.reject(ctx, pending[a % len(pending)].id, "not for the team")
            elif kind == "relate" and everything:
                x, y = everything[a % len(everything)], everything[b % len(everything)]
                if x.learning.id != y.learning.id:
                    await api.relate(ctx, x.learning.id, relation, y.learning.id)
            elif kind == "outcome" and everything:
                await api.record_outcome(ctx, everything[a % len(everything)].learning.id,
                                         list(Outcome)[b % 3])
        except ValidationError:
            pass  # e.g. related_to across tiers, promoting a user learning


def _same(a: GrooveExport, b: GrooveExport) -> None:
    assert sorted(a.learnings, key=lambda x: str(x.learning.id)) == \
        sorted(b.learnings, key=lambda x: str(x.learning.id))
    assert sorted(r.key() for r in a.relations) == sorted(r.key() for r in b.relations)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps, steps)
def test_every_export_imports_back(first: list[tuple[str, int, int, RelationType]],
                                   then: list[tuple[str, int, int, RelationType]]) -> None:
    """Random multi-tier homes (promotions, proposals, relations, outcomes, and a home that
    re-imported its own export, so one id lives in two tiers and one tier mixes scopes):
    the default export, each tier's and each scope's import into an empty home unchanged
    (learnings, usage, relations), and the default export imports into its own home."""
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp_dir:
            tmp = Path(tmp_dir)
            config = GrooveConfig(tmp / "home" / "user",
                                  {"acme": EnterpriseConfig("acme", tmp / "acme")},
                                  user_id="alex")
            root = tmp / "proj"
            (root / ".vibes").mkdir(parents=True)
            (root / ".vibes" / "config.toml").write_text('[groove]\nenterprise = "acme"\n')
            ctx = RequestContext(root)
            async with LocalGroove(config, embedder=HashEmbedder()) as api:
                await _build(api, ctx, first)
                await api.export(ctx, tmp / "first.json")
                await api.import_(ctx, tmp / "first.json")
                await _build(api, ctx, then)
                docs = {"all": await api.export(ctx, tmp / "all.json")}
                for tier in Tier:
                    docs[tier.value] = await api.export(ctx, tmp / f"{tier.value}.json",
                                                        tiers=[tier])
                scopes = {le.learning.scope for le in docs["all"].learnings}
                for n, scope in enumerate(sorted(scopes, key=str)):
                    docs[f"scope{n}"] = await api.export(ctx, tmp / f"scope{n}.json",
                                                         scope=scope)
                again = await api.import_(ctx, tmp / "all.json")
                assert again.learnings_imported + again.learnings_skipped == \
                    len(docs["all"].learnings)
            for name, doc in docs.items():
                fresh = GrooveConfig(tmp / f"fresh-{name}" / "user")
                async with LocalGroove(fresh, embedder=HashEmbedder()) as other:
                    await other.import_(RequestContext(), tmp / f"{name}.json")
                    _same(doc, await other.export(RequestContext()))

    asyncio.run(run())


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(["store", "outcome", "stale_update", "set_usage",
                                           "import"]),
                          st.integers(0, 20), st.floats(0, 1),
                          st.sampled_from(list(Outcome))), min_size=1, max_size=30))
def test_confidence_is_always_the_usage_mean(
        ops: list[tuple[str, int, float, Outcome]]) -> None:
    """Whatever is written (any confidence in the object, stale objects, replaced stats,
    imported documents), a learning's confidence equals its usage stats' Beta mean, and
    listing by confidence follows it."""
    async def run() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with await open_embedded(Path(tmp) / "db", HashEmbedder()) as s:
                known: list[Learning] = []
                for n, (op, pick, value, outcome) in enumerate(ops):
                    if op == "store" or not known:
                        x = replace(make_learning(f"l{n}"), confidence=value)
                        await s.store(x)
                        known.append(x)
                    elif op == "outcome":
                        await s.record_outcome(known[pick % len(known)].id, outcome)
                    elif op == "stale_update":
                        stale = replace(known[pick % len(known)], confidence=value)
                        await s.update(stale)
                    elif op == "set_usage":
                        await s.update_usage(known[pick % len(known)].id,
                                             UsageStats(confidence_alpha=1 + 9 * value,
                                                        confidence_beta=1 + pick))
                    else:
                        y = replace(make_learning(f"imported {n}"), confidence=value)
                        usage = UsageStats(confidence_alpha=2 + pick, confidence_beta=1.5)
                        await s.import_(GrooveExport(learnings=[LearningExport(y, usage)]))
                        known.append(y)
                    for x in await s.all_learnings():
                        stats = await s.get_usage(x.id)
                        assert stats is not None
                        assert x.confidence == pytest.approx(stats.confidence(), abs=1e-12)
                listed = [x.confidence for x in await s.list_learnings()]
                assert listed == sorted(listed, reverse=True)

    asyncio.run(run())
