"""`VectorCache`: one store's vector index, where it comes from and when it is saved.

The index is loaded on first use -- from the side file when it records Cozo's current
vector epoch and passes its checks and a sample comparison with Cozo, else rebuilt
from Cozo -- and from then on kept in step by every write (callers load it *before*
writing, so a write never turns a valid side file stale). It is saved back at close
(only what changed: new rows are appended) and after the approximate index is built.

The approximate index is built in a background thread once the live vectors pass
`ANN_MIN_ROWS` (or grow to 4x what it was trained on); searches stay exact meanwhile.
Lock order, everywhere: the engine's write lock, then `lock`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from groove.errors import EmbeddingError, GrooveError
from groove.store import queries as Q
from groove.store import sidecar
from groove.store.engine import Engine
from groove.store.vector_index import ANN_MIN_ROWS, DEAD, VectorIndex

SAMPLE_CHECKS = 16
"""Rows of a loaded side file compared with Cozo's bytes, scope and category."""
REBUILD_GROWTH = 4
"""The approximate index is rebuilt when live vectors reach this multiple of those it
was trained on: its lists grow long and its centroids stale."""
CLOSE_WAIT_S = 120.0
"""How long close waits for a running build, so that its work is saved."""
_PAGE = 5000


class VectorCache:
    def __init__(self, engine: Engine, dim: int):
        self._engine = engine
        self.dim = dim
        self.index: VectorIndex | None = None
        self.lock = threading.Lock()
        self._state: sidecar.SidecarState | None = None
        self._saved = False
        """The side file describes `index` as it is (nothing to save)."""
        self._ann_unsaved = False
        self._builder: threading.Thread | None = None
        self._closing = False
        self.ann_min_rows = ANN_MIN_ROWS
        self.status: dict[str, Any] = {"source": "not loaded"}

    @property
    def path(self) -> Path:
        return self._engine.path

    # -- load --------------------------------------------------------------------

    def ensure(self) -> VectorIndex:
        """The index, loaded (side file or Cozo) on first use."""
        index = self.index
        if index is not None:
            return index
        with self._engine.write_lock():
            if self.index is None:
                self.index = self._open()
                self.maybe_build()
            return self.index

    def _open(self) -> VectorIndex:
        started = time.perf_counter()
        epoch = self.epoch()
        try:
            index, state = sidecar.load(self.path, self.dim, epoch)
            try:
                self._check_sample(index)
            except sidecar.SidecarInvalid:
                _close_file(index)
                raise
        except sidecar.SidecarInvalid as e:
            index = self.from_cozo(backed=True)
            self._state, self._saved = None, False
            self.status = {"source": "rebuilt from the database", "reason": str(e),
                           "load_s": time.perf_counter() - started}
            return index
        self._state, self._saved = state, True
        self.status = {"source": "side file", "load_s": time.perf_counter() - started}
        return index

    def epoch(self) -> tuple[int, str]:
        rows = self._engine.query(Q.VECTOR_EPOCH)
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    def _check_sample(self, index: VectorIndex) -> None:
        """A few rows must equal Cozo's: catches a side file that is internally sound but
        describes another database with the same epoch (a copied directory)."""
        if len(index) == 0:
            if self._engine.query(Q.ANY_VECTOR):
                raise sidecar.SidecarInvalid("the side file is empty, the database is not")
            return
        live = [i for i in index.live_ids()] if len(index) <= SAMPLE_CHECKS else None
        if live is None:
            rng = np.random.default_rng()
            alive = np.flatnonzero(index.codes[: index.rows, 0] != DEAD)
            live = [index.ids[int(r)] for r in rng.choice(alive, SAMPLE_CHECKS, replace=False)]
        rows = {r[0]: r for r in self._engine.query(Q.VECTOR_SAMPLE, {"ids": live})}
        for id in live:
            row = rows.get(id)
            v = index.vector(id)
            at = index.row_of(id)
            if row is None or v is None or at is None or v.tobytes() != row[1] or \
                    index.scopes.values[index.codes[at, 0]] != row[2] or \
                    index.categories.values[index.codes[at, 1]] != row[3]:
                raise sidecar.SidecarInvalid(f"the side file disagrees with the database "
                                             f"about {id}")

    def from_cozo(self, *, backed: bool = False) -> VectorIndex:
        """Every stored vector, read from Cozo in pages (never all as Python rows); with
        `backed`, into a new side-file generation (committed by the next save), else in
        process memory (a copy to compare with)."""
        index = VectorIndex(self.dim, sidecar.new_row_file(self.path, self.dim) if backed
                            else None)
        scope_of = dict(self._engine.query(Q.ALL_SCOPES))
        category_of = dict(self._engine.query(Q.ALL_CATEGORIES))
        after = ""
        while True:
            rows = self._engine.query(Q.VECTOR_PAGE, {"after": after, "page": _PAGE})
            if not rows:
                return index
            vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            if vectors.size != len(rows) * self.dim:
                raise EmbeddingError(
                    f"stored vectors in {self.path} do not have {self.dim} dimensions; "
                    "open the store with the embedder that made them")
            ids = [r[0] for r in rows]
            after = max(ids)
            # an embedding whose learning is gone is damage for check_integrity to report;
            # search must not return it
            keep = [k for k, i in enumerate(ids) if i in scope_of and i in category_of]
            ids = [ids[k] for k in keep]
            index.bulk_load(ids, vectors.reshape(len(rows), self.dim)[keep],
                            [scope_of[i] for i in ids], [category_of[i] for i in ids])

    # -- writes ------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[VectorIndex]:
        """Around a Cozo write that moves the vector epoch, under the engine's write lock:
        the index is loaded first (so the side file is still current when read), and
        changed by the caller after the write commits. A groove error means the write
        was refused and rolled back; anything else drops the index, so a half-applied
        change is never saved or searched (the next use rebuilds it)."""
        index = self.ensure()
        try:
            yield index
        except GrooveError:
            raise  # refused by groove or the engine: nothing was committed
        except BaseException:
            self.index = None
            _close_file(index)
            raise
        self._saved = False
        self.maybe_build()

    def maybe_build(self) -> None:
        """Start building the approximate index in the background when it is due."""
        index = self.index
        if index is None or self._closing or (self._builder and self._builder.is_alive()):
            return
        live = len(index)
        due = live >= self.ann_min_rows and (
            index.ann is None or live >= REBUILD_GROWTH * index.ann.trained_on)
        if due:
            self._builder = threading.Thread(target=self._build_in_background, args=(index,),
                                             name="groove-ann-build", daemon=True)
            self._builder.start()

    def _build_in_background(self, index: VectorIndex) -> None:
        with contextlib.suppress(Exception):  # a failed build leaves exact search in place
            self.build(index)

    def build(self, index: VectorIndex | None = None) -> None:
        """Build the approximate index over a snapshot of the rows, then catch up with what
        changed meanwhile and install it (and save) under the locks."""
        from groove.store.ann import Ann

        index = index or self.ensure()
        with self.lock:
            n0 = index.rows
            blocks = list(index.iter_blocks(n0))
            live0 = index.codes[:n0, 0] != DEAD
        if not live0.any():
            return
        started = time.perf_counter()
        try:
            ann = Ann.build(blocks, live0, release=index.drop_pages)
        finally:
            index.drop_pages()
        built_s = time.perf_counter() - started
        with self._engine.write_lock():
            if self._closing or self.index is not index:
                return
            with self.lock:
                alive = index.codes[: index.rows, 0] != DEAD
                ann.remove(np.flatnonzero(live0 & ~alive[:n0]).astype(np.int64))
                index.feed(ann, n0 + np.flatnonzero(alive[n0:]).astype(np.int64))
                index.ann = ann
            self._ann_unsaved = True
            self._saved = False
            self.status = {**self.status, "ann_build_s": built_s}
            self.save()

    def wait_for_build(self, timeout: float | None = None) -> None:
        builder = self._builder
        if builder is not None:
            builder.join(timeout)

    # -- save --------------------------------------------------------------------

    def save(self) -> None:
        """Write the side file if the index changed since it was read or saved. Never
        raises: Cozo holds the truth, a failed save costs the next start a rebuild."""
        index = self.index
        if index is None or self._saved:
            return
        with self._engine.write_lock(), self.lock:
            epoch = self.epoch()
            for state in (self._state, None):
                try:
                    self._state = sidecar.save(self.path, index, epoch, state,
                                               ann_built=self._ann_unsaved)
                    break
                except (OSError, sidecar.SidecarInvalid) as e:
                    self.status = {**self.status, "save_error": str(e)}
                    self._state = None
            else:
                return
            self._saved, self._ann_unsaved = True, False
            self.status.pop("save_error", None)

    def close(self) -> None:
        """Let a running build finish (bounded), save, and stop building."""
        self.wait_for_build(CLOSE_WAIT_S)
        self.save()
        self._closing = True
        if self._builder is None or not self._builder.is_alive():
            _close_file(self.index)

    def forget(self) -> None:
        """Drop the loaded index and the side file (a rebuild follows on next use)."""
        with self._engine.write_lock(), self.lock:
            _close_file(self.index)
            self.index = None
            self._state = None
            self._saved = False
            sidecar.discard(self.path)

    def describe(self) -> dict[str, Any]:
        index = self.index
        out: dict[str, Any] = {**self.status, "side_file_bytes": sidecar.size_bytes(self.path)}
        if index is not None:
            out.update(rows=index.rows, live=len(index), dead=index.dead,
                       ann=index.ann is not None,
                       nprobe=None if index.ann is None else index.ann.nprobe,
                       building=bool(self._builder and self._builder.is_alive()))
        return out


def _close_file(index: VectorIndex | None) -> None:
    """Release the side file a dropped index reads (its maps go with the index)."""
    if index is not None and index.file is not None:
        index.file.close()
