"""The one module that touches the CozoDB binding.

Two interchangeable engines run CozoDB on RocksDB: `mnestic` (default; a
maintained fork with fast HNSW builds and fixes for failed commits reported as
success) and upstream `cozo-embedded`. Everything else in groove talks to
`Engine` and sees groove errors, never the binding's.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from groove.errors import DatabaseError, DatabaseLocked, GrooveIOError

ENGINES = ("mnestic", "cozo")
_MODULES = {"mnestic": "mnestic", "cozo": "cozo_embedded"}
PID_FILE = "groove.pid"

Rows = list[list[Any]]

_RETRYABLE = ("kBusy", "kTimedOut", "kTryAgain")
_RETRY_BUDGET_S = 10.0


def _describe(exc: BaseException) -> tuple[str, str]:
    """(code, message) from the binding's exception, which carries a dict or a string."""
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, dict):
        message = str(arg.get("message") or "")
        causes = [str(c) for c in arg.get("causes") or [] if c]
        if causes:
            message = f"{message}: {'; '.join(causes)}" if message else "; ".join(causes)
        return str(arg.get("code") or ""), message
    text = str(arg)
    code, _, rest = text.partition("\n")
    # The binding wraps long messages in a box drawn with these characters.
    words = rest.replace("\u2502", " ").replace("\u00d7", " ").split()
    return code.strip(), " ".join(words) or text


def _is_lock_error(message: str) -> bool:
    m = " ".join(message.lower().split())
    return "lock" in m and ("temporarily unavailable" in m or "no locks available" in m
                            or "lock hold" in m)


def holder_pid(path: Path) -> int | None:
    """The pid recorded by the groove process that holds `path`, if it is still alive."""
    try:
        pid = int((path / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


class Engine:
    """A CozoDB database on RocksDB, opened by exactly one process."""

    def __init__(self, db: Any, path: Path, name: str, durable: bool):
        self._db = db
        self.path = path
        self.name = name
        self.durable = durable
        self._closed = False
        self._write_lock = threading.RLock()

    @classmethod
    def open(
        cls, path: Path, *, engine: str = "mnestic", durable: bool = True,
        lock_timeout: float = 0.0,
    ) -> Engine:
        """Open or create the database at `path`, waiting up to `lock_timeout` s for a lock."""
        if engine not in ENGINES:
            raise DatabaseError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
        _prepare_dir(path)
        try:
            module = importlib.import_module(_MODULES[engine])
        except ImportError:
            extra = " (pip install 'vibes-groove[cozo]')" if engine == "cozo" else ""
            raise DatabaseError(f"engine {engine!r} is not installed{extra}") from None
        deadline = time.monotonic() + max(0.0, lock_timeout)
        started = time.monotonic()
        delay = 0.05
        while True:
            try:
                db = module.CozoDbPy("rocksdb", str(path), "{}")
                break
            except Exception as e:
                code, message = _describe(e)
                if _is_lock_error(f"{code} {message}"):
                    if time.monotonic() >= deadline:
                        raise DatabaseLocked(path, holder_pid(path),
                                             time.monotonic() - started) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
                    continue
                raise DatabaseError(f"cannot open database {path}: {message}", path=path,
                                    code=code) from None
        honoured = False
        if durable and hasattr(db, "set_durable_writes"):
            honoured = bool(db.set_durable_writes(True))
        self = cls(db, path, engine, honoured)
        with contextlib.suppress(OSError):
            (path / PID_FILE).write_text(str(os.getpid()))
        return self

    def query(self, script: str, params: dict[str, Any] | None = None) -> Rows:
        """Run a read-only script; values go in `params`, never into `script`."""
        return self._run(script, params, immutable=True)

    def mutate(self, script: str, params: dict[str, Any] | None = None) -> Rows:
        """Run a write script as one transaction, retrying while a row is busy."""
        with self._write_lock:
            deadline = time.monotonic() + _RETRY_BUDGET_S
            delay = 0.001
            while True:
                try:
                    return self._run(script, params, immutable=False)
                except DatabaseError as e:
                    if not any(k in (e.code or "") for k in _RETRYABLE) \
                            or time.monotonic() > deadline:
                        raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)

    def write_lock(self) -> threading.RLock:
        """Held across read-modify-write sequences so that no update is lost in-process."""
        return self._write_lock

    def _run(self, script: str, params: dict[str, Any] | None, *, immutable: bool) -> Rows:
        if self._closed:
            raise DatabaseError(f"database {self.path} is closed", path=self.path)
        try:
            result = self._db.run_script(script, params or {}, immutable)
        except Exception as e:
            code, message = _describe(e)
            raise DatabaseError(f"{message} [{code}]", path=self.path, code=code) from None
        return list(result["rows"])

    def backup(self, dest: Path) -> None:
        """A consistent copy of the whole database in one file (SQLite format)."""
        try:
            self._db.backup(str(dest))
        except Exception as e:
            _, message = _describe(e)
            raise DatabaseError(f"backup to {dest} failed: {message}", path=self.path) from None

    def relations(self) -> set[str]:
        return {str(r[0]) for r in self.query("::relations")}

    def close(self) -> None:
        """Release the database; later calls are no-ops.

        A failure in the binding's close is raised as `DatabaseError`, but only after
        the engine is marked closed and its pid file is gone: the handle is not usable
        either way, and a retry must not reach the binding twice.
        """
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            pid_file = self.path / PID_FILE
            if pid_file.read_text().strip() == str(os.getpid()):
                pid_file.unlink()
        try:
            self._db.close()
        except Exception as e:
            code, message = _describe(e)
            raise DatabaseError(f"closing database {self.path} failed: {message}",
                                path=self.path, code=code) from None

    @property
    def closed(self) -> bool:
        return self._closed


def _prepare_dir(path: Path) -> None:
    """Turn file-system trouble into one clear error before the binding sees the path."""
    if path.exists() and not path.is_dir():
        raise GrooveIOError(
            f"{path} is a file, not a database directory; move it away or choose another path",
            path=path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GrooveIOError(f"cannot create database directory {path}: {e.strerror}",
                            path=path) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise GrooveIOError(
            f"database directory {path} is not writable; fix its permissions "
            f"(e.g. chmod u+w {path}) or choose another path", path=path)
