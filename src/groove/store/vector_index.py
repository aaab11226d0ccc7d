"""Cosine search over all stored vectors, held in memory beside Cozo.

Cozo stays the system of record for vectors; this index is a cache of them, loaded
from the side file (`sidecar.py`) or rebuilt from Cozo, and kept in step by every
write. Measured on this 2-core machine, Cozo's HNSW costs 4-18 ms per insert and
2-8 ms per query, while an exact numpy scan of 5,000 vectors costs about a millisecond
with perfect recall. Past `ANN_MIN_ROWS` rows an approximate index (`ann.py`) sits in
front of the exact scan. Filters (scope, category) always apply
*before* the top-k cut: a filtered search returns `limit` results whenever that many
match.

Rows are append-only: a changed vector gets a new row and its old row becomes a
tombstone (skipped by every search), so row numbers are stable keys for the
approximate index and the side file only ever grows at its end between compactions.
Rows live in fixed-size blocks: growing never copies the matrix, so 1,000,000
vectors never need twice their 1.5 GB for a moment. A store's index keeps them in a
`RowFile` (the vector side file itself, appended and read through memory maps), so
they cost page cache, not process memory: a search reads the ~40 rows it rescores
with `pread` (`RowFile.read_rows`); full scans (a build, a check) drop the pages they
touched from the process as they go.
"""

from __future__ import annotations

import mmap
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from groove.domain.embedding import Vector

if TYPE_CHECKING:
    from groove.store.ann import Ann

BLOCK_ROWS = 1 << 14
"""Rows per block (24 MB at 384-d; untouched pages of a new block cost no memory)."""
_BLOCK_SHIFT = 14
_MASK = BLOCK_ROWS - 1
DEAD = -1
"""Scope code of a tombstone row."""

ANN_MIN_ROWS = 5_000
"""Live rows from which the approximate index is built. Measured here with cold caches
(a search comes after the embedder has run): an exact scan of 6,000 384-d vectors costs
1.25 ms, of 10,000 1.9 ms (15 MB read from memory), the IVF search with float16 codes
0.3 ms at recall@10 1.0 (see `ann.FINE_BELOW`), built in 0.2 s; at 4,096 both take
0.9 ms."""
EXACT_SUBSET_ROWS = 4096
"""A filter that keeps at most this many rows is answered by an exact scan of them
(exact, ~1 ms, and few pages read); more go to the approximate index with the filter
inside its search (a bitmap of the passing rows)."""
RESCORE = 40
"""Candidates the approximate index proposes, rescored exactly in float32."""


class Codes:
    """Small integer codes for strings, so filters are vector comparisons."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self.values: list[str] = []
        self.code_of: dict[str, int] = {}
        for v in values:
            self.code(v)

    def code(self, value: str) -> int:
        code = self.code_of.get(value)
        if code is None:
            code = self.code_of[value] = len(self.values)
            self.values.append(value)
        return code

    def codes(self, values: Iterable[str]) -> list[int]:
        return [self.code_of[v] for v in values if v in self.code_of]


class RowFile:
    """float32 rows appended to a file and read through one memory map per block.

    Appends are `pwrite`s at the end (no fsync until `sync`); the checksum runs over the
    bytes as they are appended. Blocks are mapped read-only and the file is extended
    (sparsely) to whole blocks, so a map never has to grow."""

    def __init__(self, path: Path, dim: int, rows: int = 0, crc: int = 0, *,
                 truncate: bool = False):
        self.path, self.dim = path, dim
        self.rows, self.crc = rows, crc
        self.row_bytes = dim * 4
        self.block_bytes = BLOCK_ROWS * self.row_bytes
        flags = os.O_RDWR | os.O_CREAT | (os.O_TRUNC if truncate else 0)
        self.fd = os.open(path, flags, 0o600)
        self._maps: list[mmap.mmap] = []
        self.blocks: list[npt.NDArray[np.float32]] = []
        self._map_upto(rows)

    def _map_upto(self, rows: int) -> None:
        while len(self.blocks) * BLOCK_ROWS < rows:
            b = len(self.blocks)
            end = (b + 1) * self.block_bytes
            if os.fstat(self.fd).st_size < end:
                os.ftruncate(self.fd, end)
            mm = mmap.mmap(self.fd, self.block_bytes, flags=mmap.MAP_SHARED,
                           prot=mmap.PROT_READ, offset=b * self.block_bytes)
            self._maps.append(mm)
            self.blocks.append(np.frombuffer(mm, dtype=np.float32).reshape(BLOCK_ROWS, self.dim))

    def append(self, vectors: npt.NDArray[np.float32]) -> None:
        data = np.ascontiguousarray(vectors, dtype=np.float32).tobytes()
        offset = self.rows * self.row_bytes
        done = 0
        while done < len(data):
            done += os.pwrite(self.fd, data[done:], offset + done)
        self.crc = zlib.crc32(data, self.crc)
        self.rows += len(vectors)
        self._map_upto(self.rows)

    def read_rows(self, rows: Iterable[int]) -> npt.NDArray[np.float32]:
        """Rows read with `pread`, not through the maps (read once the file is closed).

        A fault on a file map maps the cached pages around it too (fault-around, 64 KB),
        so reading a search's ~40 scattered rows through the maps left the whole file
        resident after a few hundred searches (measured at 100,000 rows: +120 MB RSS in
        200 searches); read this way the rows cost page cache, not process memory, and
        40 rows take ~55 us instead of ~30 us warm through the maps."""
        rows = list(rows)
        if self.fd < 0:
            return np.stack([self.blocks[r >> _BLOCK_SHIFT][r & _MASK] for r in rows]) \
                if rows else np.empty((0, self.dim), dtype=np.float32)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        view = out.data.cast("B")
        size = self.row_bytes
        for k, r in enumerate(rows):
            if not 0 <= r < self.rows:
                raise IndexError(f"row {r} of {self.rows}")
            if os.preadv(self.fd, [view[k * size:(k + 1) * size]], r * size) != size:
                raise OSError(f"{self.path.name}: short read at row {r}")
        return out

    def sync(self) -> None:
        os.fsync(self.fd)

    def drop_pages(self, block: int | None = None, lo: int = 0, hi: int = BLOCK_ROWS) -> None:
        """Unmap the pages a full scan touched (of rows lo:hi of one block, or all) from
        this process (the page cache keeps them; the next touch maps them again). Pages
        that only partly hold those rows are kept."""
        if block is not None:
            page = mmap.PAGESIZE
            start = -(-lo * self.row_bytes // page) * page
            end = self.block_bytes if hi >= BLOCK_ROWS else hi * self.row_bytes // page * page
            if end > start:
                self._maps[block].madvise(mmap.MADV_DONTNEED, start, end - start)
            return
        for mm in self._maps:
            mm.madvise(mmap.MADV_DONTNEED)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class VectorIndex:
    def __init__(self, dim: int, file: RowFile | None = None):
        self.dim = dim
        self.file = file
        """Where the rows live (None: in process memory)."""
        self.blocks: list[npt.NDArray[np.float32]] = [] if file is None else file.blocks
        self.ids: list[str] = []
        """The id of every row, tombstones included (their id may live on in a later row)."""
        self._row: dict[str, int] = {}
        self.codes = np.zeros((0, 2), dtype=np.int32)
        """Per row: scope code (DEAD for a tombstone), category code."""
        self.scopes = Codes()
        self.categories = Codes()
        self.ann: Ann | None = None
        self.changed_rows: set[int] = set()
        """Rows written or tombstoned since the side file was last saved."""

    # -- size and lookup ---------------------------------------------------------

    def __len__(self) -> int:
        """Live vectors."""
        return len(self._row)

    def __contains__(self, id: str) -> bool:
        return id in self._row

    @property
    def rows(self) -> int:
        """Rows used, tombstones included."""
        return len(self.ids)

    @property
    def dead(self) -> int:
        return self.rows - len(self._row)

    def row_of(self, id: str) -> int | None:
        return self._row.get(id)

    def live_ids(self) -> Iterator[str]:
        return iter(self._row)

    def vector(self, id: str) -> Vector | None:
        row = self._row.get(id)
        return None if row is None else self.vectors_of_rows(np.array([row], dtype=np.int64))[0]

    def cosines(self, query: Vector, ids: Iterable[str]) -> dict[str, float]:
        """`query`'s cosine to each of `ids` that has a vector, their rows read at once
        (one `pread` each and one product, not a read and a product per id)."""
        found = [(id, row) for id in ids if (row := self._row.get(id)) is not None]
        if not found:
            return {}
        scores = self.vectors_of_rows(np.array([r for _, r in found], dtype=np.int64)) @ query
        return {id: float(x) for (id, _), x in zip(found, scores.tolist(), strict=True)}

    def vectors_of_rows(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The vectors of `rows` (any order), gathered block by block (a few rows of a
        file-backed index: read from the file, see `RowFile.read_rows`, unless the index is
        one block: its rows are read through the map, at most 24 MB resident for ~50 us
        less a search than a `pread` per row)."""
        if self.rows <= BLOCK_ROWS:
            return self.blocks[0][rows] if self.blocks else \
                np.empty((0, self.dim), dtype=np.float32)
        if len(rows) <= 64 and self.file is not None:
            return self.file.read_rows(rows.tolist())
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        if len(rows) <= 64:
            for k, r in enumerate(rows.tolist()):
                out[k] = self.blocks[r >> _BLOCK_SHIFT][r & _MASK]
            return out
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        which = ordered >> _BLOCK_SHIFT
        cuts = np.flatnonzero(np.diff(which)) + 1
        for part in np.split(np.arange(len(ordered)), cuts):
            b = int(which[part[0]])
            out[order[part]] = self.blocks[b][ordered[part] & _MASK]
        return out

    def feed(self, ann: Ann, rows: npt.NDArray[np.int64]) -> None:
        """Add `rows` to `ann` (catching up a build or a loaded index) a piece at a time,
        giving back the pages each piece read: a long tail is never copied, or mapped,
        whole."""
        from groove.store.ann import PIECE_ROWS

        for a in range(0, len(rows), PIECE_ROWS):
            part = rows[a:a + PIECE_ROWS]
            ann.add(part, self.vectors_of_rows(part))
            for b in np.unique(part >> _BLOCK_SHIFT).tolist():
                self.drop_pages(b)

    def drop_pages(self, block: int | None = None, lo: int = 0, hi: int = BLOCK_ROWS) -> None:
        """After a full scan: give the touched pages of a file-backed index back (of rows
        lo:hi of one block, or all)."""
        if self.file is not None:
            self.file.drop_pages(block, lo, hi)

    def iter_blocks(self, upto: int | None = None) -> Iterator[npt.NDArray[np.float32]]:
        """The used part of each block, in row order, up to row `upto` (default: all)."""
        n = self.rows if upto is None else upto
        for b, block in enumerate(self.blocks):
            start = b * BLOCK_ROWS
            if start >= n:
                return
            yield block[: min(BLOCK_ROWS, n - start)]

    # -- writes ------------------------------------------------------------------

    def upsert(self, id: str, vector: Vector, scope: str, category: str) -> None:
        """Add or replace `id`'s vector; the same vector again only updates its filters."""
        row = self._row.get(id)
        if row is not None:
            if np.array_equal(self.vectors_of_rows(np.array([row])), vector[None, :]):
                self.set_meta(id, scope, category)
                return
            self.remove(id)
        self.bulk_load([id], np.asarray(vector, dtype=np.float32)[None, :], [scope], [category])

    def put_many(self, ids: list[str], vectors: list[Vector] | Vector, scopes: list[str],
                 categories: list[str]) -> None:
        """Add or replace many vectors (a list, or one row each of a matrix) at once: one
        append, one approximate-index add."""
        for id in ids:
            self.remove(id)
        matrix = vectors if isinstance(vectors, np.ndarray) else np.stack(vectors)
        self.bulk_load(ids, matrix.astype(np.float32, copy=False), scopes, categories)

    def bulk_load(self, ids: list[str], vectors: npt.NDArray[np.float32],
                  scopes: list[str], categories: list[str]) -> None:
        """Append rows for ids not in the index (callers remove a replaced id first)."""
        n = len(ids)
        if n == 0:
            return
        start = self.rows
        self._grow(start + n)
        if self.file is not None:
            assert self.file.rows == start, "a file-backed index appends at the file's end"
            self.file.append(vectors)
        else:
            done = 0
            while done < n:
                row = start + done
                block, offset = row >> _BLOCK_SHIFT, row & _MASK
                take = min(n - done, BLOCK_ROWS - offset)
                self.blocks[block][offset:offset + take] = vectors[done:done + take]
                done += take
        self.codes[start:start + n, 0] = [self.scopes.code(s) for s in scopes]
        self.codes[start:start + n, 1] = [self.categories.code(c) for c in categories]
        for i, id in enumerate(ids):
            self._row[id] = start + i
        self.ids.extend(ids)
        self.changed_rows.update(range(start, start + n))
        if self.ann is not None:
            self.ann.add(np.arange(start, start + n, dtype=np.int64), vectors)

    def set_meta(self, id: str, scope: str, category: str) -> None:
        row = self._row.get(id)
        if row is not None:
            self.codes[row] = (self.scopes.code(scope), self.categories.code(category))
            self.changed_rows.add(row)

    def remove(self, id: str) -> None:
        """Tombstone `id`'s row: O(1) here; the approximate index forgets it too."""
        row = self._row.pop(id, None)
        if row is None:
            return
        self.codes[row, 0] = DEAD
        self.changed_rows.add(row)
        if self.ann is not None:
            self.ann.remove(np.array([row], dtype=np.int64))

    def restore(self, file: RowFile, ids: list[str], codes: npt.NDArray[np.int32],
                scopes: list[str], categories: list[str]) -> None:
        """Take rows from a side file as they are (validated by the caller)."""
        self.file, self.blocks, self.ids = file, file.blocks, ids
        self.codes = codes
        self.scopes, self.categories = Codes(scopes), Codes(categories)
        self._row = {ids[r]: r for r in np.flatnonzero(codes[:, 0] != DEAD).tolist()}
        self.changed_rows = set()

    def _grow(self, needed: int) -> None:
        while self.file is None and len(self.blocks) * BLOCK_ROWS < needed:
            self.blocks.append(np.zeros((BLOCK_ROWS, self.dim), dtype=np.float32))
        if len(self.codes) < needed:
            grown = np.full((max(needed, 2 * len(self.codes), 1024), 2), DEAD, dtype=np.int32)
            grown[: len(self.codes)] = self.codes
            self.codes = grown

    # -- search ------------------------------------------------------------------

    def filter_mask(self, scopes: Iterable[str] | None, categories: Iterable[str] | None
                    ) -> npt.NDArray[np.bool_]:
        """Rows that are alive and pass the filters."""
        codes = self.codes[: self.rows]
        mask: npt.NDArray[np.bool_] = codes[:, 0] != DEAD
        if scopes is not None:
            mask &= np.isin(codes[:, 0], self.scopes.codes(scopes))
        if categories is not None:
            mask &= np.isin(codes[:, 1], self.categories.codes(categories))
        return mask

    def search(
        self,
        query: Vector,
        k: int,
        *,
        scopes: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        threshold: float | None = None,
        exact: bool = False,
    ) -> list[tuple[str, float]]:
        """Top-k (id, cosine similarity) best first; `query` must be a unit vector.

        Exact below `ANN_MIN_ROWS` live rows, for a filter that keeps few rows, and when
        asked (`exact`); otherwise the approximate index proposes candidates (only rows
        passing the filters) that are rescored exactly, and an exact scan answers
        whenever it proposes fewer than `k` that pass."""
        if len(self._row) == 0 or k <= 0:
            return []
        scopes = None if scopes is None else list(scopes)
        categories = None if categories is None else list(categories)
        filtered = scopes is not None or categories is not None
        ann = self.ann
        if ann is not None and not exact:
            mask = self.filter_mask(scopes, categories) if filtered else None
            passing = len(self._row) if mask is None else int(np.count_nonzero(mask))
            if passing > EXACT_SUBSET_ROWS:
                rows = ann.search(query, max(k, RESCORE), mask, passing / len(self._row))
                hits = self._rescore(query, rows, k, threshold)
                if len(hits) >= min(k, passing) or threshold is not None:
                    return hits
            return self._exact(query, k, mask, threshold)
        mask = self.filter_mask(scopes, categories) if filtered or self.dead else None
        return self._exact(query, k, mask, threshold)

    def _rescore(self, query: Vector, rows: npt.NDArray[np.int64], k: int,
                 threshold: float | None) -> list[tuple[str, float]]:
        rows = rows[rows >= 0]
        if rows.size == 0:
            return []
        rows = rows[self.codes[rows, 0] != DEAD]
        scores = self.vectors_of_rows(rows) @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[int(rows[o])], _clip(scores[o])) for o in order
                if threshold is None or scores[o] >= threshold]

    def _exact(self, query: Vector, k: int, mask: npt.NDArray[np.bool_] | None,
               threshold: float | None) -> list[tuple[str, float]]:
        n = self.rows
        if mask is not None and np.count_nonzero(mask) <= n // 8:
            rows = np.flatnonzero(mask)  # a selective filter: score only the rows it keeps
            if rows.size == 0:
                return []
            scores = self.vectors_of_rows(rows) @ query
        else:
            scores = np.concatenate([b @ query for b in self.iter_blocks()]) if n else \
                np.zeros(0, dtype=np.float32)
            rows = np.arange(n)
            if mask is not None:
                rows = np.flatnonzero(mask)
                scores = scores[rows]
        if threshold is not None:
            above = scores >= threshold
            rows, scores = rows[above], scores[above]
        top = _top_k(scores, k)
        # float32 rounding can push a unit dot product a hair past +-1
        return [(self.ids[int(rows[t])], _clip(scores[t])) for t in top]


def _clip(score: np.floating | float) -> float:
    return max(-1.0, min(1.0, float(score)))


def _top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    if k >= scores.size:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
