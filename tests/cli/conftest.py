"""CLI fixtures: an isolated home (config + data dirs) and a project, per test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from groove.cli import main
from groove.testing import HashEmbedder

Invoke = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config" / "groove.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("")  # an empty config: the defaults, and no note that it is missing
    monkeypatch.setenv("GROOVE_CONFIG", str(config))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


@pytest.fixture
def project(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = home / "proj"
    root.mkdir()
    (root / ".gitignore").write_text("*.pyc\n")
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def fast_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand the hash embedder in for the real model (the e2e test uses the real one)."""
    monkeypatch.setattr("groove.embedder.DefaultEmbedder", HashEmbedder)


@pytest.fixture
def invoke(home: Path) -> Invoke:
    runner = CliRunner()

    def run(*args: str, code: int = 0, input: str | None = None) -> Result:
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        assert result.exit_code == code, (result.exit_code, result.output, result.stderr)
        return result

    return run


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
