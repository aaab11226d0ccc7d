"""SIGKILL during a bulk import loses nothing acknowledged and corrupts nothing."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from groove import GrooveExport, LearningExport
from groove.testing import HashEmbedder
from groove.transfer import write_export
from tests.conftest import make_learning, open_embedded

pytestmark = pytest.mark.slow

N = 4000
BATCH = 100
TRIALS = 12
CHILD = Path(__file__).with_name("crash_importer.py")


def _file(tmp: Path) -> tuple[Path, list[str]]:
    doc = GrooveExport(learnings=[LearningExport(make_learning(f"crash {i} " + "x" * 200))
                                  for i in range(N)])
    path = tmp / "bulk.json"
    write_export(doc, path)
    return path, [str(le.learning.id) for le in doc.learnings]


def _run_and_kill(db: Path, file: Path, delay: float) -> tuple[int, bool]:
    """Start the importer, kill it `delay` s after it is ready; (acknowledged, finished)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(db), str(file), str(BATCH)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "start"
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout))  # type: ignore[arg-type]
    reader.start()
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    acks = [int(x.split()[1]) for x in lines if x.startswith("ack ")]
    return (max(acks) if acks else 0), any(x.strip() == "done" for x in lines)


def test_sigkill_during_import(tmp_path: Path) -> None:
    """Killed at random moments (>= 10 mid-import trials), the store opens, passes the
    integrity check, and holds exactly the acknowledged batches (plus at most the one batch
    that committed in the instant before its acknowledgement was printed)."""
    file, ids = _file(tmp_path)
    rng = random.Random(20261123)
    mid_import, rows_checked, window = 0, 0, 0
    attempt = 0
    while mid_import < TRIALS and attempt < TRIALS * 3:
        attempt += 1
        db = tmp_path / f"db{attempt}"
        acked, finished = _run_and_kill(db, file, rng.uniform(0.05, 2.0))
        stored, problems = asyncio.run(_inspect(db))
        assert problems == [], problems
        rows_checked += len(stored)
        assert stored == set(ids[: len(stored)]), "a write landed out of order or partly"
        assert len(stored) % BATCH == 0, "a batch was half written"
        assert acked <= len(stored) <= acked + BATCH
        window += len(stored) > acked
        if not finished and len(stored) < N:
            mid_import += 1
    assert mid_import >= 10, f"only {mid_import} kills landed mid-import"
    print(f"\ncrash trials: {attempt} runs, {mid_import} killed mid-import, {rows_checked} rows "
          f"checked, {window} commits landed in the ack window")


async def _inspect(db: Path) -> tuple[set[str], list[str]]:
    async with await open_embedded(db, HashEmbedder()) as store:
        problems = await store.check_integrity()
        stored = {str(x.id) for x in await store.all_learnings()}
        for i in list(stored)[:50]:
            assert await store.get_usage(__import__("uuid").UUID(i)) is not None
        return stored, problems
