"""`groove mcp`: groove's MCP server on stdio, for an agent to call groove itself."""

from __future__ import annotations

import logging
import logging.handlers

import click

from groove.cli.app import State, main

pass_state = click.make_pass_decorator(State)


@main.command(epilog="Example:  claude mcp add groove -- groove mcp")
@pass_state
def mcp(state: State) -> None:
    """Run groove's MCP server on stdio (tools: search_learnings, add_learning,
    record_outcome, relate_learnings, get_learning, list_learnings; resources
    groove://learning/{id}). It talks to the groove server, starting it if need be;
    its log goes to the groove log directory, never to stdout."""
    from groove.client import RemoteGroove
    from groove.mcp import build
    from groove.runtime import runtime_paths

    paths = runtime_paths()
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(paths.log_dir / "mcp.log",
                                                   maxBytes=5 * 1024 * 1024, backupCount=2)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s "
                                           "%(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("groove.mcp").setLevel(logging.INFO)  # why each search hit ranked
    client = RemoteGroove(paths, autostart=True, config=state.config_file())
    build(client.api).run("stdio")
