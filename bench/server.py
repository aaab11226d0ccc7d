"""The groove server against the direct path, in one run, as a person and a hook see it.

    python -m bench.server [--n 10000] [--home DIR] [--runs 30] [--out server.json]

Builds (once; reused from --home) a user tier of N learnings embedded by the real
model, then measures wall times of real processes: `groove --no-server search|add`
(the direct path: each loads the model), the server's start to its first answer and to
its first search, `groove search|add` and `groove hook prompt` with the server warm
(beside the floor: `python -c pass` and `python -c "import click"`, same run),
the time inside the server per search (its X-Groove-Time-Ms header), the first prompt
hook with no server running, and the warm server's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.data import texts

QUERIES = ["how do we write pytest fixtures", "the RocksDB lock is held", "retry flaky tests",
           "pin dependency versions", "timezone handling bugs", "docker layer caching",
           "SQL migrations review", "cache invalidation strategy", "git rebase conflicts",
           "logging config for the API"]


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def summary(xs: list[float]) -> dict[str, float]:
    return {"p50": round(pct(xs, 0.5), 1), "p95": round(pct(xs, 0.95), 1),
            "mean": round(statistics.fmean(xs), 1), "n": len(xs)}


DISTINCT = 10_000
"""Past this many, texts repeat with a variant number and reuse the real vectors of the
first 10,000 (embedding 100,000 texts with the model on this machine takes half an
hour): the memory and latency figures depend on the row count, not on the words."""


async def build(home: Path, n: int) -> None:
    """A user tier of `n` learnings with real-model vectors (stored in batches)."""
    from groove import GrooveConfig, Learning, LearningContent, Scope
    from groove.domain import LearningCategory
    from groove.embedder import DefaultEmbedder
    from groove.store import CozoStore

    config = GrooveConfig(home / "user")
    config.save(home / "groove.toml")
    import numpy as np

    distinct = texts(min(n, DISTINCT))
    pairs = [(d if k < DISTINCT else f"{d} (variant {k // DISTINCT})", i)
             for k, (d, i) in enumerate(distinct[j % len(distinct)] for j in range(n))]
    embedder = DefaultEmbedder()
    t = time.perf_counter()
    unique = embedder.embed([f"{d}\n{i}" for d, i in distinct])
    vectors = np.stack([unique[j % len(distinct)] for j in range(n)])
    print(f"embedded {len(distinct)} learnings in {time.perf_counter() - t:.0f} s",
          file=sys.stderr)
    learnings = [Learning.new(Scope.GLOBAL, LearningCategory.PREFERENCE,
                              LearningContent(d, i)) for d, i in pairs]
    store = await CozoStore.open(config.user_db_path)
    try:
        for start in range(0, n, 2000):
            await store.store_many(learnings[start:start + 2000],
                                   vectors[start:start + 2000], embedder.model_id)
    finally:
        await store.close()
    (home / "built").write_text(str(n))


def env_for(home: Path) -> dict[str, str]:
    run = Path(f"/tmp/groove-bench-{os.getpid()}")
    return {**os.environ, "GROOVE_CONFIG": str(home / "groove.toml"),
            "GROOVE_BENCH_CWD": str(home),  # outside any repository: no project tier
            "GROOVE_RUNTIME_DIR": str(run / "run"), "GROOVE_LOG_DIR": str(run / "log")}


def wall(argv: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    t = time.perf_counter()
    r = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True,
                       timeout=300, cwd=env["GROOVE_BENCH_CWD"])
    took = (time.perf_counter() - t) * 1000
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {r.stderr}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    home = args.home or Path(f"/tmp/groove-bench-home-{args.n}")
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "built").exists():
        asyncio.run(build(home, args.n))
    env = env_for(home)
    os.environ.update({k: env[k] for k in ("GROOVE_CONFIG", "GROOVE_RUNTIME_DIR",
                                           "GROOVE_LOG_DIR")})
    from groove.client import ensure_server, probe, stop_server, transport
    from groove.runtime import runtime_paths
    from groove.service import wire

    groove = str(Path(sys.executable).with_name("groove"))
    paths = runtime_paths()
    stop_server(paths)
    out: dict[str, Any] = {"learnings": args.n}

    # the direct path: every command loads the model and opens the database itself
    out["direct_search_ms"] = summary([wall([groove, "--no-server", "search", q], env)
                                       for q in QUERIES[:5]])
    out["direct_add_ms"] = summary([wall([groove, "--no-server", "add", f"direct note {i}"],
                                         env) for i in range(3)])

    # a server's start: to its first answer, and to a search (model loaded)
    t = time.perf_counter()
    ensure_server(paths, wait=60)
    out["start_to_first_answer_ms"] = round((time.perf_counter() - t) * 1000, 1)
    transport.call(paths.socket, "search", {}, QUERIES[0], timeout=120)
    out["start_to_first_search_ms"] = round((time.perf_counter() - t) * 1000, 1)

    # the floor under any `groove` command on this machine now (its speed drifts by a
    # third between runs here): the interpreter alone, and with click imported
    out["python_start_ms"] = summary([wall([sys.executable, "-c", "pass"], env)
                                      for _ in range(10)])
    out["python_import_click_ms"] = summary([wall([sys.executable, "-c", "import click"], env)
                                             for _ in range(10)])
    out["search_ms"] = summary([wall([groove, "search", QUERIES[i % len(QUERIES)]], env)
                                for i in range(args.runs)])
    out["add_ms"] = summary([wall([groove, "add", f"served note {i}"], env)
                             for i in range(args.runs)])
    inside = []
    for i in range(200):
        payload = wire.dumps({"ctx": {}, "args": [QUERIES[i % len(QUERIES)] + f" {i}"],
                              "kwargs": {"limit": 10}})
        status, headers, _ = transport.request(paths.socket, "POST",
                                               wire.call_path("search"), payload)
        assert status == 200
        inside.append(float(headers[wire.TIME_HEADER.lower()]))
    out["search_inside_server_ms"] = summary(inside)
    hook = [groove, "hook", "prompt"]
    prompts = [json.dumps({"session_id": f"bench-{i}", "cwd": "/tmp",
                           "hook_event_name": "UserPromptSubmit",
                           "prompt": QUERIES[i % len(QUERIES)]}) for i in range(args.runs)]
    out["prompt_hook_ms"] = summary([wall(hook, env, p) for p in prompts])
    status = probe(paths, full=True)
    out["server_rss_mb"] = status and status["rss_mb"]

    stop_server(paths)
    out["first_prompt_hook_no_server_ms"] = round(wall(hook, env, prompts[0]), 1)
    time.sleep(1.0)
    stop_server(paths, wait=30)
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
