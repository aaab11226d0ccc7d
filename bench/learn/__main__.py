"""Reading a large transcript: time and peak memory of groove.learn over ~50 MB.

    python -m bench.learn [--mb 50] [--out learn.json]

Builds a synthetic Claude Code transcript (prompts, tool calls with long results,
assistant text) of the given size in a temp dir, then in a fresh process reads it
through `read_turns`, `attribute` (10 injected learnings) and `capture`, reporting wall
time and peak RSS (the read streams, so memory must not grow with the file).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from datetime import datetime, UTC
from groove import Learning, LearningCategory, LearningContent, Scope
from groove.domain.injection import Injection, InjectedVia
from groove.learn import attribute, capture, read_turns
path = Path(sys.argv[1])
shown = []
for n in range(10):
    x = Learning.new(Scope.GLOBAL, LearningCategory.TOOL_USAGE,
                     LearningContent(f"run `tool{n} --flag{n}`", "it is faster"))
    shown.append((Injection("s", x.id, InjectedVia.PROMPT, 1, "project", 0.5, 0.5,
                            datetime.now(UTC)), x))
t = time.perf_counter()
turns = sum(1 for _ in read_turns(path))
t_read = time.perf_counter() - t
t = time.perf_counter()
outcomes = attribute(read_turns(path), shown)
t_attr = time.perf_counter() - t
t = time.perf_counter()
caps = capture(read_turns(path))
t_cap = time.perf_counter() - t
print(json.dumps({"turns": turns, "read_s": t_read, "attribute_s": t_attr, "capture_s": t_cap,
                  "outcomes": len(outcomes), "captures": len(caps),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(path: Path, mb: int, seed: int = 3) -> int:
    rng = random.Random(seed)
    size, n = 0, 0
    with path.open("w", encoding="utf-8") as f:
        while size < mb * 1024 * 1024:
            n += 1
            kind = n % 4
            if kind == 0:
                rec = {"type": "user", "message": {"role": "user", "content":
                       f"please fix bug {n} in module{rng.randrange(50)}.py"}}
            elif kind == 1:
                rec = {"type": "assistant", "message": {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me look. " * rng.randrange(5, 40)},
                    {"type": "tool_use", "id": f"t{n}", "name": "Bash",
                     "input": {"command": f"pytest tests/test_{n % 97}.py -x"}}]}}
            elif kind == 2:
                rec = {"type": "user", "message": {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": f"t{n - 1}",
                     "content": "line of output\n" * rng.randrange(50, 800),
                     "is_error": rng.random() < 0.2}]}}
            else:
                rec = {"type": "system", "content": "compacted", "level": "info"}
            rec.update({"sessionId": "s", "uuid": f"u{n}", "timestamp": "2026-11-20T10:00:00Z",
                        "isSidechain": False, "cwd": "/repo"})
            line = json.dumps(rec) + "\n"
            f.write(line)
            size += len(line)
    return size


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.learn")
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.jsonl"
        size = build(path, args.mb)
        t = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                               text=True, check=True)
        wall = time.perf_counter() - t
    result = {"bytes": size, "process_wall_s": wall, **json.loads(child.stdout.strip())}
    baseline = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["children_peak_rss_mb"] = baseline
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
