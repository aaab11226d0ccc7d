"""Bulk store (`store_many`): the engine's bulk import instead of a script, same result."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groove import (
    CozoStore,
    DatabaseError,
    GrooveExport,
    LearningCategory,
    LearningContent,
    LearningExport,
    Scope,
    UsageStats,
    ValidationError,
)
from groove.config import GrooveConfig
from groove.domain import Learning, utcnow
from groove.domain.learning import ImportedSource, PromotedSource, TranscriptSource
from groove.service import LocalGroove, RequestContext
from groove.testing import HashEmbedder
from tests.conftest import make_learning, make_project

RELATIONS = {
    "learning": "?[a, b, c, d, e, f, g, h, i, j, k, l, m] := *learning{id: a, scope: b, "
                "category: c, description: d, pattern_json: e, insight: f, confidence: g, "
                "created_at: h, updated_at: i, source_type: j, source_json: k, "
                "rank_confidence: l, rank_updated: m}",
    "by_scope": "?[s, id] := *learning:by_scope{scope: s, id}",
    "by_category": "?[c, id] := *learning:by_category{category: c, id}",
    "by_rank": "?[c, u, id] := *learning:by_rank{rank_confidence: c, rank_updated: u, id}",
    "by_recent": "?[u, id] := *learning:by_recent{rank_updated: u, id}",
    "usage": "?[a, b, c, d, e, f, g, h] := *usage_stats{learning_id: a, times_injected: b, "
             "times_helpful: c, times_ignored: d, times_contradicted: e, last_used: f, "
             "confidence_alpha: g, confidence_beta: h}",
    "embeddings": "?[id, m, v] := *learning_embeddings{learning_id: id, model: m, "
                  "embedding: v}",
    "handles": "?[h, id] := *learning_handle{handle: h, id}",
}


def snapshot(store: CozoStore) -> dict[str, list[list[Any]]]:
    """Every row groove writes for a learning, indices included, sorted."""
    return {name: sorted(store._engine.query(q)) for name, q in RELATIONS.items()}


def epoch(store: CozoStore) -> list[list[Any]]:
    return store._engine.query("?[e, t] := *vector_epoch{key: 0, epoch: e, token: t}")


def varied(n: int) -> tuple[list[Learning], list[UsageStats], Any]:
    """Learnings of every shape the codec handles: scopes, categories, sources, patterns,
    distinct timestamps, moved usage stats; with unit-length-or-not vectors."""
    now = utcnow()
    scopes = [Scope.GLOBAL, Scope.user("alex"), Scope.project("/repo/a")]
    sources = [TranscriptSource("s1", 3), ImportedSource("backup.json", now),
               PromotedSource(Scope.project("/repo/b"), uuid.UUID(int=7))]
    cats = list(LearningCategory)
    out, usage = [], []
    for i in range(n):
        x = make_learning(f"bulk {i} 'quoted' \"x\" {{?[a] <- [[1]]}}", f"insight {i} 日本",
                          scopes[i % 3], cats[i % len(cats)])
        x.content.pattern = {"i": i, "tags": ["a", None]} if i % 2 else None
        x.created_at = now - timedelta(microseconds=i)
        x.updated_at = now + timedelta(seconds=i % 4)
        x.source = sources[i % 3]
        out.append(x)
        usage.append(UsageStats(i % 5, i % 3, 0, i % 2, now if i % 2 else None,
                                1.0 + i % 3, 1.0 + 0.1 * (i % 4)))
    vectors = np.random.default_rng(5).standard_normal((n, 384)).astype(np.float32) * 3
    return out, usage, vectors


@pytest.fixture
async def two(tmp_path: Path, engine: str) -> Any:
    a = await CozoStore.open(tmp_path / "bulk", engine=engine)
    b = await CozoStore.open(tmp_path / "single", engine=engine)
    yield a, b
    await a.close()
    await b.close()


async def test_bulk_writes_what_single_stores_write(two: tuple[CozoStore, CozoStore]) -> None:
    """store_many writes exactly the rows, index entries, vectors and handles that a
    store() per learning writes, on both engines."""
    bulk, single = two
    xs, usage, vectors = varied(30)
    await bulk.store_many(xs, vectors, "m", usage)
    for x, u, v in zip(xs, usage, vectors, strict=True):
        await single.store(x, v, "m", usage=u)
    assert snapshot(bulk) == snapshot(single)
    assert await bulk.check_integrity() == []


async def test_bulk_stored_learnings_are_found_every_way(two: tuple[CozoStore, CozoStore]
                                                         ) -> None:
    """After store_many, reads by scope, category, rank, similarity, handle, prefix and
    usage give what they give after single stores, before and after a reopen."""
    bulk, single = two
    xs, usage, vectors = varied(24)
    await bulk.store_many(xs, vectors, "m", usage)
    for x, u, v in zip(xs, usage, vectors, strict=True):
        await single.store(x, v, "m", usage=u)

    async def reads(s: CozoStore) -> list[Any]:
        out: list[Any] = [await s.count(), await s.count_by_scope(), await s.count_by_category()]
        for scope in (Scope.GLOBAL, Scope.user("alex"), Scope.project("/repo/a")):
            out.append(await s.find_by_scope(scope))
        for cat in LearningCategory:
            out.append(await s.find_by_category(cat))
        out.append(await s.list_learnings(sort="confidence"))
        out.append(await s.list_learnings(sort="recent", limit=5))
        for x, v in zip(xs[:6], vectors[:6], strict=True):
            hits = await s.semantic_search(v, 3)
            out.append([(h.id, round(score, 5)) for h, score in hits])
            out.append(await s.resolve_prefix(str(x.id)[-8:]))
            out.append(await s.resolve_prefix(str(x.id)[:13]))
            out.append(await s.get_usage(x.id))
            out.append(await s.get(x.id))
        out.append([(h.id, round(sc, 5)) for h, sc in
                    await s.semantic_search(vectors[0], 5, scope=Scope.user("alex"))])
        return out

    expected = await reads(single)
    assert await reads(bulk) == expected
    assert (await bulk.semantic_search(vectors[3], 1))[0][0].id == xs[3].id
    path = bulk.path
    await bulk.close()
    async with await CozoStore.open(path) as again:
        assert await reads(again) == expected


async def test_bulk_moves_the_vector_epoch(bare_store: CozoStore) -> None:
    """A bulk store moves the vector epoch (epoch and token), so a side file saved
    before it is known to be stale."""
    before = epoch(bare_store)
    xs, _, vectors = varied(3)
    await bare_store.store_many(xs, vectors, "m")
    after = epoch(bare_store)
    assert after[0][0] > before[0][0] and after[0][1] != before[0][1]


async def test_an_existing_id_rejects_the_whole_batch(two: tuple[CozoStore, CozoStore]) -> None:
    """A batch holding one id the store has is refused with a clear error, and nothing
    of it is written: rows, indices, vectors, handles, epoch and search as they were."""
    store, _ = two
    xs, usage, vectors = varied(10)
    await store.store_many(xs[:4], vectors[:4], "m", usage[:4])
    before, before_epoch = snapshot(store), epoch(store)
    clash = [*xs[4:9], xs[2]]
    with pytest.raises(ValidationError, match="already exists"):
        await store.store_many(clash, vectors[4:10], "m", usage[4:10])
    assert snapshot(store) == before
    assert epoch(store) == before_epoch
    assert await store.count() == 4
    assert {h.id for h, _ in await store.semantic_search(vectors[5], 10)} == \
        {x.id for x in xs[:4]}
    assert await store.check_integrity() == []


async def test_the_same_id_twice_in_a_batch_is_refused(bare_store: CozoStore) -> None:
    """Two learnings with one id in the same batch are refused before anything is
    written (the bulk import would keep the second silently)."""
    xs, _, vectors = varied(3)
    twin = xs[0].copy()
    twin.content = LearningContent("another text")
    with pytest.raises(ValidationError, match="twice"):
        await bare_store.store_many([*xs, twin], np.vstack([vectors, vectors[:1]]), "m")
    assert await bare_store.count() == 0
    assert snapshot(bare_store) == {name: [] for name in RELATIONS}


async def test_a_batch_the_engine_refuses_midway_leaves_the_store_as_it_was(
        bare_store: CozoStore) -> None:
    """A batch whose last learning's usage stats the engine refuses (a count that is not
    a number, set after the stats were validated) fails with a database error after its
    learnings, handles and vectors went into the transaction, and none of it remains."""
    xs, usage, vectors = varied(8)
    await bare_store.store_many(xs[:3], vectors[:3], "m", usage[:3])
    before, before_epoch = snapshot(bare_store), epoch(bare_store)
    bad = usage[3:]
    bad[-1] = UsageStats()
    bad[-1].times_injected = "many"  # type: ignore[assignment]
    with pytest.raises(DatabaseError, match="coercion"):
        await bare_store.store_many(xs[3:], vectors[3:], "m", bad)
    assert snapshot(bare_store) == before
    assert epoch(bare_store) == before_epoch
    assert {h.id for h, _ in await bare_store.semantic_search(vectors[6], 10)} == \
        {x.id for x in xs[:3]}
    assert await bare_store.check_integrity() == []
    await bare_store.store_many(xs[3:], vectors[3:], "m", usage[3:])  # the good batch goes in
    assert await bare_store.count() == 8


async def test_engine_put_rows_is_one_transaction(bare_store: CozoStore) -> None:
    """`Engine.put_rows` writes all its relations or none: a bad row in the last one
    undoes the rows of the first."""
    engine = bare_store._engine
    with pytest.raises(DatabaseError):
        engine.put_rows({
            "learning_handle": (("handle", "id"), [["aaaaaaaa", "x-aaaaaaaa"]]),
            "usage_stats": (("learning_id", "times_injected", "times_helpful",
                             "times_ignored", "times_contradicted", "last_used",
                             "confidence_alpha", "confidence_beta"),
                            [["x-aaaaaaaa", "not a count", 0, 0, 0, None, 1.0, 1.0]]),
        })
    assert engine.query("?[h] := *learning_handle{handle: h}") == []


async def test_bulk_import_then_doctor_is_healthy(config: GrooveConfig, tmp_path: Path) -> None:
    """An export imported through the service (the bulk path) leaves every tier healthy
    by `doctor`, and each imported learning is found by its handle."""
    root = make_project(tmp_path, "p")
    ctx = RequestContext(root)
    xs, usage, _ = varied(250)
    doc = GrooveExport(learnings=[LearningExport(x, u) for x, u in zip(xs, usage, strict=True)])
    path = tmp_path / "export.json"
    path.write_text(doc.to_json())
    async with LocalGroove(config, embedder=HashEmbedder()) as api:
        stats = await api.import_(ctx, path)
        assert stats.learnings_imported == 250
        report = await api.doctor(ctx, check_model=False)
        assert report.healthy, report
        got = await api.get(ctx, str(xs[7].id)[-8:])
        assert got.found.learning.id == xs[7].id
        assert got.usage == usage[7]


async def test_integrity_check_sees_a_missing_or_wrong_handle(bare_store: CozoStore) -> None:
    """The bulk path makes handles itself, so `check_integrity` (doctor) checks them: a
    learning without its handle and a handle of no learning are both reported."""
    xs, _, vectors = varied(3)
    await bare_store.store_many(xs, vectors, "m")
    id = str(xs[1].id)
    bare_store._engine.mutate("{?[handle, id] <- [[$h, $id]] :rm learning_handle {handle, id}}"
                              "{?[handle, id] <- [['0badcafe', 'gone']] "
                              ":put learning_handle {handle, id}}", {"h": id[-8:], "id": id})
    problems = await bare_store.check_integrity()
    assert f"learning {id} has no handle" in problems
    assert "handle 0badcafe does not abbreviate learning gone" in problems


async def test_bulk_keeps_keywords_and_ranking_features_in_step(
        two: tuple[CozoStore, CozoStore]) -> None:
    """With the keyword index and ranking features loaded (a search ran), a bulk store
    updates them as single stores do: ranked retrieval then agrees between the two and
    with a fresh open of the bulk store."""
    bulk, single = two
    xs, usage, vectors = varied(40)
    await bulk.store_many(xs[:20], vectors[:20], "m", usage[:20])
    for x, u, v in zip(xs[:20], usage[:20], vectors[:20], strict=True):
        await single.store(x, v, "m", usage=u)
    for s in two:
        await s.retrieve(vectors[0], "bulk insight", 5)  # loads keywords and features
    await bulk.store_many(xs[20:], vectors[20:], "m")
    for x, v in zip(xs[20:], vectors[20:], strict=True):
        await single.store(x, v, "m")

    async def ranked(s: CozoStore) -> list[Any]:
        out = []
        for q in (0, 25, 39):
            r = await s.retrieve(vectors[q], f"bulk {q} insight", 8)
            out.append(sorted((i, round(c, 5), None if b is None else round(b, 5), f)
                              for i, c, b, f in r.hits))
        return out

    expected = await ranked(single)
    assert await ranked(bulk) == expected
    path = bulk.path
    await bulk.close()
    async with await CozoStore.open(path) as again:
        assert await ranked(again) == expected
