"""Ranked search and injection latency at scale, inside one process.

    python -m bench search [--n 10000] [--queries 200] [--vectors hash|model]
                           [--out search.json]

What one `search` costs beyond embedding the query: vector retrieval, keyword
retrieval, merging the tiers, ranking, reading the rows returned. Every vector is
computed before the clock starts, so the model's cost is not in the figure (the real
model's query embedding is measured by `python -m bench embed` and the server bench).
`--vectors hash` (default) uses the test suite's hash embedder: a sum of random word
vectors, nearly uniform, the hardest case for the approximate index; `--vectors model`
embeds every text with all-MiniLM-L6-v2 (~2 minutes at 10,000 on 2 cores), whose
vectors cluster as the product's do. Also: encoding and decoding a 10-hit answer for
the groove server's wire (`groove.service.wire`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.data import texts
from groove import GrooveConfig
from groove.service import LocalGroove, RequestContext, wire
from groove.testing import HashEmbedder
from groove.tiers import Tier


class Precomputed(HashEmbedder):
    """Hands out vectors computed before the clock starts (by the hash embedder, or by
    `model` when given)."""

    def __init__(self, model: object | None = None) -> None:
        super().__init__()
        self.model = model
        self.cache: dict[str, object] = {}
        if model is not None:
            self.model_id = model.model_id  # type: ignore[attr-defined]

    def embed(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        import numpy as np

        missing = [t for t in texts if t not in self.cache]
        for start in range(0, len(missing), 64):
            part = missing[start:start + 64]
            made = super().embed(part) if self.model is None else \
                self.model.embed(part)  # type: ignore[attr-defined]
            for t, v in zip(part, made, strict=True):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts])


def _embedder(vectors: str) -> Precomputed:
    if vectors == "hash":
        return Precomputed()
    from groove.embedder import DefaultEmbedder

    model = DefaultEmbedder()
    model.load()
    return Precomputed(model)


def pct(xs: list[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]


async def run(n: int, queries: int, vectors: str = "hash") -> dict[str, object]:
    rng = random.Random(5)
    pairs = texts(n)
    with tempfile.TemporaryDirectory() as tmp:
        config = GrooveConfig(Path(tmp) / "user")
        embedder = _embedder(vectors)
        async with LocalGroove(config, embedder=embedder) as api:
            ctx = RequestContext()
            store = await api.view(ctx).store_for(Tier.USER)
            from groove import Learning, LearningCategory, LearningContent, Scope

            batch = [Learning.new(Scope.user("me"), LearningCategory.PREFERENCE,
                                  LearningContent(d, i)) for d, i in pairs]
            for start in range(0, n, 1000):
                part = batch[start:start + 1000]
                await store.store_many(part, embedder.embed(
                    [x.content.embedding_text() for x in part]), embedder.model_id)
            asked = [rng.choice(pairs)[0][:60] for _ in range(queries)]
            embedder.embed(asked)
            await api.search(ctx, asked[0])  # load both indexes
            times = {"search_ms": [], "inject_ms": []}
            for q in asked:
                t = time.perf_counter()
                await api.search(ctx, q, limit=10)
                times["search_ms"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                await api.find_for_injection(ctx, q, limit=3)
                times["inject_ms"].append((time.perf_counter() - t) * 1000)
            hits = await api.search(ctx, asked[-1], limit=10)
            raw = wire.dumps({"result": hits})
            t = time.perf_counter()
            for _ in range(200):
                wire.dumps({"result": hits})
            encode_ms = (time.perf_counter() - t) * 1000 / 200
            t = time.perf_counter()
            for _ in range(200):
                wire.loads(raw)
            decode_ms = (time.perf_counter() - t) * 1000 / 200
            t = time.perf_counter()
            for q in asked:
                await store.semantic_search(embedder.embed([q])[0], 10)
            store_ms = (time.perf_counter() - t) * 1000 / len(asked)
            t = time.perf_counter()
            for q in asked:
                await store.keyword_search(q, 10)
            keyword_ms = (time.perf_counter() - t) * 1000 / len(asked)
    out: dict[str, object] = {"n": n, "queries": queries, "vectors": vectors}
    for k, v in times.items():
        out[k.replace("_ms", "_p50_ms")] = round(statistics.median(v), 3)
        out[k.replace("_ms", "_p95_ms")] = round(pct(v, 0.95), 3)
    out["store_vector_search_mean_ms"] = round(store_ms, 3)
    out["store_keyword_search_mean_ms"] = round(keyword_ms, 3)
    out["wire_encode_answer_ms"] = round(encode_ms, 3)
    out["wire_decode_answer_ms"] = round(decode_ms, 3)
    return out


def cli(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench search")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--vectors", choices=["hash", "model"], default="hash")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.n, args.queries, args.vectors))
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    cli(sys.argv[1:])
