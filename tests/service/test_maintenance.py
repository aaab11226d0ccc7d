"""Maintenance use cases: doctor's log and dangling-edge checks, compact, import of edges
whose far end exists nowhere."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groove import LearningRelation, RelationType
from groove.config import GrooveConfig
from groove.domain import GrooveExport, LearningExport, UsageStats
from groove.errors import ImportRejected
from groove.service import LocalGroove, RequestContext
from groove.store import compaction
from groove.testing import HashEmbedder
from groove.tiers import Tier
from groove.transfer import write_export
from tests.conftest import make_learning, make_project


@pytest.fixture
async def api(config: GrooveConfig) -> AsyncIterator[LocalGroove]:
    async with LocalGroove(config, embedder=HashEmbedder()) as g:
        yield g


def _check(report: object, name: str) -> object:
    return next(c for c in report.checks if c.name == name)  # type: ignore[attr-defined]


async def test_doctor_reports_logs_and_flags_past_the_bound(
        api: LocalGroove, monkeypatch: pytest.MonkeyPatch) -> None:
    """doctor names each tier's log count and size, and fails past the bound with the fix."""
    ctx = RequestContext()
    await api.add(ctx, "use ruff")
    check = _check(await api.doctor(ctx, check_model=False), "user logs")
    assert check.ok and "write-ahead log files" in check.detail  # type: ignore[attr-defined]
    assert "keyword side file none" in check.detail  # type: ignore[attr-defined]
    monkeypatch.setattr(compaction, "AUTO_COMPACT_LOGS", 1)
    check = _check(await api.doctor(ctx, check_model=False), "user logs")
    assert not check.ok and check.fix == "groove compact"  # type: ignore[attr-defined]
    stats = (await api.stats(ctx))[0]
    assert stats["log_files"] >= 1 and "vector_index" in stats


async def test_doctor_finds_dangling_edges_and_compact_drops_them(
        api: LocalGroove, tmp_path: Path) -> None:
    """An edge whose far end was deleted from its tier is reported with a fix; compact
    --drop-dangling removes exactly those edges."""
    ctx = RequestContext(make_project(tmp_path, "p"))
    user = await api.add(ctx, "user learning", tier=Tier.USER)
    project = await api.add(ctx, "project learning", tier=Tier.PROJECT)
    keep = await api.add(ctx, "kept", tier=Tier.USER)
    await api.relate(ctx, project.learning.id, RelationType.SUPERSEDES, user.learning.id)
    await api.relate(ctx, project.learning.id, RelationType.CONTRADICTS, keep.learning.id)
    assert _check(await api.doctor(ctx, check_model=False), "relations").ok  # type: ignore
    await api.delete(ctx, user.learning.id)  # the edge lives on in the project tier
    check = _check(await api.doctor(ctx, check_model=False), "relations")
    assert not check.ok and str(user.learning.id) in check.detail  # type: ignore[attr-defined]
    assert "--drop-dangling" in check.fix  # type: ignore[attr-defined]
    reports = await api.compact(ctx, drop_dangling=True)
    assert sum(r.dangling_dropped for r in reports) == 1
    assert _check(await api.doctor(ctx, check_model=False), "relations").ok  # type: ignore
    detail = await api.get(ctx, project.learning.id)
    assert [r.to_id for r in detail.relations] == [keep.learning.id]


async def test_promoted_copy_is_not_dangling_outside_its_project(
        api: LocalGroove, tmp_path: Path) -> None:
    """A promoted copy's provenance edge points into its project: checked there, not
    reported from a context that cannot see that project."""
    ctx = RequestContext(make_project(tmp_path, "p"))
    original = await api.add(ctx, "project learning")
    await api.promote(ctx, original.learning.id)
    assert _check(await api.doctor(RequestContext(), check_model=False), "relations").ok  # type: ignore


async def test_compact_reports_logs_before_and_after(api: LocalGroove) -> None:
    """compact rewrites each tier and says how many logs it found and left."""
    ctx = RequestContext()
    await api.add(ctx, "use ruff")
    seen: list[str] = []
    [report] = await api.compact(ctx, progress=lambda t, stage, d, n: seen.append(stage))
    assert report.tier == "user" and report.log_files_after <= 2
    assert report.log_bytes_after < 1000
    assert {"backup", "restore", "verify", "swap"} <= set(seen)
    assert (await api.list(ctx))[0].learning.content.description == "use ruff"


def _doc(*, relations: list[LearningRelation], n: int = 2) -> tuple[GrooveExport, list]:
    xs = [make_learning(f"learning {i}") for i in range(n)]
    return GrooveExport(learnings=[LearningExport(x, UsageStats()) for x in xs],
                        relations=relations), xs


async def test_import_skips_cross_tier_edges_that_point_nowhere(
        api: LocalGroove, tmp_path: Path) -> None:
    """A cross-tier edge whose far end is in neither the file nor any tier is skipped and
    counted; one whose far end is in another tier of the home is kept."""
    ctx = RequestContext(make_project(tmp_path, "p"))
    elsewhere = await api.add(ctx, "in the user tier", tier=Tier.USER)
    doc, xs = _doc(relations=[])
    nowhere = uuid.uuid4()
    doc.relations = [
        LearningRelation.new(xs[0].id, RelationType.DERIVED_FROM, nowhere),
        LearningRelation.new(xs[1].id, RelationType.SUPERSEDES, elsewhere.learning.id),
        LearningRelation.new(xs[0].id, RelationType.RELATED_TO, xs[1].id),
    ]
    path = tmp_path / "doc.json"
    write_export(doc, path)
    stats = await api.import_(ctx, path, tier=Tier.PROJECT)
    assert stats.learnings_imported == 2
    assert stats.relations_dangling == 1 and stats.relations_imported == 2
    assert _check(await api.doctor(ctx, check_model=False), "relations").ok  # type: ignore


async def test_import_rejects_same_tier_edge_to_nowhere(api: LocalGroove, tmp_path: Path
                                                        ) -> None:
    """An edge that must stay in one tier and points nowhere still refuses the file."""
    doc, xs = _doc(relations=[])
    doc.relations = [LearningRelation.new(xs[0].id, RelationType.RELATED_TO, uuid.uuid4())]
    path = tmp_path / "doc.json"
    write_export(doc, path)
    with pytest.raises(ImportRejected):
        await api.import_(RequestContext(), path)
    assert await api.list(RequestContext()) == []
