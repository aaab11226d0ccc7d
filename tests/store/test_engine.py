"""The engine adapter: locks, paths, and errors that name the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from groove import CozoStore, DatabaseError, DatabaseLocked, GrooveIOError
from groove.store.engine import Engine

HOLD = """
import sys, time
from groove.store.engine import Engine
e = Engine.open(__import__('pathlib').Path(sys.argv[1]))
print('ready', flush=True)
time.sleep(float(sys.argv[2]))
e.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.slow
async def test_second_process_gets_locked_error_with_pid(tmp_path: Path) -> None:
    """While another process holds the DB, opening fails fast naming the path and its pid."""
    path = tmp_path / "db"
    proc = _hold(path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(DatabaseLocked) as info:
            await CozoStore.open(path)
        assert time.monotonic() - start < 5
        assert str(path) in str(info.value)
        assert info.value.holder_pid == proc.pid
        assert str(proc.pid) in str(info.value)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.slow
async def test_bounded_wait_then_open(tmp_path: Path) -> None:
    """With a lock timeout, open waits for the holder to finish and then succeeds."""
    path = tmp_path / "db"
    proc = _hold(path, 1.0)
    try:
        s = await CozoStore.open(path, lock_timeout=15)
        await s.close()
    finally:
        proc.wait()


@pytest.mark.slow
async def test_bounded_wait_gives_up(tmp_path: Path) -> None:
    """A lock timeout shorter than the hold fails after about that long."""
    path = tmp_path / "db"
    proc = _hold(path, 30)
    try:
        start = time.monotonic()
        with pytest.raises(DatabaseLocked, match="after waiting"):
            await CozoStore.open(path, lock_timeout=0.6)
        assert 0.5 < time.monotonic() - start < 5
    finally:
        proc.kill()
        proc.wait()


def test_path_is_a_file(tmp_path: Path) -> None:
    """A file where the database directory belongs is a clear GrooveIOError."""
    f = tmp_path / "db"
    f.write_text("not a db")
    with pytest.raises(GrooveIOError, match="is a file"):
        Engine.open(f)


def test_unknown_engine(tmp_path: Path) -> None:
    """An unknown engine name lists the known ones."""
    with pytest.raises(DatabaseError, match="mnestic, cozo"):
        Engine.open(tmp_path / "db", engine="sqlite")


def test_query_errors_are_groove_errors(tmp_path: Path) -> None:
    """A failing script raises DatabaseError with the engine's code, not the binding's type."""
    e = Engine.open(tmp_path / "db")
    try:
        with pytest.raises(DatabaseError) as info:
            e.query("?[x] := *missing{x}")
        assert info.value.code == "query::relation_not_found"
    finally:
        e.close()
    assert not (tmp_path / "db" / "groove.pid").exists()


def test_pid_file_names_holder(tmp_path: Path) -> None:
    """An open engine records this process's pid for error messages elsewhere."""
    e = Engine.open(tmp_path / "db")
    try:
        assert (tmp_path / "db" / "groove.pid").read_text() == str(os.getpid())
        assert e.durable is True
    finally:
        e.close()


class _CloseFails:
    """The binding's handle, except that closing it fails the way the binding reports."""

    def __init__(self, db: Any):
        self.db = db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)

    def close(self) -> None:
        raise RuntimeError("storage::io\nrocksdb flush failed: disk went away")


def test_close_failure_is_a_database_error_after_closing(tmp_path: Path) -> None:
    """A failing binding close raises DatabaseError naming the path, yet the engine is
    closed, its pid file gone, and a second close is a quiet no-op."""
    path = tmp_path / "db"
    e = Engine.open(path)
    real = e._db
    e._db = _CloseFails(real)
    try:
        with pytest.raises(DatabaseError, match="disk went away") as info:
            e.close()
        assert str(path) in str(info.value) and info.value.path == path
        assert info.value.code == "storage::io"
        assert e.closed and not (path / "groove.pid").exists()
        e.close()
        with pytest.raises(DatabaseError, match="is closed"):
            e.query("?[x] <- [[1]]")
    finally:
        real.close()
