"""`groove compact` and the short handles a table shows, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_json

pytestmark = pytest.mark.usefixtures("fast_model")


def test_compact_json_reports_each_tier(invoke: Invoke, project: Path) -> None:
    """compact --json names each tier with its logs before and after; data is kept."""
    lid = invoke("add", "Use pytest fixtures").stdout.strip()
    for _ in range(3):
        invoke("list")
    reports = as_json(invoke("compact", "--json"))
    assert reports and all(r["log_files_after"] < r["log_files_before"] for r in reports)
    assert [x["id"] for x in as_json(invoke("list", "--json"))] == [lid]


def test_table_shows_handles_that_commands_accept(invoke: Invoke, project: Path) -> None:
    """The id column of list is the 8-digit handle, and show takes it."""
    lid = invoke("add", "Use ruff").stdout.strip()
    table = invoke("list").stdout
    assert lid[-8:] in table and lid[:18] not in table
    assert as_json(invoke("show", lid[-8:], "--json"))["id"] == lid
