"""The keyword index at 100k-1M learnings: what ranked search adds beside the vectors.

    python -m bench.scale.keywords [--sizes 100000,1000000] [--queries 200] [--out FILE]

`bench.scale.million` measures the vector side (`semantic_search`) on short synthetic
texts. A ranked `search` (CLI, MCP, hooks) also asks the BM25 keyword index
(`groove.store.keyword_index`), built in memory on a store's first keyword search. Here
it is built from `bench.data.texts(n)` (learning-like texts; each carries a case number,
so the vocabulary grows with n as ids and numbers do in real learnings), each size in
its own process so the memory figure is that index's own: build time, the RSS the index
adds, and top-20 query p50/p95 for 200 query prefixes drawn as `bench/search.py` draws
them (the fetch a `search(limit=10)` makes); then the side file a store saves at close
(`groove.store.saved_indexes`): its size, the save, and the load the next process does
instead of the build.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(n: int, queries: int) -> dict[str, Any]:
    from bench.data import texts
    from groove.store import saved_indexes
    from groove.store.keyword_index import KeywordIndex

    pairs = texts(n)
    rng = random.Random(5)
    asked = [rng.choice(pairs)[0][:60] for _ in range(queries)]
    before = _rss_mb()
    index = KeywordIndex()
    t = time.perf_counter()
    for k, (description, insight) in enumerate(pairs):
        index.upsert(f"{k:032x}", insight, f"project:/repo/{k % 10}", "preference",
                     headline=description)
    build_s = time.perf_counter() - t
    grown = _rss_mb() - before
    times = []
    for q in asked:
        t = time.perf_counter()
        index.search(q, 20)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    expected = [index.search(q, 20) for q in asked[:20]]
    with tempfile.TemporaryDirectory() as tmp:  # the side file a store saves at close
        t = time.perf_counter()
        saved_indexes.save(Path(tmp), saved_indexes.KEYWORDS, index.to_arrays(), "bench")
        save_s = time.perf_counter() - t
        saved_mb = (Path(tmp) / saved_indexes.KEYWORDS.filename).stat().st_size / 1e6
        del index
        t = time.perf_counter()
        index = KeywordIndex.from_arrays(
            saved_indexes.load(Path(tmp), saved_indexes.KEYWORDS, "bench"))
        load_s = time.perf_counter() - t
    if [index.search(q, 20) for q in asked[:20]] != expected:
        raise SystemExit("the saved keyword index answers differently")
    return {"n": n, "build_s": round(build_s, 1), "index_rss_mb": round(grown),
            "terms": len(index._term), "search_p50_ms": round(statistics.median(times), 2),
            "search_p95_ms": round(times[int(0.95 * len(times))], 2),
            "side_file_mb": round(saved_mb), "save_s": round(save_s, 2),
            "load_s": round(load_s, 2)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale.keywords")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one, args.queries)))
        return
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run([sys.executable, "-m", "bench.scale.keywords", "--one", str(n),
                               "--queries", str(args.queries)],
                              check=True, capture_output=True, text=True)
        results.append(json.loads(done.stdout))
        print(json.dumps(results[-1]), file=sys.stderr)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
