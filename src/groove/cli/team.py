"""Commands of the team tier: sync with the team's PostgreSQL, and set that server up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from groove.cli import render
from groove.cli.app import State, call, json_option, main, run
from groove.config import check_sync_url

if TYPE_CHECKING:
    from groove.team import SyncReport


@main.command()
@click.option("--org", help="The enterprise to sync (default: every org with a sync_url).")
@json_option
@run
async def sync(state: State, org: str | None, as_json: bool) -> None:
    """Push this machine's proposals and outcomes to the team server, and pull what the
    team curated (learnings, relations, params, merged usage) into the local replica.

    The org's sync_url in the user config names the server; the password comes from
    PGPASSWORD or ~/.pgpass. An interrupted sync resumes where it stopped.

    Example:  groove sync --org acme
    """
    reports = await call(state, lambda api, ctx: api.sync(ctx, org=org))
    if as_json:
        render.emit_json([r.to_dict() for r in reports])
        return
    for r in reports:
        render.info(_summary(r))


def _summary(r: SyncReport) -> str:
    pulled = ", ".join(f"{n} {k}" for k, n in r.pulled.items() if n) or "nothing new"
    how = " (full)" if r.full else " (resumed)" if r.resumed else ""
    again = f", {r.skipped} already there" if r.skipped else ""
    return (f"{r.org} <-> {r.url}{how}: pushed {r.pushed_events} outcome events and "
            f"{r.pushed_proposals} proposals{again}; pulled {pulled} in {r.seconds:.2f}s")


@main.group()
def team() -> None:
    """Set up and inspect a team server (PostgreSQL)."""


@team.command("init-server")
@click.argument("url")
@json_option
@run(loop=True)
async def init_server_command(state: State, url: str, as_json: bool) -> None:
    """Create or upgrade the groove schema on the team's PostgreSQL at URL, and the roles
    groove_developer (read, propose, record outcomes) and groove_curator (also decide).

    Run it as a role that may create schemas and roles; give the password through
    PGPASSWORD or ~/.pgpass, not in URL. Then grant the roles to people, e.g.
    `GRANT groove_curator TO alice;`.

    Example:  groove team init-server postgresql://admin@db.example.com/groove
    """
    check_sync_url(url, "URL")
    from groove.team import init_server

    report = await init_server(url)
    if as_json:
        render.emit_json(report.to_dict())
        return
    if report.applied:
        for line in report.applied:
            render.info(f"applied migration {line}")
    render.info(f"{report.url}: groove schema version {report.version_after}; roles "
                f"{', '.join(report.roles)}")


@team.command("status")
@click.option("--org", help="The enterprise (default: every org with a sync_url).")
@click.option("--offline", is_flag=True, help="Do not contact the servers.")
@json_option
@run
async def status(state: State, org: str | None, offline: bool, as_json: bool) -> None:
    """What waits to be pushed, when each replica last synced, and whether its server
    answers. Exits 0 even when a server is down (see server_error).

    Example:  groove team status --org acme
    """
    items = await call(state, lambda api, ctx: api.team_status(ctx, org=org,
                                                               probe=not offline))
    if as_json:
        render.emit_json([s.to_dict() for s in items])
        return
    if not items:
        render.info("no org has a sync_url")
        return
    render.table(None, ["org", "server", "pending", "last sync", "server state"], [
        [s.org, s.url or "-", f"{s.pending_outcomes} outcomes, {s.pending_proposals} proposals"
         + (", a pull to resume" if s.pull_in_progress else ""), s.last_sync or "never",
         "not checked" if offline else s.server_error or f"schema v{s.server_version}"]
        for s in items])
