"""Many tier databases in one process: RocksDB memory per database, or one shared envelope?

    python -m bench.memory [--tiers 1,10,30] [--n 5000] [--writes 300] [--budget-mb 128]
                           [--out memory.json]

Builds (once per run, in a temporary directory) `max(--tiers)` databases of n learnings
each (vectors included), then, in a fresh process per figure, opens `k` of them as the
groove server holds a user tier and many project tiers: every tier answers searches
and lists, and takes a burst of writes (outcomes and new learnings, as sessions end).
The process's RSS is read after the workload in three set-ups, side by side: `plain`
(each database keeps its own block cache and memtables, glibc's default arenas),
`arenas` (the same with malloc arenas capped, as the groove server runs:
`runtime.limit_malloc_arenas`), and `shared` (arenas capped, and every database in
mnestic's shared envelope of --budget-mb: `engine.share_memory`). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.scale.million import category_of, chunks, ids_for, scope_of
from bench.scale.opens import _fill


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


MODES = ("plain", "arenas", "shared")


async def workload(root: Path, tiers: int, n: int, budget_mb: int, writes: int,
                   mode: str) -> dict[str, Any]:
    from groove import (
        CozoStore,
        Learning,
        LearningCategory,
        LearningContent,
        Outcome,
        Scope,
        UserCreatedSource,
    )
    from groove.domain import utcnow
    from groove.runtime import limit_malloc_arenas
    from groove.store import engine

    if mode != "plain":
        limit_malloc_arenas()
    engine.share_memory(budget_mb << 20 if mode == "shared" else None)
    baseline = _rss_mb()
    started = time.perf_counter()
    stores = [await CozoStore.open(root / f"tier-{k}") for k in range(tiers)]
    ids = ids_for(n)
    queries = next(chunks(20, seed=5))
    now = utcnow()
    for store in stores:
        for q in queries:
            await store.semantic_search(q, 10)
        await store.list_learnings(limit=500)
        for i in range(writes // 2):
            await store.record_outcome(uuid.UUID(ids[(i * 37) % n]), Outcome.HELPFUL)
        fresh = next(chunks(writes // 2, seed=tiers))
        await store.store_many(
            [Learning(uuid.uuid4(), Scope.from_db_string(scope_of(i)),
                      LearningCategory(category_of(i)),
                      LearningContent(f"fresh learning {i} " + "x" * 400), 0.5, now, now,
                      UserCreatedSource()) for i in range(len(fresh))], list(fresh))
    # a second pass over every tier: what a cache keeps, what memtables hold
    for store in stores:
        for q in queries[:5]:
            await store.semantic_search(q, 10)
        await store.list_learnings(limit=500)
    rss = _rss_mb()
    for store in stores:
        await store.close()
    return {"mode": mode, "tiers": tiers, "writes_per_tier": writes,
            "budget_mb": budget_mb if mode == "shared" else None,
            "rss_mb": round(rss, 1),
            "rss_over_baseline_mb": round(rss - baseline, 1),
            "seconds": round(time.perf_counter() - started, 2)}


async def build(root: Path, tiers: int, n: int) -> None:
    for k in range(tiers):
        await _fill(root / f"tier-{k}", n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiers", default="1,10,30")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--budget-mb", type=int, default=128)
    ap.add_argument("--writes", type=int, default=300, help="writes per tier (half outcomes)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        tiers, n, budget, writes, mode = args.one
        print(json.dumps(asyncio.run(workload(args.root, int(tiers), int(n), int(budget),
                                              int(writes), mode))))
        return
    sizes = [int(x) for x in args.tiers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="groove-memory-") as tmp:
        root = Path(tmp)
        asyncio.run(build(root / "built", max(sizes), args.n))
        for tiers in sizes:
            for mode in MODES:
                run = root / "run"  # each figure on its own copy of the built tiers
                shutil.rmtree(run, ignore_errors=True)
                shutil.copytree(root / "built", run)
                out = subprocess.run(
                    [sys.executable, "-m", "bench.memory", "--root", str(run),
                     "--one", str(tiers), str(args.n), str(args.budget_mb), str(args.writes),
                     mode],
                    capture_output=True, text=True, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(json.dumps(row), file=sys.stderr)
    text = json.dumps({"n_per_tier": args.n, "rows": rows}, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
