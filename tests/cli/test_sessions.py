"""`groove learn` and `groove review` from the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from groove.testing import TranscriptBuilder as Transcript
from tests.cli.conftest import Invoke, as_json


@pytest.mark.usefixtures("fast_model")
def test_learn_then_review(invoke: Invoke, project: Path) -> None:
    """learn captures a stated preference; review lists it, accepts it edited; reading the
    transcript again captures nothing new."""
    path = Transcript().prompt("Use uv, not pip.").write(project / "s.jsonl")
    report = as_json(invoke("learn", str(path), "--json"))
    [captured] = report["captured"]
    assert captured["content"]["description"] == "Use uv, not pip"
    assert captured["rule"] == "use X, not Y" and captured["status"] == "pending"
    listed = as_json(invoke("review", "--json"))
    assert [x["id"] for x in listed] == [captured["id"]]
    done = as_json(invoke("review", captured["id"][:13], "--accept", "--description",
                          "Install with uv pip, not pip", "--json"))
    assert done["capture"]["status"] == "accepted" and done["confidence"] == pytest.approx(0.5)
    assert as_json(invoke("learn", str(path), "--json"))["captured"] == []
    assert "nothing to review" in invoke("review").stderr
    invoke("review", captured["id"], code=2)
