"""Tests for groove.domain.text: what is shown of agent-written text."""

import sys

from groove.domain.text import _BIDI, _unsafe, visible


def test_printable_text_is_returned_as_is_and_no_unsafe_character_is_printable() -> None:
    """The fast path (`str.isprintable`) never lets through a character the slow path
    escapes: checked over every code point."""
    leaks = [hex(c) for c in range(sys.maxunicode + 1)
             if chr(c).isprintable() and (_unsafe(chr(c)) or chr(c) in _BIDI)]
    assert leaks == []
    assert visible("pytest --fix ops/deploy.sh, naïve café 東京") == (
        "pytest --fix ops/deploy.sh, naïve café 東京")


def test_unsafe_characters_are_escaped_among_printable_ones() -> None:
    """An escape sequence or a right-to-left override amid plain text is shown escaped."""
    assert visible("ok \x1b[31mred\u202e") == "ok \\x1b[31mred\\u202e"
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("a\nb", newlines=False) == "a\\x0ab"
