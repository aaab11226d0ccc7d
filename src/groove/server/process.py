"""The life of one user's groove server: one per user, proven by a lock, not a pid file.

`serve` takes the user's server lock (flock: the kernel drops it when the process dies,
so a SIGKILL leaves nothing that blocks the next server), removes a stale socket, binds
a fresh one in the 0700 runtime directory, warms the model in the background and
answers until it is stopped (SIGTERM/SIGINT, a client's shutdown, or the idle timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from groove.config import GrooveConfig
from groove.domain import Embedder
from groove.errors import GrooveError, GrooveIOError
from groove.runtime import (
    RuntimePaths,
    groove_version,
    hold_lock,
    limit_malloc_arenas,
    private_dir,
    release_spawn_lock,
    runtime_paths,
)
from groove.server.app import GrooveServer
from groove.service import LocalGroove, RequestContext
from groove.store import engine

log = logging.getLogger("groove.server")


@dataclass(frozen=True, slots=True)
class AlreadyRunning:
    """`serve` found another server of this user holding the lock."""

    pid: int | None
    socket: Path


def running_pid(paths: RuntimePaths) -> int | None:
    """The pid the running server wrote (for messages; the lock is the proof)."""
    try:
        return int(json.loads(paths.info.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


async def serve(config: GrooveConfig, *, paths: RuntimePaths | None = None,
                embedder: Embedder | None = None, idle_timeout: float | None = None,
                project_idle: float = 300.0, signals: bool = True,
                sync_interval: float = 60.0,
                on_ready: Callable[[GrooveServer], None] | None = None) -> AlreadyRunning | None:
    """Run the server until it stops; `AlreadyRunning` (at once) if one already runs.
    `signals`: stop on SIGTERM/SIGINT (only in the main thread)."""
    paths = paths or runtime_paths()
    private_dir(paths.dir)
    lock = hold_lock(paths.lock)
    if lock is None:
        return AlreadyRunning(running_pid(paths), paths.socket)
    try:
        await _serve_locked(config, paths, embedder, idle_timeout, project_idle, signals,
                            sync_interval, on_ready)
    finally:
        lock.close()
    return None


async def _serve_locked(config: GrooveConfig, paths: RuntimePaths, embedder: Embedder | None,
                        idle_timeout: float | None, project_idle: float, signals: bool,
                        sync_interval: float,
                        on_ready: Callable[[GrooveServer], None] | None) -> None:
    if embedder is None:
        from groove.embedder import DefaultEmbedder

        embedder = DefaultEmbedder()
    with contextlib.suppress(FileNotFoundError):
        paths.socket.unlink()  # we hold the lock: whoever made it is dead
    limit_malloc_arenas()
    # 0 (the default): a cache and memtables per database; see GrooveConfig
    engine.share_memory(int(config.server_memory_mb * (1 << 20)))
    api = LocalGroove(config, embedder=embedder)
    server = GrooveServer(api, socket_path=paths.socket, project_idle=project_idle,
                          idle_timeout=config.server_idle_timeout if idle_timeout is None
                          else idle_timeout)
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False)
    await runner.setup()
    loop = asyncio.get_running_loop()
    try:
        old_umask = os.umask(0o177)
        try:
            await web.UnixSite(runner, str(paths.socket)).start()
        finally:
            os.umask(old_umask)
        _write_info(paths)
        release_spawn_lock()
        for sig in (signal.SIGTERM, signal.SIGINT) if signals else ():
            loop.add_signal_handler(sig, server.stopping.set)
        log.info("groove server %s (pid %d) listening on %s", server.version, os.getpid(),
                 paths.socket)
        warm = asyncio.ensure_future(_warm(api, embedder, server))
        housekeeping = asyncio.ensure_future(server.housekeeping())
        syncing = asyncio.ensure_future(_sync_teams(api, server, sync_interval))
        if on_ready is not None:
            on_ready(server)
        await server.stopping.wait()
        log.info("stopping after %d requests", server.stats.requests)
        await server.drain()
        for task in (housekeeping, warm, syncing):
            task.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT) if signals else ():
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        try:
            await api.close()
        finally:
            for p in (paths.socket, paths.info):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()


async def _sync_teams(api: LocalGroove, server: GrooveServer, interval: float) -> None:
    """Keep every org with a sync_url in step with its team server while the server runs:
    each sync pushes this machine's proposals and outcomes and pulls the team's."""
    if not any(e.sync_url for e in api.config.enterprises.values()):
        return
    from groove.team import background_sync

    def failed(e: GrooveError) -> None:
        log.warning("team sync failed (retrying later): %s", e)

    def synced(reports: Any) -> None:
        log.info("team sync: %s", "; ".join(
            f"{r.org}: pushed {r.pushed_events} events, {r.pushed_proposals} proposals; "
            f"pulled {sum(r.pulled.values())}" for r in reports))

    await background_sync(lambda: api.sync(RequestContext()), interval=interval,
                          stop=server.stopping, on_error=failed, on_result=synced)


async def _warm(api: LocalGroove, embedder: Embedder, server: GrooveServer) -> None:
    """Load the model and the user tier's indexes now, off the loop, so that the first
    search does not pay for them. The server is `ready` (hooks inject) once the model
    is loaded and the tier can rank; its keyword index may still be building then
    (seconds at 100,000 learnings), which a search waits for and an injection does not."""
    load = getattr(embedder, "load", None)
    try:
        warm = api.warm(RequestContext(), keywords=False)
        if load is not None:
            await asyncio.gather(asyncio.to_thread(load), warm)
        else:
            await warm
        server.ready = True
        log.info("model and user tier ready")
        await api.warm(RequestContext())
        log.info("keyword index ready")
    except Exception:
        log.exception("warming up failed; the first search will report it")
    finally:
        server.ready = True


def _write_info(paths: RuntimePaths) -> None:
    info: dict[str, Any] = {"pid": os.getpid(), "version": groove_version(),
                            "socket": str(paths.socket)}
    tmp = paths.info.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(info))
        tmp.replace(paths.info)
    except OSError as e:
        raise GrooveIOError(f"cannot write {paths.info}: {e.strerror}", path=paths.info) from e
