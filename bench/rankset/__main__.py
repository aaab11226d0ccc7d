"""Retrieval quality on the hand-written dev set: vector, keyword, fused, fused + trust.

    python -m bench rankset [--out rankset.json]

150 learnings in near-miss clusters and 102 queries (bench/rankset/data.py), embedded
with the real all-MiniLM-L6-v2. Reported per method: hit@1, hit@5 and MRR (over the top
10). "fused" is groove's search with every learning new (equal trust); "fused + trust"
is the same after a random outcome history (seeded, unrelated to the queries), to show
what trust does to relevance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.rankset.data import learnings, queries
from groove import DefaultEmbedder, GrooveConfig, LearningCategory, LearningId, Outcome
from groove.service import LocalGroove, RequestContext
from groove.tiers import Tier


def metrics(ranked: list[list[str]], wanted: list[str]) -> dict[str, float]:
    hit1 = hit5 = rr = 0.0
    for got, want in zip(ranked, wanted, strict=True):
        if got[:1] == [want]:
            hit1 += 1
        if want in got[:5]:
            hit5 += 1
        if want in got[:10]:
            rr += 1 / (got.index(want) + 1)
    n = len(wanted)
    return {"hit@1": round(hit1 / n, 4), "hit@5": round(hit5 / n, 4), "mrr": round(rr / n, 4)}


async def run() -> dict[str, object]:
    embedder = DefaultEmbedder()
    embedder.load()
    asked = queries()
    with tempfile.TemporaryDirectory() as tmp:
        async with LocalGroove(GrooveConfig(Path(tmp) / "user"), embedder=embedder) as api:
            ctx = RequestContext()
            key_of: dict[LearningId, str] = {}
            for x in learnings():
                added = await api.add(ctx, x["description"], insight=x["insight"],
                                      category=LearningCategory(x["category"]))
                key_of[added.learning.id] = x["id"]
            store = await api.view(ctx).store_for(Tier.USER)
            wanted = [w for _, w in asked]
            vectors = embedder.embed([q for q, _ in asked])
            ranked: dict[str, list[list[str]]] = {"vector": [], "keyword": [], "fused": []}
            failures: list[dict[str, str]] = []
            for (q, want), v in zip(asked, vectors, strict=True):
                ranked["vector"].append([key_of[x.id] for x, _ in
                                         await store.semantic_search(v, 10)])
                ranked["keyword"].append([key_of[x.id] for x, _ in
                                          await store.keyword_search(q, 10)])
                fused = [key_of[h.learning.id] for h in await api.search(ctx, q, limit=10)]
                ranked["fused"].append(fused)
                if fused[:1] != [want]:
                    failures.append({"query": q, "wanted": want,
                                     "got": fused[0] if fused else "-"})
            rng = random.Random(11)
            for lid in key_of:
                for _ in range(rng.randrange(0, 6)):
                    x = rng.random()
                    await api.record_outcome(ctx, lid, Outcome.HELPFUL if x < 0.6 else (
                        Outcome.IGNORED if x < 0.9 else Outcome.CONTRADICTED))
            ranked["fused_trust"] = [[key_of[h.learning.id] for h in
                                      await api.search(ctx, q, limit=10)] for q, _ in asked]
    out: dict[str, object] = {"learnings": len(key_of), "queries": len(asked)}
    for name, lists in ranked.items():
        out[name] = metrics(lists, wanted)
    out["fused_failures"] = failures
    return out


def cli(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench rankset")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result = asyncio.run(run())
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    cli(sys.argv[1:])
