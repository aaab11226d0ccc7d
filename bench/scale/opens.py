"""1,000 opens of one database, as hooks and CLI calls open it: do logs and open time
stay bounded?

    python -m bench.scale.opens [--opens 1000] [--n 10000] [--out opens.json]

A store of n learnings (with vectors) is opened, given one small write (an outcome, as
a hook records), and closed, `--opens` times; every 50 opens the log count, log bytes
and the open time (to the first search) are recorded. Run twice: as groove closes
stores (rewriting one whose logs pass the bound), and with that turned off (what every
open did before). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.scale.million import category_of, chunks, ids_for, scope_of


async def _fill(path: Path, n: int) -> list[str]:
    from groove import (
        CozoStore,
        Learning,
        LearningCategory,
        LearningContent,
        Scope,
        UserCreatedSource,
    )
    from groove.domain import utcnow

    ids, now = ids_for(n), utcnow()
    async with await CozoStore.open(path) as store:
        i = 0
        for chunk in chunks(n):
            xs = [Learning(uuid.UUID(ids[i + k]), Scope.from_db_string(scope_of(i + k)),
                           LearningCategory(category_of(i + k)),
                           LearningContent(f"learning {i + k}"), 0.5, now, now,
                           UserCreatedSource()) for k in range(len(chunk))]
            await store.store_many(xs, list(chunk))
            i += len(chunk)
    return ids


async def run(opens: int, n: int, auto: bool) -> dict[str, Any]:
    from groove import CozoStore, Outcome
    from groove.store import compaction

    saved = compaction.AUTO_COMPACT_LOGS, compaction.AUTO_COMPACT_LOG_BYTES
    if not auto:
        compaction.AUTO_COMPACT_LOGS = compaction.AUTO_COMPACT_LOG_BYTES = 1 << 62
    query = next(chunks(1, seed=5))[0]
    samples: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="groove-opens-") as tmp:
        path = Path(tmp) / "db"
        ids = await _fill(path, n)
        times: list[float] = []
        closes: list[float] = []
        for k in range(1, opens + 1):
            started = time.perf_counter()
            store = await CozoStore.open(path)
            await store.semantic_search(query, 5)
            times.append(time.perf_counter() - started)
            await store.record_outcome(uuid.UUID(ids[k % n]), Outcome.HELPFUL)
            started = time.perf_counter()
            await store.close()
            closes.append(time.perf_counter() - started)
            if k % 50 == 0 or k == 1:
                stats = compaction.log_stats(path)
                samples.append({"opens": k, "log_files": stats.files, "log_bytes": stats.bytes,
                                "open_to_first_search_ms": round(times[-1] * 1000, 2),
                                "median_open_ms_last_50": round(
                                    statistics.median(times[-50:]) * 1000, 2)})
    compaction.AUTO_COMPACT_LOGS, compaction.AUTO_COMPACT_LOG_BYTES = saved
    return {"auto_compact": auto, "opens": opens, "n": n,
            "max_log_files": max(s["log_files"] for s in samples),
            "open_ms_first_50_median": round(statistics.median(times[:50]) * 1000, 2),
            "open_ms_last_50_median": round(statistics.median(times[-50:]) * 1000, 2),
            "close_ms_max": round(max(closes) * 1000, 1),
            "close_ms_median": round(statistics.median(closes) * 1000, 2),
            "samples": samples}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scale.opens")
    ap.add_argument("--opens", type=int, default=1000)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    result = {"groove": asyncio.run(run(args.opens, args.n, True)),
              "without_compaction": asyncio.run(run(args.opens, args.n, False))}
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
