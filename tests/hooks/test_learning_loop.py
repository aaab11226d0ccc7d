"""The loop closed through the real hooks: a learning injected in seven sessions, followed
in five and corrected by the user in two, ends at the confidence the Beta update gives,
with the evidence of each session kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from groove.client import RemoteGroove
from groove.config import GrooveConfig
from groove.domain import Outcome
from groove.domain.usage import OUTCOME_WEIGHTS, PRIOR_ALPHA, PRIOR_BETA
from groove.service import RequestContext
from groove.testing import TranscriptBuilder
from tests.conftest import make_project
from tests.served import Served, served

GROOVE = str(Path(sys.executable).with_name("groove"))


@pytest.fixture
def server(config: GrooveConfig) -> Iterator[Served]:
    with served(config) as s:
        yield s


def hook(server: Served, name: str, payload: dict[str, Any]) -> str:
    env = {**os.environ, "GROOVE_RUNTIME_DIR": str(server.paths.dir),
           "GROOVE_LOG_DIR": str(server.paths.log_dir)}
    r = subprocess.run([GROOVE, "hook", name], input=json.dumps(payload), capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


async def test_five_followed_two_corrected(server: Served, tmp_path: Path) -> None:
    """Seven sessions through session-start and session-end hooks: the transcript rules
    credit 5 helpful and 2 contradicted, once each, and say why."""
    project = make_project(tmp_path, "api")
    api, ctx = RemoteGroove(server.paths), RequestContext(project)
    tip = (await api.add(ctx, "Run the API tests with `just test-api`",
                         insight="plain pytest skips the database fixtures")).learning
    for n in range(7):
        sid = f"00000000-0000-4000-8000-00000000000{n}"
        transcript = tmp_path / f"{sid}.jsonl"
        base = {"session_id": sid, "cwd": str(project), "transcript_path": str(transcript)}
        shown = hook(server, "session-start", {**base, "hook_event_name": "SessionStart",
                                                "source": "startup"})
        assert "just test-api" in shown, n
        t = (TranscriptBuilder(sid).prompt("the API tests fail, please check")
             .tool("Bash", {"command": "just test-api -k orders"}, "2 failed, 40 passed"))
        if n >= 5:  # the user pushes back on it
            t = t.prompt("no, don't use just test-api here, run pytest directly").tool(
                "Bash", {"command": "pytest tests/api -k orders"}, "42 passed")
        t.say("Fixed the order totals; the tests pass.").write(transcript)
        hook(server, "session-end", {**base, "hook_event_name": "SessionEnd",
                                     "reason": "prompt_input_exit"})
        assert server.server is not None and server.loop is not None
        asyncio.run_coroutine_threadsafe(server.server.drain(), server.loop).result(30)
        hook(server, "session-end", {**base, "hook_event_name": "SessionEnd"})  # twice: once
        asyncio.run_coroutine_threadsafe(server.server.drain(), server.loop).result(30)
    detail = await api.get(ctx, tip.id)
    helpful, contradicted = OUTCOME_WEIGHTS[Outcome.HELPFUL], OUTCOME_WEIGHTS[Outcome.CONTRADICTED]
    alpha = PRIOR_ALPHA + 5 * helpful[0] + 2 * contradicted[0]
    beta = PRIOR_BETA + 5 * helpful[1] + 2 * contradicted[1]
    assert (detail.usage.times_helpful, detail.usage.times_contradicted) == (5, 2)
    assert detail.usage.confidence() == pytest.approx(alpha / (alpha + beta))
    outcomes = [(i.outcome, json.loads(i.evidence or "{}").get("rule")) for i in sorted(
        detail.history, key=lambda i: i.session_id)]
    assert [o for o, _ in outcomes] == [Outcome.HELPFUL] * 5 + [Outcome.CONTRADICTED] * 2
    assert all(rule for _, rule in outcomes)
    assert "pushed back" in str(outcomes[-1][1])
