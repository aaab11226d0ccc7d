"""What people and agents feed `groove add`: stdin, a file, text too long for argv, blanks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Invoke, as_json

pytestmark = pytest.mark.usefixtures("fast_model")


def test_add_reads_stdin_with_a_dash(invoke: Invoke, project: Path) -> None:
    """`groove add -` stores what stdin holds, not a literal '-'."""
    added = as_json(invoke("add", "-", "--json", input="Use uv, not pip\n"))
    assert added["content"]["description"] == "Use uv, not pip"


def test_add_reads_long_files(invoke: Invoke, project: Path) -> None:
    """--file takes a long description; one past the limit (a megabyte) is refused with
    the limit named, and nothing is stored."""
    path = project / "long.txt"
    path.write_text("x" * 60_000)
    added = as_json(invoke("add", "--file", str(path), "--json"))
    assert len(added["content"]["description"]) == 60_000
    path.write_text("y" * 1_000_000)
    assert "the limit is 65,536" in invoke("add", "--file", str(path), code=1).stderr
    assert len(as_json(invoke("list", "--json"))) == 1


def test_add_needs_exactly_one_source(invoke: Invoke, project: Path) -> None:
    """No text and no --file, or both, is a usage error naming the three ways."""
    assert "give the text, '-'" in invoke("add", code=2).stderr
    assert "one of them" in invoke("add", "x", "--file", "y", code=2).stderr


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_blank_text_is_refused(invoke: Invoke, project: Path, blank: str) -> None:
    """A blank learning is refused with a message, whether typed or piped."""
    assert "description" in invoke("add", blank, code=1).stderr
    assert "description" in invoke("add", "-", input=blank, code=1).stderr
    assert "query" in invoke("search", blank, code=1).stderr


def test_missing_file_is_named(invoke: Invoke, project: Path) -> None:
    """--file naming nothing says which file."""
    assert "cannot read" in invoke("add", "--file", str(project / "nope.txt"), code=1).stderr
