"""`groove hooks install|uninstall`: groove's entries merged in and out of settings.json,
everything else left exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groove.errors import ConfigError
from groove.hooks.settings import ENTRIES, apply

THEIRS = {
    "model": "opus",
    "hooks": {
        "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "say-hi"}]}],
        "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "lint"}]}],
    },
}


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    path = tmp_path / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(THEIRS))
    return path


def groove_commands(data: dict) -> dict[str, list[str]]:  # type: ignore[type-arg]
    return {event: [h["command"] for g in groups for h in g["hooks"]
                    if h["command"].startswith("groove hook")]
            for event, groups in data.get("hooks", {}).items()}


def test_install_adds_groove_and_keeps_the_rest(settings: Path) -> None:
    """Install adds one handler per event, keeps other keys and hooks, backs up first."""
    change = apply(settings, install=True)
    data = json.loads(settings.read_text())
    assert set(change.added) == set(ENTRIES)
    assert data["model"] == "opus"
    assert data["hooks"]["PostToolUse"] == THEIRS["hooks"]["PostToolUse"]
    assert data["hooks"]["UserPromptSubmit"][0] == THEIRS["hooks"]["UserPromptSubmit"][0]
    assert groove_commands(data)["UserPromptSubmit"] == ["groove hook prompt"]
    assert data["hooks"]["SessionStart"][0]["matcher"] == "startup|resume|clear|compact"
    assert change.backup is not None and json.loads(change.backup.read_text()) == THEIRS


def test_install_is_idempotent(settings: Path) -> None:
    """A second install changes nothing and never duplicates a handler."""
    apply(settings, install=True)
    first = settings.read_text()
    change = apply(settings, install=True)
    assert not change.changed and settings.read_text() == first
    assert all(len(v) == 1 for v in groove_commands(json.loads(first)).values() if v)


def test_install_updates_an_old_entry_in_place(settings: Path) -> None:
    """An older groove handler (another timeout) is replaced, not added beside."""
    data = json.loads(settings.read_text())
    data["hooks"]["Stop"] = [{"hooks": [{"type": "command", "command": "groove hook stop",
                                         "timeout": 99}]}]
    settings.write_text(json.dumps(data))
    change = apply(settings, install=True)
    assert "Stop" in change.updated
    stop = json.loads(settings.read_text())["hooks"]["Stop"]
    assert len(stop) == 1 and stop[0]["hooks"][0]["timeout"] == ENTRIES["Stop"][2]


def test_uninstall_restores_the_original(settings: Path) -> None:
    """Uninstall after install gives back the settings as they were."""
    apply(settings, install=True)
    change = apply(settings, install=False)
    assert set(change.removed) == set(ENTRIES)
    assert json.loads(settings.read_text()) == THEIRS


def test_dry_run_writes_nothing(settings: Path) -> None:
    """--dry-run reports the change and leaves the file alone."""
    before = settings.read_text()
    change = apply(settings, install=True, dry_run=True)
    assert change.changed and settings.read_text() == before


def test_missing_file_is_created(tmp_path: Path) -> None:
    """No settings.json yet: install creates it with groove's hooks only."""
    path = tmp_path / "new" / "settings.json"
    apply(path, install=True)
    assert set(json.loads(path.read_text())["hooks"]) == set(ENTRIES)


@pytest.mark.parametrize("text", ["{not json", "[]", '{"hooks": []}'])
def test_malformed_settings_are_left_alone(tmp_path: Path, text: str) -> None:
    """A settings file groove cannot read is named in the error and not touched."""
    path = tmp_path / "settings.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"settings\.json"):
        apply(path, install=True)
    assert path.read_text() == text
