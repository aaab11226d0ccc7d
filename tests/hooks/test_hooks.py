"""The hooks against a real groove server: what they inject, what they record, and that
they never get in the agent's way."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from groove.client import RemoteGroove
from groove.config import GrooveConfig
from groove.domain import LearningCategory, Outcome, short_id
from groove.hooks import main
from groove.service import RequestContext
from groove.testing import TranscriptBuilder
from tests.conftest import make_project
from tests.served import Served, served

SESSION = "5b0c3a7e-2f4d-4c1a-9e8b-7d6f1a2b3c4d"


@pytest.fixture
def server(config: GrooveConfig, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with served(config) as s:
        monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(s.paths.dir))
        monkeypatch.setenv("GROOVE_LOG_DIR", str(s.paths.log_dir))
        yield s


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, "ledger-api")


def run(name: str, payload: Any) -> tuple[int, dict[str, Any] | None]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    out = io.StringIO()
    code = main([name], stdin=io.BytesIO(raw), stdout=out)
    return code, json.loads(out.getvalue()) if out.getvalue() else None


def context_of(answer: dict[str, Any] | None) -> str:
    assert answer is not None
    return str(answer["hookSpecificOutput"]["additionalContext"])


async def seed(server: Served, project: Path) -> dict[str, str]:
    api = RemoteGroove(server.paths)
    ctx = RequestContext(project)
    out = {}
    for key, text, insight in [
        ("decimal", "Money amounts use Decimal, never float",
         "float rounding broke reconcile_totals"),
        ("pytest", "Run the API tests with just test-api", "not plain pytest"),
    ]:
        t = await api.add(ctx, text, insight=insight, category=LearningCategory.CODE_PATTERN)
        out[key] = str(t.learning.id)
    return out


async def test_session_start_injects_the_projects_trusted_learnings(server: Served,
                                                                  project: Path) -> None:
    """SessionStart answers with the learnings at least as trusted as a typed one, worded
    as facts; one that outcomes pushed down waits for a prompt it is relevant to."""
    ids = await seed(server, project)
    payload = {"session_id": SESSION, "cwd": str(project), "hook_event_name": "SessionStart",
               "source": "startup"}
    await RemoteGroove(server.paths).record_outcome(RequestContext(project), ids["decimal"],
                                                    Outcome.HELPFUL)
    await RemoteGroove(server.paths).record_outcome(RequestContext(project), ids["pytest"],
                                                    Outcome.CONTRADICTED)
    code, answer = run("session-start", payload)
    assert code == 0
    assert answer is not None
    assert answer["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    text = context_of(answer)
    assert "Money amounts use Decimal" in text and "confidence 0.67" in text
    assert "just test-api" not in text
    assert len(text) < 10_000


async def test_prompt_injects_once_per_session_and_records_it(server: Served,
                                                             project: Path) -> None:
    """A related prompt gets the learning once per session; the injection is recorded."""
    ids = await seed(server, project)
    prompt = {"session_id": SESSION, "cwd": str(project), "hook_event_name":
              "UserPromptSubmit", "prompt": "Money amounts use Decimal, never float"}
    _, answer = run("prompt", prompt)
    assert "Money amounts use Decimal" in context_of(answer)
    _, again = run("prompt", prompt)
    assert again is None
    shown = await RemoteGroove(server.paths).session(RequestContext(project), SESSION)
    assert [str(i.learning_id) for i in shown] == [ids["decimal"]]


async def test_unrelated_and_trivial_prompts_get_nothing(server: Served,
                                                        project: Path) -> None:
    """An unrelated prompt, an acknowledgement and a slash command inject nothing."""
    await seed(server, project)
    for p in ["zebra migration patterns in the savannah", "ok", "/compact"]:
        code, answer = run("prompt", {"session_id": SESSION, "cwd": str(project),
                                      "prompt": p})
        assert code == 0 and answer is None, p


async def test_injection_can_be_turned_off(server: Served, project: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """`#nogroove` turns a session's injection off; GROOVE_INJECT=0 turns all off."""
    await seed(server, project)
    base = {"session_id": SESSION, "cwd": str(project)}
    _, answer = run("prompt", {**base, "prompt": "#nogroove Decimal for money amounts"})
    assert answer is None
    _, answer = run("prompt", {**base, "prompt": "Money amounts use Decimal, never float"})
    assert answer is None
    monkeypatch.setenv("GROOVE_INJECT", "0")
    _, answer = run("session-start", {**base, "session_id": "other"})
    assert answer is None


@pytest.mark.parametrize("raw", [b"", b"{oops", b"[]", b"\x00\xff" * 100])
def test_bad_input_exits_zero_and_prints_nothing(server: Served, raw: bytes) -> None:
    """Malformed stdin: exit 0, no output, a line in the hook log."""
    assert run("prompt", raw) == (0, None)
    assert "hook input" in server.paths.hook_log.read_text()


def test_unknown_hook_name_exits_zero() -> None:
    """A misconfigured hook name is reported on stderr, never fails the agent."""
    assert main(["no-such-hook"], stdin=io.BytesIO(b"{}"), stdout=io.StringIO()) == 0


async def test_session_end_hands_the_transcript_over(server: Served, project: Path,
                                                    tmp_path: Path) -> None:
    """SessionEnd returns at once; the server then credits the session's injections."""
    ids = await seed(server, project)
    prompt = "Money amounts use Decimal, never float"
    run("prompt", {"session_id": SESSION, "cwd": str(project), "prompt": prompt})
    transcript = (TranscriptBuilder(SESSION).prompt(prompt)
                  .tool("Edit", {"file_path": "ledger/totals.py",
                                 "new_string": "total = Decimal(amount)"}, "ok")
                  .say("Amounts now use Decimal instead of float.")
                  .write(tmp_path / f"{SESSION}.jsonl"))
    code, answer = run("session-end", {"session_id": SESSION, "cwd": str(project),
                                       "transcript_path": str(transcript),
                                       "hook_event_name": "SessionEnd"})
    assert code == 0 and answer is None
    assert server.server is not None and server.loop is not None
    import asyncio

    asyncio.run_coroutine_threadsafe(server.server.drain(), server.loop).result(30)
    shown = await RemoteGroove(server.paths).session(RequestContext(project), SESSION)
    credited = {str(i.learning_id): i.outcome for i in shown}
    assert credited[ids["decimal"]] is not None


def test_no_server_answers_nothing_in_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           project: Path) -> None:
    """With no server and none able to start in time, the hook still exits 0 at once
    (here the runtime directory cannot even be made)."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(blocker / "run"))
    code, answer = run("prompt", {"session_id": SESSION, "cwd": str(project),
                                  "prompt": "how do we handle money amounts?"})
    assert (code, answer) == (0, None)


async def test_answers_have_the_recorded_output_shape(server: Served, project: Path) -> None:
    """A prompt answer has exactly the keys of Claude Code's recorded output (no unknown
    key, which would make Claude Code drop the context)."""
    await seed(server, project)
    recorded = json.loads((Path(__file__).parent.parent / "fixtures" / "claude_code" / "hooks"
                           / "output_user_prompt_submit.json").read_text())
    _, answer = run("prompt", {"session_id": SESSION, "cwd": str(project),
                               "prompt": "Money amounts use Decimal, never float"})
    assert answer is not None
    assert answer.keys() == recorded.keys()
    assert answer["hookSpecificOutput"].keys() == recorded["hookSpecificOutput"].keys()


async def test_reading_never_creates_a_project_tier(server: Served, tmp_path: Path) -> None:
    """Hooks and reads in a git repository without a tier leave no `.vibes/` behind."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    payload = {"session_id": SESSION, "cwd": str(repo)}
    run("session-start", {**payload, "source": "startup"})
    run("prompt", {**payload, "prompt": "how are money amounts stored here?"})
    await RemoteGroove(server.paths).list(RequestContext(repo))
    await RemoteGroove(server.paths).search(RequestContext(repo), "money amounts")
    assert not (repo / ".vibes").exists()


async def test_the_log_says_why_each_injected_learning_ranked(server: Served,
                                                              project: Path) -> None:
    """The hook log names each injected learning with its ranks and score factors."""
    ids = await seed(server, project)
    run("prompt", {"session_id": SESSION, "cwd": str(project), "hook_event_name":
                   "UserPromptSubmit", "prompt": "Money amounts use Decimal, never float"})
    log = (server.paths.log_dir / "hooks.log").read_text()
    [entry] = [line for line in log.splitlines() if short_id(UUID(ids["decimal"])) in line]
    assert "vector #1" in entry and "trust" in entry and "score" in entry
