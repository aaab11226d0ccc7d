"""The approximate index in front of the exact scan: IVF over 8-bit codes (faiss).

Chosen by measurement (bench/scale/ann.py, 2 cores, clustered 384-d unit vectors,
recall@10 against an exact scan). At 100,000: faiss IVF-SQ8 with exact rescoring of
40 candidates built in 3.8 s, answered in 0.17 ms at recall 0.98, added one vector in
0.03 ms and grew memory by 77 MB (a 41 MB file, loaded in 15 ms); usearch HNSW
(f16) needed 17 s, 0.51 ms at recall 0.96 and 111 MB; hnswlib 19 s, 0.30 ms, 175 MB.
IVF also takes a filter *inside* the search (a bitmap of the rows that pass), so a
filtered query is not cut to `k` before its filter runs.

Keys are the rows of the `VectorIndex` matrix. The index stores 8-bit codes only; the
float32 vectors it proposes are rescored exactly by the caller. `nprobe` is calibrated
on the data itself when built: the smallest that finds `TARGET_RECALL` of the exact
top-10 of sample rows.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

TARGET_RECALL = 0.97
NPROBES = (4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
_CALIBRATION_QUERIES = 48
_TRAIN_PER_LIST = 40
"""Training points per list: faiss warns below 39."""
_KMEANS_ITERATIONS = 12
_build_lock = threading.Lock()


def lists_for(n: int) -> int:
    """Inverted lists for `n` vectors: ~2 sqrt(n) keeps both the k-means and each probed
    list small (measured: 1M vectors in 4,000 lists built in 56 s, probing 32 cost
    1.5 ms; half the lists halve the build), with enough training points per list."""
    return max(1, min(4096, round(2 * math.sqrt(n)), n // _TRAIN_PER_LIST))


class Ann:
    """faiss IndexIVFScalarQuantizer (8-bit, inner product) keyed by matrix row."""

    def __init__(self, index: Any, nprobe: int, trained_on: int, quantizer: Any = None):
        self.index = index
        self._quantizer = quantizer
        """Kept alive as long as the index that uses it (a built index does not own it)."""
        self.nprobe = nprobe
        self.trained_on = trained_on
        """Live vectors when it was built: far more later calls for a rebuild."""

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, blocks: list[npt.NDArray[np.float32]], live: npt.NDArray[np.bool_],
              *, threads: int | None = None, seed: int = 0) -> Ann:
        """Train on a sample of the live rows, add them all, calibrate `nprobe`.

        `blocks` are row-ordered slices of the matrix (together `len(live)` rows);
        nothing is copied whole."""
        dim = blocks[0].shape[1]
        rows = np.flatnonzero(live)
        n = rows.size
        nlist = lists_for(n)
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(rows, size=min(n, _TRAIN_PER_LIST * nlist), replace=False))
        with _build_lock, _threads(threads):
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                faiss.METRIC_INNER_PRODUCT)
            index.own_fields = False
            index.cp.niter = _KMEANS_ITERATIONS
            index.cp.seed = seed
            index.train(_gather(blocks, sample))
            start = 0
            for block in blocks:
                ids = np.arange(start, start + len(block), dtype=np.int64)
                keep = live[start:start + len(block)]
                if keep.any():
                    index.add_with_ids(np.ascontiguousarray(block[keep]), ids[keep])
                start += len(block)
        ann = cls(index, NPROBES[-1], int(n), quantizer)
        ann.nprobe = ann.calibrate(blocks, live, rng)
        return ann

    def calibrate(self, blocks: list[npt.NDArray[np.float32]], live: npt.NDArray[np.bool_],
                  rng: np.random.Generator) -> int:
        """The smallest nprobe whose top-10 (after exact rescoring) holds TARGET_RECALL of
        the exact top-10 neighbours of sample rows (the row itself left out)."""
        from groove.store.vector_index import RESCORE

        rows = np.flatnonzero(live)
        queries_at = rng.choice(rows, size=min(_CALIBRATION_QUERIES, rows.size), replace=False)
        queries = _gather(blocks, queries_at)
        truth: list[set[int]] = []
        for q, at in zip(queries, queries_at.tolist(), strict=True):
            scores = np.concatenate([b @ q for b in blocks])
            scores[~live] = -np.inf
            scores[at] = -np.inf
            truth.append(set(np.argpartition(-scores, 10)[:10].tolist()))
        for nprobe in NPROBES:
            params = _params(nprobe)
            _, found = self.index.search(queries, RESCORE + 1, params=params)
            hits = 0
            for q, cands in enumerate(found):
                cands = cands[(cands >= 0) & (cands != queries_at[q])]
                exact = _gather(blocks, cands) @ queries[q]
                top = cands[np.argsort(-exact)[:10]]
                hits += len(set(top.tolist()) & truth[q])
            if hits / (10 * len(truth)) >= TARGET_RECALL:
                return nprobe
        return NPROBES[-1]

    def add(self, rows: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                np.ascontiguousarray(rows, dtype=np.int64))

    def remove(self, rows: npt.NDArray[np.int64]) -> None:
        if rows.size:
            self.index.remove_ids(np.ascontiguousarray(rows, dtype=np.int64))

    def search(self, query: npt.NDArray[np.float32], k: int,
               mask: npt.NDArray[np.bool_] | None = None, share: float = 1.0
               ) -> npt.NDArray[np.int64]:
        """Up to `k` candidate rows (-1 pads), only rows whose `mask` bit is set. A filter
        keeping `share` of the rows probes 1/share as many lists: as many rows are
        scored as unfiltered (a skipped row costs a bit test), and recall holds."""
        nlist = int(self.index.nlist)
        params = _params(min(nlist, math.ceil(self.nprobe / max(share, 1e-6))))
        bits = None
        if mask is not None:
            bits = np.packbits(mask, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
        _, found = self.index.search(query[None, :], k, params=params)
        del bits  # the selector reads it until search returns
        return np.asarray(found[0], dtype=np.int64)

    # -- files -------------------------------------------------------------------

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, nprobe: int, trained_on: int) -> Ann:
        return cls(faiss.read_index(str(path)), nprobe, trained_on)


def _params(nprobe: int) -> Any:
    params = faiss.SearchParametersIVF()
    params.nprobe = nprobe
    return params


def _gather(blocks: list[npt.NDArray[np.float32]], rows: npt.NDArray[np.int64]
            ) -> npt.NDArray[np.float32]:
    from groove.store.vector_index import BLOCK_ROWS

    out = np.empty((len(rows), blocks[0].shape[1]), dtype=np.float32)
    for k, r in enumerate(rows.tolist()):
        out[k] = blocks[r // BLOCK_ROWS][r % BLOCK_ROWS]
    return out


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """faiss's OpenMP threads for a build (all cores by default), then one again: a single
    query gains nothing from more, and must not fight the build or the embedder."""
    faiss.omp_set_num_threads(n or os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)
