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
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: str, *, newlines: bool = True) -> str:
    """`text` with control, format (bidi, zero-width) and unassigned characters shown as
    `\\x1b` / `\\u202e` escapes; with `newlines=False`, newlines and tabs too."""
    if text.isprintable():  # no Cc/Cf/Cs/Co/Cn (nor Z* but space): the common case, in C
        return text
    out = []
    for ch in text:
        if ch in _KEEP and newlines:
            out.append(ch)
        elif _unsafe(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def _unsafe(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")


def json_safe(text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with every format, bidi and
    unassigned character written as a `\\uXXXX` escape: the same JSON to a parser, inert
    on a terminal. (Control characters are escaped by `json.dumps` already.)"""
    out = []
    for ch in text:
        if ch > "\x7f" and _unsafe(ch):
            code = ord(ch)
            if code > 0xFFFF:  # a surrogate pair, as JSON spells characters past the BMP
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
