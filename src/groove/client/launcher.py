"""Find this user's groove server, or start one, without ever blocking a client for long.

Starting is race-free: a client takes the spawn lock, checks that no server holds the
server lock, and starts `groove serve --detached` with the spawn lock's descriptor
inherited. The new server drops it only once it listens, so a client that arrives in
between waits on the spawn lock and then finds the server: N clients start exactly one.
The server runs in its own session (a hook's process group being killed does not take
it along), and a thread of the client reaps it if the client outlives it: no zombies.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from groove.client import transport
from groove.errors import GrooveError, ServerUnavailable
from groove.runtime import (
    SPAWN_FD_ENV,
    RuntimePaths,
    groove_version,
    hold_lock,
    lock_free,
    private_dir,
)

if TYPE_CHECKING:
    import subprocess


def probe(paths: RuntimePaths, timeout: float = 1.0, *,
          full: bool = False) -> dict[str, Any] | None:
    """Who answers on the socket (with `full`, the whole status), or None."""
    try:
        return transport.status(paths.socket, timeout=timeout, full=full)
    except (GrooveError, OSError, ValueError):
        return None


def find_server(paths: RuntimePaths, *, timeout: float = 1.0,
                stop_wait: float = 5.0) -> dict[str, Any] | None:
    """The status of a server of this groove version. A server of another version is
    asked to stop (and waited for, up to `stop_wait`), so the caller can start its own."""
    status = probe(paths, timeout)
    if status is None or status.get("version") == groove_version():
        return status
    stop_server(paths, wait=stop_wait)
    return None


def stop_server(paths: RuntimePaths, *, wait: float = 10.0) -> int | None:
    """Ask the running server to stop; wait until its lock is free. Its pid, or None if
    no server answered."""
    try:
        _, _, raw = transport.request(paths.socket, "POST", "/v1/shutdown", b"{}",
                                      timeout=2.0)
        pid = json.loads(raw).get("pid")
    except (GrooveError, OSError, ValueError):
        return None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and not lock_free(paths.lock):
        time.sleep(0.02)
    return int(pid) if isinstance(pid, int) else None


def ensure_server(paths: RuntimePaths, *, wait: float = 10.0,
                  config: Path | None = None) -> dict[str, Any]:
    """The running server's status, starting one if none runs; `ServerUnavailable` when
    none answers within `wait` seconds."""
    deadline = time.monotonic() + wait
    status = find_server(paths)
    if status is not None:
        return status
    private_dir(paths.dir)
    spawn_lock = _take(paths.spawn_lock, deadline)
    try:
        status = probe(paths)
        if status is None and spawn_lock is not None and lock_free(paths.lock):
            spawn(paths, spawn_lock, config)
    finally:
        if spawn_lock is not None:
            spawn_lock.close()
    while time.monotonic() < deadline:
        status = status or probe(paths, timeout=max(0.05, deadline - time.monotonic()))
        if status is not None:
            return status
        time.sleep(0.02)
    raise ServerUnavailable(
        f"the groove server did not answer within {wait:.0f} s; see its log {paths.log}, "
        "or run without it (--no-server, or GROOVE_NO_SERVER=1)")


def start_detached(paths: RuntimePaths, config: Path | None = None) -> bool:
    """Start a server unless one runs or is starting, without waiting for it (a hook
    with a deadline). True if this call started one."""
    private_dir(paths.dir)
    spawn_lock = hold_lock(paths.spawn_lock)
    if spawn_lock is None:
        return False  # another client is starting it right now
    try:
        if not lock_free(paths.lock):
            return False
        spawn(paths, spawn_lock, config)
        return True
    finally:
        spawn_lock.close()


def spawn(paths: RuntimePaths, spawn_lock: IO[str],
          config: Path | None = None) -> subprocess.Popen[bytes]:
    """Start `groove serve --detached` in its own session, its output in the server log."""
    import subprocess  # here, not at the top: a client that finds its server never spawns
    import threading

    paths.log.parent.mkdir(parents=True, exist_ok=True)
    fd = spawn_lock.fileno()
    env = {**os.environ, SPAWN_FD_ENV: str(fd), "GROOVE_RUNTIME_DIR": str(paths.dir),
           "GROOVE_LOG_DIR": str(paths.log_dir)}
    if config is not None:
        env["GROOVE_CONFIG"] = str(config)
    with open(paths.log, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "groove", "serve", "--detached"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            pass_fds=(fd,), env=env)
    threading.Thread(target=proc.wait, name="groove-server-reaper", daemon=True).start()
    return proc


def _take(path: Path, deadline: float) -> IO[str] | None:
    """The spawn lock, waiting (polling) until `deadline`; None if still held then."""
    while True:
        f = hold_lock(path)
        if f is not None or time.monotonic() >= deadline:
            return f
        time.sleep(0.02)
