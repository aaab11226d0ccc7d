"""Three tiers, really used: precedence, lazy opening, promotion, proposals, files."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groove import (
    EnterpriseCuratedSource,
    ImportRejected,
    LearningCategory,
    NoEnterpriseContext,
    NotFound,
    Outcome,
    PromotedSource,
    RelationType,
    Scope,
    ValidationError,
)
from groove.config import GrooveConfig
from groove.domain.proposal import ProposalStatus
from groove.testing import HashEmbedder
from groove.tiers import GrooveStorage, Tier
from tests.conftest import make_learning, make_project

_project = make_project


@pytest.fixture
async def storage(config: GrooveConfig, tmp_path: Path) -> AsyncIterator[GrooveStorage]:
    s = await GrooveStorage.open(config, _project(tmp_path, "proj", "acme"),
                                 embedder=HashEmbedder())
    yield s
    await s.close()


async def test_read_tiers_and_context(config: GrooveConfig, tmp_path: Path) -> None:
    """Personal reads project+user; enterprise adds its tier; unknown org stays personal;
    a view of another project leaves the first view as it was."""
    async with await GrooveStorage.open(config, embedder=HashEmbedder()) as s:
        assert s.get_read_tiers() == [Tier.USER]
        assert str(s.context) == "Personal"
        assert s.with_project(_project(tmp_path, "p1")).get_read_tiers() == [Tier.PROJECT,
                                                                             Tier.USER]
        acme = s.with_project(_project(tmp_path, "p2", "acme"))
        assert acme.get_read_tiers() == [Tier.PROJECT, Tier.USER, Tier.ENTERPRISE]
        assert acme.context.org_id == "acme"
        unknown = s.with_project(_project(tmp_path, "p3", "unknown-org"))
        assert unknown.get_read_tiers() == [Tier.PROJECT, Tier.USER]
        assert s.get_read_tiers() == [Tier.USER] and s.project_root is None


async def test_lazy_opening(config: GrooveConfig, tmp_path: Path) -> None:
    """The project and enterprise tiers are not created on disk until written: reads skip
    a tier that does not exist yet."""
    root = _project(tmp_path, "proj", "acme")
    async with await GrooveStorage.open(config, root, embedder=HashEmbedder()) as s:
        assert config.user_db_path.exists()
        assert not (root / ".vibes" / "groove").exists()
        assert not (tmp_path / "acme-db").exists()
        await s.add(make_learning("in project"))
        assert (root / ".vibes" / "groove").exists()
        assert not (tmp_path / "acme-db").exists()
        await s.search("anything", 3)
        await s.list()
        assert not (tmp_path / "acme-db").exists()
        await s.propose((await s.list())[0].learning.id)
        assert (tmp_path / "acme-db").exists()


async def test_writes_go_to_project_else_user(config: GrooveConfig, tmp_path: Path) -> None:
    """New learnings go to the project tier in a project, else to the user tier."""
    async with await GrooveStorage.open(config, embedder=HashEmbedder()) as s:
        assert (await s.add(make_learning("no project"))).tier is Tier.USER
        p = s.with_project(_project(tmp_path, "p"))
        assert (await p.add(make_learning("in project"))).tier is Tier.PROJECT
        assert (await p.add(make_learning("explicit"), Tier.USER)).tier is Tier.USER
        assert await (await s.store_for(Tier.USER)).count() == 2


async def test_record_outcome_finds_tier(storage: GrooveStorage) -> None:
    """record_outcome finds the learning in whichever tier holds it (by prefix too)."""
    user = await storage.add(make_learning("mine"), Tier.USER)
    found, stats = await storage.record_outcome(str(user.learning.id)[:20], Outcome.HELPFUL)
    assert found.tier is Tier.USER and stats.times_helpful == 1
    with pytest.raises(NotFound):
        await storage.record_outcome("ffffffff", Outcome.HELPFUL)


async def test_promotion_chain_with_provenance(storage: GrooveStorage) -> None:
    """project -> user promotion and enterprise -> user copies record where they came from."""
    original = await storage.add(make_learning("pytest fixtures please"))
    copy = await storage.promote(original.learning.id)
    assert copy.tier is Tier.USER and copy.learning.id != original.learning.id
    assert isinstance(copy.learning.source, PromotedSource)
    assert copy.learning.source.original_id == original.learning.id
    assert copy.learning.source.from_scope == original.learning.scope
    assert copy.learning.scope == Scope.user("alex")
    rels = await storage.relations(copy)
    assert [(r.relation_type, r.to_id) for r in rels] == [
        (RelationType.DERIVED_FROM, original.learning.id)]
    # the promoted copy and its original appear once in reads, from the project tier
    hits = await storage.search("pytest fixtures please", 10)
    assert [(h.learning.id, h.tier) for h in hits] == [(original.learning.id, Tier.PROJECT)]


async def test_promote_and_propose_twice_return_the_first(storage: GrooveStorage) -> None:
    """A second promote returns the copy made by the first; a second propose returns the
    proposal still pending; nothing is duplicated."""
    original = await storage.add(make_learning("promote me once"))
    first = await storage.promote(original.learning.id)
    again = await storage.promote(str(original.learning.id))
    assert again.learning.id == first.learning.id
    assert len(await storage.list(tiers=[Tier.USER])) == 1
    p1 = await storage.propose(original.learning.id, "acme")
    p2 = await storage.propose(original.learning.id, "acme")
    assert p1.id == p2.id and len(await storage.proposals("acme")) == 1


async def test_a_promoted_copy_carries_discounted_trust(storage: GrooveStorage) -> None:
    """The copy starts from the original's posterior pulled halfway to the prior: trusted
    stays above 0.5 (less so), contradicted stays below, untested stays at 0.5."""
    trusted = await storage.add(make_learning("trusted in this project"))
    for _ in range(4):
        await storage.record_outcome(trusted.learning.id, Outcome.HELPFUL)
    doubted = await storage.add(make_learning("contradicted here"))
    await storage.record_outcome(doubted.learning.id, Outcome.CONTRADICTED)
    fresh = await storage.add(make_learning("never tried"))
    t, d, f = [(await storage.promote(x.learning.id)).learning.confidence
               for x in (trusted, doubted, fresh)]
    original = (await storage.locate(trusted.learning.id)).learning.confidence
    assert 0.5 < t < original
    assert d < 0.5 and f == pytest.approx(0.5)


async def test_proposal_accept_and_reject(storage: GrooveStorage) -> None:
    """Proposals are settled by a curator: accept makes a curated copy, reject keeps a reason."""
    a = await storage.add(make_learning("share this with the team"), Tier.USER)
    b = await storage.add(make_learning("this one is private"), Tier.USER)
    pa = await storage.propose(a.learning.id, "acme")
    pb = await storage.propose(b.learning.id)
    assert {p.id for p in await storage.proposals("acme", ProposalStatus.PENDING)} == {
        pa.id, pb.id}
    decided, copy = await storage.accept(str(pa.id)[:30], curator="cora")
    assert decided.status is ProposalStatus.ACCEPTED and decided.curator == "cora"
    assert decided.accepted_id == copy.id and decided.decided_at is not None
    assert isinstance(copy.source, EnterpriseCuratedSource) and copy.source.curator == "cora"
    found = await storage.locate(copy.id)
    assert found.tier is Tier.ENTERPRISE
    assert [r.to_id for r in await storage.relations(found)] == [a.learning.id]
    rejected = await storage.reject(pb.id, "too specific", curator="cora")
    assert (rejected.status, rejected.reason) == (ProposalStatus.REJECTED, "too specific")
    with pytest.raises(Exception, match="already rejected"):
        await storage.accept(pb.id)
    # enterprise -> user copy
    personal = await storage.copy_to_personal(copy.id)
    assert personal.tier is Tier.USER
    assert isinstance(personal.learning.source, PromotedSource)
    hits = await storage.search("share this with the team", 10)
    assert [h.tier for h in hits if "share" in h.learning.content.description] == [Tier.USER]


async def test_propose_without_org(config: GrooveConfig, tmp_path: Path) -> None:
    """Proposing outside an enterprise project without an org is a clear error."""
    async with await GrooveStorage.open(config, _project(tmp_path, "p"),
                                        embedder=HashEmbedder()) as s:
        x = await s.add(make_learning())
        with pytest.raises(NoEnterpriseContext):
            await s.propose(x.learning.id)


async def test_supersedes_and_contradicts(storage: GrooveStorage) -> None:
    """Superseded learnings drop out; in a project the project side of a contradiction wins."""
    old = await storage.add(make_learning("format code with black"))
    new = await storage.add(make_learning("format code with ruff format"))
    await storage.relate(new.learning.id, RelationType.SUPERSEDES, old.learning.id)
    ids = [h.learning.id for h in await storage.search("format code", 10)]
    assert new.learning.id in ids and old.learning.id not in ids
    listed = [t.learning.id for t in await storage.list()]
    assert old.learning.id not in listed
    user = await storage.add(make_learning("tabs for indentation"), Tier.USER)
    proj = await storage.add(make_learning("spaces for indentation"), Tier.PROJECT)
    with pytest.raises(ValidationError, match="one tier"):
        await storage.relate(proj.learning.id, RelationType.RELATED_TO, user.learning.id)
    await storage.relate(proj.learning.id, RelationType.CONTRADICTS, user.learning.id)
    hits = await storage.search("indentation", 10)
    got = [(h.learning.id, h.tier) for h in hits if "indentation" in h.learning.content.description]
    assert got == [(proj.learning.id, Tier.PROJECT)]


async def test_injection_by_confidence_and_relevance(storage: GrooveStorage) -> None:
    """Injection without a query ranks by confidence; with a query, only learnings at least
    `min_similarity` similar to it qualify."""
    a = await storage.add(make_learning("alpha trusted"))
    b = await storage.add(make_learning("beta doubtful"), Tier.USER)
    await storage.record_outcome(a.learning.id, Outcome.HELPFUL)
    await storage.record_outcome(b.learning.id, Outcome.CONTRADICTED)
    assert [t.learning.id for t in await storage.find_for_injection(2)] == [
        a.learning.id, b.learning.id]
    got = await storage.find_for_injection(2, "beta doubtful", min_similarity=0.3)
    assert [t.learning.id for t in got] == [b.learning.id]
    assert got[0].why is not None and got[0].why.sampled


async def test_export_import_round_trip_across_tiers(
    storage: GrooveStorage, config: GrooveConfig, tmp_path: Path
) -> None:
    """Export of several tiers imports into an empty store with identical content."""
    a = await storage.add(make_learning("proj a"))
    b = await storage.add(make_learning("proj b"))
    await storage.add(make_learning("user c", category=LearningCategory.SOLUTION), Tier.USER)
    await storage.record_outcome(a.learning.id, Outcome.HELPFUL)
    await storage.relate(a.learning.id, RelationType.RELATED_TO, b.learning.id)
    path = tmp_path / "out" / "export.json"
    doc = await storage.export(path, [Tier.PROJECT, Tier.USER])
    assert json.loads(path.read_text())["version"] == 1
    other_config = GrooveConfig(tmp_path / "home2" / "user", user_id="bob")
    async with await GrooveStorage.open(other_config, embedder=HashEmbedder()) as fresh:
        stats = await fresh.import_(path, Tier.USER)
        assert (stats.learnings_imported, stats.relations_imported) == (3, 1)
        assert stats.embeddings_computed == 3
        again = await fresh.export(None, [Tier.USER])
        key = lambda d: sorted(d.learnings, key=lambda x: str(x.learning.id))  # noqa: E731
        assert key(again) == key(doc)
        assert again.relations == doc.relations


async def test_rejected_import_changes_nothing(storage: GrooveStorage, tmp_path: Path) -> None:
    """A bad file is rejected with the field path and every tier stays exactly as it was."""
    await storage.add(make_learning("keep me"))
    await storage.add(make_learning("me too"), Tier.USER)
    before = {t: (await storage.export(None, [t])).to_dict() for t in storage.get_read_tiers()}
    good = await storage.export(None, [Tier.PROJECT])
    data = good.to_dict()
    data["learnings"].append(dict(data["learnings"][0], id="not-a-uuid"))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    for tier in (Tier.PROJECT, Tier.USER):
        with pytest.raises(ImportRejected, match=r"learnings\[1\]\.id"):
            await storage.import_(bad, tier)
    missing = good.to_dict()
    missing["relations"] = [{"from_id": missing["learnings"][0]["id"],
                             "relation_type": "related_to",
                             "to_id": "01900000-0000-7000-8000-000000000000", "weight": 1.0,
                             "created_at": "2026-01-01T00:00:00+00:00"}]
    missing["learnings"][0]["id"] = "01900000-0000-7000-8000-00000000000a"
    missing["relations"][0]["from_id"] = missing["learnings"][0]["id"]
    bad.write_text(json.dumps(missing))
    with pytest.raises(ImportRejected, match="neither in the file nor in the store"):
        await storage.import_(bad, Tier.USER)
    after = {t: (await storage.export(None, [t])).to_dict() for t in storage.get_read_tiers()}
    for d in (*before.values(), *after.values()):
        d.pop("exported_at")
    assert after == before


async def test_search_without_working_embedder_is_capability_error(
    config: GrooveConfig, tmp_path: Path
) -> None:
    """A text search with an embedder that cannot load fails as missing SemanticSearch."""
    from groove import CapabilityMissing, EmbeddingError

    class Broken(HashEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            raise EmbeddingError("model files are missing")

    async with await GrooveStorage.open(config, embedder=Broken()) as s:
        with pytest.raises(CapabilityMissing, match=r"SemanticSearch.*model files are missing"):
            await s.search("anything")
    async with await GrooveStorage.open(config) as s:
        with pytest.raises(CapabilityMissing, match="no embedder"):
            await s.search("anything")


async def test_injection_does_not_wait_for_a_keyword_build(
        storage: GrooveStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a tier's keyword index is being built, an injection ranks that tier by vector
    alone and says so in each hit's explanation; a search waits for the index."""
    import asyncio
    import threading

    from groove.store import cozo

    x = await storage.add(make_learning("Run ruff check --fix before committing"), Tier.USER)
    store = await storage.store_for(Tier.USER)
    started, release = threading.Event(), threading.Event()
    build = cozo._keyword_index

    def held(rows: object) -> cozo.KeywordIndex:
        started.set()
        assert release.wait(60)
        return build(rows)  # type: ignore[arg-type]

    monkeypatch.setattr(cozo, "_keyword_index", held)
    warming = asyncio.ensure_future(store.warm())
    assert await asyncio.to_thread(started.wait, 60)
    [hit] = await storage.find_for_injection(3, "ruff check --fix before committing")
    assert hit.learning.id == x.learning.id and hit.why is not None
    assert hit.why.keyword is None
    assert any("keyword index was still being built" in n for n in hit.why.notes)
    searching = asyncio.ensure_future(storage.search("ruff check --fix", 3))
    for _ in range(5):
        await asyncio.sleep(0.01)
    assert not searching.done()
    release.set()
    await warming
    [found] = await searching
    assert found.why is not None and found.why.keyword is not None
    assert not any("keyword" in n for n in found.why.notes)
