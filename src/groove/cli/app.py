"""The `groove` command group, its shared options, and how a command body runs.

A command parses its arguments, makes one call on a `GrooveAPI`, and renders the
result (a table, or JSON with --json). It never knows whether the API runs in this
process or in the groove server. When a server answers, a command's coroutine only
awaits blocking calls to it, so it runs to its end without an event loop: `groove
search` then skips asyncio's import (a third of the start-up a served command pays).
Exit codes: 0 ok, 1 user error, 2 usage error, 3 database busy or locked.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

import click

from groove.domain import LearningCategory, Outcome, RelationType
from groove.domain.text import visible
from groove.domain.tiered import Tier
from groove.errors import DatabaseError, DatabaseLocked, GrooveError
from groove.locations import default_config_path, find_project_root
from groove.service import RequestContext

if TYPE_CHECKING:
    from groove.config import GrooveConfig
    from groove.runtime import RuntimePaths
    from groove.service import GrooveAPI

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
        self.remote: GrooveAPI | None = None
        """The running server's client, blocking, once `find_remote` found one."""
        self._probed: tuple[RuntimePaths, dict[str, Any] | None] | None = None

    def config_file(self) -> Path:
        return (self.config_path or default_config_path()).absolute()

    def config(self) -> GrooveConfig:
        from groove.config import GrooveConfig  # a served command never reads it

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

    def _server(self) -> tuple[RuntimePaths, dict[str, Any] | None]:
        """This user's runtime paths and what their server answered (asked once)."""
        if self._probed is None:
            from groove.client import find_server
            from groove.runtime import runtime_paths

            paths = runtime_paths()
            self._probed = (paths, find_server(paths))
        return self._probed

    def _serves_this_config(self, status: dict[str, Any] | None) -> bool:
        return status is not None and status.get("config") == str(self.config_file())

    def find_remote(self) -> bool:
        """Whether a server of this config answers; if so, calls go to it, blocking."""
        if self.remote is None and not self.no_server:
            paths, status = self._server()
            if self._serves_this_config(status):
                from groove.client import RemoteGroove

                self.remote = RemoteGroove(paths, blocking=True).api()
        return self.remote is not None

    def api(self, *, model: bool = False) -> GrooveAPI:
        """The user's groove server when one runs (started first for a command that needs
        the model), else the use cases in this process (`--no-server`)."""
        if self.remote is not None:
            return self.remote
        if not self.no_server:
            from groove.client import RemoteGroove, ensure_server

            paths, status = self._server()
            if status is None and model:
                status = ensure_server(paths, wait=SERVER_WAIT, config=self.config_file())
                self._probed = (paths, status)
            if self._serves_this_config(status):
                return RemoteGroove(paths).api()
        return self.local()

    def local(self) -> GrooveAPI:
        """The use cases in this process; the model loads only if something embeds."""
        from groove.embedder import DefaultEmbedder
        from groove.service import LocalGroove

        return LocalGroove(self.config(), embedder=DefaultEmbedder())


@overload
def run(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T | None]: ...


@overload
def run(*, loop: bool) -> Callable[[Callable[..., Coroutine[Any, Any, T]]],
                                   Callable[..., T | None]]: ...


def run(fn: Callable[..., Coroutine[Any, Any, T]] | None = None, *, loop: bool = False
        ) -> Any:
    """Run an async command body, turning groove errors into one line and an exit code.
    With a server of this config running, the body runs without an event loop (its
    awaits are blocking calls to the server), unless `loop`: the body awaits something
    else too (`@run(loop=True)`)."""
    if fn is None:
        return functools.partial(run, loop=loop)
    body = fn

    @functools.wraps(body)
    def wrapper(*args: Any, **kwargs: Any) -> T | None:
        state: State = click.get_current_context().find_object(State)  # type: ignore[assignment]
        try:
            if not loop and state.find_remote():
                return drive(body(state, *args, **kwargs))
            import asyncio

            return asyncio.run(body(state, *args, **kwargs))
        except GrooveError as e:
            if state.debug:
                raise
            click.echo(f"error: {visible(str(e))}", err=True)
            sys.exit(exit_code(e))
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (it awaits only blocking calls) to its end."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a served command awaited something besides the server; "
                       "mark it @run(loop=True)")


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


class Commands(click.Group):
    """A group whose commands live in modules imported when a command is asked for, so
    `groove search` does not pay for the imports of `groove serve` or `groove sync`."""

    modules: ClassVar[dict[str, str]] = {}
    """Command name -> the module that registers it on this group."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(self.modules[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in sorted(set(self.modules.values())):
            importlib.import_module(module)
        return super().list_commands(ctx)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]},
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
