"""groove's CozoStore alone at one or more sizes: the figures issue 2 asks for.

    python -m bench.store --sizes 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import clustered_vectors, percentile_ms, recall_at_k, texts
from groove import CozoStore, Learning, LearningCategory, LearningContent, Outcome, Scope

CATEGORIES = list(LearningCategory)


def make_learnings(n: int) -> list[Learning]:
    out = []
    for i, (d, ins) in enumerate(texts(n)):
        scope = Scope.project(f"/repo/{i % 10}")  # each scope holds ~10%
        out.append(Learning.new(scope, CATEGORIES[i % len(CATEGORIES)], LearningContent(d, ins)))
    return out


async def run(n: int, queries: int, engine: str) -> dict[str, Any]:
    learnings = make_learnings(n)
    vectors = clustered_vectors(n + queries + 200)
    base, qs, extra = vectors[:n], vectors[n:n + queries], vectors[n + queries:]
    with tempfile.TemporaryDirectory() as tmp:
        store = await CozoStore.open(Path(tmp) / "db", engine=engine)
        t = time.perf_counter()
        for start in range(0, n, 1000):
            await store.store_many(learnings[start:start + 1000], list(base[start:start + 1000]))
        load_s = time.perf_counter() - t
        await store.semantic_search(qs[0], 10)  # builds the in-memory index from Cozo
        t = time.perf_counter()
        await store.close()
        store = await CozoStore.open(Path(tmp) / "db", engine=engine)
        await store.semantic_search(qs[0], 10)
        index_load_s = time.perf_counter() - t

        search, found = [], []
        for q in qs:
            t = time.perf_counter()
            hits = await store.semantic_search(q, 10)
            search.append(time.perf_counter() - t)
            found.append([str(h[0].id) for h in hits])
        ids = [str(x.id) for x in learnings]
        truth = [[ids[j] for j in np.argsort(-(base @ q))[:10]] for q in qs]

        filtered = []
        for q in qs:
            t = time.perf_counter()
            await store.semantic_search(q, 10, scope=Scope.project("/repo/3"))
            filtered.append(time.perf_counter() - t)

        gets = []
        for i in range(queries):
            t = time.perf_counter()
            await store.get(learnings[(i * 7919) % n].id)
            gets.append(time.perf_counter() - t)

        adds = []
        new = make_learnings(len(extra))
        for x, v in zip(new, extra, strict=True):
            t = time.perf_counter()
            await store.store(x, v)
            adds.append(time.perf_counter() - t)

        outcomes = []
        for i in range(queries):
            t = time.perf_counter()
            await store.record_outcome(learnings[(i * 31) % n].id, Outcome.HELPFUL)
            outcomes.append(time.perf_counter() - t)
        await store.close()
    return {
        "engine": engine, "n": n, "vectors": "clustered synthetic (384-d unit)",
        "bulk_load_per_s": round(n / load_s),
        "index_load_from_cozo_s": round(index_load_s, 3),
        "search_p50_ms": round(percentile_ms(search, 50), 3),
        "search_p95_ms": round(percentile_ms(search, 95), 3),
        "recall_at_10": recall_at_k(found, truth),
        "filtered_search_p50_ms": round(percentile_ms(filtered, 50), 3),
        "get_p50_ms": round(percentile_ms(gets, 50), 3),
        "add_one_p50_ms": round(percentile_ms(adds, 50), 3),
        "add_one_p95_ms": round(percentile_ms(adds, 95), 3),
        "record_outcome_p50_ms": round(percentile_ms(outcomes, 50), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--engine", default="mnestic")
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        print(json.dumps(asyncio.run(run(n, args.queries, args.engine))))


if __name__ == "__main__":
    main()
