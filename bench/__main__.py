"""groove side by side with Chroma, on the same data, in one run.

    python -m bench --sizes 1000,10000,100000 --out results.json
    python -m bench loop        # does groove learn? (bench/loop.py)

The 1,000 set is embedded with the real model (cached under bench/.cache); larger
sets use clustered synthetic unit vectors. Each system runs in its own process on
identical ids, texts and vectors; ratios are groove / Chroma for times and
Chroma / groove for rates, so > 1 means groove is better... see `better` per row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import clustered_vectors, texts

CACHE = Path(__file__).parent / ".cache"
CATEGORIES = ["code_pattern", "preference", "solution", "error_recovery", "tool_usage",
              "harness_knowledge"]
FILTER_SCOPE = "project:/repo/3"

# (metric, lower is better?)
COMPARED = [("bulk_load_per_s", False), ("add_one_p50_ms", True), ("add_one_p95_ms", True),
            ("search_p50_ms", True), ("search_p95_ms", True), ("recall_at_10", False),
            ("filtered_search_p50_ms", True), ("filtered_recall_at_10", False),
            ("get_p50_ms", True), ("peak_rss_mb", True), ("disk_bytes_per_10k", True)]
GROOVE_ONLY = ["record_outcome_p50_ms", "find_for_injection_with_embedding_p50_ms",
               "model_load_s", "peak_rss_with_model_mb", "close_with_index_and_side_file_s",
               "reopen_and_first_search_s",
               "cold_list_median_s", "cold_list_tty_median_s", "cold_search_min_s"]


def real_vectors(items: list[tuple[str, str]]) -> np.ndarray:
    """Embed with the real default model once; cached on disk by content hash."""
    joined = "\n".join(f"{a}\n{b}" for a, b in items)
    key = hashlib.sha256(joined.encode()).hexdigest()[:16]
    path = CACHE / f"real-{len(items)}-{key}.npy"
    if path.exists():
        return np.load(path)
    from groove import DefaultEmbedder

    vecs = DefaultEmbedder().embed([f"{a}\n{b}" for a, b in items])
    CACHE.mkdir(exist_ok=True)
    np.save(path, vecs)
    return vecs


def prepare(n: int, queries: int, extra: int, root: Path) -> str:
    from groove.domain import uuid7

    items = texts(n)
    if n <= 1000:
        base = real_vectors(items)
        qtexts = texts(queries + extra, seed=99)
        rest = real_vectors(qtexts)
        kind = "real all-MiniLM-L6-v2 embeddings"
    else:
        allv = clustered_vectors(n + queries + extra)
        base, rest = allv[:n], allv[n:]
        kind = "clustered synthetic unit vectors (50 clusters)"
    qs, ex = rest[:queries], rest[queries:queries + extra]
    ids = [str(uuid7()) for _ in range(n)]
    scopes = [f"project:/repo/{i % 10}" for i in range(n)]
    cats = [CATEGORIES[i % len(CATEGORIES)] for i in range(n)]
    scores = qs @ base.T
    truth = [[ids[j] for j in np.argsort(-row)[:10]] for row in scores]
    mask = np.array([s == FILTER_SCOPE for s in scopes])
    fscores = np.where(mask, scores, -np.inf)
    ftruth = [[ids[j] for j in np.argsort(-row)[:10]] for row in fscores]
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "vectors.npy", base.astype(np.float32))
    np.save(root / "queries.npy", qs.astype(np.float32))
    np.save(root / "extra.npy", ex.astype(np.float32))
    (root / "meta.json").write_text(json.dumps({
        "ids": ids, "texts": [list(t) for t in items], "scopes": scopes, "categories": cats,
        "extra_ids": [str(uuid7()) for _ in range(extra)], "filter_scope": FILTER_SCOPE,
        "truth": truth, "filtered_truth": ftruth}))
    return kind


def worker(system: str, root: Path) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "bench.worker", system, str(root)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{system} worker failed:\n{r.stderr[-3000:]}")
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10_000 else f"{v:.3f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    for res in results:
        g, c = res["groove"], res["chroma"]
        lines.append(f"\n== n = {res['n']:,}  ({res['vectors']}) ==")
        lines.append(f"{'metric':<42}{'groove':>14}{'chroma':>14}{'groove better by':>18}")
        for m, lower in COMPARED:
            gv, cv = g[m], c[m]
            factor = (cv / gv if lower else gv / cv) if gv and cv else float("nan")
            lines.append(f"{m:<42}{_num(gv):>14}{_num(cv):>14}{factor:>17.2f}x")
        for m in GROOVE_ONLY:
            if m in g:
                lines.append(f"{m:<42}{_num(g[m]):>14}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--extra", type=int, default=200, help="single adds to time")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            kind = prepare(n, args.queries, args.extra, Path(tmp))
            t = time.perf_counter()
            res = {"n": n, "vectors": kind, "groove": worker("groove", Path(tmp)),
                   "chroma": worker("chroma", Path(tmp))}
            res["wall_s"] = time.perf_counter() - t
            results.append(res)
            print(table([res]), flush=True)
    doc = {"machine": {"cpus": __import__("os").cpu_count(), "python": sys.version.split()[0]},
           "results": results}
    if args.out:
        args.out.write_text(json.dumps(doc, indent=2))
        print(f"\nwrote {args.out}")


SUBCOMMANDS = {"loop": "bench.loop", "search": "bench.search", "rankset": "bench.rankset.__main__",
               "keywords": "bench.keywords"}
"""`python -m bench NAME ...` runs another benchmark: NAME's module has `cli(argv)`."""


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in SUBCOMMANDS:
        import importlib

        importlib.import_module(SUBCOMMANDS[sys.argv[1]]).cli(sys.argv[2:])
    else:
        main()
