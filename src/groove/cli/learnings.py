"""Commands on learnings: add, list, show, search, outcome, relate, related, delete."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from groove.cli import render
from groove.cli.app import (
    CATEGORIES,
    OUTCOMES,
    RELATIONS,
    State,
    call,
    json_option,
    main,
    run,
    tier_choice,
)
from groove.domain import LearningCategory, Outcome, RelationType, Scope
from groove.domain.tiered import Tier
from groove.errors import ValidationError


@main.command()
@click.argument("text", required=False)
@click.option("--file", "from_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the description from this file (or - for stdin).")
@click.option("--insight", default="", help="The actionable insight to inject later.")
@click.option("--category", type=click.Choice(CATEGORIES), default="preference",
              show_default=True)
@tier_choice(help="Where to store it (default: project inside a project, else user).")
@click.option("--pattern", help="Structured data for the learning, as JSON.")
@json_option
@run
async def add(state: State, text: str | None, from_file: Path | None, insight: str,
              category: str, tier: str | None, pattern: str | None, as_json: bool) -> None:
    """Store a learning (embedded with the default model) and print its id. TEXT '-'
    (or --file PATH) reads the description from stdin (or the file), for long texts.

    Example:  groove add 'Use pytest fixtures' --insight 'not setUp' --category preference
    """
    text = _description(text, from_file)
    parsed = None
    if pattern is not None:
        try:
            parsed = json.loads(pattern)
        except json.JSONDecodeError as e:
            raise ValidationError(f"not valid JSON ({e.msg} at column {e.colno})",
                                  field="--pattern") from None
    added = await call(state, lambda api, ctx: api.add(
        ctx, text, insight=insight, category=LearningCategory(category), pattern=parsed,
        tier=Tier(tier) if tier else None), model=True)
    if as_json:
        render.emit_json(render.learning_json(added))
    else:
        click.echo(str(added.learning.id))
        render.info(f"stored in the {added.tier.value} tier")


def _description(text: str | None, from_file: Path | None) -> str:
    if (text is None) == (from_file is None):
        raise click.UsageError("give the text, '-' to read it from stdin, or --file PATH "
                               "(one of them)")
    if from_file is not None and str(from_file) != "-":
        try:
            return from_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ValidationError(f"cannot read {from_file}: {getattr(e, 'strerror', e)}",
                                  field="--file") from None
    if from_file is not None or text == "-":
        return sys.stdin.read().rstrip("\n")  # the newline `echo` adds is not content
    assert text is not None
    return text


@main.command(name="list")
@tier_choice(multiple=True, help="Only these tiers (repeatable).")
@click.option("--scope", help="Only this scope: global, user:ID or project:PATH.")
@click.option("--category", type=click.Choice(CATEGORIES))
@click.option("--sort", type=click.Choice(["confidence", "recent"]), default="confidence",
              show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
@run
async def list_(state: State, tier: tuple[str, ...], scope: str | None, category: str | None,
                sort: str, limit: int, as_json: bool) -> None:
    """List learnings of the read tiers. Never loads the embedding model.

    Example:  groove list --category preference --sort recent --limit 10
    """
    items = await call(state, lambda api, ctx: api.list(
        ctx, tiers=[Tier(t) for t in tier], scope=Scope.from_db_string(scope) if scope else None,
        category=LearningCategory(category) if category else None, sort=sort, limit=limit))
    if as_json:
        render.emit_json([render.learning_json(t) for t in items])
    else:
        render.learnings_table(items)


@main.command()
@click.argument("id")
@json_option
@run
async def show(state: State, id: str, as_json: bool) -> None:
    """Show one learning: content, confidence with its interval, usage, relations, source.

    Example:  groove show 0196f3a2
    """
    detail = await call(state, lambda api, ctx: api.get(ctx, id))
    if as_json:
        lo, hi = detail.usage.interval()
        render.emit_json({**render.learning_json(detail.found),
                          "usage_stats": detail.usage.to_dict(),
                          "confidence_interval": [lo, hi],
                          "relations": [r.to_dict() for r in detail.relations],
                          "history": [i.to_dict() for i in detail.history]})
    else:
        render.show_learning(detail.found, detail.usage, detail.relations)
        render.history(detail.history)


@main.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@tier_choice(multiple=True, help="Only these tiers (repeatable).")
@click.option("--explain", is_flag=True,
              help="Say why each hit ranked where it did: similarity, keyword evidence, "
                   "trust, tier, recency, relations.")
@json_option
@run
async def search(state: State, text: str, limit: int, tier: tuple[str, ...], explain: bool,
                 as_json: bool) -> None:
    """Search across the read tiers, ranked by relevance and trust.

    `score` is the rank (relevance x trust x tier x recency x relations, in [0, 1]);
    `similarity` is the cosine of the query and the learning, in [-1, 1].

    Example:  groove search 'how do we write tests' --limit 5 --explain
    """
    hits = await call(state, lambda api, ctx: api.search(
        ctx, text, limit=limit, tiers=[Tier(t) for t in tier]), model=True)
    if as_json:
        render.emit_json([{**render.learning_json(h, "score"), "similarity": h.similarity,
                           **({"why": h.why.to_dict()} if explain and h.why else {})}
                          for h in hits])
        return
    render.learnings_table(hits, "score")
    if explain:
        render.explanations(hits)


@main.command()
@click.argument("id")
@click.argument("outcome", type=click.Choice(OUTCOMES))
@json_option
@run
async def outcome(state: State, id: str, outcome: str, as_json: bool) -> None:
    """Record what happened after a learning was used; shows confidence before and after.

    Example:  groove outcome 0196f3a2 helpful
    """
    report = await call(state, lambda api, ctx: api.record_outcome(ctx, id, Outcome(outcome)))
    lid = report.found.learning.id
    if as_json:
        render.emit_json({"id": str(lid), "tier": report.found.tier.value,
                          "outcome": outcome, "confidence_before": report.confidence_before,
                          "confidence_after": report.confidence_after,
                          "usage_stats": report.usage.to_dict()})
    else:
        click.echo(f"{lid}: confidence {report.confidence_before:.3f} -> "
                   f"{report.confidence_after:.3f}")


@main.command()
@click.argument("from_id")
@click.argument("relation", type=click.Choice(RELATIONS), metavar="RELATION")
@click.argument("to_id")
@json_option
@run
async def relate(state: State, from_id: str, relation: str, to_id: str, as_json: bool) -> None:
    """Link two learnings: FROM_ID RELATION TO_ID.

    \b
    RELATION is one of:
      supersedes    FROM replaces TO
      contradicts   FROM conflicts with TO
      derived_from  FROM was derived (or promoted) from TO
      related_to    same topic (one tier)
      specializes   FROM is a specific case of TO (one tier)

    Example:  groove relate 0196f3a2 supersedes 0196e001
    """
    r = await call(state, lambda api, ctx: api.relate(ctx, from_id, RelationType(relation),
                                                      to_id))
    if as_json:
        render.emit_json(r.to_dict())
    else:
        click.echo(f"{r.from_id} {r.relation_type.value} {r.to_id}")


@main.command()
@click.argument("id")
@json_option
@run
async def related(state: State, id: str, as_json: bool) -> None:
    """Relations of a learning, both ways.

    Example:  groove related 0196f3a2
    """
    relations = (await call(state, lambda api, ctx: api.get(ctx, id))).relations
    if as_json:
        render.emit_json([r.to_dict() for r in relations])
        return
    if not relations:
        render.info("no relations")
    render.table(None, ["from", "relation", "to"], (
        (str(r.from_id), r.relation_type.value, str(r.to_id)) for r in relations))


@main.command()
@click.argument("id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@run
async def delete(state: State, id: str, yes: bool, as_json: bool) -> None:
    """Delete a learning with its stats, embedding and relations.

    Example:  groove delete 0196f3a2 --yes
    """
    async def body(api: Any, ctx: Any) -> Any:
        found = (await api.get(ctx, id)).found
        if not yes:
            desc = render.short(found.learning.content.description, 60)
            if not sys.stdin.isatty():
                raise ValidationError("refusing to delete without confirmation; pass --yes",
                                      field="--yes")
            if not click.confirm(f"delete {found.learning.id} ({desc})?", err=True):
                return None
        return await api.delete(ctx, found.learning.id)

    found = await call(state, body)
    if found is None:
        render.info("nothing deleted")
        return
    if as_json:
        render.emit_json({"deleted": str(found.learning.id), "tier": found.tier.value})
    else:
        click.echo(f"deleted {found.learning.id}")
