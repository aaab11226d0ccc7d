"""The `groove` command group, its shared options, and how a command body runs.

A command parses its arguments, makes one call on a `GrooveAPI`, and renders the
result (a table, or JSON with --json). It never knows whether the API runs in this
process or in the groove server.
Exit codes: 0 ok, 1 user error, 2 usage error, 3 database busy or locked.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from groove.config import GrooveConfig, default_config_path, find_project_root
from groove.domain import LearningCategory, Outcome, RelationType
from groove.domain.text import visible
from groove.domain.tiered import Tier
from groove.errors import DatabaseError, DatabaseLocked, GrooveError
from groove.service import GrooveAPI, RequestContext

T = TypeVar("T")

EXIT_USER = 1
EXIT_LOCKED = 3
SERVER_WAIT = 15.0
"""Seconds a command waits for a server it started to answer."""

CATEGORIES = [c.value for c in LearningCategory]
TIERS = [t.value for t in Tier]
OUTCOMES = [o.value for o in Outcome]
RELATIONS = [r.value for r in RelationType]


class State:
    """Options shared by every command."""

    def __init__(self, config_path: Path | None, project: Path | None, lock_timeout: float | None,
                 debug: bool, no_server: bool = True):
        self.config_path = config_path
        self.project = project
        self.lock_timeout = lock_timeout
        self.debug = debug
        self.no_server = no_server
        self._noted = False

    def config_file(self) -> Path:
        return (self.config_path or default_config_path()).absolute()

    def config(self) -> GrooveConfig:
        if self.config_path is not None and not self.config_path.exists() and not self._noted:
            self._noted = True  # named by --config or GROOVE_CONFIG, yet not there: say so
            click.echo(f"note: config {self.config_path} does not exist; using defaults "
                       "(groove config set KEY VALUE creates it)", err=True)
        config = GrooveConfig.load(self.config_path)
        if self.lock_timeout is not None:
            config.lock_timeout = self.lock_timeout
        return config

    def project_root(self) -> Path | None:
        if self.project is not None:
            return self.project.resolve()
        return find_project_root(Path.cwd())

    def context(self) -> RequestContext:
        return RequestContext(self.project_root())

    def api(self, *, model: bool = False) -> GrooveAPI:
        """The user's groove server when one runs (started first for a command that needs
        the model), else the use cases in this process (`--no-server`)."""
        if not self.no_server:
            from groove.client import RemoteGroove, ensure_server, find_server
            from groove.runtime import runtime_paths

            paths = runtime_paths()
            status = find_server(paths)
            if status is None and model:
                status = ensure_server(paths, wait=SERVER_WAIT, config=self.config_file())
            if status is not None and status.get("config") == str(self.config_file()):
                return RemoteGroove(paths).api()
        return self.local()

    def local(self) -> GrooveAPI:
        """The use cases in this process; the model loads only if something embeds."""
        from groove.embedder import DefaultEmbedder
        from groove.service import LocalGroove

        return LocalGroove(self.config(), embedder=DefaultEmbedder())


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
            click.echo(f"error: {visible(str(e))}", err=True)
            sys.exit(exit_code(e))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def exit_code(e: GrooveError) -> int:
    busy = isinstance(e, DatabaseLocked) or (
        isinstance(e, DatabaseError) and any(k in (e.code or "") for k in ("kBusy", "kTimedOut")))
    return EXIT_LOCKED if busy else EXIT_USER


async def call(state: State, body: Callable[[GrooveAPI, RequestContext], Awaitable[T]], *,
               model: bool = False) -> T:
    """One use case on a fresh API, closed afterwards. `model`: it embeds, so a server
    (with the model warm) is worth starting."""
    api = state.api(model=model)
    try:
        return await body(api, state.context())
    finally:
        await api.close()


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
@click.option("--no-server", is_flag=True, envvar="GROOVE_NO_SERVER",
              help="Open the databases in this process instead of using the groove server "
                   "(env GROOVE_NO_SERVER=1).")
@click.version_option(package_name="vibes-groove")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, project: Path | None,
         lock_timeout: float | None, debug: bool, no_server: bool) -> None:
    """groove: a memory that learns, for AI coding agents.

    Learnings live in three tiers: project (<project>/.vibes/groove), user, and
    enterprise. Reads merge them; new learnings go to the project tier inside a
    project, else to the user tier.
    """
    ctx.obj = State(config_path, project, lock_timeout, debug, no_server)
