"""File-system trouble gives a clear groove error, never a traceback from the binding."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from groove import CozoStore, GrooveIOError
from tests.cli.conftest import Invoke
from tests.conftest import make_learning


async def test_path_is_a_file(tmp_path: Path) -> None:
    """A file where the tier directory belongs names the path and the fix."""
    (tmp_path / "db").write_text("x")
    with pytest.raises(GrooveIOError, match="is a file, not a database directory"):
        await CozoStore.open(tmp_path / "db")


async def test_parent_is_a_file(tmp_path: Path) -> None:
    """A tier path under a file cannot be created: a clear error, not a binding panic."""
    (tmp_path / "f").write_text("x")
    with pytest.raises(GrooveIOError, match="cannot create database directory"):
        await CozoStore.open(tmp_path / "f" / "db")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Path], None]]:
    """Make a directory read-only in a way that binds root too: a read-only tmpfs remount
    when running as root (root writes through permission bits), chmod otherwise."""
    mounted: list[Path] = []
    if os.geteuid() == 0:
        area = tmp_path / "mnt"
        area.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(area)],
                           capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounted.append(area)

        def make_ro(path: Path) -> None:
            subprocess.run(["mount", "-o", "remount,ro", str(area)], check=True)
    else:
        def make_ro(path: Path) -> None:
            os.chmod(path, 0o555)

    make_ro.area = mounted[0] if mounted else tmp_path  # type: ignore[attr-defined]
    yield make_ro
    for area in mounted:
        subprocess.run(["umount", str(area)], check=False)


async def test_read_only_tier(read_only: Callable[[Path], None]) -> None:
    """A tier on a read-only directory (new or holding a store) is a GrooveIOError naming it,
    before the binding ever touches it."""
    area: Path = read_only.area  # type: ignore[attr-defined]
    existing = area / "existing"
    async with await CozoStore.open(existing) as s:
        await s.store(make_learning("kept"))
    fresh_parent = area / "fresh"
    fresh_parent.mkdir()
    read_only(existing)
    read_only(fresh_parent)
    with pytest.raises(GrooveIOError, match=f"{existing}.*not writable"):
        await CozoStore.open(existing)
    with pytest.raises(GrooveIOError, match="cannot create database directory"):
        await CozoStore.open(fresh_parent / "db")


@pytest.mark.usefixtures("fast_model")
def test_cli_reports_file_in_the_way(invoke: Invoke, home: Path) -> None:
    """The CLI turns a file in the user tier's place into one line and exit 1."""
    user = home / "data" / "vibes" / "groove" / "user"
    user.parent.mkdir(parents=True)
    user.write_text("oops")
    r = invoke("list", code=1)
    assert "is a file" in r.stderr and str(user) in r.stderr
