"""The approximate index in front of the exact scan: IVF over 8-bit codes (faiss), or
float16 codes for a small tier (`FINE_BELOW`).

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt

TARGET_RECALL = 0.97
FINE_BELOW = 20_000
"""Below this many rows the codes are float16 instead of 8-bit and the calibration asks
for `FINE_RECALL`: a tier of 5,000-20,000 learnings still gets what an exact scan finds
(measured at 10,000 clustered vectors, cold caches: exact scan 1.9 ms; IVF-fp16 with
nprobe 6 of 200 lists and 40 rescored 0.30 ms, recall@10 1.0; 8-bit codes gave 0.97-0.98
at the same speed), for 768 bytes a vector (at most 15 MB)."""
FINE_RECALL = 0.995
NPROBES = (4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
_CALIBRATION_QUERIES = 48
_TRAIN_PER_LIST = 40
"""Training points per list: faiss warns below 39."""
_KMEANS_ITERATIONS = 12
PIECE_ROWS = 4096
"""Rows a build reads at a time (6 MB at 384-d, whole pages for any dimension; divides
`BLOCK_ROWS`): touched pages are released after each piece, not after each 24 MB block."""
Release = Callable[[int, int, int], None]
"""`release(block, lo, hi)`: a build is done reading rows lo:hi of that block."""
_build_lock = threading.Lock()
MMAP_THRESHOLD = 1 << 20
"""glibc's mmap threshold, fixed for a process that builds or loads an approximate index
(`pin_mmap_threshold`): allocations from 1 MB up get pages of their own, returned when
freed. glibc starts at 128 KB but raises the threshold to the size of every larger block
freed (up to 32 MB); a build frees blocks of 10-35 MB, after which RocksDB's write
batches and memtables and numpy's temporaries all come from its heaps, where freed
memory stays resident. Measured in `python -m bench --sizes 100000`'s groove worker
(bulk load with builds at 5,000, 20,000 and 80,000 rows, then searches): malloc held
~200 MB free but resident after the load and the run peaked at ~625 MB; fixed at 1 MB,
~565 MB. 128 KB peaked ~10 MB lower but made each filtered search's 100-400 KB masks
fresh pages (+0.3 ms at 100,000 rows); 1 MB cost searches nothing measurable."""
_pinned = False


def pin_mmap_threshold() -> None:
    """Fix glibc's mmap threshold at `MMAP_THRESHOLD` (once; a no-op off glibc, or when
    the process was started with its own `MALLOC_MMAP_THRESHOLD_`)."""
    global _pinned
    if _pinned:
        return
    _pinned = True
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, MMAP_THRESHOLD)  # -3: M_MMAP_THRESHOLD


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
              *, threads: int | None = None, seed: int = 0,
              release: Release | None = None) -> Ann:
        """Train on a sample of the live rows, add them all, calibrate `nprobe`.

        `blocks` are row-ordered slices of the matrix (together `len(live)` rows), read
        in two passes of `PIECE_ROWS` rows at a time; `release(b, lo, hi)` is called
        after rows `lo:hi` of block `b` were read (a file-backed index unmaps their
        pages), so neither the matrix nor a block is held whole, and no piece is copied
        unless it holds tombstones."""
        from groove.store.vector_index import RESCORE

        pin_mmap_threshold()
        dim = blocks[0].shape[1]
        release = release or _keep
        rows = np.flatnonzero(live)
        n = rows.size
        nlist = lists_for(n)
        fine = n < FINE_BELOW
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(rows, size=min(n, _TRAIN_PER_LIST * nlist), replace=False))
        probes = np.sort(rng.choice(rows, size=min(_CALIBRATION_QUERIES, n), replace=False))
        queries = _gather(blocks, probes, release)
        # pass 1: the training sample and the probes' exact top-10
        train = np.empty((len(sample), dim), dtype=np.float32)
        best_s = np.full((len(probes), 10), -np.inf, dtype=np.float32)
        best_i = np.zeros((len(probes), 10), dtype=np.int64)
        for b, lo, hi, first, piece in _pieces(blocks):
            end = first + len(piece)
            a, z = np.searchsorted(sample, [first, end])
            train[a:z] = piece[sample[a:z] - first]
            scores = queries @ piece.T
            scores[:, ~live[first:end]] = -np.inf
            own = (probes >= first) & (probes < end)
            scores[np.flatnonzero(own), probes[own] - first] = -np.inf  # not itself
            cat_s = np.concatenate([best_s, scores], axis=1)
            cat_i = np.concatenate([best_i, np.broadcast_to(
                np.arange(first, end), scores.shape)], axis=1)
            keep = np.argpartition(-cat_s, 9, axis=1)[:, :10]
            best_s = np.take_along_axis(cat_s, keep, 1)
            best_i = np.take_along_axis(cat_i, keep, 1)
            release(b, lo, hi)
        truth = [set(r.tolist()) for r in best_i]
        with _build_lock, _threads(threads):
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, nlist, faiss.ScalarQuantizer.QT_fp16 if fine
                else faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            index.own_fields = False
            index.cp.niter = _KMEANS_ITERATIONS
            index.cp.seed = seed
            _train(index, quantizer, train)
            del train
            # pass 2: every live row
            for b, lo, hi, first, piece in _pieces(blocks):
                keep_rows = live[first:first + len(piece)]
                ids = np.arange(first, first + len(piece), dtype=np.int64)
                if keep_rows.all():
                    index.add_with_ids(piece, ids)
                elif keep_rows.any():
                    index.add_with_ids(np.ascontiguousarray(piece[keep_rows]), ids[keep_rows])
                release(b, lo, hi)
        ann = cls(index, NPROBES[-1], int(n), quantizer)
        ann.nprobe = ann._calibrate(queries, probes, truth, blocks, RESCORE,
                                    FINE_RECALL if fine else TARGET_RECALL, release)
        return ann

    def _calibrate(self, queries: npt.NDArray[np.float32], probes: npt.NDArray[np.int64],
                   truth: list[set[int]], blocks: list[npt.NDArray[np.float32]],
                   rescore: int, target: float, release: Release) -> int:
        """The smallest nprobe whose top-10 (after exact rescoring of `rescore`
        candidates) holds `target` of the probes' exact top-10 neighbours.

        Each nprobe's candidates are read a piece at a time, each piece released after:
        read one by one through a file's maps, their ~2,000 scattered rows a round left
        most of the file resident (a fault maps the pages around it too; +110 MB at
        80,000 rows)."""
        for nprobe in NPROBES:
            _, found = self.index.search(queries, rescore + 1, params=_params(nprobe))
            rows = np.unique(found[found >= 0])
            vecs = _gather(blocks, rows, release)
            hits = 0
            for q, cands in enumerate(found):
                cands = cands[(cands >= 0) & (cands != probes[q])]
                at = np.searchsorted(rows, cands)
                top = cands[np.argsort(-(vecs[at] @ queries[q]))[:10]]
                hits += len(set(top.tolist()) & truth[q])
            if hits / (10 * len(truth)) >= target:
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
        pin_mmap_threshold()
        return cls(faiss.read_index(str(path)), nprobe, trained_on)


def _train(index: Any, quantizer: Any, train: npt.NDArray[np.float32]) -> None:
    """What `index.train(train)` does, to the same trained state (k-means for the lists,
    then each dimension's range of the residuals for 8-bit codes), without faiss's copy of
    every training vector's residual, as large as `train` itself (35 MB at 80,000 rows,
    70 MB at 320,000): the ranges are the min and max of residuals taken a piece at a
    time, and the quantizer's min-max training on just those two rows sets the same
    ranges."""
    faiss.Clustering(index.d, index.nlist, index.cp).train(train, quantizer)
    if index.sq.qtype == faiss.ScalarQuantizer.QT_8bit:
        centroids = quantizer.reconstruct_n(0, index.nlist)
        low = np.full(index.d, np.inf, dtype=np.float32)
        high = np.full(index.d, -np.inf, dtype=np.float32)
        for a in range(0, len(train), PIECE_ROWS):
            piece = train[a:a + PIECE_ROWS]
            _, lists = quantizer.search(piece, 1)
            residuals = piece - centroids[lists[:, 0]]
            np.minimum(low, residuals.min(axis=0), out=low)
            np.maximum(high, residuals.max(axis=0), out=high)
        index.sq.train(np.stack([low, high]))
    index.is_trained = True


def _pieces(blocks: list[npt.NDArray[np.float32]]
            ) -> Iterator[tuple[int, int, int, int, npt.NDArray[np.float32]]]:
    """(block, lo, hi, first row, rows lo:hi of the block) for every `PIECE_ROWS` rows."""
    from groove.store.vector_index import BLOCK_ROWS

    for b, block in enumerate(blocks):
        for lo in range(0, len(block), PIECE_ROWS):
            hi = min(len(block), lo + PIECE_ROWS)
            yield b, lo, hi, b * BLOCK_ROWS + lo, block[lo:hi]


def _gather(blocks: list[npt.NDArray[np.float32]], rows: npt.NDArray[np.int64],
            release: Release) -> npt.NDArray[np.float32]:
    """The vectors of sorted `rows`, read a piece at a time, each piece released after
    (scattered rows read through a file's maps bring the pages around them along)."""
    from groove.store.vector_index import BLOCK_ROWS

    out = np.empty((len(rows), blocks[0].shape[1]), dtype=np.float32)
    which = rows // PIECE_ROWS
    for p in np.unique(which).tolist():
        a, z = np.searchsorted(which, [p, p + 1])
        first = p * PIECE_ROWS
        b, lo = divmod(first, BLOCK_ROWS)
        out[a:z] = blocks[b][rows[a:z] - b * BLOCK_ROWS]
        release(b, lo, lo + PIECE_ROWS)
    return out


def _keep(_block: int, _lo: int, _hi: int) -> None:
    """The default `Release`: an in-memory matrix has nothing to give back."""


def _params(nprobe: int) -> Any:
    params = faiss.SearchParametersIVF()
    params.nprobe = nprobe
    return params


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """faiss's OpenMP threads for a build (all cores by default), then one again: a single
    query gains nothing from more, and must not fight the build or the embedder."""
    faiss.omp_set_num_threads(n or os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)
