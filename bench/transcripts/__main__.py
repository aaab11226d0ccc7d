"""Outcome attribution on the independent, hand-labelled corpus in bench/transcripts/.

    python -m bench.transcripts [--no-model] [--out transcripts.json]

Every labelled injection of labels.json is given to `groove.learn.attribute` with the
learning as labelled (session start before any prompt, or after its prompt); accuracy is
reported overall and per expected outcome, with every miss. Captures are counted (made
vs expected) and listed for a reader: their wording is free, so they are not auto-scored.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from groove import Learning, LearningCategory, LearningContent, Scope
from groove.domain.injection import InjectedVia, Injection
from groove.learn import attribute, capture, read_turns

HERE = Path(__file__).parent


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transcripts")
    parser.add_argument("--no-model", action="store_true", help="token rules only")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    embed = None
    if not args.no_model:
        from groove import DefaultEmbedder

        embed = DefaultEmbedder().embed
    labels = json.loads((HERE / "labels.json").read_text())["transcripts"]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses, captures = [], []
    expected_captures = 0
    for name, t in sorted(labels.items()):
        path = HERE / name
        shown = []
        want = {}
        for item in t["injected"]:
            lid = uuid.UUID(item["id"])
            learning = Learning(lid, Scope.GLOBAL, LearningCategory(item["category"]),
                                LearningContent(item["description"], item["insight"]), 0.5,
                                datetime.now(UTC), datetime.now(UTC),
                                __import__("groove").UserCreatedSource())
            first = item["injected"][0]
            shown.append((Injection(t["session_id"], lid, InjectedVia.parse(first["via"]),
                                    int(first["prompt_index"]), "project", 0.5, None,
                                    datetime.now(UTC)), learning))
            want[lid] = item["expected_outcome"]
        for a in attribute(read_turns(path), shown, embed):
            expected = want[a.learning_id]
            total[expected] += 1
            right[expected] += a.outcome.value == expected
            if a.outcome.value != expected:
                misses.append({"transcript": name, "learning": str(a.learning_id)[:13],
                               "want": expected, "got": a.outcome.value,
                               "rule": a.evidence.rule})
        made = capture(read_turns(path))
        expected_captures += len(t.get("expected_captures", []))
        captures += [{"transcript": name, "capture": c.description, "rule": c.rule}
                     for c in made]
    result = {"transcripts": len(labels), "labelled_outcomes": sum(total.values()),
              "outcome_accuracy": round(sum(right.values()) / sum(total.values()), 4),
              "per_outcome": {k: {"right": right[k], "of": total[k]} for k in sorted(total)},
              "captures_made": len(captures), "captures_expected": expected_captures,
              "misses": misses, "captures": captures}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
