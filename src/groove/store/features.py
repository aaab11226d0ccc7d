"""What ranking reads about every learning of a store, in memory beside the indexes.

A ranked search weighs some forty candidates and returns ten. Reading each candidate's
row and usage stats from the engine cost ~30 us a candidate at 10,000 learnings (two
queries of ~0.2 ms each plus decoding: ~1.1 ms of a 2.8 ms search, more than the
vector and keyword searches together). With trust, activity and copy-of held here,
a search ranks from memory and reads only the rows it returns.

Like the keyword index, a cache of what Cozo stores: built from two queries on first
use (or by a server's `warm`), kept in step by every write under the engine's write
lock. Columns, not objects: ~180 bytes a learning (18 MB at 100,000, most of it the ids
in the dict), nothing for the collector to walk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from groove.domain.clock import to_micros
from groove.domain.learning import EnterpriseCuratedSource, Learning, PromotedSource, lineage
from groove.domain.usage import PRIOR_ALPHA, PRIOR_BETA, UsageStats
from groove.store.packing import pack, unpack

NO_TIME = -1
"""`last_used` of a learning never used."""


class Features(NamedTuple):
    """One learning as ranking sees it."""

    alpha: float
    beta: float
    updated: int
    """`updated_at`, in microseconds since the epoch."""
    used: int
    """`last_used` in microseconds, `NO_TIME` if never."""
    original: str | None
    """The learning this one was promoted from (copies of one learning merge)."""
    copy: bool
    """A promoted or curated copy (its `derived_from` edge merges it with the original)."""


Trust = tuple[float, float, int]
"""(alpha, beta, last used in microseconds or `NO_TIME`) of a learning's usage stats."""
Row = tuple[str, int, str | None, bool, Trust | None]
"""(id, updated_at, original, copy, trust or None: usage unchanged) of a write, taken
when it is made: a build in progress replays it later, when the objects it came from
may have changed."""


def trust_of(stats: UsageStats) -> Trust:
    return (stats.confidence_alpha, stats.confidence_beta,
            NO_TIME if stats.last_used is None else to_micros(stats.last_used))


def rows_of(learnings: Iterable[Learning], usage: Iterable[UsageStats] | None = None
            ) -> list[Row]:
    """The rows of learnings as stored (with their usage stats when those were written
    too)."""
    stats = iter(usage) if usage is not None else None
    out: list[Row] = []
    for x in learnings:
        out.append((str(x.id), to_micros(x.updated_at), *lineage(x.source),
                    None if stats is None else trust_of(next(stats))))
    return out


def _lineage(source_type: str, source_json: str | None) -> tuple[str | None, bool]:
    if source_type == PromotedSource.source_type:
        return str(json.loads(source_json or "{}").get("original_id") or "") or None, True
    return None, source_type == EnterpriseCuratedSource.source_type


class RankingFeatures:
    """Trust, activity and lineage of every learning, by id."""

    def __init__(self, capacity: int = 1024) -> None:
        self._row: dict[str, int] = {}
        self._free: list[int] = []
        self._alpha = np.full(capacity, PRIOR_ALPHA)
        self._beta = np.full(capacity, PRIOR_BETA)
        self._updated = np.zeros(capacity, dtype=np.int64)
        self._used = np.full(capacity, NO_TIME, dtype=np.int64)
        self._original: dict[str, str] = {}
        self._copies: set[str] = set()

    @classmethod
    def build(cls, learnings: Iterable[Sequence[Any]], usage: Iterable[Sequence[Any]]
              ) -> RankingFeatures:
        """From (id, updated_at, source_type, source_json) rows and
        (learning_id, last_used, alpha, beta) rows."""
        rows = list(learnings)
        out = cls(max(1024, len(rows)))
        for r in rows:
            row = out._slot(r[0])
            out._updated[row] = r[1]
            out._lineage(r[0], *_lineage(r[2], r[3]))
        for u in usage:
            at = out._row.get(u[0])
            if at is not None:
                out._set_usage(at, u[2], u[3], u[1])
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The features as flat arrays (`from_arrays` reads them back): what their saved
        file holds (`saved_indexes`)."""
        ids = list(self._row)
        at = np.array([self._row[i] for i in ids], dtype=np.int64)
        return {"ids": pack(ids), "alpha": self._alpha[at], "beta": self._beta[at],
                "updated": self._updated[at], "used": self._used[at],
                "original": pack(x for pair in self._original.items() for x in pair),
                "copies": pack(self._copies),
                "counts": np.array([len(ids), len(self._original), len(self._copies)],
                                   dtype=np.int64)}

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> RankingFeatures:
        """The features `to_arrays` wrote; a ValueError when the arrays do not fit."""
        n, originals, copies = (int(x) for x in a["counts"])
        ids = unpack(a["ids"], n)
        if any(len(a[k]) != n for k in ("alpha", "beta", "updated", "used")):
            raise ValueError("the feature arrays do not fit together")
        out = cls(max(1024, n))
        out._row = {i: r for r, i in enumerate(ids)}
        if len(out._row) != n:
            raise ValueError("the feature arrays name a learning twice")
        out._alpha[:n], out._beta[:n] = a["alpha"], a["beta"]
        out._updated[:n], out._used[:n] = a["updated"], a["used"]
        pairs = unpack(a["original"], 2 * originals)
        out._original = dict(zip(pairs[::2], pairs[1::2], strict=True))
        out._copies = set(unpack(a["copies"], copies))
        return out

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, id: object) -> bool:
        return id in self._row

    def of(self, ids: Sequence[str]) -> list[Features | None]:
        """Each id's features (None for one not held)."""
        rows = [self._row.get(i, -1) for i in ids]
        at = np.array([max(r, 0) for r in rows], dtype=np.int64)
        alpha, beta = self._alpha[at].tolist(), self._beta[at].tolist()
        updated, used = self._updated[at].tolist(), self._used[at].tolist()
        original, copies = self._original, self._copies
        return [None if rows[j] < 0 else
                Features(alpha[j], beta[j], updated[j], used[j], original.get(i), i in copies)
                for j, i in enumerate(ids)]

    # -- writes (under the store's write lock, after the engine accepted them) ---------

    def put(self, rows: Iterable[Row]) -> None:
        """Learnings as stored (`rows_of`)."""
        for id, updated, original, copy, trust in rows:
            row = self._slot(id)
            self._updated[row] = updated
            self._lineage(id, original, copy)
            if trust is not None:
                self._set_usage(row, *trust)

    def set_usage(self, id: str, trust: Trust, updated: int | None = None) -> None:
        """New usage stats (and, given, the `updated_at` written with them)."""
        row = self._row.get(id)
        if row is not None:
            self._set_usage(row, *trust)
            if updated is not None:
                self._updated[row] = updated

    def remove(self, id: str) -> None:
        row = self._row.pop(id, None)
        if row is None:
            return
        self._free.append(row)
        self._alpha[row], self._beta[row] = PRIOR_ALPHA, PRIOR_BETA
        self._updated[row], self._used[row] = 0, NO_TIME
        self._original.pop(id, None)
        self._copies.discard(id)

    # -- inside ------------------------------------------------------------------

    def _slot(self, id: str) -> int:
        row = self._row.get(id)
        if row is not None:
            return row
        if self._free:
            row = self._free.pop()
        else:
            row = len(self._row)
            if row == len(self._alpha):
                self._grow(2 * row)
        self._row[id] = row
        return row

    def _grow(self, capacity: int) -> None:
        def grown(a: npt.NDArray[Any], fill: float) -> npt.NDArray[Any]:
            out = np.full(capacity, fill, dtype=a.dtype)
            out[: len(a)] = a
            return out

        self._alpha = grown(self._alpha, PRIOR_ALPHA)
        self._beta = grown(self._beta, PRIOR_BETA)
        self._updated = grown(self._updated, 0)
        self._used = grown(self._used, NO_TIME)

    def _set_usage(self, row: int, alpha: float, beta: float, used: int | None) -> None:
        self._alpha[row], self._beta[row] = alpha, beta
        self._used[row] = NO_TIME if used is None else used

    def _lineage(self, id: str, original: str | None, copy: bool) -> None:
        if original is None:
            self._original.pop(id, None)
        else:
            self._original[id] = original
        if copy:
            self._copies.add(id)
        else:
            self._copies.discard(id)
