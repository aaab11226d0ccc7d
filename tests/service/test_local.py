"""LocalGroove: one process, one handle per database, a context per request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from groove import (
    LearningCategory,
    NotFound,
    Outcome,
    RelationType,
    ValidationError,
)
from groove.config import GrooveConfig
from groove.domain import Vector
from groove.embedder import EmbeddingLanes
from groove.errors import StoreClosed
from groove.service import GrooveAPI, LocalGroove, RequestContext
from groove.testing import HashEmbedder
from groove.tiers import Tier
from tests.conftest import make_project


def _project(tmp_path: Path, name: str, org: str | None = None) -> RequestContext:
    return RequestContext(make_project(tmp_path, name, org))


@pytest.fixture
async def api(config: GrooveConfig) -> AsyncIterator[LocalGroove]:
    async with LocalGroove(config, embedder=HashEmbedder()) as g:
        yield g


def test_local_groove_satisfies_the_protocol(config: GrooveConfig) -> None:
    """LocalGroove is a GrooveAPI, so every entry point can hold it or a client."""
    assert isinstance(LocalGroove(config), GrooveAPI)


async def test_two_projects_share_one_user_store(api: LocalGroove, tmp_path: Path) -> None:
    """Requests from two projects at once use one handle per database: no DatabaseLocked,
    and each project sees its own tier plus the shared user tier."""
    a, b = _project(tmp_path, "a"), _project(tmp_path, "b")
    results = await asyncio.gather(
        api.add(a, "in a"), api.add(b, "in b"),
        api.add(a, "mine", tier=Tier.USER), api.add(b, "also mine", tier=Tier.USER))
    assert [r.tier for r in results] == [Tier.PROJECT, Tier.PROJECT, Tier.USER, Tier.USER]
    seen_a = {t.learning.content.description for t in await api.list(a)}
    seen_b = {t.learning.content.description for t in await api.list(b)}
    assert seen_a == {"in a", "mine", "also mine"}
    assert seen_b == {"in b", "mine", "also mine"}
    assert len(api.pool.open_paths()) == 3


async def test_reads_never_create_a_tier(api: LocalGroove, config: GrooveConfig,
                                         tmp_path: Path) -> None:
    """list, search, stats, params (the built-ins, at their priors) and doctor on a fresh
    home create no database; a write does, and its project tier ignores itself in git."""
    ctx = _project(tmp_path, "p", "acme")
    assert await api.list(ctx) == []
    assert await api.search(ctx, "anything") == []
    assert [p.name for p in await api.params(ctx)] == ["injection_budget",
                                                       "injection_threshold"]
    assert all(not t["exists"] for t in await api.stats(ctx))
    assert (await api.doctor(ctx, check_model=False)).healthy
    assert await api.proposals(ctx) == []
    assert not config.user_db_path.exists()
    assert not (tmp_path / "acme-db").exists()
    assert ctx.project_root is not None
    assert not (ctx.project_root / ".vibes" / "groove").exists()
    await api.add(ctx, "a write creates the project tier")
    assert (ctx.project_root / ".vibes" / "groove" / ".gitignore").read_text().endswith("*\n")
    assert not config.user_db_path.exists()


async def test_blank_learning_rejected(api: LocalGroove) -> None:
    """A blank description is refused before anything is written."""
    with pytest.raises(ValidationError, match="blank"):
        await api.add(RequestContext(), "   ")
    assert await api.list(RequestContext()) == []


async def test_ids_abbreviate_and_errors_name_them(api: LocalGroove) -> None:
    """Every use case takes a git-style id prefix; too short or unknown ids are named."""
    ctx = RequestContext()
    added = await api.add(ctx, "use ruff", insight="not flake8",
                          category=LearningCategory.TOOL_USAGE)
    prefix = str(added.learning.id)[:13]
    assert (await api.get(ctx, prefix)).found.learning.id == added.learning.id
    report = await api.record_outcome(ctx, prefix, Outcome.HELPFUL)
    assert report.confidence_before == 0.5
    assert report.confidence_after == pytest.approx(2 / 3)
    with pytest.raises(ValidationError, match="at least 4"):
        await api.get(ctx, "01a")
    with pytest.raises(NotFound):
        await api.get(ctx, "ffffffff")


async def test_reject_cannot_overwrite_an_accept(api: LocalGroove, tmp_path: Path) -> None:
    """Accept and reject racing on one proposal: exactly one decision lands."""
    ctx = _project(tmp_path, "p", "acme")
    added = await api.add(ctx, "deploy with ops/deploy.sh")
    proposal = await api.propose(ctx, added.learning.id)
    results = await asyncio.gather(
        api.accept(ctx, proposal.id), api.reject(ctx, proposal.id, "duplicate"),
        return_exceptions=True)
    decided = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(decided) == 1 and len(refused) == 1, results
    stored = await api.proposals(ctx)
    assert len(stored) == 1 and stored[0].status.value in ("accepted", "rejected")
    enterprise = await api.list(ctx, tiers=[Tier.ENTERPRISE])
    assert len(enterprise) == (1 if stored[0].status.value == "accepted" else 0)


async def test_call_after_close_names_the_store(config: GrooveConfig) -> None:
    """A store used after close raises StoreClosed naming its path, not a RuntimeError."""
    api = LocalGroove(config, embedder=HashEmbedder())
    tiers = api.view(RequestContext())
    store = await tiers.store_for(Tier.USER)
    await api.close()
    with pytest.raises(StoreClosed, match=str(config.user_db_path)):
        await store.count()
    await store.close()  # closing twice is fine


async def test_relations_and_export_through_the_api(api: LocalGroove, tmp_path: Path) -> None:
    """Relate, promote, then export: the document imports into an empty home."""
    ctx = _project(tmp_path, "p")
    old = await api.add(ctx, "use pip install -e .")
    new = await api.add(ctx, "use uv pip install -e .")
    await api.relate(ctx, new.learning.id, RelationType.SUPERSEDES, old.learning.id)
    await api.promote(ctx, new.learning.id)
    doc = await api.export(ctx, tmp_path / "all.json")
    fresh = GrooveConfig(tmp_path / "fresh" / "user")
    async with LocalGroove(fresh, embedder=HashEmbedder()) as other:
        stats = await other.import_(RequestContext(), tmp_path / "all.json")
    assert stats.learnings_imported == len(doc.learnings) == 3
    assert stats.relations_imported == len(doc.relations) == 2


class SlowEmbedder(HashEmbedder):
    """Takes 50 ms per call, to see who waits for whom."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vector:
        time.sleep(0.05)
        with self._lock:
            self.log.append((threading.current_thread().name, len(texts)))
        return super().embed(texts)


async def test_query_goes_before_the_rest_of_a_bulk_embedding() -> None:
    """A query that arrives during bulk embedding waits for one chunk at most, not for
    the whole bulk job."""
    slow = SlowEmbedder()
    lanes = EmbeddingLanes(slow, chunk=4)
    try:
        bulk = asyncio.create_task(lanes.bulk([f"text {i}" for i in range(40)]))
        await asyncio.sleep(0.08)  # the bulk lane is inside its first or second chunk
        started = time.monotonic()
        vector = await lanes.query(["a query"])
        waited = time.monotonic() - started
        matrix = await bulk
    finally:
        lanes.close()
    assert matrix.shape == (40, 384) and vector.shape == (1, 384)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    query_at = next(i for i, (name, n) in enumerate(slow.log) if "query" in name)
    assert query_at <= 3, slow.log  # not after the 10 bulk chunks
    assert waited < 0.5 * 10 * 0.05 + 0.05, waited
