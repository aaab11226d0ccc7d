"""The groove server's request handling: `GrooveAPI` calls over HTTP on a Unix socket.

One `LocalGroove` serves every request: it owns every tier database the requests name
and the warm embedder. Each store runs its calls on its own worker thread, so the event
loop stays free and calls to different tiers run side by side; a tier's writes are
serialised by its store. The protocol is documented in `groove.service.wire`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from groove.errors import GrooveError, ValidationError
from groove.locations import default_config_path
from groove.runtime import groove_version
from groove.service import LocalGroove, RequestContext, wire

log = logging.getLogger("groove.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def peer_uid(request: web.Request) -> int | None:
    """The uid of the process at the other end of the socket (Linux SO_PEERCRED)."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


@dataclass
class ServerStats:
    started: float = field(default_factory=time.time)
    requests: int = 0
    errors: int = 0
    in_flight: int = 0
    last_request: float = field(default_factory=time.monotonic)
    last_error: str | None = None


class GrooveServer:
    """The aiohttp application over one `LocalGroove`, with the bookkeeping `status` shows
    and the idle rules (`project_idle`: close a project tier; `idle_timeout`: exit)."""

    def __init__(self, api: LocalGroove, *, socket_path: Path, idle_timeout: float,
                 project_idle: float = 300.0):
        self.api = api
        self.socket_path = socket_path
        self.idle_timeout = idle_timeout
        self.project_idle = project_idle
        self.version = groove_version()
        self.stats = ServerStats()
        self.stopping = asyncio.Event()
        self.ready = False
        """Warm: the model loaded and the user tier's indexes built (hooks wait for it)."""
        self._last_used: dict[Path, float] = {}
        self._background: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._uid = os.getuid()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=wire.MAX_REQUEST_BYTES,
                              middlewares=[self._guard])
        app.router.add_post("/v1/call/{method}", self._call)
        app.router.add_get("/v1/status", self._status)
        app.router.add_get("/v1/hello", self._hello)
        app.router.add_post("/v1/shutdown", self._shutdown)
        return app

    # -- requests ----------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Only this user; every answer versioned; nothing escapes as a crash."""
        uid = peer_uid(request)
        if uid is not None and uid != self._uid:
            log.warning("refused a connection from uid %s", uid)
            return self._error(GrooveError("this groove server serves another user"), 403)
        self.stats.requests += 1
        self.stats.in_flight += 1
        self.stats.last_request = started = time.monotonic()
        try:
            response = await handler(request)
        except web.HTTPException as e:
            response = self._error(ValidationError(f"{e.reason}: {request.method} "
                                                   f"{request.path}"), e.status)
        except Exception as e:
            log.exception("request %s failed", request.path)
            self._note_error(f"{request.path}: {type(e).__name__}: {e}")
            response = self._error(GrooveError(f"internal error in the groove server: "
                                               f"{type(e).__name__}: {e}; see its log"), 500)
        finally:
            self.stats.in_flight -= 1
            self.stats.last_request = time.monotonic()
        response.headers[wire.VERSION_HEADER] = self.version
        response.headers[wire.TIME_HEADER] = f"{(time.monotonic() - started) * 1000:.3f}"
        return response

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method not in wire.CALLS:
            return self._error(ValidationError(f"unknown method {method!r}; known: "
                                               f"{', '.join(sorted(wire.CALLS))}"), 404)
        try:
            body = wire.loads(await request.read())
            ctx = RequestContext.from_dict(body.get("ctx") or {})
            args, kwargs = list(body.get("args") or []), dict(body.get("kwargs") or {})
        except web.HTTPRequestEntityTooLarge:
            return self._error(ValidationError(
                f"request larger than {wire.MAX_REQUEST_BYTES} bytes; pass a file path "
                "instead of its content"), 413)
        except (ValueError, TypeError, AttributeError, ImportError) as e:
            return self._error(ValidationError(f"malformed request: {e}"), 400)
        self._touch(ctx)
        if body.get("background"):
            self._submit(method, ctx, args, kwargs)
            return web.Response(body=wire.dumps({"result": None}), status=202,
                                content_type="application/json")
        try:
            result = await getattr(self.api, method)(ctx, *args, **kwargs)
            payload = wire.dumps({"result": result})
        except GrooveError as e:
            return self._error(e, wire.error_status(e))
        except TypeError as e:  # wrong arguments for the method
            return self._error(ValidationError(f"bad arguments for {method}: {e}"), 400)
        return web.Response(body=payload, content_type="application/json")

    def _submit(self, method: str, ctx: RequestContext, args: list[Any],
                kwargs: dict[str, Any]) -> None:
        """Run a call after answering (a hook with a 1.5 s budget hands over a transcript).
        The same call for the same session while one runs is run once more after it."""
        key = f"{method}:{ctx.project_root}:{kwargs.get('session_id')}:{args[:1]}"
        if key in self._background:
            self._again.add(key)
            return

        async def work() -> None:
            try:
                while True:
                    self._again.discard(key)
                    try:
                        await getattr(self.api, method)(ctx, *args, **kwargs)
                        log.info("background %s done", method)
                    except Exception as e:
                        log.exception("background %s failed", method)
                        self._note_error(f"background {method}: {e}")
                    if key not in self._again:
                        return
            finally:
                self._background.pop(key, None)
                self.stats.last_request = time.monotonic()

        self._background[key] = asyncio.ensure_future(work())

    async def drain(self, timeout: float = 30.0) -> None:
        """Let background work finish before the databases close."""
        tasks = list(self._background.values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _hello(self, request: web.Request) -> web.Response:
        """Who answers, cheaply: what a client checks before every command."""
        return web.json_response(self.hello())

    def hello(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "version": self.version, "socket": str(self.socket_path),
                "config": str((self.api.config.path or default_config_path()).absolute()),
                "model_loaded": self.api.model_loaded, "ready": self.ready}

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(await self.status())

    async def _shutdown(self, request: web.Request) -> web.Response:
        log.info("shutdown requested by a client")
        self.stopping.set()
        return web.json_response({"stopping": True, "pid": os.getpid()})

    def _error(self, e: GrooveError, status: int) -> web.Response:
        if status >= 500:
            self._note_error(str(e))
        return web.Response(body=json.dumps(wire.encode_error(e)), status=status,
                            content_type="application/json")

    def _note_error(self, text: str) -> None:
        self.stats.errors += 1
        self.stats.last_error = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {text}"

    def _touch(self, ctx: RequestContext) -> None:
        if ctx.project_root is not None:
            self._last_used[ctx.project_root.resolve()] = time.monotonic()

    # -- status and housekeeping ---------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        tiers = []
        for path in self.api.pool.open_paths():
            store = await self.api.pool.get(path, create=False)
            count: int | str | None = None
            if store is not None:
                try:
                    count = await store.count()
                except GrooveError as e:
                    count = f"error: {e}"
            tiers.append({"path": str(path), "learnings": count})
        return {
            **self.hello(),
            "uptime_s": round(time.time() - self.stats.started, 1),
            "requests": self.stats.requests, "errors": self.stats.errors,
            "in_flight": self.stats.in_flight, "background": len(self._background),
            "last_error": self.stats.last_error,
            "rss_mb": _rss_mb(), "tiers": tiers,
            "idle_timeout_s": self.idle_timeout,
        }

    async def housekeeping(self, every: float = 5.0) -> None:
        """Close project tiers unused for `project_idle`; stop after `idle_timeout`."""
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=every)
            now = time.monotonic()
            if self.stats.in_flight or self._background:
                continue
            if self.idle_timeout > 0 and now - self.stats.last_request > self.idle_timeout:
                log.info("idle for %.0f s: stopping", now - self.stats.last_request)
                self.stopping.set()
                return
            for root, used in list(self._last_used.items()):
                if now - used > self.project_idle and not self.stats.in_flight:
                    del self._last_used[root]
                    await self.api.close_project(root)
                    log.info("closed the idle project tier of %s", root)


def _rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None

