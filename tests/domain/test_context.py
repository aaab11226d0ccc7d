"""The context an agent is given: facts in one line each, safe text, within budget."""

from __future__ import annotations

from groove.domain import Learning, LearningCategory, LearningContent, Scope
from groove.domain.context import HEADERS, line, render
from groove.domain.tiered import Tier, TieredLearning


def tiered(description: str, insight: str = "") -> TieredLearning:
    return TieredLearning(Learning.new(Scope.GLOBAL, LearningCategory.PREFERENCE,
                                       LearningContent(description, insight)), Tier.USER)


def test_a_line_states_category_confidence_tier_and_id() -> None:
    """Each learning is one factual line with its category, confidence, tier and id."""
    t = tiered("Use pytest fixtures", "not setUp")
    text = line(t)
    assert text.startswith("- [preference, confidence 0.50, user tier, id ")
    assert text.endswith("] Use pytest fixtures (not setUp)")


def test_an_insight_repeating_the_description_is_not_repeated() -> None:
    """A capture whose insight restates its description is shown once."""
    assert line(tiered("Use just test-api", "use just test-api.")).count("test-api") == 1


def test_control_and_bidi_characters_are_made_visible() -> None:
    """Escape sequences and a right-to-left override arrive as visible escapes."""
    text = line(tiered("title \x1b]0;pwned\x07 and \u202ereversed", "line\nbreak"))
    assert "\x1b" not in text and "\u202e" not in text and "\n" not in text
    assert "\\x1b" in text and "\\u202e" in text


def test_render_stays_within_the_budget() -> None:
    """Learnings that would pass the character budget are left out, whole."""
    items = [tiered(f"learning {i} " + "x" * 300) for i in range(20)]
    text, shown = render(items, "prompt", max_chars=1200)
    assert len(text) <= 1200 and 0 < len(shown) < 20
    assert text.startswith(HEADERS["prompt"]) and text.count("\n- [") == len(shown)
    assert render([], "session") == ("", [])
