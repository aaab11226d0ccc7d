"""`groove config`: settings read and changed without editing TOML, always validated."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.cli.conftest import Invoke, as_json


def config_file(home: Path) -> Path:
    return home / "config" / "groove.toml"


def test_list_shows_defaults_and_where(invoke: Invoke, home: Path) -> None:
    """list shows every setting, defaults included, and whether the file exists."""
    out = as_json(invoke("config", "list", "--json"))
    assert out["file"] == str(config_file(home)) and out["exists"] is True
    assert out["settings"]["hook_deadline"] == 2.0
    assert out["settings"]["server_idle_timeout"] == 1800.0


def test_set_then_get(invoke: Invoke, home: Path) -> None:
    """set validates and writes; get reads it back; the file is valid TOML."""
    invoke("config", "set", "lock_timeout", "5")
    assert invoke("config", "get", "lock_timeout").stdout.strip() == "5.0"
    assert tomllib.loads(config_file(home).read_text())["lock_timeout"] == 5.0


def test_bad_values_change_nothing(invoke: Invoke, home: Path) -> None:
    """A bad value or an unknown key is refused, naming it; the file is untouched."""
    invoke("config", "set", "hook_deadline", "1.5")
    before = config_file(home).read_text()
    assert "number of seconds" in invoke("config", "set", "hook_deadline", "soon",
                                         code=1).stderr
    assert ">= 0" in invoke("config", "set", "lock_timeout", "--", "-1", code=1).stderr
    assert "unknown setting 'colour'" in invoke("config", "get", "colour", code=1).stderr
    invoke("config", "set", "colour", "red", code=2)
    assert config_file(home).read_text() == before


def test_enterprise_add_join_and_remove(invoke: Invoke, project: Path, home: Path) -> None:
    """enterprise add writes the org to the user config and, with --join, names it in
    the project's config, so the project reads the org's tier."""
    (project / ".git").mkdir()
    invoke("config", "enterprise", "add", "acme", "--db-path", str(home / "acme"), "--join")
    settings = as_json(invoke("config", "list", "--json"))["settings"]
    assert settings["enterprises.acme.db_path"] == str(home / "acme")
    project_config = tomllib.loads((project / ".vibes" / "config.toml").read_text())
    assert project_config["groove"]["enterprise"] == "acme"
    assert "enterprise" in invoke("stats", "--json").stdout
    invoke("config", "enterprise", "remove", "acme")
    assert "enterprises.acme.db_path" not in as_json(invoke("config", "list", "--json"))[
        "settings"]
    assert "no enterprise 'acme'" in invoke("config", "enterprise", "remove", "acme",
                                            code=1).stderr


def test_a_named_config_that_is_missing_is_noted(invoke: Invoke, home: Path) -> None:
    """GROOVE_CONFIG naming a file that is not there: defaults apply, and stderr says so."""
    config_file(home).unlink()
    r = invoke("list")
    assert f"note: config {config_file(home)} does not exist; using defaults" in r.stderr
