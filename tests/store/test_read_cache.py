"""The store's read cache of learnings: reads after a write see the write; callers get
copies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from groove import CozoStore, LearningContent, LearningRelation, Outcome, RelationType
from groove.testing import HashEmbedder
from tests.conftest import make_learning


async def test_reads_after_a_write_see_it(tmp_path: Path) -> None:
    """A cached learning read again after an outcome, an update and a delete is current."""
    embedder = HashEmbedder()
    store = await CozoStore.open(tmp_path / "db")
    x = make_learning("Use ruff check --fix before committing")
    await store.store(x, embedder.embed([x.content.description])[0])
    before = await store.get(x.id)
    assert before is not None and before.confidence == 0.5
    await store.record_outcome(x.id, Outcome.HELPFUL)
    after = await store.get(x.id)
    assert after is not None and after.confidence > 0.5
    edited = replace(after, content=LearningContent("Use ruff format too", "same hook"))
    await store.update(edited, embedder.embed(["Use ruff format too"])[0])
    [found] = await store.get_many([x.id])
    assert found.content.description == "Use ruff format too"
    hits = await store.semantic_search(embedder.embed(["Use ruff format too"])[0], 1)
    assert hits[0][0].content.description == "Use ruff format too"
    await store.delete(x.id)
    assert await store.get(x.id) is None and await store.get_many([x.id]) == []
    await store.close()


async def test_callers_get_copies(tmp_path: Path) -> None:
    """Changing a learning a read returned (its fields or its words) does not change what
    the next read returns."""
    store = await CozoStore.open(tmp_path / "db")
    x = make_learning()
    await store.store(x)
    first = await store.get(x.id)
    assert first is not None
    first.confidence = 0.99
    first.content.description = "changed by a caller"
    again = await store.get(x.id)
    assert again is not None and again.confidence == 0.5
    assert again.content.description == x.content.description
    await store.close()


async def test_a_search_sees_edges_made_after_it_found_none(tmp_path: Path) -> None:
    """A store without relations skips the edge query, and a relation stored later (or
    removed later) shows in the next retrieval."""
    embedder = HashEmbedder()
    store = await CozoStore.open(tmp_path / "db")
    a, b = make_learning("Use ruff check --fix"), make_learning("Use ruff format")
    for x in (a, b):
        await store.store(x, embedder.embed([x.content.description])[0])
    query = embedder.embed(["ruff"])[0]
    assert (await store.retrieve(query, "ruff", 5)).relations == []
    edge = LearningRelation.new(a.id, RelationType.SUPERSEDES, b.id)
    await store.store_relation(edge)
    assert [(r.from_id, r.to_id) for r in (await store.retrieve(query, "ruff", 5)).relations] \
        == [(a.id, b.id)]
    assert await store.remove_relations([edge]) == 1
    assert (await store.retrieve(query, "ruff", 5)).relations == []
    await store.close()


async def test_a_search_sees_usage_recorded_after_it(tmp_path: Path) -> None:
    """The trust a retrieval reads follows an outcome recorded after the previous one."""
    embedder = HashEmbedder()
    store = await CozoStore.open(tmp_path / "db")
    x = make_learning("Use ruff check --fix")
    await store.store(x, embedder.embed([x.content.description])[0])
    query = embedder.embed(["ruff"])[0]
    [(_, _, _, before)] = (await store.retrieve(query, "ruff", 5)).hits
    await store.record_outcome(x.id, Outcome.HELPFUL)
    [(_, _, _, after)] = (await store.retrieve(query, "ruff", 5)).hits
    assert (before.alpha, after.alpha) == (1.0, 2.0) and after.used > before.used
    await store.close()
