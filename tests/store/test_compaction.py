"""Compaction: logs back to one, nothing lost, and a kill at any step recoverable."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from groove import CozoStore, Learning, LearningCategory, LearningContent, Scope
from groove.store import compaction
from groove.store.engine import WORK_DIR

DIM = 16


def _learnings(n: int) -> list[Learning]:
    return [Learning.new(Scope.project(f"/repo/{i % 3}"), LearningCategory.SOLUTION,
                         LearningContent(f"learning {i}")) for i in range(n)]


def _vectors(n: int) -> list[np.ndarray]:
    v = np.random.default_rng(2).standard_normal((n, DIM)).astype(np.float32)
    return list(v / np.linalg.norm(v, axis=1, keepdims=True))


async def _filled(path: Path, n: int = 200, opens: int = 12) -> list[Learning]:
    xs = _learnings(n)
    async with await CozoStore.open(path, dim=DIM) as s:
        await s.store_many(xs, _vectors(n))
    for _ in range(opens):
        (await CozoStore.open(path, dim=DIM)).close_sync()
    return xs


async def _assert_intact(path: Path, xs: list[Learning]) -> None:
    async with await CozoStore.open(path, dim=DIM) as s:
        assert await s.count() == len(xs)
        assert await s.check_integrity() == []
        assert len(await s.find_by_scope(Scope.project("/repo/1"))) == len(xs[1::3])
        q = _vectors(len(xs))[7]
        hits = await s.semantic_search(q, 1)
        assert hits[0][0].id == xs[7].id
        assert str(xs[5].id)[-8:] and await s.resolve_prefix(str(xs[5].id)[-8:]) == [xs[5].id]


async def test_opens_leave_logs_and_compact_removes_them(tmp_path: Path) -> None:
    """Every open leaves a log; compact leaves one and keeps every row and index."""
    db = tmp_path / "db"
    xs = await _filled(db)
    before = compaction.log_stats(db)
    assert before.files >= 12
    async with await CozoStore.open(db, dim=DIM) as s:
        done = await s.compact()
        assert done["after"]["log_files"] <= 2 < done["before"]["log_files"]
        assert await s.count() == len(xs)  # usable at once, on the swapped-in copy
    assert compaction.log_stats(db).files <= 2
    assert not (db / WORK_DIR).exists()
    await _assert_intact(db, xs)
    async with await CozoStore.open(db, dim=DIM) as s:  # the side file survived it
        await s.semantic_search(_vectors(1)[0], 1)
        assert (await s.vector_status())["source"] == "side file"


async def test_close_compacts_past_the_bound(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose logs pass the bound is rewritten when it closes."""
    monkeypatch.setattr(compaction, "AUTO_COMPACT_LOGS", 8)
    db = tmp_path / "db"
    xs = await _filled(db, opens=4)
    assert compaction.log_stats(db).files < 8
    for _ in range(6):
        (await CozoStore.open(db, dim=DIM)).close_sync()
    assert compaction.log_stats(db).files < 8
    await _assert_intact(db, xs)


_KILLER = """
import asyncio, os, signal, sys
sys.path[:0] = {paths!r}
from groove import CozoStore
from groove.store import compaction

stage = sys.argv[2]
def die(*_a):
    os.kill(os.getpid(), signal.SIGKILL)

if stage == "between-renames":
    real = os.replace
    calls = []
    def replace(a, b):
        real(a, b)
        calls.append(a)
        if str(a).endswith("/data"):  # the original moved aside, the copy not yet in
            die()
    os.replace = replace

async def main():
    s = await CozoStore.open(sys.argv[1], dim={dim})
    def progress(name, done, total):
        if name == stage:
            die()
    await s.compact(progress)

asyncio.run(main())
"""


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["backup", "restore", "verify", "swap", "between-renames",
                                   "done"])
async def test_kill_at_any_step_loses_nothing(tmp_path: Path, stage: str) -> None:
    """SIGKILL at each step of a compaction (even between the two renames of the swap):
    the next open recovers, with every row, index and vector."""
    db = tmp_path / "db"
    xs = await _filled(db, n=300, opens=5)
    script = tmp_path / "kill.py"
    script.write_text(textwrap.dedent(_KILLER).format(
        paths=[str(Path(__file__).parents[2] / "src"), str(Path(__file__).parents[2])],
        dim=DIM))
    proc = subprocess.run([sys.executable, str(script), str(db), stage],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr[-2000:]
    await _assert_intact(db, xs)
    assert not (db / WORK_DIR).exists()
    assert (db / "data").is_dir() and os.listdir(db / "data")


async def test_new_database_gets_groove_rocksdb_options(tmp_path: Path) -> None:
    """A new database is given <db>/options with 16 MB write buffers, 32 MB of them kept
    for transaction checks and index blocks kept with their tables, and RocksDB uses it."""
    db = tmp_path / "db"
    (await CozoStore.open(db, dim=DIM)).close_sync()
    assert "write_buffer_size=16777216" in (db / "options").read_text()
    newest = max((db / "data").glob("OPTIONS-*"), key=lambda p: int(p.name.split("-")[1]))
    assert "  write_buffer_size=16777216" in newest.read_text()
    assert "  max_write_buffer_size_to_maintain=33554432" in newest.read_text()
    assert "  cache_index_and_filter_blocks=false" in newest.read_text()


async def test_an_older_options_file_gets_new_settings(tmp_path: Path) -> None:
    """A database whose <db>/options predates a setting groove added is given it at the
    next open, and RocksDB uses it."""
    db = tmp_path / "db"
    (await CozoStore.open(db, dim=DIM)).close_sync()
    options = db / "options"
    options.write_text(options.read_text().replace(
        "cache_index_and_filter_blocks=false", "cache_index_and_filter_blocks=true"))
    (await CozoStore.open(db, dim=DIM)).close_sync()
    assert "  cache_index_and_filter_blocks=false" in options.read_text()
    newest = max((db / "data").glob("OPTIONS-*"), key=lambda p: int(p.name.split("-")[1]))
    assert "  cache_index_and_filter_blocks=false" in newest.read_text()


async def test_a_large_session_log_is_flushed_at_close(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A session that wrote a large log flushes it at close: the next open replays none."""
    monkeypatch.setattr(compaction, "FLUSH_LOG_BYTES", 64 << 10)
    db = tmp_path / "db"
    xs = await _filled(db, n=400, opens=0)
    assert compaction.log_stats(db).bytes < 64 << 10
    await _assert_intact(db, xs)
