"""SIGKILL the groove server in the middle of writes, 50 times: every acknowledged write
is there, the store is healthy, its keyword index and ranking features (saved by the
odd clean stop between the kills) hold exactly what is stored, and stale socket and lock
files stop no one."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from groove.client import ensure_server, probe
from groove.client.transport import call
from groove.config import GrooveConfig
from groove.domain import Outcome
from groove.errors import GrooveError
from groove.runtime import RuntimePaths
from groove.service import LocalGroove, RequestContext
from groove.store import queries as Q
from groove.store.features import RankingFeatures
from groove.testing import HashEmbedder
from groove.tiers import Tier
from tests.served import server_home

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
ROUNDS = 50


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimePaths]:
    with server_home(tmp_path, monkeypatch) as paths:
        yield paths


class Writer(threading.Thread):
    """Writes until the server dies, keeping what the server acknowledged."""

    def __init__(self, paths: RuntimePaths, shared: str, round_: int):
        super().__init__(daemon=True)
        self.paths, self.shared, self.round = paths, shared, round_
        self.added: list[str] = []
        self.rated = 0
        self.attempted_ratings = 0

    def run(self) -> None:
        i = 0
        try:
            while True:
                learning = call(self.paths.socket, "add", {}, f"round {self.round} note {i}",
                                timeout=10)
                self.added.append(str(learning.learning.id))
                self.attempted_ratings += 1
                call(self.paths.socket, "record_outcome", {}, self.shared, Outcome.HELPFUL,
                     timeout=10)
                self.rated += 1
                i += 1
        except (GrooveError, OSError):
            return


def _start(paths: RuntimePaths) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, str(HERE / "hash_server.py")],
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while probe(paths, timeout=0.5) is None:
        assert proc.poll() is None, "the server exited instead of starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    return proc


def test_kill_the_server_mid_write_fifty_times(home: RuntimePaths) -> None:
    """Acknowledged adds and ratings survive 50 SIGKILLs; the next start is not blocked."""
    rng = random.Random(7)
    proc = _start(home)
    shared = str(call(home.socket, "add", {}, "the shared learning").learning.id)
    acked: list[str] = []
    rated = attempted = 0
    for round_ in range(ROUNDS):
        if round_:
            proc = _start(home)  # over the dead one's socket file and lock file
        writer = Writer(home, shared, round_)
        writer.start()
        time.sleep(rng.uniform(0.05, 0.3))
        graceful = round_ % 10 == 5  # a stop that saves the keyword index, then more kills
        proc.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        proc.wait()
        writer.join(20)
        assert not writer.is_alive()
        acked += writer.added
        rated += writer.rated
        attempted += writer.attempted_ratings
        if not graceful:
            assert home.socket.exists() and home.lock.exists()  # stale, left by the kill
    assert len(acked) > ROUNDS

    async def check() -> None:
        async with LocalGroove(GrooveConfig.load(), embedder=HashEmbedder()) as api:
            ctx = RequestContext()
            stored = {str(t.learning.id) for t in await api.list(ctx, limit=None)}
            assert set(acked) <= stored
            usage = (await api.get(ctx, shared)).usage
            assert rated <= usage.times_helpful <= attempted
            report = await api.doctor(ctx, check_model=False)
            assert report.healthy, [c for c in report.checks if not c.ok]
            store = await api.view(ctx).store_for(Tier.USER)
            await store.warm()  # keywords and features (saved by a stop, if still trusted)
            assert store._keywords is not None and set(store._keywords._row) == stored
            engine, ids = store._engine, sorted(stored)
            fresh = RankingFeatures.build(engine.query(Q.FEATURE_LEARNINGS),
                                          engine.query(Q.FEATURE_USAGE))
            assert store._features is not None and store._features.of(ids) == fresh.of(ids)

    import asyncio

    asyncio.run(check())
    status = ensure_server(home, wait=60)  # the real `groove serve`, through the launcher
    assert status["pid"] != proc.pid
    assert len(call(home.socket, "list", {}, limit=None)) >= len(acked) + 1
