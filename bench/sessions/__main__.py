"""Attribution accuracy and capture precision/recall on the labelled session corpus.

    python -m bench.sessions [--write DIR] [--out sessions.json]

Each session of bench/sessions/corpus.py runs in a fresh home with the real model: the
learnings it was shown are added and injected at session start, its transcript is
written in Claude Code's JSONL record format (`--write DIR` keeps the files), and
`LocalGroove.learn` reads it. Reported: outcome accuracy overall and per expected
outcome, capture precision and recall, and every miss.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.sessions.corpus import LEARNINGS, SESSIONS
from groove import DefaultEmbedder, GrooveConfig
from groove.service import LocalGroove, RequestContext
from groove.testing import TranscriptBuilder


async def run(keep: Path | None) -> dict[str, object]:
    embedder = DefaultEmbedder()
    embedder.load()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    captured = correct_captures = expected_captures = found_captures = 0
    misses: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, s in enumerate(SESSIONS):
            home = Path(tmp) / s.name
            async with LocalGroove(GrooveConfig(home / "user"), embedder=embedder) as api:
                ctx = RequestContext()
                ids = {}
                for key in s.shown:
                    description, insight = LEARNINGS[key]
                    ids[key] = (await api.add(ctx, description, insight=insight)).learning.id
                session = f"{n:08d}-0000-4000-8000-{n:012d}"
                if ids:
                    await api.find_for_injection(ctx, None, session_id=session, limit=len(ids))
                t = s.build(TranscriptBuilder(session))
                t.lines = [line.replace("{pnpm}", str(ids.get("pnpm", ""))[:13])
                           for line in t.lines]
                folder = keep or Path(tmp)
                path = t.write(folder / f"{s.name}.jsonl",
                               tail='{"type": "assistant", "mes' if s.name == "truncated" else "")
                report = await api.learn(ctx, path)
            got = {o.learning_id: o.outcome.value for o in report.outcomes}
            for key, want in s.outcomes.items():
                total[want] += 1
                have = got.get(ids[key])
                right[want] += have == want
                if have != want:
                    misses.append({"session": s.name, "learning": key, "want": want,
                                   "got": have})
            descriptions = [c.found.learning.content.description.lower()
                            for c in report.captured]
            captured += len(descriptions)
            expected_captures += len(s.captures)
            for d in descriptions:
                if any(all(w in d for w in want.split()) for want in s.captures):
                    correct_captures += 1
                else:
                    misses.append({"session": s.name, "wrong capture": d})
            for want in s.captures:
                if any(all(w in d for w in want.split()) for d in descriptions):
                    found_captures += 1
                else:
                    misses.append({"session": s.name, "missed capture": want})
    all_right, all_total = sum(right.values()), sum(total.values())
    return {
        "sessions": len(SESSIONS), "labelled_outcomes": all_total,
        "outcome_accuracy": round(all_right / all_total, 4),
        "per_outcome": {k: {"right": right[k], "of": total[k]} for k in sorted(total)},
        "captures": captured, "expected_captures": expected_captures,
        "capture_precision": round(correct_captures / captured, 4) if captured else None,
        "capture_recall": round(found_captures / expected_captures, 4)
        if expected_captures else None,
        "misses": misses,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sessions")
    parser.add_argument("--write", type=Path, help="keep the transcripts in this folder")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run(args.write))
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
