"""The one module that touches the CozoDB binding.

Two interchangeable engines run CozoDB on RocksDB: `mnestic` (default; a
maintained fork with fast HNSW builds and fixes for failed commits reported as
success) and upstream `cozo-embedded`. Everything else in groove talks to
`Engine` and sees groove errors, never the binding's.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from groove.errors import DatabaseError, DatabaseLocked, GrooveIOError

ENGINES = ("mnestic", "cozo")
_MODULES = {"mnestic": "mnestic", "cozo": "cozo_embedded"}
PID_FILE = "groove.pid"
WORK_DIR = "compacting"
"""Where a compaction (`compaction.rewrite`) builds the fresh copy, with its journal."""
STATE_FILE = "state"
LOCK_FILE = "groove.lock"
OPTIONS_FILE = "options"
ROCKSDB_OPTIONS: dict[str, object] = {"write_buffer_size": 16 << 20,
                                      "max_write_buffer_size_to_maintain": 32 << 20,
                                      "cache_index_and_filter_blocks": "false"}
"""RocksDB settings groove changes, written to `<db>/options` (which both engines read
at open) from the engine's own OPTIONS file. Measured: loading 100,000 learnings with
vectors peaked at 745 MB with the default 64 MB write buffers, 648 MB with 16 MB. The
engine keeps 128 MB of flushed write buffers as history for transaction conflict checks;
groove's writes are serialized by its write lock, so two buffers' worth (what RocksDB's
TransactionDB picks when unset) is enough: during that load, RSS stopped growing at
~80 MB less (the history filled by ~30,000 learnings). Index and filter blocks stay with
their tables instead of competing for the small block cache: at 300,000 learnings,
looking up 10 learnings by id took 4.3 ms with them in the cache (each lookup re-read
an evicted index block) and 0.5 ms without; they cost a few MB."""
"""Held (flock) from open to close: RocksDB's own lock lives inside `data/`, which a
compaction swaps, so the lock that keeps a second process out must live beside it."""

Rows = list[list[Any]]
T = TypeVar("T")

_RETRYABLE = ("kBusy", "kTimedOut", "kTryAgain")
_RETRY_BUDGET_S = 10.0

MEMTABLE_FRACTION = 0.25
"""Share of the shared envelope that memtables may take (charged into the cache)."""
_shared_memory: int | None = None
_envelope: int | None = None
"""The envelope's size once a database joined it: the engine fixes it for the process."""


def share_memory(total_bytes: int | None) -> None:
    """Give every database this process opens from now on one RocksDB block cache and
    one write-buffer budget of `total_bytes` (mnestic's process-wide memory envelope),
    instead of a cache and memtables per database. A server holding a user tier, many
    project tiers and enterprise replicas then stays inside one bound.

    The engine fixes the envelope's size at the first open that joins it, so a later
    call asking for another size joins the existing envelope instead; None or 0 turns
    sharing off for later opens.
    """
    global _shared_memory
    if total_bytes is not None and total_bytes < 0:
        raise DatabaseError(f"memory budget must be positive, got {total_bytes} bytes")
    _shared_memory = (_envelope or total_bytes) if total_bytes else None


def _options(engine: str) -> str:
    """The binding's options for one open: the shared envelope, where the engine has one
    (cozo-embedded does not)."""
    global _envelope
    if _shared_memory is None or engine != "mnestic":
        return "{}"
    _envelope = _shared_memory
    return json.dumps({"shared_memory": {"total_bytes": _shared_memory,
                                         "memtable_fraction": MEMTABLE_FRACTION}})


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

    def __init__(self, db: Any, path: Path, name: str, durable: bool, lock_fd: int | None = None,
                 recovered: str | None = None):
        self._db = db
        self.path = path
        self.name = name
        self.durable = durable
        self._closed = False
        self._write_lock = threading.RLock()
        self._lock_fd = lock_fd
        self.recovered = recovered
        """What opening did about a compaction that was killed (None: nothing)."""

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
        lock_fd: int | None = None
        recovered: str | None = None
        try:
            while True:
                try:
                    if lock_fd is None:
                        lock_fd, recovered = _flock(path)
                    db = module.CozoDbPy("rocksdb", str(path), _options(engine))
                    break
                except BlockingIOError:
                    pass
                except Exception as e:
                    code, message = _describe(e)
                    if not _is_lock_error(f"{code} {message}"):
                        raise DatabaseError(f"cannot open database {path}: {message}",
                                            path=path, code=code) from None
                if time.monotonic() >= deadline:
                    raise DatabaseLocked(path, holder_pid(path),
                                         time.monotonic() - started) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        try:
            if _write_options(path):  # new, or new settings: reopen with groove's settings
                db.close()
                db = module.CozoDbPy("rocksdb", str(path), _options(engine))
        except Exception as e:
            with contextlib.suppress(Exception):
                db.close()
            if lock_fd is not None:
                os.close(lock_fd)
            _, message = _describe(e)
            raise DatabaseError(f"cannot open database {path}: {message}", path=path) from None
        honoured = False
        if durable and hasattr(db, "set_durable_writes"):
            honoured = bool(db.set_durable_writes(True))
        self = cls(db, path, engine, honoured, lock_fd, recovered)
        with contextlib.suppress(OSError):
            (path / PID_FILE).write_text(str(os.getpid()))
        return self

    def query(self, script: str, params: dict[str, Any] | None = None) -> Rows:
        """Run a read-only script; values go in `params`, never into `script`."""
        return self._run(script, params, immutable=True)

    def mutate(self, script: str, params: dict[str, Any] | None = None) -> Rows:
        """Run a write script as one transaction, retrying while a row is busy."""
        return self._retrying(lambda: self._run(script, params, immutable=False))

    def put_rows(self, data: dict[str, tuple[Sequence[str], Rows]]) -> None:
        """Write rows (relation -> (columns, rows)) into several relations as one
        transaction through the binding's bulk import: no script to parse and evaluate,
        so a new learning with its usage, vector and handle costs ~50 us instead of ~75.
        Each row is put (an existing key is replaced, never refused: unlike `:insert`
        there is no check, the caller checks under the write lock); B-tree indices are
        kept in step, HNSW and FTS indices are not (groove has none)."""
        payload = {name: {"headers": list(columns), "rows": rows}
                   for name, (columns, rows) in data.items()}

        def run() -> None:
            if self._closed:
                raise DatabaseError(f"database {self.path} is closed", path=self.path)
            try:
                self._db.import_relations(payload)
            except Exception as e:
                code, message = _describe(e)
                raise DatabaseError(f"{message} [{code}]", path=self.path, code=code) from None

        self._retrying(run)

    def _retrying(self, write: Callable[[], T]) -> T:
        """Run `write` under the write lock, again while a row is busy (bounded)."""
        with self._write_lock:
            deadline = time.monotonic() + _RETRY_BUDGET_S
            delay = 0.001
            while True:
                try:
                    return write()
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

    def open_raw(self, path: Path) -> Any:
        """A bare binding handle on another directory (a compaction's fresh copy)."""
        module = importlib.import_module(_MODULES[self.name])
        path.mkdir(parents=True, exist_ok=True)
        return module.CozoDbPy("rocksdb", str(path), _options(self.name))

    def close_binding(self) -> None:
        """Release RocksDB but keep the groove lock (a compaction swaps `data/` now)."""
        with self._write_lock:
            self._db.close()

    def open_binding(self) -> None:
        """Open RocksDB again after `close_binding`."""
        with self._write_lock:
            module = importlib.import_module(_MODULES[self.name])
            db = module.CozoDbPy("rocksdb", str(self.path), _options(self.name))
            if self.durable and hasattr(db, "set_durable_writes"):
                db.set_durable_writes(True)
            self._db = db

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
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    @property
    def closed(self) -> bool:
        return self._closed


def _flock(path: Path) -> tuple[int, str | None]:
    """Take the groove lock of `path` (BlockingIOError if another handle holds it), then
    finish or undo a compaction a killed process left behind."""
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, recover(path)
    except BaseException:
        os.close(fd)
        raise


def recover(path: Path) -> str | None:
    """Finish or undo a rewrite that was killed; called under the groove lock before the
    engine opens `path`. Returns what was done (None: nothing to do)."""
    work = path / WORK_DIR
    if not work.exists():
        return None
    state = _read_state(work)
    done = "discarded an unfinished compaction"
    if state == "verified":
        fresh, old, data = work / "fresh" / "data", work / "old-data", path / "data"
        if not data.exists() and fresh.exists():
            os.replace(fresh, data)  # killed between the two renames: finish the swap
            done = "finished an interrupted compaction"
        elif not data.exists() and old.exists():
            os.replace(old, data)
            done = "undid an interrupted compaction"
        fsync_dir(path)
    shutil.rmtree(work, ignore_errors=True)
    return done


def _write_options(path: Path) -> bool:
    """Write `<db>/options` (the engine's OPTIONS file with `ROCKSDB_OPTIONS` applied) if
    it is missing, or apply settings groove added since it was written; True when the
    file changed (the caller reopens the database to use it)."""
    import re

    target = path / OPTIONS_FILE
    existed = target.exists()
    if existed:
        text = target.read_text()
    else:
        found = sorted((path / "data").glob("OPTIONS-*"),
                       key=lambda p: int(p.name.split("-")[1]) if p.name.split("-")[1].isdigit()
                       else -1)
        if not found:
            return False
        text = found[-1].read_text()
    changed = text
    for key, value in ROCKSDB_OPTIONS.items():
        changed = re.sub(rf"^(\s*){key}=.*$", rf"\g<1>{key}={value}", changed, flags=re.M)
    if existed and changed == text:
        return False
    tmp = path / (OPTIONS_FILE + ".tmp")
    tmp.write_text(changed)
    os.replace(tmp, target)
    return True


def _read_state(work: Path) -> str:
    try:
        return (work / STATE_FILE).read_text().strip()
    except OSError:
        return ""


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
