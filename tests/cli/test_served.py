"""The CLI against a running groove server: the same answers, without an event loop."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from groove.cli import COMMANDS, main
from groove.cli.app import Commands
from groove.config import GrooveConfig
from tests.served import Served, served


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    path = tmp_path / "groove.toml"
    config = GrooveConfig(tmp_path / "user")
    config.save(path)
    monkeypatch.setenv("GROOVE_CONFIG", str(path))
    monkeypatch.delenv("GROOVE_NO_SERVER", raising=False)
    monkeypatch.chdir(tmp_path)  # outside any repository: the user tier
    with served(GrooveConfig.load(path)) as s:
        monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(s.paths.dir))
        monkeypatch.setenv("GROOVE_LOG_DIR", str(s.paths.log_dir))
        yield s


def groove(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


def test_commands_answer_through_the_server(server: Served) -> None:
    """add, search, outcome, relate, show, list, export and stats go to the server (its
    tier holds what the CLI added) and print what the in-process path prints."""
    a = groove("add", "Search code with ripgrep", "--insight", "rg is fast").stdout.strip()
    b = groove("add", "Find files by name with fd").stdout.strip()
    hits = json.loads(groove("search", "ripgrep", "--json").stdout)
    assert hits[0]["id"] == a
    out = json.loads(groove("outcome", a, "helpful", "--json").stdout)
    assert out["confidence_after"] > out["confidence_before"]
    groove("relate", b, "related_to", a)
    shown = json.loads(groove("show", a, "--json").stdout)
    assert shown["usage_stats"]["times_helpful"] == 1 and len(shown["relations"]) == 1
    assert {x["id"] for x in json.loads(groove("list", "--json").stdout)} == {a, b}
    groove("export", "all.json")
    assert len(json.loads(Path("all.json").read_text())["learnings"]) == 2
    stats = json.loads(groove("stats", "--json").stdout)
    assert stats[0]["learnings"] == 2
    assert server.server is not None and server.server.stats.requests >= 9


def test_a_served_command_errs_as_the_local_one(server: Served) -> None:
    """An error from the server prints the same one line and exit code."""
    result = CliRunner().invoke(main, ["show", "ffffffff"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "ffffffff" in result.stderr


def test_served_search_skips_asyncio_and_other_commands(server: Served) -> None:
    """`groove search` through a server imports neither asyncio nor the modules of
    commands it does not run, and ends with its heap frozen so that the collections at
    exit skip it (what makes a served command start and end fast)."""
    probe = ("import gc, sys\nfrom groove.__main__ import main\nsys.argv = ['groove', "
             "'search', 'ripgrep', '--json']\ntry:\n    main()\nexcept SystemExit as e:\n"
             "    assert not e.code, e.code\nassert gc.get_freeze_count() > 1000\n"
             "print(sorted(m for m in sys.modules if m == "
             "'asyncio' or m.startswith('groove.cli.')), file=sys.stderr)\n")
    added = groove("add", "Search code with ripgrep").stdout.strip()
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["id"] == added
    assert r.stderr.strip().splitlines()[-1] == str(
        ["groove.cli.app", "groove.cli.learnings", "groove.cli.render"])


def test_every_command_is_mapped_to_its_module() -> None:
    """`COMMANDS` names each command's module (a command missing from it would only
    show up in --help after another command imported its module)."""
    ctx = main.make_context("groove", ["--help"], resilient_parsing=True)
    listed = set(main.list_commands(ctx))
    assert listed == set(Commands.modules)
    for module, names in COMMANDS.items():
        for name in names:
            command = main.commands[name]
            assert (command.callback.__module__ if command.callback else "") in (
                f"groove.cli.{module}", ""), name
