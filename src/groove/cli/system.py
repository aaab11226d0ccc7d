"""Commands about groove itself: init, params, stats, doctor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from groove.cli import render
from groove.cli.app import EXIT_USER, State, call, json_option, main, run, tier_choice
from groove.domain.tiered import Tier
from groove.service import RequestContext


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@json_option
@run
async def init(state: State, path: Path | None, as_json: bool) -> None:
    """Set up the project tier of PATH (default: the current directory).

    Example:  groove init ~/src/myrepo
    """
    root = (path or Path.cwd()).resolve()
    report = await call(state, lambda api, _ctx: api.init(RequestContext(root)))
    if as_json:
        render.emit_json({"project": str(report.project), "tiers": report.tiers,
                          "gitignore_updated": report.gitignore_updated})
        return
    render.info(f"initialised groove for {report.project}")
    for tier, where in report.tiers.items():
        click.echo(f"{tier:<11} {where}")
    if report.gitignore_updated:
        render.info("added .vibes/groove/ to .gitignore")


@main.command()
@click.argument("name", required=False)
@click.option("--sample", is_flag=True, help="Add a Thompson sample from each posterior.")
@tier_choice(default="user", show_default=True)
@json_option
@run
async def params(state: State, name: str | None, sample: bool, tier: str, as_json: bool) -> None:
    """The adaptive parameters, optionally with a Thompson sample.

    Example:  groove params injection_budget --sample
    """
    items = await call(state, lambda api, ctx: api.params(ctx, name, tier=Tier(tier)))
    rows = [{**p.to_dict(), **({"sample": p.param.sample()} if sample else {})} for p in items]
    if as_json:
        render.emit_json(rows)
        return
    if not rows:
        render.info("no params")
        return
    cols = ["name", "value", "uncertainty", "observations", "alpha", "beta"] + (
        ["sample"] if sample else [])
    render.table(None, cols, ((r["name"], f"{r['value']:.3f}", f"{r['uncertainty']:.3f}",
                               str(r["observations"]), f"{r['prior_alpha']:g}",
                               f"{r['prior_beta']:g}", *([f"{r['sample']:.3f}"] if sample else []))
                              for r in rows))


@main.command()
@json_option
@run
async def stats(state: State, as_json: bool) -> None:
    """Per tier: path, size on disk, learnings by category and scope, schema, model.

    Example:  groove stats --json
    """
    tiers = await call(state, lambda api, ctx: api.stats(ctx))
    if as_json:
        render.emit_json(tiers)
        return
    for t in tiers:
        if not t["exists"]:
            render.table(f"{t['tier']} tier: {t['path']}", ["", ""], [("state", "not created yet")])
            continue
        models = t["embedding_models"] or {}
        rows = [("learnings", str(t["learnings"])),
                ("on disk", _size(t["size_bytes"])),
                ("schema", f"v{t['schema_version']}"),
                ("engine", t["engine"] + (" (fsynced writes)" if t["durable_writes"] else "")),
                ("models", ", ".join(f"{m} ({_count(n, 'vector')})"
                                     for m, n in sorted(models.items())) or "none yet")]
        rows += [(f"category {k}", str(v)) for k, v in sorted(t["by_category"].items())]
        rows += [(f"scope {k}", str(v)) for k, v in sorted(t["by_scope"].items())]
        render.table(f"{t['tier']} tier: {t['path']}", ["", ""], rows)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


@main.command()
@click.option("--skip-model", is_flag=True, help="Do not load the embedding model.")
@json_option
@run
async def doctor(state: State, skip_model: bool, as_json: bool) -> None:
    """Check config, every tier (opens, schema, integrity) and the embedder; say how to fix.

    Exits 1 when a problem is found.

    Example:  groove doctor
    """
    report = await call(state, lambda api, ctx: api.doctor(ctx, check_model=not skip_model))
    if as_json:
        render.emit_json({"healthy": report.healthy,
                          "checks": [c.to_dict() for c in report.checks],
                          "capabilities": report.capabilities, "harness": report.harness})
    else:
        for c in report.checks:
            mark = "ok  " if c.ok else "FAIL"
            click.echo(f"[{mark}] {c.name}: {c.detail}")
            if c.fix and not c.ok:
                click.echo(f"       fix: {c.fix}")
        click.echo(f"capabilities: {', '.join(report.capabilities) or 'none'}")
    if not report.healthy:
        sys.exit(EXIT_USER)
