"""Commands that move learnings between tiers: promote, propose, proposals, accept, reject."""

from __future__ import annotations

import click

from groove.cli import render
from groove.cli.app import State, call, json_option, main, run
from groove.domain import utcnow
from groove.domain.proposal import ProposalStatus


@main.command()
@click.argument("id")
@json_option
@run
async def promote(state: State, id: str, as_json: bool) -> None:
    """Copy a project learning to your user tier (with provenance). The copy starts with
    the original's confidence pulled halfway back to the prior; promoting again returns
    the copy made before.

    Example:  groove promote 0196f3a2
    """
    started = utcnow()
    copy = await call(state, lambda api, ctx: api.promote(ctx, id))
    again = copy.learning.created_at < started
    if as_json:
        render.emit_json({**render.learning_json(copy), "already": again})
    else:
        click.echo(str(copy.learning.id))
        render.info("already promoted: this is the user-tier copy made before" if again else
                    f"promoted to the user tier (confidence {copy.learning.confidence:.2f})")


@main.command()
@click.argument("id")
@click.option("--org", help="The enterprise (default: this project's).")
@json_option
@run
async def propose(state: State, id: str, org: str | None, as_json: bool) -> None:
    """Propose a learning to an enterprise; a curator accepts or rejects it.

    Example:  groove propose 0196f3a2 --org acme
    """
    started = utcnow()
    p = await call(state, lambda api, ctx: api.propose(ctx, id, org=org))
    again = p.proposed_at < started
    if as_json:
        render.emit_json({**p.to_dict(), "already": again})
    else:
        click.echo(str(p.id))
        render.info(f"already proposed to {p.org}: this proposal waits for a curator" if again
                    else f"proposed to {p.org}")


@main.command()
@click.option("--org", help="The enterprise (default: this project's).")
@click.option("--status", type=click.Choice([s.value for s in ProposalStatus]))
@json_option
@run
async def proposals(state: State, org: str | None, status: str | None, as_json: bool) -> None:
    """List an enterprise's proposals.

    Example:  groove proposals --org acme --status pending
    """
    items = await call(state, lambda api, ctx: api.proposals(
        ctx, org=org, status=ProposalStatus(status) if status else None))
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
    p, copy = await call(state, lambda api, ctx: api.accept(ctx, id, curator=curator, org=org))
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
    p = await call(state, lambda api, ctx: api.reject(ctx, id, reason, curator=curator, org=org))
    if as_json:
        render.emit_json(p.to_dict())
    else:
        click.echo(f"{p.id} rejected")
