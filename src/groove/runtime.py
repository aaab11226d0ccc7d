"""Where the groove server of this user lives: its socket, lock and log files.

The server and its clients meet here, so both ask this module and nothing else.
The socket and the lock sit in the per-user runtime directory (platformdirs, which
honours `XDG_RUNTIME_DIR`), in a directory made 0700; the log goes to the user's log
directory, never to a terminal an agent reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import platformdirs

from groove.errors import GrooveIOError
from groove.version import __version__

APP = "groove"
SOCKET_NAME = "groove.sock"
SPAWN_FD_ENV = "GROOVE_SPAWN_LOCK_FD"
"""A server started by a client inherits the spawn lock under this descriptor number."""
MAX_SOCKET_PATH = 100
"""A Unix socket path must fit sun_path (108 bytes on Linux, 104 on macOS)."""


def groove_version() -> str:
    """This installation's version: a client and a server of different ones do not talk.
    Read from the package (the one place it is written; pyproject takes it from there),
    not from the installed metadata, whose import costs a CLI call ~15 ms."""
    return __version__


@dataclass(frozen=True, slots=True)
class RuntimePaths:
    """The files of one user's groove server."""

    dir: Path
    log_dir: Path

    @property
    def socket(self) -> Path:
        return self.dir / SOCKET_NAME

    @property
    def lock(self) -> Path:
        """Held (flock) by the running server for its whole life: the one-per-user proof."""
        return self.dir / "server.lock"

    @property
    def spawn_lock(self) -> Path:
        """Held by a client while it starts a server, so N clients start exactly one."""
        return self.dir / "spawn.lock"

    @property
    def info(self) -> Path:
        """What the running server wrote about itself (pid, version), for messages only."""
        return self.dir / "server.json"

    @property
    def log(self) -> Path:
        return self.log_dir / "server.log"

    @property
    def hook_log(self) -> Path:
        return self.log_dir / "hooks.log"


def runtime_paths() -> RuntimePaths:
    """This user's paths. `GROOVE_RUNTIME_DIR` overrides the runtime directory (tests, or a
    home on a file system without Unix sockets)."""
    override = os.environ.get("GROOVE_RUNTIME_DIR")
    if override:
        base = Path(override)
    else:
        with warnings.catch_warnings():
            # without XDG_RUNTIME_DIR (ssh, containers) platformdirs warns and falls back
            # to /tmp/runtime-UID, which groove makes 0700: no warning on a hook's stderr
            warnings.simplefilter("ignore")
            base = Path(platformdirs.user_runtime_dir(APP))
        if len(str(base / SOCKET_NAME)) > MAX_SOCKET_PATH:
            import tempfile  # rarely needed: a hook should not pay for it

            base = Path(tempfile.gettempdir()) / f"{APP}-{os.getuid()}"
    log_dir = Path(os.environ.get("GROOVE_LOG_DIR") or platformdirs.user_log_dir(APP))
    return RuntimePaths(base, log_dir)


def private_dir(path: Path) -> Path:
    """Make `path` (and parents) and ensure only this user can enter it: 0700, owned by us.
    A directory someone else owns is refused, not chmod-ed: it could be a trap."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = path.lstat()
        if not stat.S_ISDIR(st.st_mode):
            raise GrooveIOError(f"{path} is not a directory; remove it so groove can make "
                                "its runtime directory there", path=path)
        if st.st_uid != os.getuid():
            raise GrooveIOError(f"{path} belongs to uid {st.st_uid}, not to you; remove it or "
                                "set GROOVE_RUNTIME_DIR to a directory of yours", path=path)
        if stat.S_IMODE(st.st_mode) != 0o700:
            path.chmod(0o700)
    except OSError as e:
        raise GrooveIOError(f"cannot prepare {path}: {e.strerror or e}", path=path) from e
    return path


def hold_lock(path: Path) -> IO[str] | None:
    """The open, flocked file at `path`, or None when another process holds it. The kernel
    drops the lock when its holder dies, so a killed server never blocks the next."""
    f = open(path, "a+")  # noqa: SIM115 - the caller holds it as long as it needs
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def lock_free(path: Path) -> bool:
    """Whether nobody holds the lock at `path` (taken and released at once)."""
    f = hold_lock(path)
    if f is None:
        return False
    f.close()
    return True


def release_spawn_lock() -> None:
    """In a server a client started, once it listens: let the waiting clients in."""
    fd = os.environ.pop(SPAWN_FD_ENV, None)
    if fd is not None and fd.isdigit():
        with contextlib.suppress(OSError):
            os.close(int(fd))


MALLOC_ARENAS = 2
"""glibc arenas for a long-lived groove process (see `limit_malloc_arenas`)."""


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process (M_ARENA_MAX); True if it took.

    glibc gives threads that allocate at once arenas of their own (up to 8 per core) and
    keeps what they free. The server runs a writer and readers per tier, the engine's
    and the event loop's threads: measured with 10 tiers taking 6,000 writes each
    (`python -m bench.memory --tiers 10 --n 3000 --writes 6000`), RSS 1,551 MB with
    glibc's default against 641 MB with 2 arenas, at the same speed.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # -8: M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to cap
        return False


MATH_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def single_threaded_math() -> None:
    """One BLAS and OpenMP thread per calling thread (unless the environment says
    otherwise); effective only before numpy and faiss load.

    The server searches from several reader threads, each a single query: measured at
    10,000 learnings (200 searches through the socket), the time inside the server was
    15 ms with one reader thread and 28 ms with two or four, and 15 ms with four once
    each call was single-threaded. faiss builds still use every core (they set their
    own thread count)."""
    for var in MATH_THREAD_VARS:
        os.environ.setdefault(var, "1")
