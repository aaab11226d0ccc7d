"""Bad import files are rejected with a clear error, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from groove import ExportError, GrooveConfig, GrooveStorage, ImportRejected, Outcome, Tier
from groove.testing import HashEmbedder
from tests.conftest import DELETE, make_learning, set_path

Mutate = Callable[[dict[str, Any]], Any]


def _set(path: list[Any], value: Any) -> Mutate:
    return lambda d: set_path(d, path, value)


def _dup_ids(d: dict[str, Any]) -> None:
    d["learnings"][1]["id"] = d["learnings"][0]["id"]


def _dangling(d: dict[str, Any]) -> None:
    d["relations"][0]["to_id"] = "01900000-0000-7000-8000-0000000000ff"


CASES: list[tuple[str, Mutate | bytes, str]] = [
    ("wrong version", _set(["version"], 99), "unsupported export version 99"),
    ("version as string", _set(["version"], "1"), "version: expected an integer"),
    ("missing learnings", _set(["learnings"], DELETE), "learnings: required field"),
    ("missing description", _set(["learnings", 0, "content", "description"], DELETE),
     r"learnings\[0\].content.description: required"),
    ("mistyped insight", _set(["learnings", 0, "content", "insight"], 42),
     r"learnings\[0\].content.insight: expected a string"),
    ("invalid uuid", _set(["learnings", 1, "id"], "1234-not-a-uuid"),
     r"learnings\[1\].id: not a valid UUID"),
    ("duplicate ids", _dup_ids, "duplicate learning id"),
    ("unknown category", _set(["learnings", 0, "category"], "gossip"), "unknown category"),
    ("unknown relation type", _set(["relations", 0, "relation_type"], "likes"),
     "unknown relation type"),
    ("confidence above 1", _set(["learnings", 0, "confidence"], 1.7), r"must lie in \[0.0, 1.0\]"),
    ("negative counter", _set(["learnings", 0, "usage_stats", "times_ignored"], -3),
     "must be >= 0"),
    ("bad timestamp", _set(["learnings", 0, "created_at"], "yesterday"), "ISO-8601"),
    ("naive timestamp", _set(["learnings", 0, "created_at"], "2026-01-01T00:00:00"),
     "no timezone"),
    ("bad scope", _set(["learnings", 0, "scope"], "team:core"), "invalid scope"),
    ("huge description", _set(["learnings", 0, "content", "description"], "x" * 10_000_000),
     "the limit is 65536"),
    ("dangling relation", _dangling, "neither in the file nor in the store"),
]
RAW: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("truncated", lambda b: b[: len(b) // 2], "not valid JSON at line"),
    ("invalid utf-8", lambda b: b.replace(b'"one', b'"\xff\xfeone', 1), "not valid UTF-8"),
    ("nan", lambda b: b.replace(b'"confidence": 0.5', b'"confidence": NaN', 1), "NaN"),
    ("empty", lambda b: b"", "not valid JSON"),
    ("not an object", lambda b: b"[1, 2]", "expected an object"),
]


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[GrooveStorage]:
    root = tmp_path / "proj"
    (root / ".vibes").mkdir(parents=True)
    s = await GrooveStorage.open(GrooveConfig(tmp_path / "user"), root, embedder=HashEmbedder())
    a = await s.add(make_learning("one"))
    b = await s.add(make_learning("two"))
    await s.add(make_learning("three"), Tier.USER)
    await s.record_outcome(a.learning.id, Outcome.HELPFUL)
    await s.relate(a.learning.id, __import__("groove").RelationType.RELATED_TO, b.learning.id)
    yield s
    await s.close()


async def _snapshot(s: GrooveStorage) -> list[dict[str, Any]]:
    out = []
    for tier in s.get_read_tiers():
        d = (await s.export(None, [tier])).to_dict()
        d.pop("exported_at")
        out.append(d)
    return out


async def _valid(s: GrooveStorage) -> dict[str, Any]:
    doc = (await s.export(None, [Tier.PROJECT])).to_dict()
    # fresh ids so that a valid file would really add rows
    for i, le in enumerate(doc["learnings"]):
        old, new = le["id"], f"01900000-0000-7000-8000-{i:012d}"
        le["id"] = new
        for r in doc["relations"]:
            r["from_id"] = new if r["from_id"] == old else r["from_id"]
            r["to_id"] = new if r["to_id"] == old else r["to_id"]
    return doc


@pytest.mark.parametrize(("name", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
async def test_bad_document_rejected_nothing_written(
    storage: GrooveStorage, tmp_path: Path, name: str, mutate: Mutate, message: str
) -> None:
    """Each malformed document is rejected naming the problem; every tier is unchanged."""
    doc = await _valid(storage)
    mutate(doc)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    before = await _snapshot(storage)
    for tier in (Tier.PROJECT, Tier.USER):
        with pytest.raises(ImportRejected, match=message):
            await storage.import_(path, tier)
    assert await _snapshot(storage) == before


@pytest.mark.parametrize(("name", "corrupt", "message"), RAW, ids=[c[0] for c in RAW])
async def test_bad_bytes_rejected_nothing_written(
    storage: GrooveStorage, tmp_path: Path, name: str, corrupt: Callable[[bytes], bytes],
    message: str
) -> None:
    """Truncated, non-UTF-8 or non-JSON files are rejected; every tier is unchanged."""
    raw = json.dumps(await _valid(storage), indent=2).encode()
    path = tmp_path / "bad.json"
    path.write_bytes(corrupt(raw))
    before = await _snapshot(storage)
    with pytest.raises(ImportRejected, match=message):
        await storage.import_(path, Tier.USER)
    assert await _snapshot(storage) == before


async def test_valid_document_still_imports(storage: GrooveStorage, tmp_path: Path) -> None:
    """The unmutated document imports (so the cases above fail for their own reason)."""
    path = tmp_path / "good.json"
    path.write_text(json.dumps(await _valid(storage)))
    stats = await storage.import_(path, Tier.USER)
    assert (stats.learnings_imported, stats.relations_imported) == (2, 1)


async def test_missing_file(storage: GrooveStorage, tmp_path: Path) -> None:
    """A file that is not there is an ExportError naming it."""
    with pytest.raises(ExportError, match=r"nope\.json"):
        await storage.import_(tmp_path / "nope.json", Tier.USER)
