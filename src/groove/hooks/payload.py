"""Claude Code's hook input, read defensively (the contract: tests/fixtures/claude_code)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from groove.errors import ValidationError

MAX_INPUT = 4 * 1024 * 1024
"""More than this on stdin is not a hook payload."""


@dataclass(frozen=True, slots=True)
class HookInput:
    event: str
    session_id: str | None
    transcript: Path | None
    cwd: Path | None
    prompt: str | None = None
    source: str | None = None
    agent_id: str | None = None

    @classmethod
    def parse(cls, raw: bytes) -> HookInput:
        """The payload, or `ValidationError` naming what is wrong with it."""
        if len(raw) > MAX_INPUT:
            raise ValidationError(f"hook input larger than {MAX_INPUT} bytes")
        try:
            data: Any = json.loads(raw.decode("utf-8", errors="replace") or "null")
        except ValueError as e:
            raise ValidationError(f"hook input is not JSON: {e}") from None
        if not isinstance(data, dict):
            raise ValidationError("hook input is not a JSON object")

        def text(key: str) -> str | None:
            v = data.get(key)
            return v if isinstance(v, str) and v else None

        transcript, cwd = text("transcript_path"), text("cwd")
        return cls(event=text("hook_event_name") or "", session_id=text("session_id"),
                   transcript=Path(transcript) if transcript else None,
                   cwd=Path(cwd) if cwd else None, prompt=text("prompt"),
                   source=text("source"), agent_id=text("agent_id"))


_TRIVIAL = re.compile(
    r"^(ok(ay)?|k|thanks?( you)?|thx|ty|yes|yep|yeah|no|nope|sure|great|nice|cool|"
    r"go( ahead| on)?|continue|do it|lgtm|perfect|done|good|right|correct|fine|y|n)"
    r"[\s.!?]*$", re.IGNORECASE)


def is_trivial(prompt: str) -> bool:
    """A prompt that deserves no learnings: an acknowledgement, a slash command, a word."""
    p = prompt.strip()
    return (not p or p.startswith("/") or bool(_TRIVIAL.match(p))
            or (len(p) < 12 and len(p.split()) <= 2))


OFF_MARKER = "#nogroove"
"""A prompt containing this turns injection off for the rest of its session."""
OFF_ENV = "GROOVE_INJECT"
"""`GROOVE_INJECT=0` (or off/false/no) in Claude Code's environment: no injection at all."""
