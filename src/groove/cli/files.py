"""Commands on export files: export, import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from groove.cli import render
from groove.cli.app import State, call, json_option, main, run, tier_choice
from groove.domain import Scope
from groove.domain.tiered import Tier


@main.command()
@click.argument("file", required=False, default="-")
@tier_choice(multiple=True, help="Only these tiers (default: the read tiers).")
@click.option("--scope", help="Only learnings in this scope.")
@run
async def export(state: State, file: str, tier: tuple[str, ...], scope: str | None) -> None:
    """Export learnings, usage stats, params and relations as JSON (no embeddings).

    FILE is written atomically; '-' (the default) writes to stdout. What is written
    always imports back, into an empty home or into this one.

    Example:  groove export backup.json
    """
    path = None if file == "-" else Path(file)
    doc = await call(state, lambda api, ctx: api.export(
        ctx, path, tiers=[Tier(t) for t in tier],
        scope=Scope.from_db_string(scope) if scope else None))
    if path is None:
        render.emit_text(doc.to_json())
    else:
        render.info(f"exported {len(doc.learnings)} learnings, {len(doc.relations)} relations, "
                    f"{len(doc.params)} params to {path}")


@main.command(name="import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@tier_choice(help="Into this tier (default: project inside a project, else user).")
@json_option
@run
async def import_(state: State, file: Path, tier: str | None, as_json: bool) -> None:
    """Import an export file: validated whole first, then re-embedded with the current model.

    Existing ids are skipped; original ids are kept.

    Example:  groove import backup.json --tier user
    """
    from rich.progress import Progress

    with Progress(console=render.console(stderr=True), transient=True,
                  disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("importing", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        stats = await call(state, lambda api, ctx: api.import_(
            ctx, file, tier=Tier(tier) if tier else None, progress=step), model=True)
    if as_json:
        render.emit_json(stats.to_dict())
    else:
        render.table("import", ["", "count"], ((k.replace("_", " "), str(v))
                                                for k, v in stats.to_dict().items()))
