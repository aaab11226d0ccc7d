"""The store contract, run on both engines (mnestic and upstream cozo-embedded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groove import (
    CozoStore,
    Direction,
    EmbeddingError,
    EmbeddingModelMismatch,
    LearningCategory,
    LearningRelation,
    LearningStore,
    NotFound,
    Outcome,
    ParamStore,
    RelationType,
    Scope,
    SystemParam,
    UsageStats,
    ValidationError,
)
from groove.store import queries as Q
from groove.store.features import RankingFeatures
from groove.testing import HashEmbedder
from tests.conftest import make_learning, open_embedded

HOSTILE = [
    "it's \"quoted\" and 'single'",
    "back\\slash \\n not a newline, and a real\nnewline\r\n",
    "$id $learnings :rm learning {id} ::remove learning",
    "{?[x] <- [[1]] :put learning {id => scope}} ;; % # //",
    "unicode: 日本語 émoji 🎸 \u0000 nul and \t tab",
    "   leading and trailing spaces   ",
    "",
]


async def test_satisfies_protocols(store: CozoStore) -> None:
    """CozoStore satisfies the LearningStore and ParamStore protocols."""
    assert isinstance(store, LearningStore)
    assert isinstance(store, ParamStore)
    assert store.is_initialized()


async def test_store_and_get(store: CozoStore) -> None:
    """A stored learning comes back equal, timestamps to the microsecond."""
    learning = make_learning()
    learning.content.pattern = {"lang": "python", "n": [1, 2.5, None]}
    assert await store.store(learning) == learning.id
    assert await store.get(learning.id) == learning
    assert await store.get_usage(learning.id) == UsageStats()


async def test_get_missing_is_none(store: CozoStore) -> None:
    """Getting an unknown id returns None."""
    assert await store.get(make_learning().id) is None


async def test_store_twice_is_error(store: CozoStore) -> None:
    """Storing an id that exists is rejected, and the first version stays."""
    learning = make_learning("first")
    await store.store(learning)
    learning.content.description = "second"
    with pytest.raises(ValidationError, match="already exists"):
        await store.store(learning)
    got = await store.get(learning.id)
    assert got is not None and got.content.description == "first"


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_text_verbatim(store: CozoStore, text: str) -> None:
    """Quotes, braces, newlines, unicode and Datalog syntax are stored byte-for-byte."""
    learning = make_learning(text, text[::-1])
    await store.store(learning)
    got = await store.get(learning.id)
    assert got is not None
    assert got.content.description == text
    assert got.content.insight == text[::-1]
    assert await store.count() == 1


async def test_find_by_scope_and_category(store: CozoStore) -> None:
    """find_by_scope / find_by_category return exactly the matching learnings."""
    alice, bob = Scope.user("alice"), Scope.user("bob")
    for i in range(3):
        await store.store(make_learning(f"alice {i}", scope=alice))
    await store.store(make_learning("bob", scope=bob, category=LearningCategory.SOLUTION))
    assert len(await store.find_by_scope(alice)) == 3
    assert [x.content.description for x in await store.find_by_scope(bob)] == ["bob"]
    assert len(await store.find_by_category(LearningCategory.SOLUTION)) == 1
    assert await store.count_by_scope() == {"user:alice": 3, "user:bob": 1}
    assert await store.count_by_category() == {
        LearningCategory.PREFERENCE: 3, LearningCategory.SOLUTION: 1}


async def test_count(store: CozoStore) -> None:
    """count follows stores and deletes."""
    assert await store.count() == 0
    ids = [await store.store(make_learning(f"l{i}")) for i in range(5)]
    assert await store.count() == 5
    await store.delete(ids[0])
    assert await store.count() == 4


async def test_update(store: CozoStore, embedder: HashEmbedder) -> None:
    """update changes fields and the vector of changed text, stamps updated_at, returns
    what it stored, and NotFound for unknown ids."""
    learning = make_learning("alpha beta", "")
    await store.store(learning)
    learning.content.description = "gamma delta"
    learning.scope = Scope.project("/p")
    stored = await store.update(learning)
    assert await store.get(learning.id) == stored
    assert stored.content == learning.content and stored.scope == learning.scope
    assert stored.updated_at > learning.updated_at
    hits = await store.semantic_search(embedder.embed(["gamma delta"])[0], 1,
                                       scope=Scope.project("/p"))
    assert hits[0][0].id == learning.id and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(NotFound):
        await store.update(make_learning())


async def test_delete_leaves_no_orphans(store: CozoStore, embedder: HashEmbedder) -> None:
    """delete removes the learning, its usage, embedding and relations both ways."""
    a, b, c = make_learning("a"), make_learning("b"), make_learning("c")
    for x in (a, b, c):
        await store.store(x)
    await store.store_relation(LearningRelation.new(a.id, RelationType.SUPERSEDES, b.id))
    await store.store_relation(LearningRelation.new(c.id, RelationType.RELATED_TO, a.id))
    await store.store_relation(LearningRelation.new(b.id, RelationType.RELATED_TO, c.id))
    assert await store.delete(a.id) is True
    assert await store.delete(a.id) is False
    assert await store.get(a.id) is None
    assert await store.get_usage(a.id) is None
    assert await store.get_embedding(a.id) is None
    assert await store.get_relations(b.id, Direction.INCOMING) == []
    remaining = await store.get_relations(c.id, Direction.BOTH)
    assert [(r.from_id, r.to_id) for r in remaining] == [(b.id, c.id)]
    hits = await store.semantic_search(embedder.embed(["a"])[0], 10)
    assert a.id not in {h[0].id for h in hits}
    assert await store.check_integrity() == []


async def test_record_outcome_updates_stats_and_confidence(store: CozoStore) -> None:
    """record_outcome moves usage stats and the learning's confidence together."""
    learning = make_learning()
    await store.store(learning)
    stats = await store.record_outcome(learning.id, Outcome.HELPFUL)
    assert stats.times_helpful == 1 and stats.confidence_alpha == 2.0
    got = await store.get(learning.id)
    assert got is not None and got.confidence == pytest.approx(2 / 3)
    assert got.updated_at > learning.updated_at
    await store.record_outcome(learning.id, Outcome.CONTRADICTED)
    got = await store.get(learning.id)
    assert got is not None and got.confidence == pytest.approx(2 / 4.5)
    with pytest.raises(NotFound):
        await store.record_outcome(make_learning().id, Outcome.HELPFUL)


async def test_update_usage(store: CozoStore) -> None:
    """update_usage replaces the stats and syncs confidence; for an unknown learning it
    raises NotFound and writes no stats."""
    learning = make_learning()
    await store.store(learning)
    stats = UsageStats(10, 8, 1, 1, None, 9.0, 3.0)
    await store.update_usage(learning.id, stats)
    assert await store.get_usage(learning.id) == stats
    got = await store.get(learning.id)
    assert got is not None and got.confidence == pytest.approx(0.75)
    ghost = make_learning()
    with pytest.raises(NotFound):
        await store.update_usage(ghost.id, stats)
    assert await store.get_usage(ghost.id) is None


async def test_relations_both_directions(store: CozoStore) -> None:
    """find_related follows outgoing, incoming or both edges, filtered by type."""
    a, b, c = make_learning("a"), make_learning("b"), make_learning("c")
    for x in (a, b, c):
        await store.store(x)
    await store.store_relation(LearningRelation.new(a.id, RelationType.SUPERSEDES, b.id))
    await store.store_relation(LearningRelation.new(c.id, RelationType.SPECIALIZES, a.id))
    ids = lambda xs: {x.id for x in xs}  # noqa: E731
    assert ids(await store.find_related(a.id, direction=Direction.OUTGOING)) == {b.id}
    assert ids(await store.find_related(a.id, direction=Direction.INCOMING)) == {c.id}
    assert ids(await store.find_related(a.id)) == {b.id, c.id}
    assert ids(await store.find_related(a.id, RelationType.SUPERSEDES)) == {b.id}
    assert ids(await store.find_related(b.id)) == {a.id}


async def test_relation_to_missing_learning_rejected(store: CozoStore) -> None:
    """A relation whose end is not stored is rejected (cross-tier types may point elsewhere)."""
    a = make_learning("a")
    await store.store(a)
    with pytest.raises(NotFound):
        await store.store_relation(
            LearningRelation.new(a.id, RelationType.RELATED_TO, make_learning().id))
    with pytest.raises(NotFound):
        await store.store_relation(
            LearningRelation.new(make_learning().id, RelationType.DERIVED_FROM, a.id))
    await store.store_relation(
        LearningRelation.new(a.id, RelationType.DERIVED_FROM, make_learning().id))
    assert len(await store.get_relations(a.id)) == 1


async def test_params(store: CozoStore) -> None:
    """Params store, update, list sorted by name."""
    assert await store.get_param("x") is None
    p = SystemParam.with_prior("budget", 8, 2)
    await store.store_param(p)
    assert await store.get_param("budget") == p
    p.param.update(1.0)
    await store.store_param(p)
    await store.store_param(SystemParam.new("alpha"))
    assert [q.name for q in await store.all_params()] == ["alpha", "budget"]
    assert await store.get_param("budget") == p


async def test_semantic_search_ranks_by_cosine(store: CozoStore, embedder: HashEmbedder) -> None:
    """Search returns learnings best first with cosine similarity in [-1, 1]."""
    texts = ["python testing with pytest fixtures", "rust error handling with result",
             "git rebase interactive workflow", "pytest parametrize testing"]
    for t in texts:
        await store.store(make_learning(t, ""))
    q = embedder.embed(["pytest fixtures testing python"])[0]
    hits = await store.semantic_search(q, 4)
    sims = [s for _, s in hits]
    assert sims == sorted(sims, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in sims)
    assert hits[0][0].content.description == texts[0]
    exact = await store.semantic_search(embedder.embed([texts[2]])[0], 1)
    assert exact[0][1] == pytest.approx(1.0, abs=1e-5)
    # the opposite direction scores -1
    neg = make_learning("negated", "")
    await store.store(neg, -q)
    last, score = (await store.semantic_search(q, 10))[-1]
    assert last.id == neg.id and score == pytest.approx(-1.0, abs=1e-5)


async def test_filtered_search_returns_requested_count(store: CozoStore,
                                                       embedder: HashEmbedder) -> None:
    """A scope/category filter applies before the top-k cut: limit results when enough match."""
    rng = np.random.default_rng(0)
    target = Scope.project("/rare")
    for i in range(200):
        scope = target if i % 20 == 0 else Scope.user("u")
        await store.store(make_learning(f"item {i}", scope=scope), rng.standard_normal(384))
    q = rng.standard_normal(384)
    hits = await store.semantic_search(q, 10, scope=target)
    assert len(hits) == 10
    assert {h[0].scope for h in hits} == {target}
    cat = await store.semantic_search(q, 5, category=LearningCategory.SOLUTION)
    assert cat == []
    both = await store.semantic_search(q, 50, scope=[target, Scope.user("u")])
    assert len(both) == 50


async def test_find_similar_threshold(store: CozoStore, embedder: HashEmbedder) -> None:
    """find_similar returns only hits at or above the threshold."""
    for t in ["alpha beta", "alpha gamma", "zeta eta theta"]:
        await store.store(make_learning(t, ""))
    hits = await store.find_similar(embedder.embed(["alpha beta"])[0], 0.3, 10)
    assert {h[0].content.description for h in hits} >= {"alpha beta"}
    assert all(s >= 0.3 for _, s in hits)
    assert "zeta eta theta" not in {h[0].content.description for h in hits}


async def test_find_for_injection(store: CozoStore, embedder: HashEmbedder) -> None:
    """Without embedding: by confidence then recency; with one: by similarity, in scope."""
    p = Scope.project("/p")
    low, high, other = make_learning("low", scope=p), make_learning("high", scope=p), \
        make_learning("other")
    for x in (low, high, other):
        await store.store(x)
    await store.record_outcome(high.id, Outcome.HELPFUL)
    await store.record_outcome(low.id, Outcome.IGNORED)
    got = await store.find_for_injection(p, None, 10)
    assert [x.id for x, _ in got] == [high.id, low.id]
    assert got[0][1] == pytest.approx(2 / 3)
    got = await store.find_for_injection([p, Scope.GLOBAL], embedder.embed(["other"])[0], 1)
    assert got[0][0].id == other.id
    assert [x.id for x, _ in await store.find_for_injection(None, None, 1)] == [high.id]


async def test_wrong_dimension_and_nan_rejected(store: CozoStore) -> None:
    """Vectors of the wrong size, NaN or zero are clear errors and nothing is written."""
    learning = make_learning()
    with pytest.raises(EmbeddingError, match="3 dimensions, this store uses 384"):
        await store.store(learning, [0.1, 0.2, 0.3])
    bad = np.ones(384)
    bad[7] = np.nan
    with pytest.raises(EmbeddingError, match="NaN"):
        await store.store(learning, bad)
    with pytest.raises(EmbeddingError, match="zero vector"):
        await store.store(learning, np.zeros(384))
    assert await store.count() == 0
    with pytest.raises(EmbeddingError, match="dimensions"):
        await store.semantic_search([1.0, 2.0], 3)


async def test_model_mismatch_detected(tmp_path: Path) -> None:
    """Vectors from another model are refused instead of mixing vector spaces."""
    s = await open_embedded(tmp_path / "db", HashEmbedder())
    await s.store(make_learning())
    await s.close()

    class Other(HashEmbedder):
        model_id = "other/model"

    s = await open_embedded(tmp_path / "db", Other())
    try:
        assert await s.embedding_model() == HashEmbedder.model_id
        with pytest.raises(EmbeddingModelMismatch, match="other/model"):
            await s.store(make_learning("x"))
        assert await s.count() == 1
    finally:
        await s.close()


async def test_store_embedding_and_search(bare_store: CozoStore) -> None:
    """store_embedding attaches a vector that search then finds (normalised)."""
    learning = make_learning()
    await bare_store.store(learning)
    assert await bare_store.semantic_search(np.ones(384), 5) == []
    await bare_store.store_embedding(learning.id, np.full(384, 3.0), "m")
    hits = await bare_store.semantic_search(np.ones(384), 5)
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(NotFound):
        await bare_store.store_embedding(make_learning().id, np.ones(384))


async def test_reopen_keeps_everything(tmp_path: Path, engine: str) -> None:
    """Closing and reopening keeps learnings, usage, relations, params and vectors."""
    emb = HashEmbedder()
    path = tmp_path / "db"
    async with await open_embedded(path, emb, engine=engine) as s:
        a, b = make_learning("alpha"), make_learning("beta")
        await s.store(a)
        await s.store(b)
        await s.record_outcome(a.id, Outcome.HELPFUL)
        await s.store_relation(LearningRelation.new(a.id, RelationType.SUPERSEDES, b.id))
        await s.store_param(SystemParam.new("p"))
        before = await s.export()
    async with await open_embedded(path, emb, engine=engine) as s:
        after = await s.export()
        assert after.learnings == before.learnings
        assert after.relations == before.relations
        assert after.params == before.params
        hits = await s.semantic_search(emb.embed(["alpha"])[0], 1)
        assert hits[0][0].id == a.id


async def test_export_import_round_trip(store: CozoStore, tmp_path: Path) -> None:
    """import_ into an empty store reproduces learnings, usage, params and relations."""
    a, b = make_learning("a"), make_learning("b")
    await store.store(a)
    await store.store(b)
    await store.record_outcome(a.id, Outcome.CONTRADICTED)
    await store.store_relation(LearningRelation.new(a.id, RelationType.CONTRADICTS, b.id))
    await store.store_param(SystemParam.with_prior("x", 3, 1))
    doc = await store.export()
    async with await open_embedded(tmp_path / "other", HashEmbedder()) as other:
        stats = await other.import_(doc)
        assert (stats.learnings_imported, stats.relations_imported, stats.params_imported,
                stats.embeddings_computed) == (2, 1, 1, 2)
        again = await other.export()
        assert again.learnings == doc.learnings
        assert again.relations == doc.relations and again.params == doc.params
        stats = await other.import_(doc)
        assert (stats.learnings_imported, stats.learnings_skipped,
                stats.relations_skipped, stats.params_skipped) == (0, 2, 1, 1)
        assert await other.check_integrity() == []


async def test_limit_validation(store: CozoStore) -> None:
    """A negative limit is a validation error."""
    with pytest.raises(ValidationError, match="limit"):
        await store.semantic_search(np.ones(384), -1)


async def test_resolve_prefix(store: CozoStore) -> None:
    """Abbreviated ids resolve like git: unique prefix to one id."""
    a = make_learning()
    await store.store(a)
    assert await store.resolve_prefix(str(a.id)[:13]) == [a.id]
    assert await store.resolve_prefix("zzzz") == []


async def test_list_learnings_orders_and_limits(store: CozoStore) -> None:
    """list_learnings filters, orders by confidence or recency, and limits inside Cozo."""
    p = Scope.project("/p")
    xs = [make_learning(f"l{i}", scope=p if i % 2 else Scope.GLOBAL) for i in range(6)]
    for x in xs:
        await store.store(x)
    await store.record_outcome(xs[1].id, Outcome.HELPFUL)
    await store.record_outcome(xs[3].id, Outcome.CONTRADICTED)
    top = await store.list_learnings(scope=p, sort="confidence", limit=2)
    assert [x.id for x in top] == [xs[1].id, xs[5].id]
    recent = await store.list_learnings(sort="recent", limit=1)
    assert recent[0].id == xs[3].id  # its outcome updated it last
    assert len(await store.list_learnings(category=LearningCategory.PREFERENCE)) == 6
    with pytest.raises(ValidationError, match="unknown sort"):
        await store.list_learnings(sort="size")


async def test_integrity_check_finds_damage(store: CozoStore, embedder: HashEmbedder) -> None:
    """check_integrity reports missing usage stats, orphan rows and index gaps."""
    a, b = make_learning("a"), make_learning("b")
    await store.store(a)
    await store.store(b)
    await store.semantic_search(embedder.embed(["a"])[0], 1)  # load the live index
    assert await store.check_integrity() == []
    engine = store._engine
    engine.mutate("?[learning_id] <- [[$id]] :rm usage_stats {learning_id}", {"id": str(a.id)})
    engine.mutate("?[id] <- [[$id]] :rm learning {id}", {"id": str(b.id)})
    assert store._index is not None
    store._index.remove(str(a.id))
    problems = "\n".join(await store.check_integrity())
    assert f"learning {a.id} has no usage stats" in problems
    assert f"usage stats for missing learning {b.id}" in problems
    assert f"embedding for missing learning {b.id}" in problems
    assert f"vector index does not hold the stored vector of {a.id}" in problems


async def test_store_with_relations_is_one_write(store: CozoStore) -> None:
    """store(relations=...) writes the learning and its edges together, or neither."""
    a = make_learning("a")
    await store.store(a)
    b = make_learning("b")
    await store.store(b, relations=[LearningRelation.new(b.id, RelationType.RELATED_TO, a.id)])
    assert [r.to_id for r in await store.get_relations(b.id)] == [a.id]
    c = make_learning("c")
    with pytest.raises(NotFound):
        await store.store(c, relations=[
            LearningRelation.new(c.id, RelationType.RELATED_TO, make_learning().id)])
    assert await store.get(c.id) is None


async def test_warm_builds_the_keyword_index_while_writes_go_on(
        store: CozoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """While `warm` builds the keyword index and reads the ranking features, writes
    neither wait for it nor get lost (a learning added, one deleted, one rewritten and an
    outcome recorded meanwhile show so in both once installed), and a keyword search
    that comes meanwhile waits for that build instead of making another."""
    import asyncio
    import threading

    from groove.store import cozo

    kept = make_learning("Deploy with ops/deploy.sh", "the script pins the region")
    gone = make_learning("Run ruff check --fix", "before each commit")
    await store.store_many([kept, gone])
    started, release = threading.Event(), threading.Event()
    build, builds = cozo._keyword_index, []

    def held(rows: Any) -> Any:  # the build, held until the writes are done
        builds.append(len(builds))
        started.set()
        assert release.wait(60), "the writes waited for the build"
        return build(rows)

    monkeypatch.setattr(cozo, "_keyword_index", held)
    warming = asyncio.ensure_future(store.warm())
    assert await asyncio.to_thread(started.wait, 60)
    added = make_learning("Set AWS_PROFILE=staging", "before terraform plan")
    await store.store(added)
    assert await store.delete(gone.id)
    kept.content.insight = "the script pins the region eu-west-1"
    await store.update(kept)
    await store.record_outcome(kept.id, Outcome.HELPFUL)
    searching = asyncio.ensure_future(store.keyword_search("AWS_PROFILE"))
    for _ in range(3):  # let the search reach its wait (or, wrongly, a build of its own)
        await asyncio.sleep(0)
    release.set()
    await warming
    assert [x.id for x, _ in await searching] == [added.id]
    assert await store.keyword_search("ruff") == []
    assert [x.id for x, _ in await store.keyword_search("eu-west-1")] == [kept.id]
    assert builds == [0]
    held = store._features
    assert held is not None and str(gone.id) not in held
    engine = store._engine
    fresh = RankingFeatures.build(engine.query(Q.FEATURE_LEARNINGS),
                                  engine.query(Q.FEATURE_USAGE))
    ids = [str(kept.id), str(added.id)]
    assert held.of(ids) == fresh.of(ids) and held.of([str(kept.id)])[0].alpha == 2.0


async def test_close_waits_for_the_warm_build_to_read(
        store: CozoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store closed while `warm` reads its snapshot (without the store's lock) closes
    the engine only after those reads, and the build then ends without installing."""
    import asyncio
    import threading

    await store.store(make_learning("Deploy with ops/deploy.sh"))
    reading, release = threading.Event(), threading.Event()
    query = store._engine.query

    def held(script: str, params: Any = None) -> Any:
        if script == Q.FEATURE_LEARNINGS:
            reading.set()
            assert release.wait(60)
        return query(script, params)

    monkeypatch.setattr(store._engine, "query", held)
    warming = asyncio.ensure_future(store.warm())
    assert await asyncio.to_thread(reading.wait, 60)
    closing = asyncio.ensure_future(store.close())
    await asyncio.sleep(0.2)
    assert not closing.done() and not store._engine.closed
    release.set()
    await closing
    await warming
    assert store._engine.closed and store._keywords is None and store._features is None


async def test_warm_without_keywords_returns_once_the_store_can_rank(
        store: CozoStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """`warm(keywords=False)` returns when the features are installed, the keyword index
    still building; a full `warm` then waits for that same build."""
    import asyncio
    import threading

    from groove.store import cozo

    await store.store(make_learning("Deploy with ops/deploy.sh"))
    started, release = threading.Event(), threading.Event()
    build, builds = cozo._keyword_index, []

    def held(rows: Any) -> Any:
        builds.append(1)
        started.set()
        assert release.wait(60)
        return build(rows)

    monkeypatch.setattr(cozo, "_keyword_index", held)
    await asyncio.wait_for(store.warm(keywords=False), 30)
    assert store._features is not None and len(store._features) == 1
    assert await asyncio.to_thread(started.wait, 60) and store._keywords is None
    release.set()
    await store.warm()
    assert store._keywords is not None and builds == [1]
