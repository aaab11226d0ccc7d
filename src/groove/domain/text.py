"""Text from agents and tools, made safe to show: control and bidi characters visible.

Learnings come from agent and tool output. A raw escape sequence or a right-to-left
override printed to a terminal (or put into an agent's context) can rewrite what a
person or a model sees, so every place that shows a learning's text shows these
characters as visible escapes instead.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}
_BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
         *map(chr, range(0x2066, 0x206A))}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = True) -> str:
    """`text` with control, format (bidi, zero-width) and unassigned characters shown as
    `\\x1b` / `\\u202e` escapes; with `newlines=False`, newlines and tabs too."""
    out = []
    for ch in text:
        if ch in _KEEP and newlines:
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
