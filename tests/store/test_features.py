"""What ranking reads about each learning, held in memory: in step with every write."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from groove import CozoStore, Learning, LearningCategory, LearningContent, Outcome, Scope
from groove.domain import EnterpriseCuratedSource, PromotedSource, UsageStats, utcnow
from groove.domain.export import GrooveExport, LearningExport
from groove.domain.injection import (
    CaptureRecord,
    CaptureStatus,
    InjectedVia,
    Injection,
    OutcomeSource,
)
from groove.store import cozo
from groove.store import queries as Q
from groove.store.features import NO_TIME, Features, RankingFeatures, rows_of
from groove.store.replica import Counts, PulledLearning, ReplicaChanges
from groove.testing import HashEmbedder

EMBED = HashEmbedder()

FOLLOWED = {"store", "store_many", "update", "delete", "update_usage", "record_outcome",
            "credit_outcome", "store_capture", "review_capture", "_import_plan",
            "accept_proposal", "apply_team_changes"}
"""Writes that change a learning's row or usage stats, each checked below (or, for
`_import_plan` and `accept_proposal`, writing through `store_many` / `_write_new`)."""
UNTOUCHED = {"record_injections", "store_relation", "store_param", "store_embedding",
             "build_vector_index", "compact", "remove_relations", "rebuild_vectors",
             "_import_rest", "store_proposal", "reject_proposal", "clear_outbox"}
"""Writes that change neither (relations, params, vectors, proposals, the outbox)."""


def _learning(text: str, source: object = None) -> Learning:
    return Learning.new(Scope.GLOBAL, LearningCategory.PREFERENCE,
                        LearningContent(text, "insight"), source)  # type: ignore[arg-type]


async def _store(store: CozoStore, x: Learning) -> None:
    await store.store(x, EMBED.embed([x.content.embedding_text()])[0], EMBED.model_id)


def _held_and_fresh(store: CozoStore) -> tuple[list[Features | None], list[Features | None]]:
    engine = store._engine
    ids = sorted(r[0] for r in engine.query(Q.ALL_IDS))
    fresh = RankingFeatures.build(engine.query(Q.FEATURE_LEARNINGS),
                                  engine.query(Q.FEATURE_USAGE))
    assert store._features is not None
    return store._features.of(ids), fresh.of(ids)


def _of(store: CozoStore, x: Learning) -> Features:
    assert store._features is not None
    [f] = store._features.of([str(x.id)])
    assert f is not None
    return f


async def test_every_write_keeps_features_as_a_fresh_read_would_be(tmp_path: Path) -> None:
    """After each kind of write that changes a learning or its usage, the features held in
    memory equal the ones read from the database afresh."""
    store = await CozoStore.open(tmp_path / "db")
    a, b = _learning("ruff check --fix"), _learning("pytest tmp_path")
    for x in (a, b):
        await _store(store, x)
    await store.warm()
    steps = []

    async def check(step: str) -> None:
        held, fresh = _held_and_fresh(store)
        steps.append(step)
        assert held == fresh, step

    c, d = _learning("uv pip sync"), _learning("git rebase -i")
    await store.store_many([c, d], EMBED.embed(["c", "d"]), EMBED.model_id,
                           [UsageStats(), UsageStats(3, 2, 1, 0, utcnow(), 3.0, 2.0)])
    await check("store_many")
    assert _of(store, d).alpha == 3.0 and _of(store, d).used != NO_TIME
    copy = _learning("ruff check --fix (team)", PromotedSource(Scope.GLOBAL, a.id))
    curated = _learning("curated", EnterpriseCuratedSource("ops"))
    await _store(store, copy)
    await _store(store, curated)
    await check("store copies")
    assert (_of(store, copy).original, _of(store, copy).copy) == (str(a.id), True)
    assert (_of(store, curated).original, _of(store, curated).copy) == (None, True)
    before = _of(store, b).updated
    await store.update(b, EMBED.embed(["pytest tmp_path fixtures"])[0], EMBED.model_id)
    await check("update")
    assert _of(store, b).updated > before
    await store.record_outcome(a.id, Outcome.HELPFUL)
    await check("record_outcome")
    assert _of(store, a).alpha == 2.0
    await store.update_usage(c.id, UsageStats(1, 0, 0, 1, utcnow(), 1.0, 2.5))
    await check("update_usage")
    await store.record_injections([Injection("s1", d.id, InjectedVia.PROMPT, 1, "user", 0.5,
                                             0.5, utcnow())])
    await store.credit_outcome("s1", d.id, Outcome.CONTRADICTED, OutcomeSource.EXPLICIT)
    await check("credit_outcome")
    g = _learning("captured")
    await store.store_capture(g, EMBED.embed(["captured"])[0], EMBED.model_id,
                              UsageStats(confidence_beta=2.0),
                              CaptureRecord("s1", 3, "rule", g.id, "quote",
                                            CaptureStatus.PENDING, utcnow()))
    await check("store_capture")
    await store.review_capture(g.id, CaptureStatus.ACCEPTED, UsageStats())
    await check("review_capture")
    assert _of(store, g).beta == 1.0
    await store.delete(c.id)
    await check("delete")
    assert store._features is not None and str(c.id) not in store._features
    h = _learning("after a delete")
    await _store(store, h)
    await check("store into a freed slot")
    pulled = _learning("from the team")
    await store.apply_team_changes(ReplicaChanges(
        learnings=[PulledLearning(pulled, Counts(2, 1, 0), None, None)],
        usage={a.id: Counts(5, 0, 0)}))
    await check("apply_team_changes")
    assert _of(store, a).alpha == 6.0
    j = _learning("imported")
    await store.import_(GrooveExport(learnings=[LearningExport(j, UsageStats(
        confidence_alpha=4.0))]))
    await check("import")
    assert _of(store, j).alpha == 4.0
    await store.close()


def test_every_write_is_known_to_change_features_or_not() -> None:
    """A new write method of the store must be sorted into one of the two sets above (and,
    if it changes learnings or usage, keep the features in step)."""
    source = inspect.getsource(cozo.CozoStore)
    writes = set(re.findall(r"@_writing\s+def (\w+)", source))
    assert writes == FOLLOWED | UNTOUCHED


def test_features_grow_and_reuse_freed_rows() -> None:
    """Past its capacity the columns grow and keep what they held; a removed learning's
    row is reused and reads as the new one."""
    rows = [[f"id{i}", i, "session", None] for i in range(3000)]
    usage = [[f"id{i}", None if i % 2 else i * 10, 1.0 + i, 1.0] for i in range(3000)]
    held = RankingFeatures.build(rows, usage)
    assert len(held) == 3000
    [f] = held.of(["id2999"])
    assert f == Features(3000.0, 1.0, 2999, NO_TIME, None, False)
    for i in range(3000, 5000):
        held.put(rows_of([_learning(f"new {i}")]))
    assert len(held) == 5000 and held.of(["id0"])[0] == Features(1.0, 1.0, 0, 0, None, False)
    held.remove("id7")
    x = _learning("reused")
    held.put(rows_of([x], [UsageStats(confidence_alpha=9.0)]))
    assert held.of(["id7"]) == [None] and held.of([str(x.id)])[0].alpha == 9.0  # type: ignore[union-attr]
    assert len(held) == 5000
