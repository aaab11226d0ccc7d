"""Export files: written atomically, read and validated whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from groove import ExportError, GrooveExport, ImportRejected, LearningExport
from groove.transfer import read_export, write_export
from tests.conftest import make_learning


def _doc(n: int) -> GrooveExport:
    return GrooveExport(learnings=[LearningExport(make_learning(f"l{i}")) for i in range(n)])


def test_round_trip(tmp_path: Path) -> None:
    """A written file reads back as the same document."""
    doc = _doc(3)
    write_export(doc, tmp_path / "out" / "x.json")
    assert read_export(tmp_path / "out" / "x.json") == doc


def test_failed_write_keeps_the_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    """A write that dies before it is complete leaves the previous file whole, and no
    temporary file behind."""
    path = tmp_path / "x.json"
    good = _doc(2)
    write_export(good, path)
    before = path.read_bytes()

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(ExportError, match="No space left on device"):
        write_export(_doc(50), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_read_names_the_file(tmp_path: Path) -> None:
    """A bad file's error names the file and the field."""
    path = tmp_path / "bad.json"
    path.write_text('{"version": 1, "exported_at": "2026-01-01T00:00:00+00:00"}')
    with pytest.raises(ImportRejected, match=r"bad\.json.*learnings"):
        read_export(path)
