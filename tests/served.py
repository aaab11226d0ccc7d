"""A real groove server for tests: the production `serve` on a real Unix socket, in a
thread of the test process (so tests can reach into it), with the hash embedder."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from groove.config import GrooveConfig
from groove.runtime import RuntimePaths
from groove.server import GrooveServer, serve
from groove.testing import HashEmbedder


def short_runtime() -> RuntimePaths:
    """A runtime directory short enough for a socket path (pytest's tmp_path is not)."""
    base = Path(tempfile.mkdtemp(prefix="gr-", dir="/tmp"))
    return RuntimePaths(base / "run", base / "log")


class Served:
    def __init__(self, paths: RuntimePaths, config: GrooveConfig, **kw: object):
        self.paths = paths
        self.server: GrooveServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.result: object = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(config, kw), daemon=True)

    def _run(self, config: GrooveConfig, kw: dict[str, object]) -> None:
        async def main() -> None:
            self.loop = asyncio.get_running_loop()

            def ready(server: GrooveServer) -> None:
                self.server = server
                self._ready.set()

            self.result = await serve(config, paths=self.paths, embedder=HashEmbedder(),
                                      signals=False, on_ready=ready, **kw)  # type: ignore[arg-type]
            self._ready.set()

        asyncio.run(main())

    def start(self) -> Served:
        self._thread.start()
        assert self._ready.wait(30), "the server did not start"
        for _ in range(300):  # warm: the user tier's indexes are built in the background
            if self.server is None or self.server.ready:
                break
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None and self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.stopping.set)
        self._thread.join(30)


@contextmanager
def served(config: GrooveConfig, paths: RuntimePaths | None = None,
           **kw: object) -> Iterator[Served]:
    paths = paths or short_runtime()
    s = Served(paths, config, **kw).start()
    try:
        yield s
    finally:
        s.stop()
        shutil.rmtree(paths.dir.parent, ignore_errors=True)


@contextmanager
def server_home(root: Path, monkeypatch: Any, extra_config: str = "") -> Iterator[RuntimePaths]:
    """An isolated user home whose groove server is the real `groove serve` (started by
    whoever needs it first), stopped afterwards, and killed if it does not stop."""
    from groove.client import probe, stop_server
    from groove.runtime import runtime_paths

    short = short_runtime()
    (root / "groove.toml").write_text(f'user_db_path = "{root / "user"}"\n{extra_config}')
    monkeypatch.setenv("GROOVE_CONFIG", str(root / "groove.toml"))
    monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(short.dir))
    monkeypatch.setenv("GROOVE_LOG_DIR", str(short.log_dir))
    monkeypatch.delenv("GROOVE_NO_SERVER", raising=False)
    try:
        yield runtime_paths()
    finally:
        status = probe(runtime_paths())
        stop_server(runtime_paths())
        if status is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(status["pid"], signal.SIGKILL)
        shutil.rmtree(short.dir.parent, ignore_errors=True)
