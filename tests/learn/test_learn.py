"""Learning from sessions: transcripts read as turns, outcomes attributed, learnings captured."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from groove import Outcome
from groove.config import GrooveConfig
from groove.domain.injection import CaptureStatus, OutcomeSource
from groove.learn import TurnKind, capture, code_tokens, read_turns
from groove.learn.transcript import ReadStats
from groove.service import LocalGroove, RequestContext
from groove.testing import HashEmbedder
from groove.testing import TranscriptBuilder as Transcript

SESSION = "5d7c2a9e-1111-4c2b-9d7e-0a1b2c3d4e5f"


def test_turns_skip_unknown_and_partial_records(tmp_path: Path) -> None:
    """Unknown record types, meta prompts (a slash command, the summary written after
    compaction) and a partial last line are skipped and counted;
    prompts are numbered; tool results keep their error flag."""
    t = Transcript().prompt("fix the build").tool("Bash", {"command": "make"}, "boom", True)
    t.lines.insert(0, json.dumps({"type": "summary", "summary": "x", "leafUuid": "u1"}))
    t.lines.append(json.dumps({"type": "user", "sessionId": SESSION, "message": {
        "role": "user", "content": "<command-name>/clear</command-name>"}}))
    t.lines.append(json.dumps({"type": "user", "sessionId": SESSION, "message": {
        "role": "user", "content": "This session is being continued from a previous "
                                   "conversation that ran out of context. Summary: ..."}}))
    path = t.write(tmp_path / "s.jsonl", tail='{"type": "assistant", "mess')
    stats = ReadStats()
    turns = list(read_turns(path, stats))
    assert [(x.kind, x.prompt_index) for x in turns] == [
        (TurnKind.PROMPT, 1), (TurnKind.TOOL_USE, 1), (TurnKind.TOOL_RESULT, 1)]
    assert turns[2].is_error and turns[1].tool_input == {"command": "make"}
    assert (stats.skipped_malformed, stats.skipped_unknown) == (1, 3)


def test_code_tokens_split_at_negation() -> None:
    """A learning's code tokens are what it asks for; the ones after "not" it warns against."""
    asked, warned = code_tokens("Use `uv pip install`, not pip install -r requirements.txt")
    assert "uv pip install" in asked and "requirements.txt" in warned
    asked, _ = code_tokens("Set AWS_PROFILE=staging before ops/deploy.sh --dry-run")
    assert {"AWS_PROFILE", "ops/deploy.sh", "--dry-run"} <= asked


def test_capture_rules(tmp_path: Path) -> None:
    """Stated preferences and a command that turned out right are captured; questions,
    hedges and pasted text are not."""
    t = (Transcript()
         .prompt("Use uv, not pip. And never commit directly to main.")
         .prompt("should we always squash merges?")
         .prompt("I think maybe we always rebase, not sure")
         .prompt("```\nalways use tabs\n```")
         .tool("Bash", {"command": "pytest tests/unit"}, "bash: pytest: command not found",
               error=True)
         .tool("Bash", {"command": "python -m pytest tests/unit"}, "12 passed"))
    found = capture(read_turns(t.write(tmp_path / "s.jsonl")))
    assert [(c.description, c.rule) for c in found] == [
        ("Use uv, not pip", "use X, not Y"),
        ("Never commit directly to main", "always / never"),
        ("Run `python -m pytest tests/unit`, not `pytest tests/unit`",
         "command that turned out right")]


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[LocalGroove]:
    async with LocalGroove(GrooveConfig(tmp_path / "user"), embedder=HashEmbedder(),
                           rng=random.Random(5)) as g:
        yield g


async def test_learn_attributes_once_and_captures(api: LocalGroove, tmp_path: Path) -> None:
    """Followed -> helpful, untouched -> ignored, followed then corrected -> contradicted,
    with evidence; a preference is captured at the lower prior; reading the session again
    changes nothing."""
    ctx = RequestContext()
    ruff = (await api.add(ctx, "Lint with `ruff check --fix`", insight="not flake8")).learning
    deploy = (await api.add(ctx, "Deploy with ops/deploy.sh")).learning
    black = (await api.add(ctx, "Format with `black -l 100`")).learning
    await api.find_for_injection(ctx, None, session_id=SESSION, limit=5)
    path = (Transcript()
            .prompt("clean up the lint errors and format the code")
            .tool("Bash", {"command": "ruff check --fix src"}, "Found 3 errors (3 fixed)")
            .tool("Bash", {"command": "black -l 100 src"}, "reformatted 2 files")
            .prompt("no, don't run black here, we format with ruff format. Use ruff format, "
                    "not black.")
            .tool("Bash", {"command": "ruff format src"}, "2 files reformatted")
            .write(tmp_path / "s.jsonl"))
    report = await api.learn(ctx, path)
    outcomes = {o.learning_id: o for o in report.outcomes}
    assert outcomes[ruff.id].outcome is Outcome.HELPFUL
    assert outcomes[deploy.id].outcome is Outcome.IGNORED
    assert outcomes[black.id].outcome is Outcome.CONTRADICTED
    assert json.loads(outcomes[black.id].evidence)["rule"].startswith("corrected")
    assert [c.found.learning.content.description for c in report.captured] == [
        "Use ruff format, not black"]
    captured = report.captured[0].found.learning
    assert captured.confidence == pytest.approx(1 / 3)
    assert captured.source.to_dict()["session_id"] == SESSION
    again = await api.learn(ctx, path)
    assert not any(o.applied for o in again.outcomes) and again.captured == []
    assert (await api.get(ctx, ruff.id)).usage.times_helpful == 1
    [shown] = [i for i in await api.session(ctx, SESSION) if i.learning_id == black.id]
    assert shown.outcome_source is OutcomeSource.TRANSCRIPT


@pytest.mark.parametrize(("tool", "handle"), [
    ("mcp__groove__record_outcome", lambda i: str(i)[:13]),
    ("mcp__plugin_groove_groove__record_outcome", lambda i: str(i)[-8:]),
])
async def test_explicit_rating_in_transcript_wins(api: LocalGroove, tmp_path: Path, tool: str,
                                                  handle: Any) -> None:
    """An MCP record_outcome call in the transcript (the server added by hand or the
    plugin's, by prefix or short handle) is an explicit rating: it beats the rule that
    would have said ignored."""
    ctx = RequestContext()
    tip = (await api.add(ctx, "Prefer small commits")).learning
    await api.find_for_injection(ctx, None, session_id=SESSION)
    path = (Transcript().prompt("commit this")
            .tool(tool, {"id": handle(tip.id), "outcome": "helpful"}, "recorded")
            .write(tmp_path / "s.jsonl"))
    [o] = (await api.learn(ctx, path)).outcomes
    assert o.outcome is Outcome.HELPFUL and json.loads(o.evidence)["rule"] == "explicit rating"


async def test_review_accepts_edits_and_drops(api: LocalGroove, tmp_path: Path) -> None:
    """Accepting a capture takes back its prior penalty; editing re-embeds it; dropping
    deletes it and a second read of the session does not capture it again."""
    ctx = RequestContext()
    path = (Transcript().prompt("Always run make lint before pushing. Use pnpm, not npm.")
            .write(tmp_path / "s.jsonl"))
    report = await api.learn(ctx, path)
    assert len(await api.captures(ctx)) == len(report.captured) == 2
    lint, pnpm = (c.found.learning for c in report.captured)
    accepted = await api.review(ctx, lint.id, CaptureStatus.ACCEPTED,
                                description="Run make lint before every push")
    assert accepted.found.learning.confidence == pytest.approx(0.5)
    assert accepted.found.learning.content.description == "Run make lint before every push"
    hits = await api.search(ctx, "make lint before every push")
    assert hits[0].learning.id == lint.id
    await api.review(ctx, pnpm.id, CaptureStatus.DROPPED)
    assert await api.captures(ctx) == []
    assert (await api.learn(ctx, path)).captured == []
    assert [c.record.status for c in await api.captures(ctx, status=None)] == [
        CaptureStatus.ACCEPTED]  # the dropped one is gone; its record still blocks a recapture


def test_prompt_counter_reads_only_what_was_appended(tmp_path: Path) -> None:
    """The prompt count follows a growing transcript; a partial last record waits."""
    from groove.learn.transcript import PromptCounter, last_prompt_is

    t = Transcript().prompt("one").tool("Bash", {"command": "ls"}, "a").prompt("two")
    path = t.write(tmp_path / "s.jsonl", tail='{"type": "user", "message": {"ro')
    counter = PromptCounter()
    assert counter.count(path) == 2 and last_prompt_is(path, "two")
    t.prompt("three").write(path)
    assert counter.count(path) == 3 and not last_prompt_is(path, "two")


async def test_injection_records_the_prompt_number(api: LocalGroove, tmp_path: Path) -> None:
    """A prompt hook that passes the transcript gets its injections numbered by the
    prompts in it, whether or not Claude Code wrote the current prompt yet."""
    ctx = RequestContext()
    await api.add(ctx, "run pytest with -x")
    path = Transcript().prompt("hello").write(tmp_path / "s.jsonl")
    await api.find_for_injection(ctx, "how to run pytest", session_id=SESSION,
                                 transcript=path)
    [shown] = await api.session(ctx, SESSION)
    assert shown.prompt_index == 2


async def test_five_followed_two_corrected_sessions_end_at_the_beta_update(
        api: LocalGroove, tmp_path: Path) -> None:
    """A learning shown in 7 sessions, followed in 5 and followed-then-corrected in 2, ends
    at Beta(1 + 5, 1 + 2 x 1.5) = 0.6, and `get` tells each session's outcome and why."""
    ctx = RequestContext()
    tip = (await api.add(ctx, "Run tests with `pytest -n auto`")).learning
    for n in range(7):
        session = f"sess-{n}"
        await api.find_for_injection(ctx, None, session_id=session)
        t = (Transcript(session).prompt("run the tests")
             .tool("Bash", {"command": "pytest -n auto tests"}, "42 passed"))
        if n >= 5:
            t.prompt("no, don't use pytest -n auto here, the fixtures are not thread safe")
        report = await api.learn(ctx, t.write(tmp_path / f"{session}.jsonl"))
        assert [o.outcome for o in report.outcomes] == [
            Outcome.HELPFUL if n < 5 else Outcome.CONTRADICTED]
    detail = await api.get(ctx, tip.id)
    assert detail.found.learning.confidence == pytest.approx(0.6)
    assert [(i.session_id, i.outcome) for i in detail.history] == [
        (f"sess-{n}", Outcome.HELPFUL if n < 5 else Outcome.CONTRADICTED) for n in range(7)]
    evidence = json.loads(detail.history[-1].evidence or "{}")
    assert evidence["rule"].startswith("corrected") and "thread safe" in evidence["quote"]
