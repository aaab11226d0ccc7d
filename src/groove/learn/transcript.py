"""Claude Code session transcripts (JSONL), read as a stream of turns.

A transcript is one JSON record per line (`type`: user, assistant, system, summary,
attachment, ...). A user record's `message.content` is the prompt (a string or text
blocks) or `tool_result` blocks; an assistant record's content holds `text`,
`thinking` and `tool_use` blocks. groove needs only the order of prompts, the agent's
words and tool calls, and which tool results failed, so it streams the file line by
line (constant memory, a 50 MB transcript in well under 2 s), skips records it does
not know and lines that do not parse (a session still being written ends with a
partial line), and counts what it skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groove.domain.choice import Choice
from groove.errors import GrooveIOError

COMPACTED = "This session is being continued from a previous conversation"
"""How the summary Claude Code writes as a user message after compacting context starts."""
MAX_TEXT = 20_000
"""Longest text kept per turn: a pasted log or a huge tool output is evidence only by
its start (and keeping it would make memory grow with the transcript)."""


class TurnKind(Choice):
    PROMPT = "prompt"
    """What the user typed."""
    SAID = "said"
    """The agent's words."""
    TOOL_USE = "tool_use"
    TOOL_RESULT = "tool_result"

    @classmethod
    def label(cls) -> str:
        return "turn kind"


@dataclass(slots=True)
class Turn:
    """One step of a session, numbered in transcript order."""

    index: int
    kind: TurnKind
    text: str
    prompt_index: int
    """How many user prompts came before or at this turn (the first prompt is 1)."""
    tool_name: str | None = None
    tool_input: dict[str, Any] | None = None
    tool_use_id: str | None = None
    is_error: bool = False
    session_id: str | None = None
    timestamp: str | None = None
    sidechain: bool = False


@dataclass(slots=True)
class ReadStats:
    records: int = 0
    skipped_unknown: int = 0
    skipped_malformed: int = 0
    session_ids: set[str] = field(default_factory=set)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, str):
                parts.append(block)
        return "\n".join(parts)
    return ""


def _is_meta_prompt(text: str) -> bool:
    """Records Claude Code writes as the user that the user did not type."""
    t = text.lstrip()
    return t.startswith(("<command-name>", "<local-command-stdout>", "<command-message>",
                         "Caveat: ", "<system-reminder>", COMPACTED,
                         "[Request interrupted by user")) or not t


def read_turns(path: Path, stats: ReadStats | None = None) -> Iterator[Turn]:
    """The turns of a transcript, in order. Unknown records and unparsable lines are
    skipped (counted in `stats`); a missing or unreadable file is a `GrooveIOError`."""
    stats = stats if stats is not None else ReadStats()
    try:
        handle = path.open("rb")
    except OSError as e:
        raise GrooveIOError(f"cannot read transcript {path}: {e.strerror}", path=path) from None
    index = 0
    prompts = 0
    with handle:
        for raw in handle:
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                stats.skipped_malformed += 1
                continue
            if not isinstance(record, dict):
                stats.skipped_malformed += 1
                continue
            stats.records += 1
            kind = record.get("type")
            message = record.get("message")
            if kind not in ("user", "assistant") or not isinstance(message, dict):
                stats.skipped_unknown += 1
                continue
            session = record.get("sessionId")
            if isinstance(session, str):
                stats.session_ids.add(session)
            common: dict[str, Any] = {
                "session_id": session if isinstance(session, str) else None,
                "timestamp": record.get("timestamp"),
                "sidechain": bool(record.get("isSidechain")),
            }
            content = message.get("content")
            if kind == "user":
                if isinstance(content, list) and any(
                        isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
                    for block in content:
                        if not isinstance(block, dict) or block.get("type") != "tool_result":
                            continue
                        index += 1
                        yield Turn(index, TurnKind.TOOL_RESULT,
                                   _text_of(block.get("content"))[:MAX_TEXT], prompts,
                                   tool_use_id=block.get("tool_use_id"),
                                   is_error=bool(block.get("is_error")), **common)
                    continue
                text = _text_of(content)
                if record.get("isMeta") or _is_meta_prompt(text):
                    stats.skipped_unknown += 1
                    continue
                prompts += 1
                index += 1
                yield Turn(index, TurnKind.PROMPT, text[:MAX_TEXT], prompts, **common)
                continue
            for block in content if isinstance(content, list) else []:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "text":
                    index += 1
                    yield Turn(index, TurnKind.SAID, str(block.get("text", ""))[:MAX_TEXT],
                               prompts, **common)
                elif block.get("type") == "tool_use":
                    tool_input = block.get("input")
                    tool_input = tool_input if isinstance(tool_input, dict) else {}
                    index += 1
                    yield Turn(index, TurnKind.TOOL_USE,
                               json.dumps(tool_input, ensure_ascii=False)[:MAX_TEXT], prompts,
                               tool_name=str(block.get("name", "")), tool_input=tool_input,
                               tool_use_id=block.get("id"), **common)


class PromptCounter:
    """How many prompts a growing transcript holds, reading only what was appended since
    the last call (a prompt hook asks on every prompt; transcripts grow to megabytes)."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[int, int]] = {}  # path -> (bytes read, prompts)

    def count(self, path: Path) -> int:
        offset, prompts = self._seen.get(path, (0, 0))
        try:
            size = path.stat().st_size
            if size < offset:  # rewritten: start over
                offset, prompts = 0, 0
            with path.open("rb") as f:
                f.seek(offset)
                for raw in f:
                    if not raw.endswith(b"\n"):
                        break  # a record still being written: count it next time
                    offset += len(raw)
                    if b'"user"' in raw and b'"tool_result"' not in raw:
                        prompts += _is_prompt(raw)
        except OSError:
            return prompts
        self._seen[path] = (offset, prompts)
        return prompts


def _is_prompt(raw: bytes) -> bool:
    try:
        record = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(record, dict) or record.get("type") != "user" or record.get("isMeta"):
        return False
    message = record.get("message")
    return isinstance(message, dict) and not _is_meta_prompt(_text_of(message.get("content")))


def last_prompt_is(path: Path, prompt: str, tail: int = 65_536) -> bool:
    """Whether the last prompt written to the transcript is `prompt` (read from its end)."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - tail))
            lines = f.read().splitlines()
    except OSError:
        return False
    for raw in reversed(lines):
        if b'"user"' in raw and b'"tool_result"' not in raw and _is_prompt(raw):
            record = json.loads(raw)
            return _text_of(record["message"].get("content")).strip() == prompt.strip()
    return False
