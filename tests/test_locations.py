"""Tests for groove.locations: where groove's files are, found without the config."""

import subprocess
import sys
from pathlib import Path

import pytest

from groove.locations import (
    default_config_path,
    ensure_gitignored,
    find_project_root,
    project_config_path,
    project_db_path,
)


def test_project_root_is_the_nearest_with_vibes_or_git(tmp_path: Path) -> None:
    """A directory belongs to the nearest ancestor holding `.vibes/` or `.git`."""
    outer, inner = tmp_path / "outer", tmp_path / "outer" / "pkg" / "inner"
    inner.mkdir(parents=True)
    (outer / ".git").mkdir()
    assert find_project_root(inner) == outer
    (outer / "pkg" / ".vibes").mkdir()
    assert find_project_root(inner) == outer / "pkg"
    assert project_db_path(outer) == outer / ".vibes" / "groove"
    assert project_config_path(outer) == outer / ".vibes" / "config.toml"


def test_config_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    """$GROOVE_CONFIG names the user config; else it sits in the user config dir."""
    monkeypatch.setenv("GROOVE_CONFIG", str(tmp_path / "g.toml"))
    assert default_config_path() == tmp_path / "g.toml"
    monkeypatch.delenv("GROOVE_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "vibes" / "groove.toml"


def test_gitignore_gains_the_tier_once(tmp_path: Path) -> None:
    """An existing .gitignore gets the project tier's entry once; the tier's own
    directory ignores itself either way."""
    (tmp_path / ".gitignore").write_text("build/")
    assert ensure_gitignored(tmp_path) is True
    assert ensure_gitignored(tmp_path) is False
    assert (tmp_path / ".gitignore").read_text() == "build/\n.vibes/groove/\n"


def test_paths_need_not_load_the_config_module() -> None:
    """Finding groove's files does not define the config's dataclasses (a served
    command and a hook pay for this import only)."""
    code = ("import sys, groove.locations; "
            "print('groove.config' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
