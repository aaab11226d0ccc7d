"""ANN libraries from PyPI on this machine, on clustered 384-d unit vectors.

    python -m bench.scale.ann --n 100000 [--candidates usearch-f32,usearch-i8,...]

Each candidate runs in its own process (its memory apart): build time (2 threads),
add-one latency, query p50 at a setting tuned for recall@10 >= 0.95, recall@10 vs an
exact scan, unfiltered and with a 10% filter (oversampled, post-filtered), RSS growth,
save time, load (restore) and mmap (view) time, file size. Prints JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench.data import clustered_vectors

CANDIDATES = ["usearch-f32", "usearch-f16", "usearch-i8", "hnswlib", "faiss-hnsw",
              "faiss-ivf", "faiss-ivf-sq8"]
RESCORE = 40
"""Quantized candidates (`*-i8`, `*-sq8`) fetch this many, rescored exactly in float32."""
QUERIES = 200
THREADS = 2


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _data(n: int, cache: Path) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32],
                                        npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Vectors, queries, exact top-10 and exact filtered top-10 (rows % 10 == 3)."""
    path = cache / f"ann-{n}.npz"
    if path.exists():
        z = np.load(path)
        return z["v"], z["q"], z["t"], z["ft"]
    allv = clustered_vectors(n + QUERIES)
    v, q = allv[:n], allv[n:]
    t = np.empty((QUERIES, 10), dtype=np.int64)
    ft = np.empty((QUERIES, 10), dtype=np.int64)
    keep = np.arange(n) % 10 == 3
    for s in range(0, QUERIES, 50):
        scores = q[s:s + 50] @ v.T
        t[s:s + 50] = np.argsort(-scores, axis=1)[:, :10]
        scores[:, ~keep] = -np.inf
        ft[s:s + 50] = np.argsort(-scores, axis=1)[:, :10]
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, v=v, q=q, t=t, ft=ft)
    return v, q, t, ft


class Candidate:
    """One library behind the same small surface."""

    def __init__(self, name: str, dim: int, n: int):
        self.name, self.dim, self.n = name, dim, n
        self.index: Any = None

    def build(self, v: npt.NDArray[np.float32]) -> None:
        name = self.name
        if name.startswith("usearch"):
            from usearch.index import Index

            self.index = Index(ndim=self.dim, metric="ip", dtype=name.split("-")[1],
                               connectivity=16, expansion_add=128, expansion_search=64)
            self.index.add(np.arange(len(v), dtype=np.uint64), v, threads=THREADS)
        elif name == "hnswlib":
            import hnswlib

            self.index = hnswlib.Index(space="ip", dim=self.dim)
            self.index.init_index(max_elements=len(v) + 1000, ef_construction=128, M=16)
            self.index.set_num_threads(THREADS)
            self.index.add_items(v, np.arange(len(v)))
        elif name == "faiss-hnsw":
            import faiss

            faiss.omp_set_num_threads(THREADS)
            self.index = faiss.IndexIDMap2(faiss.IndexHNSWFlat(self.dim, 16,
                                                               faiss.METRIC_INNER_PRODUCT))
            faiss.downcast_index(self.index.index).hnsw.efConstruction = 128
            self.index.add_with_ids(v, np.arange(len(v), dtype=np.int64))
        elif name.startswith("faiss-ivf"):
            import faiss

            faiss.omp_set_num_threads(THREADS)
            nlist = int(4 * np.sqrt(len(v)))
            quant = faiss.IndexFlatIP(self.dim)
            if name.endswith("sq8"):
                ivf = faiss.IndexIVFScalarQuantizer(quant, self.dim, nlist,
                                                    faiss.ScalarQuantizer.QT_8bit,
                                                    faiss.METRIC_INNER_PRODUCT)
            else:
                ivf = faiss.IndexIVFFlat(quant, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            ivf.train(v[rng.choice(len(v), min(len(v), 40 * nlist), replace=False)])
            ivf.add_with_ids(v, np.arange(len(v), dtype=np.int64))
            self.index = ivf
        self.vectors = v

    def set_effort(self, effort: int) -> None:
        if self.name.startswith("usearch"):
            self.index.expansion_search = effort
        elif self.name == "hnswlib":
            self.index.set_ef(effort)
        elif self.name == "faiss-hnsw":
            import faiss

            faiss.downcast_index(self.index.index).hnsw.efSearch = effort
        elif self.name.startswith("faiss-ivf"):
            self.index.nprobe = effort

    def search(self, q: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
        if self.name.endswith(("i8", "sq8")):
            rows = self._search(q, max(k, RESCORE))
            rows = rows[rows >= 0]
            scores = self.vectors[rows] @ q
            return rows[np.argsort(-scores)[:k]]
        return self._search(q, k)

    def _search(self, q: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
        if self.name.startswith("usearch"):
            return np.asarray(self.index.search(q, k, threads=1).keys, dtype=np.int64)
        if self.name == "hnswlib":
            labels, _ = self.index.knn_query(q[None, :], k=k, num_threads=1)
            return np.asarray(labels[0], dtype=np.int64)
        _, ids = self.index.search(q[None, :], k)
        return np.asarray(ids[0], dtype=np.int64)

    def add_one(self, key: int, v: npt.NDArray[np.float32]) -> None:
        if self.name.startswith("usearch"):
            self.index.add(key, v)
        elif self.name == "hnswlib":
            self.index.add_items(v[None, :], [key])
        else:
            self.index.add_with_ids(v[None, :], np.array([key], dtype=np.int64))

    def save(self, path: Path) -> None:
        if self.name.startswith("usearch"):
            self.index.save(str(path))
        elif self.name == "hnswlib":
            self.index.save_index(str(path))
        else:
            import faiss

            faiss.write_index(self.index, str(path))

    def load(self, path: Path, view: bool) -> Any:
        if self.name.startswith("usearch"):
            from usearch.index import Index

            return Index.restore(str(path), view=view)
        if self.name == "hnswlib":
            if view:
                return None
            import hnswlib

            idx = hnswlib.Index(space="ip", dim=self.dim)
            idx.load_index(str(path), max_elements=self.n + 1000)
            return idx
        import faiss

        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP if view else 0)


def run_one(name: str, n: int, cache: Path) -> dict[str, Any]:
    v, q, truth, ftruth = _data(n, cache)
    keep = np.arange(n) % 10 == 3
    c = Candidate(name, v.shape[1], n)
    rss0 = _rss_mb()
    t = time.perf_counter()
    c.build(v)
    out: dict[str, Any] = {"candidate": name, "n": n, "build_s": time.perf_counter() - t,
                           "rss_growth_mb": _rss_mb() - rss0}
    # Smallest effort reaching recall 0.95 (efSearch / nprobe), then time it.
    efforts = [4, 8, 16, 24, 32, 48, 64] if name.startswith("faiss-ivf") else [
        16, 32, 48, 64, 96, 128, 192, 256]
    for effort in efforts:
        c.set_effort(effort)
        found = [c.search(q[i], 10) for i in range(QUERIES)]
        recall = np.mean([len(set(f) & set(tr)) / 10 for f, tr in zip(found, truth,
                                                                        strict=True)])
        if recall >= 0.95 or effort == efforts[-1]:
            break
    times = []
    for i in range(QUERIES):
        s = time.perf_counter()
        c.search(q[i], 10)
        times.append(time.perf_counter() - s)
    out.update(effort=effort, recall_at_10=float(recall),
               query_p50_ms=float(np.median(times) * 1000))
    # Filtered (10% pass): oversample 10/0.1 * 2 candidates, keep those passing.
    ftimes, frecall = [], []
    for i in range(QUERIES):
        s = time.perf_counter()
        c.set_effort(effort if name.startswith("faiss-ivf") else max(effort, 200))
        got = [int(r) for r in c.search(q[i], 200) if r >= 0 and keep[r]][:10]
        ftimes.append(time.perf_counter() - s)
        frecall.append(len(set(got) & set(ftruth[i].tolist())) / 10)
    c.set_effort(effort)
    out.update(filtered_oversampled_p50_ms=float(np.median(ftimes) * 1000),
               filtered_oversampled_recall=float(np.mean(frecall)))
    extra = clustered_vectors(100, seed=5)
    adds = []
    for i in range(100):
        s = time.perf_counter()
        c.add_one(n + i, extra[i])
        adds.append(time.perf_counter() - s)
    out["add_one_p50_ms"] = float(np.median(adds) * 1000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.bin"
        s = time.perf_counter()
        c.save(path)
        out["save_s"] = time.perf_counter() - s
        out["file_mb"] = path.stat().st_size / 1e6
        del c.index
        for view in (False, True):
            s = time.perf_counter()
            loaded = c.load(path, view)
            if loaded is None:
                continue
            c.index = loaded
            c.set_effort(effort)
            c.search(q[0], 10)
            out["view_to_first_search_s" if view else "load_to_first_search_s"] = \
                time.perf_counter() - s
            c.index = loaded = None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scale.ann")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--cache", type=Path, default=Path(__file__).parent.parent / ".cache")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.n, args.cache)), flush=True)
        return
    _data(args.n, args.cache)  # made once, outside the timed processes
    for name in args.candidates.split(","):
        r = subprocess.run([sys.executable, "-m", "bench.scale.ann", "--n", str(args.n),
                            "--one", name, "--cache", str(args.cache)],
                           capture_output=True, text=True, env={**os.environ})
        line = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() \
            else json.dumps({"candidate": name, "error": r.stderr[-800:]})
        print(line, flush=True)


if __name__ == "__main__":
    main()
