"""Two processes on one tier: the second waits a bounded time, fails with exit 3, and the
first one's work is intact."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WRITER = """
import asyncio, sys, time
from pathlib import Path
from tests.conftest import open_embedded
from groove import CozoStore, Learning, LearningCategory, LearningContent, Scope
from groove.testing import HashEmbedder

async def main():
    store = await open_embedded(Path(sys.argv[1]), HashEmbedder())
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        await store.store(Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION,
                                       LearningContent(f"writer {i}")))
    print("written", flush=True)
    time.sleep(float(sys.argv[3]))
    await store.close()

asyncio.run(main())
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "GROOVE_CONFIG": str(home / "groove.toml"),
            "XDG_DATA_HOME": str(home / "data"), "PYTHONPATH": os.pathsep.join(sys.path)}


def test_second_process_waits_then_exits_3(tmp_path: Path) -> None:
    """A second groove command fails after its bounded wait (flag and config), exit 3,
    naming path, holder pid and the time it waited; nothing hangs; the first process's
    200 writes survive."""
    env = _env(tmp_path)
    db = tmp_path / "data" / "vibes" / "groove" / "user"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "200", "4"],
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        for args, wait in ((["--lock-timeout", "1.0"], 1.0), ([], 0.0)):
            if not args:
                (tmp_path / "groove.toml").write_text("lock_timeout = 0.8\n")
                wait = 0.8
            t = time.monotonic()
            r = subprocess.run([sys.executable, "-m", "groove", *args, "list"], env=env,
                               capture_output=True, text=True, timeout=60, cwd=tmp_path)
            took = time.monotonic() - t
            assert r.returncode == 3, r.stderr
            said = re.search(rf"database {re.escape(str(db))} is locked by process "
                             rf"{writer.pid} after waiting (\d+\.\d)s;", r.stderr)
            assert said, r.stderr
            # It reports the time it really waited: at least the timeout, at most its run.
            assert wait <= float(said[1]) <= took + 0.05, (said[1], wait, took)
            assert took >= wait
        assert writer.stdout.readline().strip() == "written"
    finally:
        writer.wait(timeout=60)
    (tmp_path / "groove.toml").write_text("lock_timeout = 10\n")
    r = subprocess.run([sys.executable, "-m", "groove", "list", "--json", "--limit", "500"],
                       env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 200
    r = subprocess.run([sys.executable, "-m", "groove", "doctor", "--skip-model", "--json"],
                       env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert json.loads(r.stdout)["healthy"] is True, r.stdout


def test_waiting_command_succeeds_when_holder_leaves(tmp_path: Path) -> None:
    """With a long enough lock timeout, the second command waits and then succeeds."""
    env = _env(tmp_path)
    db = tmp_path / "data" / "vibes" / "groove" / "user"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), "5", "1.5"],
                              stdout=subprocess.PIPE, text=True, env=env)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    r = subprocess.run([sys.executable, "-m", "groove", "--lock-timeout", "30", "list",
                        "--json"], env=env, capture_output=True, text=True, timeout=90,
                       cwd=tmp_path)
    writer.wait(timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 5
