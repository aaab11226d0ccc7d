"""Where groove's files live: the user config and tier, a project's tier and config,
and the project a directory belongs to.

Apart from `groove.config` because a served command and a hook need only these paths:
the config's dataclasses cost ~4 ms to define, a tenth of a hook's own work.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_DIR = "vibes"


def default_config_path() -> Path:
    env = os.environ.get("GROOVE_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir()) / APP_DIR / "groove.toml"


def default_user_db_path() -> Path:
    return Path(platformdirs.user_data_dir()) / APP_DIR / "groove" / "user"


def project_db_path(project_root: Path) -> Path:
    return project_root / ".vibes" / "groove"


def project_config_path(project_root: Path) -> Path:
    return project_root / ".vibes" / "config.toml"


def find_project_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that has a `.vibes/` or `.git/`."""
    start = start.resolve()
    for d in (start, *start.parents):
        if (d / ".vibes").is_dir() or (d / ".git").exists():
            return d
    return None


GITIGNORE_ENTRY = ".vibes/groove/"


def ignore_in_git(db_path: Path) -> None:
    """Make a project tier's directory ignore itself, so `git add -A` never commits a
    database, whoever created it (a write anywhere in a repository creates one)."""
    marker = db_path / ".gitignore"
    if not marker.exists():
        with contextlib.suppress(OSError):
            marker.write_text("# groove's project tier: a local database, not source\n*\n",
                              encoding="utf-8")


def ensure_gitignored(project_root: Path) -> bool:
    """Add the project tier to an existing `.gitignore`; True when the file changed."""
    ignore_in_git(project_db_path(project_root))
    gitignore = project_root / ".gitignore"
    if not gitignore.exists():
        return False
    lines = gitignore.read_text(encoding="utf-8").splitlines()
    if GITIGNORE_ENTRY in lines:
        return False
    with gitignore.open("a", encoding="utf-8") as f:
        f.write(("" if not lines or lines[-1] == "" else "\n") + GITIGNORE_ENTRY + "\n")
    return True
