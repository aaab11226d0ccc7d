"""Query and bulk embedding: onnxruntime (groove's default) against the torch reference.

    python -m bench.embed [--queries 200] [--bulk 500] [--out embed.json]

Same model, same packaged weights: reports load time, query p50/p95 (one text, as a
prompt hook sends), bulk texts per second (learning-sized texts, as an import sends),
and the largest cosine deviation between the two paths on the texts embedded.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.data import texts
from groove.embedder import OnnxEmbedder, TorchEmbedder


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--bulk", type=int, default=500)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    queries = [f"how do we handle case {i} of flaky pytest fixtures?" for i in range(args.queries)]
    bulk = [f"{d}\n{i}" for d, i in texts(args.bulk)]
    out: dict[str, object] = {}
    vectors = {}
    for name, embedder in (("onnx", OnnxEmbedder()), ("torch", TorchEmbedder())):
        t = time.perf_counter()
        embedder.load()
        load = time.perf_counter() - t
        embedder.embed(queries[:3])
        times = []
        for q in queries:
            t = time.perf_counter()
            embedder.embed([q])
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        vectors[name] = embedder.embed(bulk)
        rate = len(bulk) / (time.perf_counter() - t)
        out[name] = {"load_s": round(load, 2), "query_p50_ms": round(pct(times, 0.5), 2),
                     "query_p95_ms": round(pct(times, 0.95), 2), "bulk_per_s": round(rate, 1)}
    cos = np.sum(vectors["onnx"] * vectors["torch"], axis=1)
    out["max_cosine_deviation"] = float(1 - cos.min())
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
