"""Which injected learnings helped, were ignored, or were contradicted: rules, explained.

For each learning a session was shown, the turns after it was shown are read once:

1. explicit: the agent rated it through groove's MCP `record_outcome` tool. Wins.
2. followed: the agent's later tool calls or words carry it out: one of its code
   tokens (a backticked span, a path, a flag, an ENV_VAR, a dotted or dashed name)
   appears in them, or, for a learning without code tokens, an action is similar to
   it (cosine >= `FOLLOW_SIMILARITY`).
3. corrected: after following it, the user's next prompt pushes back ("no", "don't",
   "instead", "wrong", ...) about the same thing (names one of its tokens, or is
   similar to it).

followed and corrected -> contradicted; followed -> helpful; neither -> ignored.
Each decision keeps its evidence: the rule, the turn, a short quote.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from groove.domain import Learning, LearningId, Outcome
from groove.domain.injection import Injection
from groove.learn.transcript import Turn, TurnKind

FOLLOW_SIMILARITY = 0.55
CORRECTION_SIMILARITY = 0.4
MAX_ACTIONS = 400
"""Actions kept for the similarity rule: the first ones after each injection matter."""
QUOTE = 160

_BACKTICKS = re.compile(r"`([^`\n]{2,80})`")
_CODEISH = re.compile(
    r"(?<![\w/.-])(?:--?[A-Za-z][\w-]*|[A-Z][A-Z0-9]*_[A-Z0-9_]+|"
    r"[\w.-]*[/.][\w./-]*\w|[a-z]+(?:[_-][a-z0-9]+)+)(?![\w/])")
_NEGATION = re.compile(r"\b(?:not|never|instead of|rather than|don'?t|do not|avoid|no)\b",
                       re.IGNORECASE)
_CORRECTION = re.compile(
    r"^\s*(?:no\b|nope\b|stop\b|wrong\b|that'?s not\b|not that\b)|"
    r"\b(?:don'?t|do not|never|instead|shouldn'?t|should not|wrong|revert|undo|"
    r"we don'?t|not like that)\b", re.IGNORECASE)
_PUSHBACK = r"\b(?:don'?t|do not|not|never|no|stop|instead of|rather than|avoid)"
_COMMON = {"e.g", "i.e", "etc", "vs", "non-", "re-", "pre-", "well-known"}


def code_tokens(text: str) -> tuple[set[str], set[str]]:
    """(tokens the learning asks for, tokens it warns against): code-like tokens, split
    at the first negation ("use X, not Y": X is asked for, Y warned against)."""
    negation = _NEGATION.search(text)
    head, tail = (text[:negation.start()], text[negation.start():]) if negation else (text, "")

    def tokens(part: str) -> set[str]:
        found = {m.strip() for m in _BACKTICKS.findall(part)}
        found |= {m.strip(".,:;") for m in _CODEISH.findall(_BACKTICKS.sub(" ", part))}
        return {t for t in found if len(t) >= 3 and t.lower() not in _COMMON}

    asked = tokens(head)
    return asked, tokens(tail) - asked


def names(text: str) -> set[str]:
    """The programs a learning's commands run (`black -l 100` -> black): a user who
    pushes back names the tool, rarely its flags."""
    return {span.split()[0] for span in _BACKTICKS.findall(text)
            if " " in span.strip() and len(span.split()[0]) >= 3}


_PLACEHOLDER = re.compile(r"<[^<>\s]{1,40}>|\.\.\.|\u2026")


def carries(token: str, turn: Turn) -> bool:
    """Whether `turn` carries out `token`. A command (a token with a space) counts only
    when the agent runs or writes it, not when it merely names it in a reply; a template
    (`pnpm --filter <package> test`, `fmt.Errorf("...: %w", err)`) matches any filling
    of its placeholders; a prefix (`chore:`) matches with a scope (`chore(db):`)."""
    if " " in token.strip() and turn.kind is not TurnKind.TOOL_USE:
        return False
    pattern = _pattern(token)
    return pattern.search(turn.text) is not None or (
        turn.kind is TurnKind.TOOL_USE and pattern.search(_unescaped(turn.text)) is not None)


def _unescaped(text: str) -> str:
    """A tool input as the agent wrote it: its JSON string escapes undone."""
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t")


@functools.lru_cache(maxsize=4096)
def _pattern(token: str) -> re.Pattern[str]:
    if re.fullmatch(r"[A-Za-z][\w-]*:", token):  # a commit-style prefix
        return re.compile(re.escape(token[:-1]) + r"(?:\([^()\s]{1,40}\))?:")
    parts = _PLACEHOLDER.split(token)
    if len(parts) == 1:
        return re.compile(re.escape(token))
    # a template: its pieces in order, with room for what fills the placeholders and for
    # arguments named otherwise (`fmt.Errorf("...: %w", err)` in `..., ev.ID, lastErr)`)
    pieces = [r"[^\n]{0,30}?".join(re.escape(a) for a in re.findall(r"\w+|[^\w\s]+", part))
              for part in parts]
    return re.compile(r"[^\n]{0,80}?".join(p for p in pieces if p), re.IGNORECASE)


_STOP = frozenset({
    "a", "an", "the", "and", "or", "but", "if", "then", "than", "so", "to", "of", "in",
    "on", "at", "by", "for", "with", "from", "into", "onto", "over", "under", "as", "is",
    "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
    "those", "there", "here", "we", "you", "they", "he", "she", "i", "me", "my", "our",
    "your", "their", "them", "us", "do", "does", "did", "done", "not", "no", "never",
    "always", "use", "uses", "using", "used", "prefer", "avoid", "instead", "rather",
    "when", "while", "after", "before", "each", "every", "all", "any", "some", "more",
    "most", "less", "only", "also", "just", "via", "per", "can", "could", "should", "would",
    "must", "may", "might", "will", "shall", "need", "needs", "new", "old", "one", "two",
    "first", "same", "other", "which", "who", "what", "where", "how", "why"
})
_WORD = re.compile(r"[a-z][a-z0-9]+")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


def _words(text: str) -> str:
    """`text` as lower-case stemmed words joined by spaces (for phrase matching)."""
    return " " + " ".join(_stem(w) for w in _WORD.findall(text.lower())) + " "


def key_phrases(description: str) -> set[str]:
    """Two-word phrases of content words that say what a learning asks for ("named
    exports", "constructor injection"): taken from before its first negation, since
    after it comes what to avoid."""
    negation = _NEGATION.search(description)
    head = description[:negation.start()] if negation else description
    words = [_stem(w) for w in _WORD.findall(head.lower())]
    return {f" {a} {b} " for a, b in itertools.pairwise(words)
            if a not in _STOP and b not in _STOP}


def _rejected(token: str, text: str) -> bool:
    """Whether `text` pushes back on `token`: it stands within a few words after a
    negation ("don't run black", "not black"), not merely somewhere in the prompt ("we
    format with ruff" names ruff approvingly)."""
    return re.search(rf"{_PUSHBACK}\W+(?:[\w'=./-]+\W+){{0,3}}?{re.escape(token)}"
                     r"(?![\w-])", text, re.IGNORECASE) is not None


def _quote(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= QUOTE else one_line[:QUOTE - 1] + "\u2026"


@dataclass(slots=True)
class Evidence:
    rule: str
    turn: int
    quote: str
    detail: str = ""

    def to_json(self) -> str:
        return json.dumps({"rule": self.rule, "turn": self.turn, "quote": self.quote,
                           **({"detail": self.detail} if self.detail else {})},
                          ensure_ascii=False)


@dataclass(slots=True)
class Attribution:
    learning_id: LearningId
    outcome: Outcome
    evidence: Evidence
    explicit: bool = False


@dataclass(slots=True)
class _Track:
    injection: Injection
    learning: Learning
    asked: set[str]
    warned: set[str]
    named: set[str]
    phrases: set[str] = field(default_factory=set)
    followed: Evidence | None = None
    corrected: Evidence | None = None
    explicit: tuple[Outcome, Evidence] | None = None
    actions: list[tuple[int, str]] = field(default_factory=list)


def _shown_at(injection: Injection) -> int:
    """The prompt after which the learning was in context (session start: before any)."""
    return max(0, injection.prompt_index)


def _explicit_rating(turn: Turn, learning: Learning) -> Outcome | None:
    if turn.kind is not TurnKind.TOOL_USE or not (turn.tool_name or "").endswith(
            "record_outcome") or "groove" not in (turn.tool_name or ""):
        return None
    given = turn.tool_input or {}
    ident = str(given.get("id") or given.get("learning_id") or "").strip().lower()
    full = str(learning.id)
    if len(ident) < 8 or not (full.startswith(ident) or full.endswith(ident)):
        return None  # the agent names it by a prefix or by its short handle (the tail)
    try:
        return Outcome.parse(str(given.get("outcome", "")))
    except Exception:
        return None


def attribute(turns: Iterable[Turn], shown: Sequence[tuple[Injection, Learning]],
              embed: Callable[[list[str]], Any] | None = None) -> list[Attribution]:
    """Decide an outcome for every learning in `shown` from the session's turns.
    `embed` (texts -> unit vectors) enables the similarity rules."""
    tracks = []
    for injection, learning in shown:
        text = f"{learning.content.description}\n{learning.content.insight}"
        asked, warned = code_tokens(learning.content.description)
        if not asked:  # the description names no code: the insight may
            asked, more_warned = code_tokens(text)
            warned |= more_warned
        else:
            warned |= code_tokens(learning.content.insight)[1] - asked
        phrases = set() if asked else key_phrases(learning.content.description)
        tracks.append(_Track(injection, learning, asked, warned, names(text), phrases))
    prompts: list[Turn] = []
    for turn in turns:
        if turn.sidechain:
            continue
        if turn.kind is TurnKind.PROMPT:
            prompts.append(turn)
        for t in tracks:
            if turn.prompt_index < _shown_at(t.injection) or (
                    turn.kind is TurnKind.PROMPT and turn.prompt_index == _shown_at(t.injection)):
                continue
            rating = _explicit_rating(turn, t.learning)
            if rating is not None:
                t.explicit = (rating, Evidence("explicit rating", turn.index,
                                               _quote(turn.text), turn.tool_name or ""))
                continue
            if turn.kind in (TurnKind.TOOL_USE, TurnKind.SAID) and t.followed is None:
                hit = next((tok for tok in sorted(t.asked) if carries(tok, turn)), None)
                phrase = None if hit else next(
                    (p for p in sorted(t.phrases) if p in _words(turn.text)), None)
                if hit is not None:
                    t.followed = Evidence("followed: uses its token", turn.index,
                                          _quote(turn.text), hit)
                elif phrase is not None:
                    t.followed = Evidence("followed: does what it names", turn.index,
                                          _quote(turn.text), phrase)
                elif len(t.actions) < MAX_ACTIONS and turn.kind is TurnKind.TOOL_USE:
                    t.actions.append((turn.index, turn.text[:500]))
            if turn.kind is TurnKind.PROMPT and t.followed is not None and t.corrected is None \
                    and turn.index > t.followed.turn and _CORRECTION.search(turn.text):
                named = next((tok for tok in sorted(t.asked | t.warned | t.named)
                              if _rejected(tok, turn.text)), None)
                if named is not None:
                    t.corrected = Evidence("corrected: the user pushed back on it",
                                           turn.index, _quote(turn.text), named)
                elif embed is not None:
                    t.corrected = _similar_correction(t, turn, embed)
    if embed is not None:
        _follow_by_similarity([t for t in tracks if t.followed is None and not t.asked],
                              prompts, embed)
    out = []
    for t in tracks:
        lid = t.learning.id
        if t.explicit is not None:
            out.append(Attribution(lid, t.explicit[0], t.explicit[1], explicit=True))
        elif t.followed is not None and t.corrected is not None:
            out.append(Attribution(lid, Outcome.CONTRADICTED, t.corrected))
        elif t.followed is not None:
            out.append(Attribution(lid, Outcome.HELPFUL, t.followed))
        else:
            out.append(Attribution(lid, Outcome.IGNORED, Evidence(
                "ignored: nothing after it carried it out", 0, "")))
    return out


def _learning_text(learning: Learning) -> str:
    return f"{learning.content.description}\n{learning.content.insight}".strip()


def _similar_correction(t: _Track, turn: Turn, embed: Callable[[list[str]], Any]
                        ) -> Evidence | None:
    vectors = embed([_learning_text(t.learning), turn.text[:1000]])
    similarity = float(vectors[0] @ vectors[1])
    if similarity < CORRECTION_SIMILARITY:
        return None
    return Evidence("corrected: the user pushed back on it", turn.index, _quote(turn.text),
                    f"similarity {similarity:.2f}")


def _follow_by_similarity(tracks: list[_Track], prompts: list[Turn],
                          embed: Callable[[list[str]], Any]) -> None:
    """For learnings without code tokens: an action similar enough carries it out, and
    a later correcting prompt similar to it contradicts it."""
    for t in tracks:
        if not t.actions:
            continue
        vectors = embed([_learning_text(t.learning)] + [a for _, a in t.actions])
        sims = vectors[1:] @ vectors[0]
        best = int(sims.argmax())
        if float(sims[best]) >= FOLLOW_SIMILARITY:
            index, text = t.actions[best]
            t.followed = Evidence("followed: a similar action", index, _quote(text),
                                  f"similarity {float(sims[best]):.2f}")
            later = [p for p in prompts if p.index > index and _CORRECTION.search(p.text)]
            if later and t.corrected is None:
                t.corrected = _similar_correction(t, later[0], embed)
