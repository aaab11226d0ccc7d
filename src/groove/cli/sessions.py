"""Commands on agent sessions: learn from a transcript, review what was captured."""

from __future__ import annotations

import json
from pathlib import Path

import click

from groove.cli import render
from groove.cli.app import State, call, json_option, main, run
from groove.domain.injection import CaptureStatus


@main.command()
@click.argument("transcript", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--session", "session_id", help="The session id (default: the transcript's).")
@json_option
@run
async def learn(state: State, transcript: Path, session_id: str | None, as_json: bool) -> None:
    """Read a Claude Code transcript (JSONL): credit an outcome to each learning the session
    was shown, with its evidence, and capture new learnings for review.

    Reading a session twice changes nothing. The session-end hook does this for you.

    Example:  groove learn ~/.claude/projects/-src-app/5d7c2a9e.jsonl
    """
    report = await call(state, lambda api, ctx: api.learn(ctx, transcript,
                                                          session_id=session_id),
                          model=True)
    if as_json:
        render.emit_json({
            "session_id": report.session_id, "records": report.records,
            "skipped": report.skipped,
            "outcomes": [{"id": str(o.learning_id), "outcome": o.outcome.value,
                          "applied": o.applied, "evidence": json.loads(o.evidence)}
                         for o in report.outcomes],
            "captured": [{**render.learning_json(c.found), **c.record.to_dict()}
                         for c in report.captured],
            "reinforced": [{"id": str(i), "similarity": s} for i, s in report.reinforced]})
        return
    render.info(f"session {report.session_id}: {report.records} records read"
                + (f", {report.skipped} skipped" if report.skipped else ""))
    render.table("outcomes", ["id", "outcome", "counted", "why"], (
        (str(o.learning_id)[:18], o.outcome.value, "yes" if o.applied else "already",
         render.short(json.loads(o.evidence)["rule"], 50)) for o in report.outcomes))
    render.table("captured (groove review)", ["id", "category", "description"], (
        (str(c.found.learning.id)[:18], c.found.learning.category.value,
         render.short(c.found.learning.content.description)) for c in report.captured))
    for lid, similarity in report.reinforced:
        render.info(f"reinforced {lid} (a capture {similarity:.2f} similar to it)")


@main.command()
@click.argument("id", required=False)
@click.option("--accept", "decision", flag_value="accepted", help="Keep it (as typed by you).")
@click.option("--drop", "decision", flag_value="dropped", help="Delete it.")
@click.option("--description", help="With --accept: the corrected description.")
@click.option("--insight", help="With --accept: the corrected insight.")
@click.option("--all", "show_all", is_flag=True, help="List reviewed captures too.")
@json_option
@run
async def review(state: State, id: str | None, decision: str | None, description: str | None,
                 insight: str | None, show_all: bool, as_json: bool) -> None:
    """List learnings captured from sessions, or accept (optionally edited) or drop one.

    Captured learnings start at confidence 1/3 and are injected like any other; accepting
    one lifts it to where a learning you typed starts.

    Example:  groove review;  groove review 0196f3a2 --accept --description 'Use uv'
    """
    if id is None:
        items = await call(state, lambda api, ctx: api.captures(
            ctx, status=None if show_all else CaptureStatus.PENDING))
        if as_json:
            render.emit_json([{**render.learning_json(c.found), "capture": c.record.to_dict()}
                              for c in items])
            return
        if not items:
            render.info("nothing to review")
            return
        render.table(None, ["id", "status", "rule", "description", "from"], (
            (str(c.found.learning.id)[:18], c.record.status.value, c.record.rule,
             render.short(c.found.learning.content.description, 50),
             render.short(c.record.quote, 40)) for c in items))
        return
    if decision is None:
        raise click.UsageError("say --accept or --drop (or give no id to list captures)")
    done = await call(state, lambda api, ctx: api.review(
        ctx, id, CaptureStatus(decision), description=description, insight=insight),
        model=True)
    if as_json:
        render.emit_json({**render.learning_json(done.found), "capture": done.record.to_dict()})
    else:
        click.echo(f"{done.found.learning.id} {done.record.status.value}")
