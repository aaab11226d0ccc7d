"""A million synthetic learnings in one groove store: load, index, reopen, search.

    python -m bench.scale.million [--n 1000000] [--batch 5000] [--out million.json]

Phases, each in its own process so each memory figure is that phase's own:
  load    bulk store_many of n learnings with clustered 384-d unit vectors (made in
          chunks: the harness never holds all of them), then close, which waits for the
          approximate index and saves the vector side file;
  serve   a fresh process opens the store, times the first search (side file, no
          rebuild), then 200 searches unfiltered and filtered (scope: 1/10 of the rows,
          and a category: 1/6) against exact top-10 computed by streaming the vectors.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.data import percentile_ms

DIM = 384
CLUSTERS = 50
CHUNK = 50_000
QUERIES = 200
CATEGORIES = ["code_pattern", "preference", "solution", "error_recovery", "tool_usage",
              "harness_knowledge"]
FILTER_SCOPE = "project:/repo/3"
FILTER_CATEGORY = "solution"


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def chunks(n: int, seed: int = 11) -> Iterator[npt.NDArray[np.float32]]:
    """bench.data.clustered_vectors' recipe, made CHUNK rows at a time."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, DIM)).astype(np.float32)
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        v = centres[rng.integers(0, CLUSTERS, m)] + \
            0.6 * rng.standard_normal((m, DIM), dtype=np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        yield v


def queries_like(n: int, seed: int = 99) -> npt.NDArray[np.float32]:
    """Fresh points around the data's own centres: a query resembles what is stored (a
    point around centres the data never used has no meaningful top-10 to recall)."""
    centres = np.random.default_rng(11).standard_normal((CLUSTERS, DIM)).astype(np.float32)
    rng = np.random.default_rng(seed)
    v = centres[rng.integers(0, CLUSTERS, n)] + \
        0.6 * rng.standard_normal((n, DIM), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def ids_for(n: int) -> list[str]:
    """Deterministic UUIDv7-shaped ids: time-ordered prefix, random tail."""
    rng = np.random.default_rng(3)
    tails = rng.integers(0, 2**62, n, dtype=np.int64)
    base = 0x0190_0000_0000
    out = []
    for i in range(n):
        ms = base + i // 50
        value = (ms << 80) | (0x7 << 76) | (i & 0xFFF) << 64 | (0b10 << 62) | int(tails[i])
        out.append(str(uuid.UUID(int=value)))
    return out


def scope_of(i: int) -> str:
    return f"project:/repo/{i % 10}"


def category_of(i: int) -> str:
    return CATEGORIES[i % len(CATEGORIES)]


async def load(path: Path, n: int, batch: int) -> dict[str, Any]:
    from groove import (
        CozoStore,
        Learning,
        LearningCategory,
        LearningContent,
        Scope,
        UserCreatedSource,
    )
    from groove.domain import utcnow

    ids = ids_for(n)
    store = await CozoStore.open(path)
    now = utcnow()
    started = time.perf_counter()
    i = 0
    for chunk in chunks(n):
        for s in range(0, len(chunk), batch):
            part = chunk[s:s + batch]
            xs = [Learning(uuid.UUID(ids[i + k]), Scope.from_db_string(scope_of(i + k)),
                           LearningCategory(category_of(i + k)),
                           LearningContent(f"learning {i + k} about topic {(i + k) % 997}"),
                           0.5, now, now, UserCreatedSource())
                  for k in range(len(part))]
            await store.store_many(xs, list(part))
            i += len(part)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    await store.close()  # waits for the approximate index, saves the side file
    close_s = time.perf_counter() - started
    return {"n": n, "bulk_load_s": load_s, "bulk_load_per_s": n / load_s,
            "close_with_index_and_side_file_s": close_s, "load_peak_rss_mb": _peak_rss_mb()}


def truth(n: int, queries: npt.NDArray[np.float32]) -> dict[str, list[list[int]]]:
    """Exact top-10 rows per query: unfiltered, scope-filtered, category-filtered."""
    rows = np.arange(n)
    masks = {"all": np.ones(n, dtype=bool),
             "scope": np.array([scope_of(i) == FILTER_SCOPE for i in range(n)]),
             "category": np.array([category_of(i) == FILTER_CATEGORY for i in range(n)])}
    best = {k: (np.full((len(queries), 10), -np.inf, dtype=np.float32),
                np.zeros((len(queries), 10), dtype=np.int64)) for k in masks}
    start = 0
    for chunk in chunks(n):
        scores = queries @ chunk.T
        at = rows[start:start + len(chunk)]
        for k, mask in masks.items():
            s = np.where(mask[start:start + len(chunk)], scores, -np.inf)
            top_s, top_i = best[k]
            cat_s = np.concatenate([top_s, s], axis=1)
            cat_i = np.concatenate([top_i, np.broadcast_to(at, s.shape)], axis=1)
            keep = np.argsort(-cat_s, axis=1)[:, :10]
            best[k] = (np.take_along_axis(cat_s, keep, 1), np.take_along_axis(cat_i, keep, 1))
        start += len(chunk)
    return {k: v[1].tolist() for k, v in best.items()}


async def serve(path: Path, n: int) -> dict[str, Any]:
    from groove import CozoStore, LearningCategory, Scope

    ids = ids_for(n)
    queries = queries_like(QUERIES)
    exact = truth(n, queries)
    started = time.perf_counter()
    store = await CozoStore.open(path)
    await store.semantic_search(queries[0], 10)
    first_s = time.perf_counter() - started
    status = await store.vector_status()
    out: dict[str, Any] = {"reopen_and_first_search_s": first_s, "vector_index": status}
    runs = {"all": {}, "scope": {"scope": Scope.from_db_string(FILTER_SCOPE)},
            "category": {"category": LearningCategory(FILTER_CATEGORY)}}
    for name, kw in runs.items():
        times, hits = [], 0
        for q, want in zip(queries, exact[name], strict=True):
            t = time.perf_counter()
            got = await store.semantic_search(q, 10, **kw)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t)
            hits += len({str(x.id) for x, _ in got} & {ids[r] for r in want})
        out[f"{name}_search_p50_ms"] = percentile_ms(times, 50)
        out[f"{name}_search_p95_ms"] = percentile_ms(times, 95)
        out[f"{name}_recall_at_10"] = hits / (10 * len(queries))
    out["serve_peak_rss_mb"] = _peak_rss_mb()
    await store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scale.million")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--phase", choices=["load", "serve"], help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "load":
        print(json.dumps(asyncio.run(load(args.path, args.n, args.batch))))
        return
    if args.phase == "serve":
        print(json.dumps(asyncio.run(serve(args.path, args.n))))
        return
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="groove-million-") as tmp:
        path = Path(tmp) / "db"
        for phase in ("load", "serve"):
            r = subprocess.run([sys.executable, "-m", "bench.scale.million", "--phase", phase,
                                "--path", str(path), "--n", str(args.n),
                                "--batch", str(args.batch)], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"{phase} failed:\n{r.stderr[-3000:]}")
            result.update(json.loads(r.stdout.strip().splitlines()[-1]))
        result["disk_bytes"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
