"""`groove serve` and `groove server start|stop|status`: the user's warm groove process."""

from __future__ import annotations

import asyncio
import json
import logging
import logging.handlers
import sys
from typing import Any

import click

from groove.cli.app import EXIT_USER, SERVER_WAIT, State, json_option, main
from groove.errors import GrooveError
from groove.runtime import RuntimePaths, runtime_paths

pass_state = click.make_pass_decorator(State)


def _log_to_file(paths: RuntimePaths, *, also_stderr: bool) -> None:
    """The server's log goes to a rotating file (and, in the foreground, the terminal)."""
    paths.log.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [logging.handlers.RotatingFileHandler(
        paths.log, maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8")]
    if also_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    fmt = logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger("groove")
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(logging.INFO)


@main.command(epilog="Example:  groove serve --idle-timeout 0")
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds without a request before it exits (0: never; default: the "
                   "config's server_idle_timeout, 1800).")
@click.option("--detached", is_flag=True, hidden=True)
@pass_state
def serve(state: State, idle_timeout: float | None, detached: bool) -> None:
    """Run the groove server in the foreground (Ctrl-C stops it).

    One per user: it owns the databases and keeps the embedding model warm, so every
    other groove command, hook and MCP server answers in milliseconds.
    """
    from groove.runtime import single_threaded_math

    single_threaded_math()  # before the server's imports load numpy
    from groove.server import AlreadyRunning
    from groove.server import serve as run_server

    paths = runtime_paths()
    _log_to_file(paths, also_stderr=not detached)
    try:
        config = state.config()
        result = asyncio.run(run_server(config, paths=paths, idle_timeout=idle_timeout))
    except GrooveError as e:
        logging.getLogger("groove.server").error("cannot serve: %s", e)
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USER)
    except KeyboardInterrupt:
        return
    if isinstance(result, AlreadyRunning):
        pid = f" (pid {result.pid})" if result.pid else ""
        click.echo(f"a groove server already runs{pid} on {result.socket}", err=True)


@main.group(epilog="Example:  groove server start  then  groove server status --json")
def server() -> None:
    """Manage the groove server in the background."""


@server.command(epilog="Example:  groove server start")
@json_option
@pass_state
def start(state: State, as_json: bool) -> None:
    """Start the server in the background (or find the one that runs)."""
    from groove.client import ensure_server

    try:
        status = ensure_server(runtime_paths(), wait=SERVER_WAIT, config=state.config_file())
    except GrooveError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USER)
    if as_json:
        click.echo(json.dumps(status, indent=2))
    else:
        click.echo(f"groove server {status['version']} runs (pid {status['pid']}) on "
                   f"{status['socket']}")


@server.command(epilog="Example:  groove server stop")
@json_option
def stop(as_json: bool) -> None:
    """Stop the server (it finishes the requests it is answering first)."""
    from groove.client import stop_server

    pid = stop_server(runtime_paths())
    if as_json:
        click.echo(json.dumps({"stopped": pid is not None, "pid": pid}))
    elif pid is None:
        click.echo("no groove server was running")
    else:
        click.echo(f"stopped the groove server (pid {pid})")


@server.command(epilog="Example:  groove server status --json")
@json_option
def status(as_json: bool) -> None:
    """Show the running server: pid, version, uptime, tiers open, memory, requests."""
    from groove.client import probe

    paths = runtime_paths()
    st = probe(paths, full=True)
    if as_json:
        click.echo(json.dumps({"running": st is not None, **(st or {})}, indent=2))
    elif st is None:
        click.echo(f"no groove server is running (socket {paths.socket}; log {paths.log})")
    else:
        click.echo(_describe(st))
    if st is None:
        sys.exit(EXIT_USER)


def _model(st: dict[str, Any]) -> str:
    state = "loaded" if st["model_loaded"] else "cold"
    return state if st["ready"] else f"{state}, warming up"


def _describe(st: dict[str, Any]) -> str:
    lines = [f"groove server {st['version']}  pid {st['pid']}  up {st['uptime_s']:.0f} s",
             f"socket    {st['socket']}",
             f"config    {st['config']}",
             f"memory    {st['rss_mb']} MB   model {_model(st)}",
             f"requests  {st['requests']} ({st['errors']} failed, {st['in_flight']} now)",
             f"idle exit after {st['idle_timeout_s']:.0f} s"]
    if st.get("last_error"):
        lines.append(f"last error {st['last_error']}")
    lines.append(f"tiers open: {len(st['tiers'])}")
    lines += [f"  {t['path']}  ({t['learnings']} learnings)" for t in st["tiers"]]
    return "\n".join(lines)
