"""`RemoteGroove`: the `GrooveAPI` of the user's groove server, over its Unix socket.

Every method is the server's method of the same name with the same arguments and the
same result types (see `groove.service.wire`); errors arrive as the same `GrooveError`
the server raised. A call is one blocking request on the standard-library transport,
run on a thread: a command pays no HTTP library import, and concurrent calls each get
their own connection. With `blocking=True` a call runs in the caller's thread and its
coroutine never suspends, so a command can drive it without an event loop (the CLI
does, to skip asyncio's import: see `groove.cli.app.run`). Relative paths in arguments
are made absolute here, since the server does not share the caller's working directory.
A `progress` callback cannot cross the socket and is dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, TypeVar, cast

from groove.client import transport
from groove.client.launcher import ensure_server
from groove.errors import ServerNotRunning
from groove.runtime import RuntimePaths, runtime_paths
from groove.service import wire
from groove.service.context import RequestContext

if TYPE_CHECKING:
    from groove.service import GrooveAPI

T = TypeVar("T")

DEFAULT_TIMEOUT = 600.0
"""Seconds a call may take (an import of a large file, a compaction)."""


def _absolute(value: Any) -> Any:
    if isinstance(value, PurePath):
        return Path(value).absolute()
    return value


class RemoteGroove:
    """A client of the groove server. Holds no connection between calls. With
    `autostart`, a call that finds no server starts one and is sent to it (a long-lived
    client such as the MCP server outlives the server's idle timeout)."""

    def __init__(self, paths: RuntimePaths | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT, autostart: bool = False,
                 config: Path | None = None, blocking: bool = False):
        self.paths = paths or runtime_paths()
        self.timeout = timeout
        self.autostart = autostart
        self.config = config
        self.blocking = blocking

    async def call(self, method: str, ctx: RequestContext, *args: Any, **kwargs: Any) -> Any:
        """`method` of the server's `GrooveAPI`, with `ctx`."""
        root = ctx.project_root
        wire_ctx = RequestContext(None if root is None else root.absolute()).to_dict()
        kwargs = {k: _absolute(v) for k, v in kwargs.items() if not callable(v)}
        args = tuple(_absolute(a) for a in args)
        send = functools.partial(transport.call, self.paths.socket, method, wire_ctx, *args,
                                 timeout=self.timeout, **kwargs)
        try:
            return await self._run(send)
        except ServerNotRunning:
            if not self.autostart:
                raise
        # nothing was sent: start a server (or find the one starting) and send it once
        await self._run(functools.partial(ensure_server, self.paths, wait=30.0,
                                          config=self.config))
        return await self._run(send)

    async def _run(self, fn: Callable[[], T]) -> T:
        if self.blocking:
            return fn()
        import asyncio

        return await asyncio.to_thread(fn)

    def __getattr__(self, method: str) -> Callable[..., Coroutine[Any, Any, Any]]:
        if method not in wire.CALLS:
            raise AttributeError(method)

        async def bound(ctx: RequestContext, *args: Any, **kwargs: Any) -> Any:
            return await self.call(method, ctx, *args, **kwargs)

        bound.__name__ = method
        return bound

    async def close(self) -> None:
        """Nothing to release: each call has its own connection."""

    def api(self) -> GrooveAPI:
        """This client, typed as the protocol every entry point is written against."""
        return cast("GrooveAPI", self)
