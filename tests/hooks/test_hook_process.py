"""`groove hook` as Claude Code runs it: a fresh process, no server yet."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from groove.client import probe
from groove.runtime import RuntimePaths
from tests.served import server_home

pytestmark = pytest.mark.slow
GROOVE = str(Path(sys.executable).with_name("groove"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RuntimePaths]:
    with server_home(tmp_path, monkeypatch, "hook_deadline = 2.0\n") as paths:
        yield paths


def test_first_hook_starts_the_server_and_stays_in_its_deadline(home: RuntimePaths,
                                                               tmp_path: Path) -> None:
    """No server: the prompt hook starts one, answers (with nothing) by its deadline,
    exits 0; the server it started then answers."""
    payload = json.dumps({"session_id": "s1", "cwd": str(tmp_path),
                          "hook_event_name": "UserPromptSubmit",
                          "prompt": "how do we handle money amounts here?"})
    started = time.monotonic()
    r = subprocess.run([GROOVE, "hook", "prompt"], input=payload, capture_output=True,
                       text=True, timeout=30)
    took = time.monotonic() - started
    assert r.returncode == 0 and r.stdout == ""
    assert took < 2.0 + 1.0, f"the hook took {took:.1f} s for a 2 s deadline"
    deadline = time.monotonic() + 30
    while probe(home) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert probe(home) is not None
    assert "started one" in home.hook_log.read_text()
