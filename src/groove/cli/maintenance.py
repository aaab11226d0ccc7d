"""Commands that keep the databases fast to open and search: compact."""

from __future__ import annotations

import click

from groove.cli import render
from groove.cli.app import State, call, json_option, main, run, tier_choice
from groove.domain.tiered import Tier


@main.command()
@tier_choice(help="Only this tier (default: every tier read from here).")
@click.option("--drop-dangling", is_flag=True,
              help="Also remove cross-tier edges whose far end is in no tier (see doctor).")
@json_option
@run
async def compact(state: State, tier: str | None, drop_dangling: bool, as_json: bool) -> None:
    """Rewrite each tier's database so that opening it is fast again.

    Every open leaves a RocksDB log that the next open replays; this rewrites the
    database into a fresh copy (verified, then swapped in; safe to interrupt) and drops
    deleted vectors from the vector side file. groove also does it by itself when a
    small database passes the bound that `groove doctor` shows.

    Example:  groove compact --json
    """
    from rich.progress import Progress

    with Progress(console=render.console(stderr=True), transient=True) as bar:
        task = bar.add_task("compacting", total=None)

        def step(tier_name: str, stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{tier_name}: {stage}", completed=done, total=total)

        reports = await call(state, lambda api, ctx: api.compact(
            ctx, tiers=[Tier(tier)] if tier else (), drop_dangling=drop_dangling,
            progress=step))
    if as_json:
        render.emit_json([r.to_dict() for r in reports])
        return
    if not reports:
        render.info("no tier databases to compact")
        return
    render.table("compact", ["tier", "log files", "log MB", "seconds", "vectors",
                             "dangling dropped"],
                 ((r.tier, f"{r.log_files_before} -> {r.log_files_after}",
                   f"{r.log_bytes_before / 1e6:.1f} -> {r.log_bytes_after / 1e6:.1f}",
                   f"{r.seconds:.1f}",
                   f"{r.vector_index.get('live', 0)} live, "
                   f"{'approximate' if r.vector_index.get('ann') else 'exact'}",
                   str(r.dangling_dropped)) for r in reports))
