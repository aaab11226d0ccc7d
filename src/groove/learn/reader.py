"""The place where a session is read: rules by default, another reader pluggable."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from groove.domain import Learning
from groove.domain.injection import Injection
from groove.errors import GrooveIOError
from groove.learn.attribution import Attribution, attribute
from groove.learn.capture import Capture, capture
from groove.learn.transcript import ReadStats, read_turns


class SessionReader(Protocol):
    """Decides outcomes and proposes learnings from a transcript. A model-backed reader
    could stand here; groove ships the rules, which run offline and explain themselves."""

    def attribute(self, transcript: Path, shown: Sequence[tuple[Injection, Learning]]
                  ) -> list[Attribution]: ...

    def capture(self, transcript: Path) -> list[Capture]: ...


class Rules:
    """The rule-based reader (`attribution` and `capture`); `embed` enables the
    similarity rules."""

    def __init__(self, embed: Callable[[list[str]], Any] | None = None):
        self.embed = embed
        self.stats = ReadStats()

    def attribute(self, transcript: Path, shown: Sequence[tuple[Injection, Learning]]
                  ) -> list[Attribution]:
        return attribute(read_turns(transcript, self.stats), shown, self.embed)

    def capture(self, transcript: Path) -> list[Capture]:
        return capture(read_turns(transcript))


def session_id_of(transcript: Path) -> str | None:
    """The session a transcript belongs to: the first record that names one."""
    try:
        with transcript.open("rb") as f:
            for raw in f:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("sessionId"), str):
                    return str(record["sessionId"])
    except OSError as e:
        raise GrooveIOError(f"cannot read transcript {transcript}: {e.strerror}",
                            path=transcript) from None
    return None
