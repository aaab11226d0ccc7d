"""A sync killed with SIGKILL midway (in its push, then in its pull) resumes, and the end
state has every event counted once and every learning pulled once."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from groove.domain import Outcome
from groove.store import CozoStore
from groove.store.replica import OutboxEntry
from groove.team import init_server, server, sync_replica
from tests.team.conftest import ORG, create_database, machine_config
from tests.team.helpers import curated, seed, server_counts, server_rows
from tests.team.pg import PgServer

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("sync_child.py")
PATIENCE_S = 120


def run_and_kill(config: Path, page: int, phase: str, k: int) -> list[str]:
    """Run the child sync and SIGKILL it right after its k-th `phase` line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(config), str(page)],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    seen: list[str] = []
    try:
        for line in proc.stdout:
            seen.append(line.strip())
            assert seen[-1] != "done", f"the sync finished before its {k}th {phase}: {seen}"
            if sum(s.startswith(phase) for s in seen) >= k:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(PATIENCE_S)
    assert proc.returncode == -signal.SIGKILL, seen
    return seen


def test_sigkill_midway_resumes_without_loss_or_double(pg_server: PgServer,
                                                       tmp_path: Path) -> None:
    """Killed after some pushed pages and again after some pulled pages, the sync resumes
    (the pull where it stopped) and ends with server counts equal to the events recorded,
    and the replica holding each server learning once, with the server's counts."""
    url = create_database(pg_server)
    asyncio.run(init_server(url))
    first = curated(1500, seed=3)
    asyncio.run(seed(url, first))
    config, _ = machine_config(tmp_path, url, "alice")
    org = config.enterprises[ORG]
    expected: Counter[tuple[str, str]] = Counter()
    rng = random.Random(1414)

    async def prepare() -> None:
        store = await CozoStore.open(org.db_path)
        await sync_replica(store, org, "alice")
        for _ in range(1200):
            lid, outcome = rng.choice(first).learning.id, rng.choice(list(Outcome))
            await store.record_outcome(lid, outcome, log_event=True)
            expected[(str(lid), outcome.value)] += 1
        await store.close()
        others = []
        for _ in range(500):
            lid, outcome = rng.choice(first).learning.id, rng.choice(list(Outcome))
            others.append(OutboxEntry.outcome_event(lid, outcome))
            expected[(str(lid), outcome.value)] += 1
        async with server.connect(url) as conn:
            await server.push(conn, others, [], "bob")

    asyncio.run(prepare())
    asyncio.run(seed(url, curated(2500, seed=4)))
    config_path = tmp_path / "groove.toml"
    run_and_kill(config_path, 100, "push", 3)
    seen = run_and_kill(config_path, 100, "pull learnings", 8)
    assert any(s.startswith("push") for s in seen)  # the push resumed, then the pull began

    async def finish() -> None:
        store = await CozoStore.open(org.db_path)
        report = await sync_replica(store, org, "alice")
        assert report.resumed
        assert await store.outbox() == []
        on_server = await server_counts(url)
        want = {lid: tuple(expected[(lid, o.value)] for o in Outcome)
                for lid in {lid for lid, _ in expected}}
        assert on_server == want
        (events,) = await server_rows(url, "SELECT count(*) FROM groove.outcome_event")
        assert events[0] == 1700
        ids = {r[0] for r in await server_rows(url, "SELECT id::text FROM groove.learning")}
        learnings = await store.all_learnings()
        assert len(learnings) == len(ids) == 4000
        assert {str(x.id) for x in learnings} == ids
        usage = {str(k): v for k, v in (await store.get_usages([x.id for x in learnings])
                                         ).items()}
        for lid, (h, i, c) in want.items():
            u = usage[lid]
            assert (u.times_helpful, u.times_ignored, u.times_contradicted) == (h, i, c)
        assert await store.check_integrity() == []
        await store.close()

    asyncio.run(finish())
