"""`groove`: inspect and curate what your agents learned.

A thin layer over the library: each command opens the tiers, calls one or two
library methods, and renders the result (a table, or JSON with --json).
Exit codes: 0 ok, 1 user error, 2 usage error, 3 database busy or locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from groove.cli import render
from groove.config import GrooveConfig, find_project_root
from groove.domain import (
    Learning,
    LearningCategory,
    LearningContent,
    LearningId,
    Outcome,
    RelationType,
    Scope,
    UserCreatedSource,
)
from groove.errors import DatabaseError, DatabaseLocked, GrooveError, ValidationError
from groove.tiers import GrooveStorage, Tier

T = TypeVar("T")

EXIT_USER = 1
EXIT_LOCKED = 3

CATEGORIES = [c.value for c in LearningCategory]
TIERS = [t.value for t in Tier]
OUTCOMES = [o.value for o in Outcome]
RELATIONS = [r.value for r in RelationType]


class State:
    """Options shared by every command."""

    def __init__(self, config_path: Path | None, project: Path | None, lock_timeout: float | None,
                 debug: bool):
        self.config_path = config_path
        self.project = project
        self.lock_timeout = lock_timeout
        self.debug = debug

    def config(self) -> GrooveConfig:
        config = GrooveConfig.load(self.config_path)
        if self.lock_timeout is not None:
            config.lock_timeout = self.lock_timeout
        return config

    def project_root(self) -> Path | None:
        if self.project is not None:
            return self.project.resolve()
        return find_project_root(Path.cwd())

    async def storage(self, embed: bool = True) -> GrooveStorage:
        """Open the tiers. The model is attached but loads only if something embeds."""
        embedder = None
        if embed:
            from groove.embedder import DefaultEmbedder

            embedder = DefaultEmbedder()
        return await GrooveStorage.open(self.config(), self.project_root(), embedder=embedder)


def run(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T | None]:
    """Run an async command body, turning groove errors into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T | None:
        state: State = click.get_current_context().find_object(State)  # type: ignore[assignment]
        try:
            return asyncio.run(fn(state, *args, **kwargs))
        except GrooveError as e:
            if state.debug:
                raise
            code = EXIT_LOCKED if isinstance(e, DatabaseLocked) or (
                isinstance(e, DatabaseError) and any(
                    k in (e.code or "") for k in ("kBusy", "kTimedOut"))) else EXIT_USER
            click.echo(f"error: {e}", err=True)
            sys.exit(code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


async def with_storage(state: State, body: Callable[[GrooveStorage], Awaitable[T]],
                       embed: bool = True) -> T:
    storage = await state.storage(embed)
    try:
        return await body(storage)
    finally:
        await storage.close()


def learning_id(value: str) -> LearningId | str:
    """A full UUID, or an abbreviation resolved like git's."""
    try:
        return uuid.UUID(value)
    except ValueError:
        cleaned = value.strip().lower()
        if len(cleaned) < 4:
            raise ValidationError("give at least 4 characters of the id", field="id") from None
        return cleaned


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True,
                        help="Machine-readable JSON on stdout.")(fn)


def tier_choice(**kw: Any) -> Callable[..., Any]:
    return click.option("--tier", type=click.Choice(TIERS), **kw)


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Example:  groove add 'Use pytest fixtures' --insight 'not setUp'  "
                    "then  groove search 'python tests'")
@click.option("--config", "config_path", type=click.Path(path_type=Path),
              envvar="GROOVE_CONFIG", help="User config file (default: the vibes config dir).")
@click.option("--project", type=click.Path(path_type=Path, file_okay=False),
              help="Project root (default: nearest directory with .vibes/ or .git/).")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds to wait for another groove process to release a database.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="vibes-groove")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, project: Path | None,
         lock_timeout: float | None, debug: bool) -> None:
    """groove: a memory that learns, for AI coding agents.

    Learnings live in three tiers: project (<project>/.vibes/groove), user, and
    enterprise. Reads merge them; new learnings go to the project tier inside a
    project, else to the user tier.
    """
    ctx.obj = State(config_path, project, lock_timeout, debug)


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@json_option
@run
async def init(state: State, path: Path | None, as_json: bool) -> None:
    """Set up the project tier of PATH (default: the current directory).

    Example:  groove init ~/src/myrepo
    """
    root = (path or Path.cwd()).resolve()
    state.project = root
    (root / ".vibes").mkdir(parents=True, exist_ok=True)

    async def body(s: GrooveStorage) -> dict[str, str]:
        await s.store_for(Tier.PROJECT)
        return {t.value: str(s.tier_path(t)) for t in s.get_read_tiers()}

    tiers = await with_storage(state, body, embed=False)
    gitignore = root / ".gitignore"
    ignored = False
    if gitignore.exists():
        lines = gitignore.read_text(encoding="utf-8").splitlines()
        if ".vibes/groove/" not in lines:
            with gitignore.open("a", encoding="utf-8") as f:
                f.write(("" if not lines or lines[-1] == "" else "\n") + ".vibes/groove/\n")
            ignored = True
    if as_json:
        render.emit_json({"project": str(root), "tiers": tiers, "gitignore_updated": ignored})
        return
    render.info(f"initialised groove for {root}")
    for tier, where in tiers.items():
        click.echo(f"{tier:<11} {where}")
    if ignored:
        render.info("added .vibes/groove/ to .gitignore")


@main.command()
@click.argument("text")
@click.option("--insight", default="", help="The actionable insight to inject later.")
@click.option("--category", type=click.Choice(CATEGORIES), default="preference",
              show_default=True)
@tier_choice(help="Where to store it (default: project inside a project, else user).")
@click.option("--pattern", help="Structured data for the learning, as JSON.")
@json_option
@run
async def add(state: State, text: str, insight: str, category: str, tier: str | None,
              pattern: str | None, as_json: bool) -> None:
    """Store a learning (embedded with the default model) and print its id.

    Example:  groove add 'Use pytest fixtures' --insight 'not setUp' --category preference
    """
    parsed = None
    if pattern is not None:
        try:
            parsed = json.loads(pattern)
        except json.JSONDecodeError as e:
            raise ValidationError(f"not valid JSON ({e.msg} at column {e.colno})",
                                  field="--pattern") from None

    async def body(s: GrooveStorage) -> Any:
        where = Tier(tier) if tier else s.default_write_tier()
        learning = Learning.new(s.default_scope(where), LearningCategory(category),
                                LearningContent(text, insight, parsed), UserCreatedSource())
        return await s.add(learning, where)

    added = await with_storage(state, body)
    if as_json:
        render.emit_json(render.learning_json(added))
    else:
        click.echo(str(added.learning.id))
        render.info(f"stored in the {added.tier.value} tier")


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
    async def body(s: GrooveStorage) -> Any:
        return await s.list([Tier(t) for t in tier] or None,
                            Scope.from_db_string(scope) if scope else None,
                            LearningCategory(category) if category else None, sort, limit)

    items = await with_storage(state, body, embed=False)
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
    async def body(s: GrooveStorage) -> Any:
        found = await s.locate(learning_id(id))
        return found, await s.usage(found), await s.relations(found)

    found, usage, relations = await with_storage(state, body, embed=False)
    if as_json:
        lo, hi = usage.interval()
        render.emit_json({**render.learning_json(found), "usage_stats": usage.to_dict(),
                          "confidence_interval": [lo, hi],
                          "relations": [r.to_dict() for r in relations]})
    else:
        render.show_learning(found, usage, relations)


@main.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@tier_choice(multiple=True, help="Only these tiers (repeatable).")
@json_option
@run
async def search(state: State, text: str, limit: int, tier: tuple[str, ...],
                 as_json: bool) -> None:
    """Semantic search across the read tiers; similarity is cosine, in [-1, 1].

    Example:  groove search 'how do we write tests' --limit 5
    """
    async def body(s: GrooveStorage) -> Any:
        return await s.search(text, limit, [Tier(t) for t in tier] or None)

    hits = await with_storage(state, body)
    if as_json:
        render.emit_json([render.learning_json(h, "similarity") for h in hits])
    else:
        render.learnings_table(hits, "similarity")


@main.command()
@click.argument("id")
@click.argument("outcome", type=click.Choice(OUTCOMES))
@json_option
@run
async def outcome(state: State, id: str, outcome: str, as_json: bool) -> None:
    """Record what happened after a learning was used; shows confidence before and after.

    Example:  groove outcome 0196f3a2 helpful
    """
    async def body(s: GrooveStorage) -> Any:
        found = await s.locate(learning_id(id))
        before = (await s.usage(found)).confidence()
        _, stats = await s.record_outcome(found.learning.id, Outcome(outcome))
        return found, before, stats

    found, before, stats = await with_storage(state, body, embed=False)
    if as_json:
        render.emit_json({"id": str(found.learning.id), "tier": found.tier.value,
                          "outcome": outcome, "confidence_before": before,
                          "confidence_after": stats.confidence(),
                          "usage_stats": stats.to_dict()})
    else:
        click.echo(f"{found.learning.id}: confidence {before:.3f} -> {stats.confidence():.3f}")


@main.command()
@click.argument("from_id")
@click.argument("relation", type=click.Choice(RELATIONS))
@click.argument("to_id")
@json_option
@run
async def relate(state: State, from_id: str, relation: str, to_id: str, as_json: bool) -> None:
    """Link two learnings: FROM supersedes|contradicts|derived_from|related_to|specializes TO.

    Example:  groove relate 0196f3a2 supersedes 0196e001
    """
    async def body(s: GrooveStorage) -> Any:
        return await s.relate(learning_id(from_id), RelationType(relation), learning_id(to_id))

    r = await with_storage(state, body, embed=False)
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
    async def body(s: GrooveStorage) -> Any:
        found = await s.locate(learning_id(id))
        return found, await s.relations(found)

    _found, relations = await with_storage(state, body, embed=False)
    if as_json:
        render.emit_json([r.to_dict() for r in relations])
        return
    if not relations:
        render.info("no relations")
    render.table(None, ["from", "relation", "to"], (
        (str(r.from_id), r.relation_type.value, str(r.to_id)) for r in relations))


@main.command()
@click.argument("id")
@json_option
@run
async def promote(state: State, id: str, as_json: bool) -> None:
    """Copy a project learning to your user tier (with provenance).

    Example:  groove promote 0196f3a2
    """
    copy = await with_storage(state, lambda s: s.promote(learning_id(id)))
    if as_json:
        render.emit_json(render.learning_json(copy))
    else:
        click.echo(str(copy.learning.id))
        render.info("promoted to the user tier")


@main.command()
@click.argument("id")
@click.option("--org", help="The enterprise (default: this project's).")
@json_option
@run
async def propose(state: State, id: str, org: str | None, as_json: bool) -> None:
    """Propose a learning to an enterprise; a curator accepts or rejects it.

    Example:  groove propose 0196f3a2 --org acme
    """
    p = await with_storage(state, lambda s: s.propose(learning_id(id), org), embed=False)
    if as_json:
        render.emit_json(p.to_dict())
    else:
        click.echo(str(p.id))
        render.info(f"proposed to {p.org}")


@main.command()
@click.option("--org", help="The enterprise (default: this project's).")
@click.option("--status", type=click.Choice(["pending", "accepted", "rejected"]))
@json_option
@run
async def proposals(state: State, org: str | None, status: str | None, as_json: bool) -> None:
    """List an enterprise's proposals.

    Example:  groove proposals --org acme --status pending
    """
    from groove.domain.proposal import ProposalStatus

    items = await with_storage(
        state, lambda s: s.proposals(org, ProposalStatus(status) if status else None),
        embed=False)
    if as_json:
        render.emit_json([p.to_dict() for p in items])
        return
    if not items:
        render.info("no proposals")
        return
    render.table(None, ["id", "status", "by", "description"], (
        (str(p.id)[:18], p.status.value, p.proposed_by,
         render.short(p.learning.content.description)) for p in items))


@main.command()
@click.argument("id")
@click.option("--org", help="The enterprise (default: this project's).")
@click.option("--curator", help="Who decides (default: your user id).")
@json_option
@run
async def accept(state: State, id: str, org: str | None, curator: str | None,
                 as_json: bool) -> None:
    """Accept a proposal: the enterprise tier gets a curated copy.

    Example:  groove accept 0196f3a2 --org acme
    """
    p, copy = await with_storage(state, lambda s: s.accept(learning_id(id), curator, org))
    if as_json:
        render.emit_json({**p.to_dict(), "copy": copy.to_dict()})
    else:
        click.echo(str(copy.id))
        render.info(f"accepted into {p.org}")


@main.command()
@click.argument("id")
@click.option("--reason", required=True, help="Why the proposal is rejected.")
@click.option("--org", help="The enterprise (default: this project's).")
@click.option("--curator", help="Who decides (default: your user id).")
@json_option
@run
async def reject(state: State, id: str, reason: str, org: str | None, curator: str | None,
                 as_json: bool) -> None:
    """Reject a proposal, with a reason kept beside it.

    Example:  groove reject 0196f3a2 --reason 'too specific to one repo'
    """
    p = await with_storage(state, lambda s: s.reject(learning_id(id), reason, curator, org),
                           embed=False)
    if as_json:
        render.emit_json(p.to_dict())
    else:
        click.echo(f"{p.id} rejected")


@main.command()
@click.argument("id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@run
async def delete(state: State, id: str, yes: bool, as_json: bool) -> None:
    """Delete a learning with its stats, embedding and relations.

    Example:  groove delete 0196f3a2 --yes
    """
    async def body(s: GrooveStorage) -> Any:
        found = await s.locate(learning_id(id))
        if not yes:
            desc = render.short(found.learning.content.description, 60)
            if not sys.stdin.isatty():
                raise ValidationError("refusing to delete without confirmation; pass --yes",
                                      field="--yes")
            if not click.confirm(f"delete {found.learning.id} ({desc})?", err=True):
                return None
        return await s.delete(found.learning.id)

    found = await with_storage(state, body, embed=False)
    if found is None:
        render.info("nothing deleted")
        return
    if as_json:
        render.emit_json({"deleted": str(found.learning.id), "tier": found.tier.value})
    else:
        click.echo(f"deleted {found.learning.id}")


@main.command()
@click.argument("file", required=False, default="-")
@tier_choice(multiple=True, help="Only these tiers (default: the read tiers).")
@click.option("--scope", help="Only learnings in this scope.")
@run
async def export(state: State, file: str, tier: tuple[str, ...], scope: str | None) -> None:
    """Export learnings, usage stats, params and relations as JSON (no embeddings).

    FILE is written atomically; '-' (the default) writes to stdout.

    Example:  groove export backup.json
    """
    path = None if file == "-" else Path(file)

    async def body(s: GrooveStorage) -> Any:
        return await s.export(path, [Tier(t) for t in tier] or None,
                              Scope.from_db_string(scope) if scope else None)

    doc = await with_storage(state, body, embed=False)
    if path is None:
        sys.stdout.write(doc.to_json() + "\n")
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

    with Progress(console=render.console(stderr=True), transient=True) as progress:
        task = progress.add_task("importing", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        stats = await with_storage(
            state, lambda s: s.import_(file, Tier(tier) if tier else None, progress=step))
    if as_json:
        render.emit_json(stats.to_dict())
    else:
        render.table("import", ["", "count"], ((k.replace("_", " "), str(v))
                                                for k, v in stats.to_dict().items()))


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
    async def body(s: GrooveStorage) -> Any:
        store = await s.store_for(Tier(tier))
        if name is None:
            return await store.all_params()
        p = await store.get_param(name)
        if p is None:
            from groove.errors import NotFound

            raise NotFound(name, "param")
        return [p]

    items = await with_storage(state, body, embed=False)
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


def _dir_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / f).stat().st_size
    return total


@main.command()
@json_option
@run
async def stats(state: State, as_json: bool) -> None:
    """Per tier: path, size on disk, learnings by category and scope, schema, model.

    Example:  groove stats --json
    """
    async def body(s: GrooveStorage) -> Any:
        out = []
        for tier in s.get_read_tiers():
            path = s.tier_path(tier)
            if tier is not Tier.USER and not path.exists():
                out.append({"tier": tier.value, "path": str(path), "exists": False})
                continue
            store = await s.store_for(tier)
            out.append({
                "tier": tier.value, "path": str(path), "exists": True,
                "size_bytes": _dir_size(path), "learnings": await store.count(),
                "by_category": {k.value: v for k, v in (await store.count_by_category()).items()},
                "by_scope": await store.count_by_scope(),
                "schema_version": await store.get_schema_version(),
                "embedding_models": await store.embedding_models(),
                "engine": store.engine_name, "durable_writes": store.durable,
            })
        return out

    tiers = await with_storage(state, body, embed=False)
    if as_json:
        render.emit_json(tiers)
        return
    for t in tiers:
        click.echo(f"{t['tier']} tier: {t['path']}")
        if not t["exists"]:
            click.echo("  not created yet")
            continue
        click.echo(f"  {t['learnings']} learnings, {t['size_bytes']:,} bytes on disk, "
                   f"schema v{t['schema_version']}, engine {t['engine']}"
                   f"{' (fsynced writes)' if t['durable_writes'] else ''}")
        click.echo(f"  models: {t['embedding_models'] or 'none yet'}")
        for k, v in sorted(t["by_category"].items()):
            click.echo(f"  {k:<18} {v}")
        for k, v in sorted(t["by_scope"].items()):
            click.echo(f"  {render.short(k, 40):<40} {v}")


@main.command()
@click.option("--skip-model", is_flag=True, help="Do not load the embedding model.")
@json_option
@run
async def doctor(state: State, skip_model: bool, as_json: bool) -> None:
    """Check config, every tier (opens, schema, integrity) and the embedder; say how to fix.

    Exits 1 when a problem is found.

    Example:  groove doctor
    """
    from groove.embedder import DefaultEmbedder
    from groove.plugin import Capability, Harness, PluginContext
    from groove.store import CURRENT_SCHEMA_VERSION

    checks: list[dict[str, Any]] = []

    def check(name: str, ok: bool, detail: str, fix: str = "") -> None:
        checks.append({"check": name, "ok": ok, "detail": detail, "fix": fix})

    storage = None
    try:
        config = state.config()
        check("config", True, str(config.path))
        storage = await GrooveStorage.open(config, state.project_root(),
                                           embedder=None if skip_model else DefaultEmbedder())
        for tier in storage.get_read_tiers():
            path = storage.tier_path(tier)
            if tier is not Tier.USER and not path.exists():
                check(f"{tier.value} tier", True, f"{path} not created yet")
                continue
            try:
                store = await storage.store_for(tier)
                version = await store.get_schema_version()
                problems = await store.check_integrity()
                check(f"{tier.value} tier", not problems and version == CURRENT_SCHEMA_VERSION,
                      f"{path}: schema v{version}, {await store.count()} learnings"
                      + (f"; {len(problems)} problems: " + "; ".join(problems[:5])
                         if problems else ", integrity ok"),
                      "export what is readable (groove export), then re-import it into a "
                      "fresh store" if problems else "")
            except GrooveError as e:
                check(f"{tier.value} tier", False, str(e), "see the message")
    except GrooveError as e:
        check("open", False, str(e), "fix the file or path named above")
    ctx = PluginContext(Harness.detect(), storage, None if skip_model else DefaultEmbedder())
    missing = ctx.missing()
    if not skip_model:
        why = missing.get(Capability.SEMANTIC_SEARCH)
        check("embedder", why is None, why or "all-MiniLM-L6-v2 loads and embeds",
              "reinstall groove: pip install -e ." if why else "")
    capabilities = sorted(c.value for c in ctx.capabilities())
    if storage is not None:
        await storage.close()
    healthy = all(c["ok"] for c in checks)
    if as_json:
        render.emit_json({"healthy": healthy, "checks": checks, "capabilities": capabilities,
                          "harness": ctx.harness().name})
    else:
        for c in checks:
            mark = "ok  " if c["ok"] else "FAIL"
            click.echo(f"[{mark}] {c['check']}: {c['detail']}")
            if c["fix"] and not c["ok"]:
                click.echo(f"       fix: {c['fix']}")
        click.echo(f"capabilities: {', '.join(capabilities) or 'none'}")
    if not healthy:
        sys.exit(EXIT_USER)
