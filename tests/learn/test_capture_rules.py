"""Capture rules one by one: what a user states becomes a learning, and what it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from groove.learn import capture, read_turns
from groove.testing import TranscriptBuilder

SESSION = "5d7c2a9e-1111-4c2b-9d7e-0a1b2c3d4e5f"


def captured(tmp_path: Path, t: TranscriptBuilder) -> list[str]:
    return [c.description for c in capture(read_turns(t.write(tmp_path / "s.jsonl")))]


@pytest.mark.parametrize(("prompt", "want"), [
    ("no, don't use find_each for this export. it goes by id. just use .order(:created_at).each",
     "Use .order(:created_at).each, not find_each"),
    ("no, not httpx for this one. the SDK handles retries. use fxrates.Client",
     "Use fxrates.Client, not httpx"),
])
def test_a_correction_then_what_to_use(tmp_path: Path, prompt: str, want: str) -> None:
    """"no, don't use X ... use Y" is captured as "Use Y, not X"."""
    assert captured(tmp_path, TranscriptBuilder(SESSION).prompt("add the export")
                    .prompt(prompt)) == [want]


def test_rules_inside_a_sentence(tmp_path: Path) -> None:
    """"..., we always ..." and "..., and we never ..." each give a learning."""
    t = TranscriptBuilder(SESSION).prompt(
        "From now on, always put new routes under app/api/v2/, and we never return bare "
        'lists from endpoints: wrap them as {"items": [...]}.')
    assert captured(tmp_path, t) == [
        "Always put new routes under app/api/v2/",
        'Never return bare lists from endpoints: wrap them as {"items": [...]}']


@pytest.mark.parametrize("prompt", [
    "Use retry.Do, we always use that for outbound calls",   # "that": said elsewhere
    'she wrote "always squash-merge and never push to main" in the old wiki page',
    "should we always pin exact versions?",
])
def test_what_is_not_a_stated_rule(tmp_path: Path, prompt: str) -> None:
    """A dangling "always use that", quoted speech and a question capture nothing of
    the kind."""
    assert not [c for c in captured(tmp_path, TranscriptBuilder(SESSION).prompt(prompt))
                if c.lower().startswith(("always", "never"))]


def test_a_script_run_as_its_module(tmp_path: Path) -> None:
    """`python trainer/train.py` failing, then `python -m trainer.train` working, is the
    same task done right: a tool tip."""
    t = (TranscriptBuilder(SESSION).prompt("start a training run")
         .tool("Bash", {"command": "python trainer/train.py --config small.yaml"},
               "ModuleNotFoundError: No module named 'trainer'", error=True)
         .tool("Bash", {"command": "python -m trainer.train --config small.yaml"}, "step 1"))
    assert captured(tmp_path, t) == ["Run `python -m trainer.train --config small.yaml`, "
                                     "not `python trainer/train.py --config small.yaml`"]
