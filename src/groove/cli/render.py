"""Output for people (Rich tables on stdout) and for scripts (JSON on stdout).

Rich is imported on first use, not at start-up, so that quick commands stay quick.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from groove.domain import Learning, LearningId, LearningRelation, UsageStats, short_id
from groove.domain.text import json_safe, visible
from groove.domain.tiered import TieredLearning


def emit_json(data: Any) -> None:
    """JSON on stdout; bidi and format characters in it escaped (same JSON, inert)."""
    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False, default=str))
                     + "\n")


def emit_text(text: str) -> None:
    """Already-JSON text (an export) on stdout, made inert the same way."""
    sys.stdout.write(json_safe(text) + "\n")


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    # soft_wrap: long lines are left to the terminal, not broken at 80 columns in a pipe
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def info(message: str) -> None:
    """A human-facing note: goes to stderr, so stdout stays clean for pipes. It may hold
    user text (a session id, a path), so it is neither markup, emoji codes nor terminal
    control: plain text (and no Rich import for a one-line note)."""
    sys.stderr.write(visible(message) + "\n")
    sys.stderr.flush()


def short(text: str, width: int = 70) -> str:
    """One line of user text for a table: control and bidi characters made visible."""
    text = " ".join(visible(text, newlines=False).split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def learning_json(t: TieredLearning, score_name: str | None = None) -> dict[str, Any]:
    out = {**t.learning.to_dict(), "tier": t.tier.value}
    if score_name:
        out[score_name] = t.score
    return out


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Rich table on a terminal; plain aligned columns when piped (greppable, and it
    spares quick commands the ~150 ms that importing and laying out Rich costs here)."""
    if not sys.stdout.isatty():
        _plain_table(title, columns, [list(r) for r in rows])
        return
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, show_lines=False, header_style="bold", show_header=any(columns))
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:  # user text is never Rich markup, nor terminal control
        t.add_row(*(Text(visible(cell, newlines=False)) for cell in row))
    console().print(t)


def _plain_table(title: str | None, columns: Sequence[str], rows: list[list[str]]) -> None:
    rows = [[visible(cell, newlines=False) for cell in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [title] if title else []
    header = [list(columns)] if any(columns) else []
    for row in [*header, *rows]:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.write("\n".join(lines) + "\n")


def id_cell(id: LearningId) -> str:
    """An id as a table shows it: its short handle (the random tail), which every command
    accepts, instead of a long prefix that learnings made the same minute share."""
    return short_id(id)


def learnings_table(items: Sequence[TieredLearning], score_name: str = "confidence") -> None:
    if not items:
        info("no learnings")
        return
    table(None, ["id", "tier", "category", score_name, "description"], (
        (id_cell(t.learning.id), t.tier.value, t.learning.category.value,
         f"{t.score:+.3f}" if score_name == "similarity" else f"{t.score:.3f}",
         short(t.learning.content.description)) for t in items))


def show_learning(t: TieredLearning, usage: UsageStats, relations: Sequence[LearningRelation]
                  ) -> None:
    learning: Learning = t.learning
    lo, hi = usage.interval()
    c = console()
    c.print(f"[bold]{learning.id}[/bold]  ({t.tier.value} tier)")
    c.print(f"category    {learning.category.value}")
    c.print(f"scope       {visible(str(learning.scope))}", markup=False)
    c.print(f"source      {json.dumps(learning.source.to_dict())}", markup=False)
    c.print(f"confidence  {usage.confidence():.3f}  (90% interval {lo:.3f}-{hi:.3f}; "
            f"Beta({usage.confidence_alpha:g}, {usage.confidence_beta:g}))")
    c.print(f"usage       injected {usage.times_injected}, helpful {usage.times_helpful}, "
            f"ignored {usage.times_ignored}, contradicted {usage.times_contradicted}, "
            f"last used {usage.last_used.isoformat() if usage.last_used else 'never'}")
    c.print(f"created     {learning.created_at.isoformat()}")
    c.print(f"updated     {learning.updated_at.isoformat()}")
    c.print("\n[bold]description[/bold]")
    c.print(visible(learning.content.description), markup=False)
    if learning.content.insight:
        c.print("\n[bold]insight[/bold]")
        c.print(visible(learning.content.insight), markup=False)
    if learning.content.pattern is not None:
        c.print("\n[bold]pattern[/bold]")
        c.print(json.dumps(learning.content.pattern, indent=2), markup=False)
    if relations:
        c.print("\n[bold]relations[/bold]")
        for r in relations:
            if r.from_id == learning.id:
                c.print(f"  -> {r.relation_type.value} {r.to_id}")
            else:
                c.print(f"  <- {r.from_id} {r.relation_type.value} this")


def explanations(items: Sequence[TieredLearning]) -> None:
    """One line per hit: the factors of its score (see groove.domain.ranking)."""
    for t in items:
        w = t.why
        if w is None:
            continue
        sim = "-" if w.similarity is None else f"{w.similarity:+.3f}"
        kw = "-" if not w.keyword else f"{w.keyword:.2f} (rank {w.keyword_rank})"
        line = (f"{str(t.learning.id)[:18]}  score {w.score:.3f} = relevance {w.relevance:.3f}"
                f" [cosine {sim} (rank {w.vector_rank}), keyword {kw}]"
                f" x trust {w.trust:.3f}{' (sampled)' if w.sampled else ' (mean)'}"
                f" x tier {w.specificity:.2f} x recency {w.recency:.3f}"
                f" x relations {w.relation:.2f}")
        notes = "".join(f"\n    {visible(n, newlines=False)}" for n in w.notes)
        sys.stdout.write(line + notes + "\n")


def history(injections: Sequence[Any]) -> None:
    """Why confidence moved: each session the learning was shown to, the outcome
    credited there and its evidence (rule, turn, quote)."""
    if not injections:
        return
    c = console()
    c.print("\n[bold]sessions[/bold]")
    for i in injections:
        outcome = i.outcome.value if i.outcome is not None else "no outcome yet"
        line = (f"  {i.injected_at.isoformat(timespec='seconds')}  "
                f"{visible(i.session_id[:12], newlines=False)}  "
                f"{i.via.value}#{i.prompt_index}  {outcome}")
        if i.outcome_source is not None:
            line += f" ({i.outcome_source.value})"
        c.print(line, markup=False)
        if i.evidence:
            try:
                e = json.loads(i.evidence)
                why = f"{e.get('rule', '')}" + (f" at turn {e['turn']}" if e.get("turn") else "")
                if e.get("quote"):
                    why += f": {e['quote']!r}"
            except (ValueError, AttributeError):
                why = i.evidence
            c.print(f"      {visible(why, newlines=False)}", markup=False)
