"""Hook input as Claude Code sends it (recorded fixtures), and what is not worth a lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from groove.errors import ValidationError
from groove.hooks.payload import HookInput, is_trivial

FIXTURES = Path(__file__).parent.parent / "fixtures" / "claude_code" / "hooks"


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")
                                        if not p.name.startswith("output_")))
def test_every_recorded_payload_parses(name: str) -> None:
    """Each recorded payload gives its event, session and working directory."""
    h = HookInput.parse((FIXTURES / name).read_bytes())
    assert h.event and h.session_id and h.cwd is not None


def test_prompt_and_source_are_read() -> None:
    """A prompt payload carries the prompt; a session-start one its source."""
    p = HookInput.parse((FIXTURES / "user_prompt_submit.json").read_bytes())
    assert p.prompt and p.prompt.startswith("the reconciliation tests fail")
    s = HookInput.parse((FIXTURES / "session_start_resume.json").read_bytes())
    assert s.source == "resume"


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_malformed_input_is_a_validation_error(raw: bytes) -> None:
    """Anything but a JSON object is rejected with a message, never a crash."""
    with pytest.raises(ValidationError):
        HookInput.parse(raw)


def test_wrong_types_are_ignored() -> None:
    """Fields of the wrong type read as absent."""
    h = HookInput.parse(b'{"session_id": 5, "cwd": ["x"], "prompt": null}')
    assert h.session_id is None and h.cwd is None and h.prompt is None


@pytest.mark.parametrize("prompt", ["ok", "Thanks!", "yes", "/compact", "  ", "go ahead",
                                    "lgtm", "ship it"])
def test_trivial_prompts(prompt: str) -> None:
    """Acknowledgements, slash commands and two-word replies get nothing."""
    assert is_trivial(prompt)


@pytest.mark.parametrize("prompt", ["why do the reconciliation tests fail?",
                                    "add a migration for the users table"])
def test_real_prompts_are_not_trivial(prompt: str) -> None:
    """A question or a task is worth a lookup."""
    assert not is_trivial(prompt)
