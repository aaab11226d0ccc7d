"""Exact cosine search over all stored vectors, held in memory beside Cozo.

Measured on this 2-core machine, Cozo's HNSW costs 4-18 ms per incremental
insert and 2-8 ms per query, while an exact scan of 10,000 unit vectors with
numpy costs well under a millisecond and has perfect recall. So Cozo stays the
system of record for vectors and this index is a cache rebuilt from it on
first use. Filters run *before* the top-k cut, so a filtered search returns
`limit` results whenever that many match.

Vectors are stored as the columns of a (dim x capacity) matrix: `query @ M`
measured 1.5x faster here than `rows @ query` over the same data at 100,000.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from groove.domain.embedding import Vector

_MIN_CAPACITY = 1024


class _Codes:
    """Small integer codes for strings, so filters are vector comparisons."""

    def __init__(self) -> None:
        self.code_of: dict[str, int] = {}

    def code(self, value: str) -> int:
        return self.code_of.setdefault(value, len(self.code_of))

    def codes(self, values: Iterable[str]) -> list[int]:
        return [self.code_of[v] for v in values if v in self.code_of]


class VectorIndex:
    def __init__(self, dim: int):
        self.dim = dim
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._mat = np.zeros((dim, _MIN_CAPACITY), dtype=np.float32)
        self._scope = np.zeros(_MIN_CAPACITY, dtype=np.int32)
        self._category = np.zeros(_MIN_CAPACITY, dtype=np.int32)
        self._scopes = _Codes()
        self._categories = _Codes()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id: str) -> bool:
        return id in self._row

    def vector(self, id: str) -> Vector | None:
        row = self._row.get(id)
        return None if row is None else self._mat[:, row].copy()

    def upsert(self, id: str, vector: Vector, scope: str, category: str) -> None:
        row = self._row.get(id)
        if row is None:
            row = len(self._ids)
            self._grow(row + 1)
            self._ids.append(id)
            self._row[id] = row
        self._mat[:, row] = vector
        self._scope[row] = self._scopes.code(scope)
        self._category[row] = self._categories.code(category)

    def reserve(self, n: int) -> None:
        """Size the matrix for `n` vectors at once (plus room to grow), not by doubling."""
        self._grow(n + max(_MIN_CAPACITY, n // 8), exact=True)

    def bulk_load(self, ids: list[str], vectors: npt.NDArray[np.float32],
                  scopes: list[str], categories: list[str]) -> None:
        start = len(self._ids)
        n = len(ids)
        self._grow(start + n)
        self._mat[:, start:start + n] = vectors.T
        self._scope[start:start + n] = [self._scopes.code(s) for s in scopes]
        self._category[start:start + n] = [self._categories.code(c) for c in categories]
        for i, id in enumerate(ids):
            self._row[id] = start + i
        self._ids.extend(ids)

    def set_meta(self, id: str, scope: str, category: str) -> None:
        row = self._row.get(id)
        if row is not None:
            self._scope[row] = self._scopes.code(scope)
            self._category[row] = self._categories.code(category)

    def remove(self, id: str) -> None:
        """Swap the last row into the hole: O(1), order does not matter for search."""
        row = self._row.pop(id, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            self._row[moved] = row
            self._mat[:, row] = self._mat[:, last]
            self._scope[row] = self._scope[last]
            self._category[row] = self._category[last]
        self._ids.pop()

    def search(
        self,
        query: Vector,
        k: int,
        *,
        scopes: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        threshold: float | None = None,
    ) -> list[tuple[str, float]]:
        """Top-k (id, cosine similarity) best first; `query` must be a unit vector."""
        n = len(self._ids)
        if n == 0 or k <= 0:
            return []
        scores = query @ self._mat[:, :n]
        mask: npt.NDArray[np.bool_] | None = None
        if scopes is not None:
            mask = np.isin(self._scope[:n], self._scopes.codes(scopes))
        if categories is not None:
            cat_mask = np.isin(self._category[:n], self._categories.codes(categories))
            mask = cat_mask if mask is None else mask & cat_mask
        if threshold is not None:
            above = scores >= threshold
            mask = above if mask is None else mask & above
        if mask is not None:
            candidates = np.flatnonzero(mask)
            if candidates.size == 0:
                return []
            sub = scores[candidates]
            top = _top_k(sub, k)
            rows = candidates[top]
        else:
            rows = _top_k(scores, k)
        # float32 rounding can push a unit dot product a hair past +-1
        return [(self._ids[r], max(-1.0, min(1.0, float(scores[r])))) for r in rows]

    def _grow(self, needed: int, exact: bool = False) -> None:
        capacity = self._mat.shape[1]
        if needed <= capacity:
            return
        if exact:
            capacity = needed
        while capacity < needed:
            capacity *= 2
        mat = np.zeros((self.dim, capacity), dtype=np.float32)
        mat[:, : len(self._ids)] = self._mat[:, : len(self._ids)]
        self._mat = mat
        self._scope = np.resize(self._scope, capacity)
        self._category = np.resize(self._category, capacity)


def _top_k(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.intp]:
    if k >= scores.size:
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
