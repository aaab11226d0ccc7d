"""What an agent is told: learnings worded as facts, within a character budget.

Claude Code wraps hook context in a system reminder and cuts it at 10,000 characters;
text framed as commands can trip the model's prompt-injection defences. So each
learning is one line of fact (category, confidence, tier, short id), its text made
visible (`groove.domain.text`), and the whole stays far under the cap.
"""

from __future__ import annotations

from collections.abc import Sequence

from groove.domain.learning import short_id
from groove.domain.text import visible
from groove.domain.tiered import TieredLearning

DEFAULT_MAX_CHARS = 2000
"""The context budget for one hook answer: a fifth of Claude Code's cap."""
MAX_LINE = 400

HEADERS = {
    "session": "groove: learnings this project's earlier sessions found trustworthy "
               "(recorded facts and preferences; confidence from past outcomes):",
    "prompt": "groove: learnings from earlier sessions that relate to this prompt "
              "(recorded facts and preferences; confidence from past outcomes):",
}


def line(t: TieredLearning) -> str:
    """One learning as one line of fact."""
    c = t.learning.content
    text, insight = c.description.strip(), c.insight.strip()
    if insight and insight.lower().rstrip(".") not in text.lower():
        text += f" ({insight})"
    text = " ".join(visible(text, newlines=False).split())
    if len(text) > MAX_LINE:
        text = text[:MAX_LINE - 1] + "\u2026"
    return (f"- [{t.learning.category.value}, confidence {t.learning.confidence:.2f}, "
            f"{t.tier.value} tier, id {short_id(t.learning.id)}] {text}")


def render(items: Sequence[TieredLearning], kind: str = "prompt", *,
           max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, list[TieredLearning]]:
    """The context text and the learnings that fit in `max_chars` (in the given order)."""
    if not items:
        return "", []
    text, shown = HEADERS[kind], []
    for t in items:
        candidate = f"{text}\n{line(t)}"
        if len(candidate) > max_chars:
            break
        text = candidate
        shown.append(t)
    return (text if shown else ""), shown


def why_lines(items: Sequence[TieredLearning]) -> list[str]:
    """Why each item ranked where it did, a line each (for a hook's or MCP tool's log)."""
    return [f"{short_id(t.learning.id)} {t.tier.value}: "
            + (t.why.summary() if t.why is not None else "unranked") for t in items]
