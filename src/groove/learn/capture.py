"""New learnings proposed from a session, by rules a person can read.

A wrong capture costs more than a missed one (it is injected into later sessions),
so the rules are narrow:

- a stated preference or correction in a prompt the user typed: "use X, not Y",
  "use X instead of Y", "prefer X over Y", "always ...", "never ...", "we always ...",
  "don't ... ; use ...", "from now on ...". Questions, quoted or pasted text (code
  fences, block quotes, long pastes) and hedged sentences are skipped.
- a command that turned out right: a shell command fails, and soon after another way
  of running the same program on the same targets succeeds (`pytest tests/unit` ->
  `python -m pytest tests/unit`): a tool tip. The same program on other targets is a
  different task, not a fix.

Every capture keeps where it came from (the turn) and the rule that made it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from groove.domain import LearningCategory
from groove.learn.transcript import Turn, TurnKind

MAX_PROMPT = 600
"""Longer prompts are pastes or task descriptions, not a stated preference."""
FIX_WINDOW = 6
"""Tool calls after a failing command in which a working variant counts as its fix."""

_SENTENCE = re.compile(r"[^\n]+?(?:[.!?](?=\s|$)|$)", re.MULTILINE)
"""A sentence ends at . ! or ? before a space or the end, not inside `app/v2.py` or `...`."""
_CLAUSE = re.compile(r",\s+(?:and\s+)?(?=(?:we\s+)?(?:always|never)\b)|;\s+|,\s+and\s+",
                     re.IGNORECASE)
"""Where a sentence holds a second rule: "..., and we never ...", "...; always ..."."""
_CORRECTION_START = re.compile(r"^\s*(?:no|nope)\b[,.!]?\s*(?:(?:don'?t|do not)\s+"
                               r"(?:use\s+)?|not\s+)(?P<y>[^,.;!?]{2,60}?)"
                               r"(?:\s+(?:for|here|in|on)\b[^.;!?]*)?[.;!?]", re.IGNORECASE)
_INSTRUCTION = re.compile(r"(?:^|[.;!?,]?\s+)(?:just\s+|please\s+)?use\s+"
                          r"(?P<x>[^\s,;!?][^,;!?]{1,100}?)\s*(?:[,;!?]|\.(?=\s|$)|$)",
                          re.IGNORECASE)
_PREFERENCE = [
    ("use X, not Y", re.compile(
        r"\b(?:please\s+)?(?:always\s+)?use\s+(?P<x>[^,;.]{2,80}?)\s*(?:,|;|--|-)?\s*"
        r"(?:not|instead of|rather than)\s+(?P<y>[^,;.]{2,80})", re.IGNORECASE)),
    ("prefer X over Y", re.compile(
        r"\b(?:we\s+|i\s+)?prefer\s+(?P<x>[^,;.]{2,80}?)\s+(?:over|to)\s+(?P<y>[^,;.]{2,80})",
        re.IGNORECASE)),
    ("don't X, use Y", re.compile(
        r"\b(?:don'?t|do not|never)\s+(?P<y>[^,;.]{2,80}?)\s*[,;.]\s*(?:just\s+)?"
        r"(?:use|run)\s+(?P<x>[^,;.]{2,80})", re.IGNORECASE)),
    ("always / never", re.compile(
        r"^(?:(?:please|and|also|from now on|going forward)[, ]+)*(?:we\s+)?"
        r"(?P<verb>always|never)\s+(?P<x>(?:[^.;!?]|\.(?!\s|$)){4,140})", re.IGNORECASE)),
    ("from now on", re.compile(r"^(?:from now on|going forward)[, ]+(?P<x>[^.;!?]{4,140})",
                               re.IGNORECASE)),
]
_HEDGE = re.compile(r"\b(?:maybe|might|perhaps|not sure|i think|i guess|wonder|should we|"
                    r"do we|can we|could we|would it|is it|are we)\b", re.IGNORECASE)
_QUOTED = re.compile(r"```|^\s*>|^\s{4,}\S", re.MULTILINE)
_DANGLING = re.compile(r"^(?:\w+\s+)?(?:that|this|it|them|those|these)\b", re.IGNORECASE)
_QUOTATION = re.compile(r"\"[^\"]{25,}\"|'[^']{25,}'")
"""Quoted speech or pasted text inside a sentence (a short quoted key is fine)."""


@dataclass(slots=True)
class Capture:
    description: str
    insight: str
    category: LearningCategory
    turn: int
    rule: str
    quote: str
    part: int = 0
    """Which capture of its turn this is (a prompt may state several preferences)."""

    @property
    def key(self) -> str:
        """The rule and part: with the session and turn, what makes a capture unique."""
        return self.rule if self.part == 0 else f"{self.rule} #{self.part + 1}"


def _preferences(turn: Turn) -> list[Capture]:
    text = turn.text.strip()
    if len(text) > MAX_PROMPT or _QUOTED.search(text):
        return []
    out: list[Capture] = []
    clauses = [c.strip() for raw in _SENTENCE.findall(text)
               for c in ([raw] if raw.strip().endswith("?") else _CLAUSE.split(raw))]
    for sentence in clauses:
        if not sentence or sentence.endswith("?") or _HEDGE.search(sentence) \
                or _QUOTATION.search(sentence):
            continue
        for rule, pattern in _PREFERENCE:
            m = pattern.search(sentence)
            if m is None:
                continue
            groups = m.groupdict()
            x = (groups.get("x") or "").strip(" `'\"")
            if _DANGLING.match(x):
                continue  # "we always use that": what "that" is lies elsewhere
            y = (groups.get("y") or "").strip(" `'\"")
            if groups.get("verb"):
                description = f"{groups['verb'].capitalize()} {x}"
                insight = sentence
            elif y:
                description = f"Use {x}, not {y}"
                insight = sentence
            else:
                description = x[0].upper() + x[1:] if x else sentence
                insight = sentence
            out.append(Capture(description.rstrip(" ,"), insight, LearningCategory.PREFERENCE,
                               turn.index, rule, sentence[:160], len(out)))
            break
    if not out:
        out += _corrected_then_told(turn, text)
    return out


def _corrected_then_told(turn: Turn, text: str) -> list[Capture]:
    """A prompt that pushes back ("no, don't use find_each ...") and then says what to use
    instead ("... just use .order(:created_at).each"): the instruction, with what it
    replaces."""
    wrong = _CORRECTION_START.match(text)
    told = [m for m in _INSTRUCTION.finditer(text, wrong.end())
            if not _DANGLING.match(m.group("x"))] if wrong else []
    if wrong is None or not told:
        return []
    x = told[-1].group("x").strip(" `'\"")
    y = wrong.group("y").strip(" `'\"")
    description = f"Use {x}, not {y}" if len(y.split()) <= 4 else f"Use {x}"
    return [Capture(description, " ".join(text.split())[:300], LearningCategory.PREFERENCE,
                    turn.index, "correction, then what to use", text[:160])]


def _command(turn: Turn) -> str | None:
    if turn.kind is not TurnKind.TOOL_USE or turn.tool_name != "Bash":
        return None
    command = (turn.tool_input or {}).get("command")
    return command.strip() if isinstance(command, str) and command.strip() else None


def _program(command: str) -> str:
    words = [w for w in command.split() if "=" not in w and w not in ("sudo", "env")]
    return words[0].rsplit("/", 1)[-1] if words else ""


def _target(word: str) -> str:
    """A target as Python names it either way: `trainer/train.py` and `trainer.train`."""
    return word.removesuffix(".py").replace("/", ".").strip(".")


def _variant_of(bad: str, good: str) -> bool:
    """Whether `good` is another way of running `bad` on the same targets (a different
    invocation or flags; a script path run as its module), not the same program on
    something else."""
    program = _program(bad)
    words = {_target(w) for w in good.split()}
    targets = [w for w in bad.split()[1:] if not w.startswith("-") and "=" not in w]
    return bool(program) and (program in words or _program(good) == program) \
        and all(_target(t) in words for t in targets)


def capture(turns: Iterable[Turn]) -> list[Capture]:
    """Captures from one session, in transcript order."""
    out: list[Capture] = []
    pending: dict[str, tuple[str, int]] = {}  # tool_use_id -> (command, turn index)
    failed: list[tuple[str, int, str, int]] = []  # (command, turn, first error line, age)
    for turn in turns:
        if turn.sidechain:
            continue
        if turn.kind is TurnKind.PROMPT:
            out += _preferences(turn)
            continue
        command = _command(turn)
        if command is not None and turn.tool_use_id:
            pending[turn.tool_use_id] = (command, turn.index)
            failed = [(c, i, e, age + 1) for c, i, e, age in failed if age + 1 <= FIX_WINDOW]
            continue
        if turn.kind is not TurnKind.TOOL_RESULT or turn.tool_use_id not in pending:
            continue
        command, index = pending.pop(turn.tool_use_id)
        if turn.is_error:
            first = next((ln.strip() for ln in turn.text.splitlines() if ln.strip()), "")
            failed.append((command, index, first[:120], 0))
            continue
        for bad, bad_turn, error, _age in failed:
            if bad != command and _variant_of(bad, command):
                out.append(Capture(
                    f"Run `{command}`, not `{bad}`",
                    f"`{bad}` failed ({error}); `{command}` worked.",
                    LearningCategory.TOOL_USAGE, index, "command that turned out right",
                    f"{bad} -> {command}"[:160]))
                failed = [f for f in failed if f[1] != bad_turn]
                break
    return out
