"""Many processes against one real `groove serve` (real model): nothing lost, no lock
error, exactly one server started however many clients race to start it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from groove.client import ensure_server, probe
from groove.client.transport import call
from groove.runtime import RuntimePaths
from tests.served import server_home

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimePaths]:
    with server_home(tmp_path, monkeypatch) as paths:
        yield paths


def _clients(n: int, argv: list[str]) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, *argv, str(i)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for i in range(n)]


def test_racing_clients_start_exactly_one_server(home: RuntimePaths) -> None:
    """Eight clients that find no server at once all end up on the one server one of
    them started; the log shows a single start."""
    code = ("import json; from groove.client import ensure_server; "
            "from groove.runtime import runtime_paths; "
            "print(json.dumps(ensure_server(runtime_paths(), wait=60)['pid']))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    pids = set()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        pids.add(json.loads(out))
    assert len(pids) == 1
    log = home.log.read_text()
    assert log.count("listening on") == 1, log
    assert "already runs" not in log


def test_sixteen_clients_lose_nothing(home: RuntimePaths) -> None:
    """16 processes at once, each adding, searching and rating one shared learning 100
    times: every rating counted, every learning there, no lock error."""
    ensure_server(home, wait=60)
    shared = call(home.socket, "add", {}, "Indent with tabs", timeout=120)
    sid = str(shared.learning.id)
    procs = _clients(16, [str(HERE / "server_client.py"), sid, "100"])
    added = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert "locked" not in err.lower()
        added.append(json.loads(out)["added"])
    detail = call(home.socket, "get", {}, sid)
    assert detail.usage.times_helpful == 1600
    assert len(call(home.socket, "list", {}, limit=None)) == 17
    assert all(call(home.socket, "get", {}, a) for a in added)
    st = probe(home, full=True)
    assert st is not None and st["errors"] == 0, st
