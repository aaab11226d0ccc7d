"""`CozoStore`: one groove database (one tier) on CozoDB with the RocksDB engine.

Rules this module keeps:
- every value reaches Cozo as a bound `$parameter`; scripts are the constants
  of `queries.py`, rows are converted in `rows.py`;
- one logical write is one chained script, hence one transaction;
- a learning's confidence is derived from its usage stats on every write (`rows.learning_row`);
- the store takes vectors, it never embeds: embedding is slow, and a search must not
  wait behind an import's embedding on this store's worker thread;
- the async API runs the blocking engine calls on the store's worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import threading
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from groove.domain import (
    DEFAULT_DIM,
    Direction,
    GrooveExport,
    ImportStats,
    Learning,
    LearningCategory,
    LearningExport,
    LearningId,
    LearningRelation,
    Outcome,
    RelationType,
    Scope,
    SystemParam,
    UsageStats,
    Vector,
    as_unit_vector,
    utcnow,
)
from groove.domain.clock import to_micros
from groove.domain.embedding import as_unit_vectors
from groove.domain.injection import CaptureRecord, CaptureStatus, Injection, OutcomeSource
from groove.domain.learning import HANDLE_LEN
from groove.domain.proposal import Proposal, ProposalStatus
from groove.domain.relations import CROSS_TIER
from groove.errors import (
    DatabaseError,
    EmbeddingModelMismatch,
    GrooveError,
    ImportRejected,
    MigrationError,
    NotFound,
    StoreClosed,
    ValidationError,
)
from groove.store import compaction, saved_indexes
from groove.store import queries as Q
from groove.store import replica as R
from groove.store import rows as codec
from groove.store.engine import Engine
from groove.store.features import Features, RankingFeatures, rows_of, trust_of
from groove.store.keyword_index import KeywordIndex
from groove.store.protocols import Embedding, ScopeFilter
from groove.store.replica import Counts, OutboxEntry, PulledLearning, ReplicaChanges
from groove.store.schema import CURRENT_SCHEMA_VERSION, MIGRATIONS, RECORD_VERSION, Migration
from groove.store.sidecar import SidecarInvalid
from groove.store.vectors import VectorCache

if TYPE_CHECKING:
    from groove.store.vector_index import VectorIndex

P = ParamSpec("P")
T = TypeVar("T")
V = TypeVar("V")

@dataclass(slots=True)
class Retrieval:
    """One store's candidates for a ranked read: (id, cosine, BM25 or None, what ranking
    reads about it) and the edges touching them. No rows: a ranked read reads only the
    ones it returns (`get_many`)."""

    hits: list[tuple[str, float, float | None, Features]]
    relations: list[LearningRelation]
    keywords: bool = True
    """False when the text's keywords were not searched: the keyword index was still
    being built and the caller would not wait (`retrieve(wait=False)`)."""


def _scope_strings(scope: ScopeFilter) -> list[str] | None:
    if scope is None:
        return None
    if isinstance(scope, Scope):
        return [scope.to_db_string()]
    return [s.to_db_string() for s in scope]


READERS = 4
"""Reader threads per store."""
CACHED_LEARNINGS = 20_000
"""Learnings the read cache keeps per store."""
QUICK_ROWS = 50
"""At most this many learnings read by id count as a quick read (`_on`): ~0.2 ms for
ten, most of it the engine's fixed cost per query."""


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come after
    it, so a steady stream of searches cannot starve a write."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            self.done_reading()

    def try_reading(self) -> bool:
        """Take a read share if that needs no wait (no writer running or waiting); a
        True answer must be given back with `done_reading`."""
        with self._cond:
            if self._writer or self._writers_waiting:
                return False
            self._readers += 1
            return True

    def done_reading(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class _ReadCache(Generic[V]):
    """Values read since the last write, by id (LRU, bounded): the engine costs ~0.2 ms
    per learning row looked up at 300,000 learnings, a search's candidates more than its
    vector search. Every write empties it (`CozoStore._exclusive`); a read that fills it
    holds the store's read lock, so no write can land between its query and its fill."""

    def __init__(self, size: int = CACHED_LEARNINGS) -> None:
        self._items: OrderedDict[str, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def lookup(self, ids: Sequence[str], fetch: Callable[[list[str]], dict[str, V]]
               ) -> dict[str, V]:
        """The cached values of `ids`, the missing ones from `fetch` (then kept)."""
        with self._lock:
            found = {i: v for i in ids if (v := self._items.get(i)) is not None}
            for i in found:
                self._items.move_to_end(i)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            fetched = fetch(missing)
            found.update(fetched)
            with self._lock:
                self._items.update(fetched)
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _on(writes: bool, quick: Callable[..., bool] | None = None
        ) -> Callable[[Callable[P, T]], Callable[P, Coroutine[Any, Any, T]]]:
    """Expose a blocking method as a coroutine. A write runs on the store's one writer
    thread, alone (no read runs meanwhile), so writes to a store are serialised; a read
    runs on the store's reader threads, several at once (the engine and numpy release
    the GIL), never beside a write.

    A `quick` read (one whose `quick(store, *args)` says it will take well under a
    millisecond: nothing to load or build) runs on the caller's thread when the store's
    read share is free at once: handing it to a reader thread and back costs 0.1-0.25 ms
    on a 2-core VM, a quarter of a ranked search at 10,000 learnings."""

    def decorate(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            store = args[0]
            assert isinstance(store, CozoStore)
            if store._engine.closed:
                raise StoreClosed(store.path)
            if quick is not None and quick(*args, **kwargs) and store._rw.try_reading():
                try:
                    return fn(*args, **kwargs)
                finally:
                    store._rw.done_reading()
            pool, hold = ((store._worker, store._write) if writes
                          else (store._readers, store._shared))
            return await asyncio.get_running_loop().run_in_executor(
                pool, functools.partial(hold, fn, *args, **kwargs))

        return wrapper

    return decorate


_writing = _on(writes=True)
_reading = _on(writes=False)


KeywordChange = tuple[str, ...]
"""("upsert", id, insight, scope, category, description) | ("remove", id) | ("reset",)"""
FeatureChange = Callable[[RankingFeatures], None]


def _keyword_index(rows: Iterable[Sequence[Any]]) -> KeywordIndex:
    """A keyword index of (id, scope, category, description, insight) rows."""
    index = KeywordIndex()
    for id, scope, category, description, insight in rows:
        index.upsert(id, insight, scope, category, headline=description)
    return index


def _apply_keyword_change(index: KeywordIndex, change: KeywordChange) -> None:
    if change[0] == "upsert":
        _, id, insight, scope, category, description = change
        index.upsert(id, insight, scope, category, headline=description)
    elif change[0] == "remove":
        index.remove(change[1])


class CozoStore:
    """One groove database. Open with `await CozoStore.open(path)`; close when done.

    Similarities are cosine similarities of unit vectors, in [-1, 1]: 1 means
    the same direction, 0 unrelated, -1 opposite.
    """

    def __init__(self, engine: Engine, dim: int, version: int):
        # One writer thread and a few reader threads per store, behind a readers-writer
        # lock: reads run side by side, a write runs alone, and writes queue in order. A
        # long write (an import) delays the store's reads; a waiting write goes before
        # reads that arrive after it.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groove-store")
        self._readers = ThreadPoolExecutor(max_workers=READERS,
                                           thread_name_prefix="groove-store-read")
        self._rw = ReadWriteLock()
        self._learnings: _ReadCache[Learning] = _ReadCache()
        self._any_edges: bool | None = None
        """Whether the store holds any relation (None: not known since the last write).
        Most stores hold few or none, and the edges among a search's candidates cost a
        query of ~0.3 ms plus ~10 us per candidate."""
        self._engine = engine
        self.dim = dim
        self.schema_version = version
        self._vectors = VectorCache(engine, dim)
        self._keywords: KeywordIndex | None = None
        self._keywords_log: list[KeywordChange] | None = None
        """While `warm` builds the keyword index beside reads and writes: what writes did
        to the texts since its snapshot, replayed onto it before it is installed."""
        self._from_file: set[saved_indexes.Kind] = set()
        """What was read from its saved file (`saved_indexes`) instead of built."""
        self._wrote = False
        """This process wrote to the store (and so removed the saved indexes)."""
        self._features: RankingFeatures | None = None
        self._features_log: list[FeatureChange] | None = None
        """Like `_keywords_log`, for the ranking features."""
        self._building: Future[None] | None = None
        """`warm`'s build of the keyword index and the features, while it runs."""
        self._ranks_built: Future[None] | None = None
        """Done once that build installed the features (it then builds the keywords)."""
        self._snapshotting = threading.Lock()
        """Held while that build reads its snapshot without the store's lock: closing or
        compacting the engine (which reopens it) waits for the reads to end."""
        self._stored_model: str | None = None
        self._stored_model_known = False

    # -- lifecycle ---------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        engine: str = "mnestic",
        durable: bool = True,
        lock_timeout: float = 0.0,
        dim: int = DEFAULT_DIM,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> CozoStore:
        """Create or open the database at `path` and bring its schema up to date.

        A database held by another process raises `DatabaseLocked` after waiting
        up to `lock_timeout` seconds.
        """
        return await asyncio.to_thread(
            cls._open_sync, Path(path), engine, durable, lock_timeout, dim,
            tuple(migrations))

    @classmethod
    def _open_sync(cls, path: Path, engine_name: str, durable: bool,
                   lock_timeout: float, dim: int, migrations: tuple[Migration, ...]) -> CozoStore:
        engine = Engine.open(path, engine=engine_name, durable=durable, lock_timeout=lock_timeout)
        try:
            version = _migrate(engine, migrations)
        except BaseException:
            with contextlib.suppress(GrooveError):  # the migration's error names the backup
                engine.close()
            raise
        return cls(engine, dim, version)

    async def close(self) -> None:
        """Close once; later calls are no-ops, other methods raise `StoreClosed`."""
        if self._engine.closed:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._worker, self._exclusive, self._close)
        finally:
            self._shutdown()

    def close_sync(self) -> None:
        try:
            self._exclusive(self._close)
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        self._worker.shutdown(wait=False)
        self._readers.shutdown(wait=False)

    def _exclusive(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._rw.writing():
            try:
                return fn(*args, **kwargs)
            finally:  # whatever a write touched, no read sees it as it was
                self._learnings.clear()
                self._any_edges = None

    def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A write, alone. This process's first removes the saved keyword index and
        features first, so a crash can never leave them older than the data
        (`saved_indexes`). A valid keyword index is read before (~0.2 s at 100,000) and
        kept in step, so closing saves it again and the next start does not rebuild it
        (~5 s there); the features are not (reading and saving them again would cost a
        write-only process about what the next start spends reading them, ~1 s)."""

        def run() -> T:
            if not self._wrote:
                if self._keywords is None and self._keywords_log is None:
                    self._keywords = self._saved_keywords()
                saved_indexes.drop(self.path)
                self._wrote = True
            return fn(*args, **kwargs)

        return self._exclusive(run)

    def _shared(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._rw.reading():
            return fn(*args, **kwargs)

    def _close(self) -> None:
        """Save the vector side file (it never raises); rewrite the database when its logs
        passed their bound (`compaction.should_compact`), or flush it when this session
        wrote a large log (`compaction.FLUSH_LOG_BYTES`); release it."""
        with self._snapshotting:
            if not self._engine.closed:
                self._vectors.close()
                self._save_indexes()
                with contextlib.suppress(GrooveError, OSError):  # the data is safe anyway
                    if compaction.should_compact(compaction.log_stats(self.path)):
                        compaction.rewrite(self._engine, self._engine.open_raw)
                    elif compaction.newest_log_bytes(self.path) >= compaction.FLUSH_LOG_BYTES:
                        self._engine.mutate("::compact")
            self._engine.close()

    def _save_indexes(self) -> None:
        """Save the keyword index and the features for the next process (never raises: a
        cache), each unless it is the saved one untouched."""
        held = {kind: index for kind, index in ((saved_indexes.KEYWORDS, self._keywords),
                                                (saved_indexes.FEATURES, self._features))
                if index is not None and (kind not in self._from_file or self._wrote)}
        with contextlib.suppress(GrooveError, OSError):
            current = saved_indexes.stamps(self._engine, list(held)) if held else {}
            for kind, index in held.items():
                with contextlib.suppress(OSError):
                    saved_indexes.save(self.path, kind, index.to_arrays(), current[kind])

    def _saved_keywords(self) -> KeywordIndex | None:
        """The saved keyword index, if this process has not written and it matches the
        database; None otherwise (then it is built from the texts)."""
        saved = self._open_saved(saved_indexes.KEYWORDS)
        return None if saved is None else self._read_keywords(saved)

    def _saved_features(self, expected: str | None = None) -> RankingFeatures | None:
        """As `_saved_keywords`, for the ranking features."""
        saved = self._open_saved(saved_indexes.FEATURES, expected)
        return None if saved is None else self._read_saved(
            saved, saved_indexes.FEATURES, RankingFeatures.from_arrays)

    def _read_keywords(self, saved: saved_indexes.Saved) -> KeywordIndex | None:
        return self._read_saved(saved, saved_indexes.KEYWORDS, KeywordIndex.from_arrays)

    def _open_saved(self, kind: saved_indexes.Kind, expected: str | None = None
                    ) -> saved_indexes.Saved | None:
        """The saved file of `kind`, opened, if this process has not written and its stamp
        is `expected` (default: the database's now)."""
        if self._wrote:
            return None
        try:
            return saved_indexes.open_saved(
                self.path, kind, expected or saved_indexes.stamp(self._engine, kind))
        except (SidecarInvalid, GrooveError):
            return None

    def _read_saved(self, saved: saved_indexes.Saved, kind: saved_indexes.Kind,
                    convert: Callable[[saved_indexes.Arrays], V]) -> V | None:
        try:
            held = convert(saved.read())
        except (SidecarInvalid, KeyError, ValueError, UnicodeDecodeError):
            return None
        self._from_file.add(kind)
        return held

    async def __aenter__(self) -> CozoStore:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    @property
    def path(self) -> Path:
        return self._engine.path

    @property
    def _index(self) -> VectorIndex | None:
        """The loaded vector index (None until first use)."""
        return self._vectors.index

    @property
    def _index_lock(self) -> threading.Lock:
        return self._vectors.lock

    @property
    def engine_name(self) -> str:
        return self._engine.name

    @property
    def durable(self) -> bool:
        return self._engine.durable

    def is_initialized(self) -> bool:
        return self.schema_version == CURRENT_SCHEMA_VERSION

    @_reading
    def get_schema_version(self) -> int:
        return _schema_version(self._engine)

    # -- learnings ---------------------------------------------------------------

    @_writing
    def store(self, learning: Learning, embedding: Embedding | None = None,
              model_id: str | None = None,
              relations: Sequence[LearningRelation] = (),
              usage: UsageStats | None = None) -> LearningId:
        """Store a new learning with its usage stats (default: the prior), its embedding
        (none: not searchable by similarity) and `relations` (e.g. the provenance edge of
        a copy), in one transaction. Its confidence is the usage stats' mean, whatever
        `learning.confidence` says. `model_id` names the model of the embedding (default:
        the store's). An id that exists is an error.
        """
        vector = None if embedding is None else self._check_vector(embedding)
        model = None if vector is None else (model_id or self._model_id())
        with self._engine.write_lock():
            extra = None
            if relations:
                self._check_relation_ends(relations, also=[str(learning.id)])
                extra = (Q.PUT_RELATIONS, {"relations": [codec.relation_row(r) for r in relations]})
            self._write_new([learning], [usage or UsageStats()], [vector], model, extra=extra)
        return learning.id

    @_writing
    def store_many(self, learnings: Sequence[Learning],
                   embeddings: Sequence[Embedding] | None = None,
                   model_id: str | None = None,
                   usage: Sequence[UsageStats] | None = None) -> list[LearningId]:
        """Bulk store in one transaction: all or nothing."""
        return self._store_many(learnings, embeddings, model_id, usage)

    def _store_many(self, learnings: Sequence[Learning], embeddings: Sequence[Embedding] | None,
                    model_id: str | None, usage: Sequence[UsageStats] | None
                    ) -> list[LearningId]:
        """Write new learnings through the engine's bulk import (`Engine.put_rows`), one
        transaction, instead of a script: ~50 us a learning in Cozo instead of ~75. The
        import replaces rows where the script's `:insert` refused them, so the ids are
        checked here first, under the write lock that every write of this store takes
        (and RocksDB admits one process): nothing can add one of them in between."""
        for name, given in (("embeddings", embeddings), ("usage", usage)):
            if given is not None and len(given) != len(learnings):
                raise ValidationError(f"one entry per learning is needed, got {len(given)} "
                                      f"for {len(learnings)}", field=name)
        vectors = None
        model = None
        if embeddings is not None:
            vectors = as_unit_vectors(embeddings, self.dim)
            model = model_id or self._model_id()
        if not learnings:
            return []
        rows = codec.NewRows(learnings, usage)
        if len(set(rows.ids)) != len(rows.ids):
            raise ValidationError("the same id appears twice among the learnings to store",
                                  field="id")
        data: dict[str, tuple[Sequence[str], list[list[Any]]]] = {
            "learning": (Q.LEARNING_COLUMNS, rows.learnings),
            "usage_stats": (Q.USAGE_COLUMNS, rows.usage),
            "learning_handle": (Q.HANDLE_COLUMNS, rows.handles),
        }
        if vectors is not None:
            raw, size = vectors.tobytes(), vectors.shape[1] * vectors.itemsize
            data["learning_embeddings"] = (Q.EMBEDDING_COLUMNS, [
                [id, model, raw[k * size:(k + 1) * size]] for k, id in enumerate(rows.ids)])
        with self._engine.write_lock():
            if self._existing(rows.ids):
                raise ValidationError(
                    "a learning with this id already exists; use update() to change it",
                    field="id")
            if vectors is not None:
                self._check_model(model)
            with self._vectors.writing() as index:
                epoch, _ = self._vectors.epoch()
                data["vector_epoch"] = (Q.EPOCH_COLUMNS, [[0, epoch + 1, str(uuid.uuid4())]])
                self._engine.put_rows(data)
                self._mirror_new(learnings, usage if usage is not None
                                 else itertools.repeat(UsageStats(), len(learnings)))
                if vectors is not None:
                    self._note_model(model)
                    with self._index_lock:
                        index.put_many(rows.ids, vectors, [r[1] for r in rows.learnings],
                                       [r[2] for r in rows.learnings])
        return [x.id for x in learnings]

    def _write_new(self, learnings: list[Learning], usage: list[UsageStats],
                   vectors: Sequence[Vector | None], model: str | None,
                   extra: tuple[str, dict[str, Any]] | None = None) -> None:
        """Insert learnings with their usage and vectors (plus `extra` script) atomically."""
        if not learnings:
            return
        with_vec = [(x, v) for x, v in zip(learnings, vectors, strict=True) if v is not None]
        if with_vec:
            self._check_model(model)
        script = Q.INSERT_LEARNINGS + Q.PUT_USAGE
        params: dict[str, Any] = {
            "learnings": [codec.learning_row(x, u)
                          for x, u in zip(learnings, usage, strict=True)],
            "usage": [codec.usage_row(x.id, u) for x, u in zip(learnings, usage, strict=True)],
        }
        if with_vec:
            script += Q.PUT_EMBEDDINGS
            params["embeddings"] = [[str(x.id), model, v.tobytes()] for x, v in with_vec]
        if extra is not None:
            script += extra[0]
            params.update(extra[1])
        with self._vectors.writing() as index:
            try:
                self._engine.mutate(script, params)
            except DatabaseError as e:
                if "assertion_failure" in (e.code or ""):
                    raise ValidationError(
                        "a learning with this id already exists; use update() to change it",
                        field="id") from None
                raise
            self._mirror_new(learnings, usage)
            if with_vec:
                self._note_model(model)
                with self._index_lock:
                    index.put_many([str(x.id) for x, _ in with_vec], [v for _, v in with_vec],
                                   [x.scope.to_db_string() for x, _ in with_vec],
                                   [x.category.value for x, _ in with_vec])

    def _mirror_new(self, learnings: Sequence[Learning], usage: Iterable[UsageStats]) -> None:
        """New learnings (committed) into what the store holds in memory beside Cozo:
        the keyword index and the ranking features, each skipped when nothing holds or
        builds it (a bulk load before any search pays nothing)."""
        self._keywords_upsert(learnings)
        if self._features is not None or self._features_log is not None:
            added = rows_of(learnings, usage)
            self._features_change(lambda f: f.put(added))

    @_reading
    def get(self, id: LearningId) -> Learning | None:
        found = self._get_many([str(id)])
        return found[0] if found else None

    def _few(self, ids: Sequence[LearningId]) -> bool:
        return len(ids) <= QUICK_ROWS

    @_on(writes=False, quick=_few)
    def get_many(self, ids: Sequence[LearningId]) -> list[Learning]:
        return self._get_many([str(i) for i in ids])

    def _get_many(self, ids: Sequence[str]) -> list[Learning]:
        """Learnings by id, through the read cache (a cached one is handed out as a copy)."""
        if not ids:
            return []
        found = self._learnings.lookup(ids, lambda missing: {
            r[0]: codec.row_learning(r)
            for r in self._engine.query(Q.GET_LEARNINGS, {"ids": missing})})
        return [found[i].copy() for i in ids if i in found]

    @_writing
    def update(self, learning: Learning, embedding: Embedding | None = None,
               model_id: str | None = None) -> Learning:
        """Replace a stored learning's fields and return it as stored: `updated_at` is now,
        confidence comes from the stored usage stats (a stale object cannot reset it).
        When the text changes, the new text's `embedding` is required if the learning has
        a vector, so an old vector never stays behind for new words."""
        id = str(learning.id)
        vector = None if embedding is None else self._check_vector(embedding)
        with self._engine.write_lock():
            rows = self._engine.query(Q.GET_LEARNING, {"id": id})
            usage_rows = self._engine.query(Q.GET_USAGE, {"id": id})
            if not rows or not usage_rows:
                raise NotFound(learning.id)
            old = codec.row_learning(rows[0])
            text_changed = old.content.embedding_text() != learning.content.embedding_text()
            if text_changed and vector is None and self._engine.query(Q.GET_EMBEDDING,
                                                                      {"id": id}):
                raise ValidationError("the text changed: pass the embedding of the new text",
                                      field="embedding")
            usage = codec.row_usage(usage_rows[0])
            learning = replace(learning, created_at=old.created_at, updated_at=utcnow(),
                               confidence=usage.confidence())
            script = Q.PUT_LEARNINGS
            params: dict[str, Any] = {"learnings": [codec.learning_row(learning, usage)]}
            if vector is not None:
                model = model_id or self._model_id()
                self._check_model(model)
                script += Q.PUT_EMBEDDINGS
                params["embeddings"] = [[id, model, vector.tobytes()]]
            with self._vectors.writing() as index:
                self._engine.mutate(script, params)
                with self._index_lock:
                    if vector is not None:
                        index.upsert(id, vector, learning.scope.to_db_string(),
                                     learning.category.value)
                    else:
                        index.set_meta(id, learning.scope.to_db_string(),
                                       learning.category.value)
            self._keywords_upsert([learning])
            changed = rows_of([learning])
            self._features_change(lambda f: f.put(changed))
        return learning

    @_reading
    def find_by_scope(self, scope: Scope) -> list[Learning]:
        s = scope.to_db_string()
        return [codec.row_learning(r) for r in self._engine.query(Q.BY_SCOPE, {"scope": s})]

    @_reading
    def find_by_category(self, category: LearningCategory) -> list[Learning]:
        c = LearningCategory.parse(str(category)).value
        return [codec.row_learning(r) for r in self._engine.query(Q.BY_CATEGORY, {"category": c})]

    @_reading
    def list_learnings(self, scope: Scope | None = None,
                       category: LearningCategory | None = None, sort: str = "confidence",
                       limit: int | None = None) -> list[Learning]:
        """Learnings filtered by scope and/or category, ordered by confidence (then recency)
        or by recency, at most `limit`. Ranks come from the small confidence index, then
        only the rows kept are read in full."""
        if sort not in Q.LIST_ORDER:
            raise ValidationError(f"unknown sort {sort!r}; expected confidence or recent",
                                  field="sort")
        params: dict[str, Any] = {}
        if scope is None and category is None:
            script = Q.LIST_ALL[sort]
        else:
            body = "*learning{id, category, rank_confidence, rank_updated}"
            if scope is not None:
                body = f"*learning:by_scope{{scope: $scope, id}}, scope = $scope, {body}"
                params["scope"] = scope.to_db_string()
            if category is not None:
                body += ", category = $category"
                params["category"] = LearningCategory.parse(str(category)).value
            if scope is None:
                body = ("*learning:by_category{category: $category, id}, "
                        f"category = $category, {body}")
            script = (f"?[rank_confidence, rank_updated, id] := {body} "
                      f"{Q.LIST_ORDER[sort]}")
        if limit is not None:
            script += " :limit $limit"
            params["limit"] = int(limit)
        return self._get_many([r[-1] for r in self._engine.query(script, params)])

    @_reading
    def all_learnings(self) -> list[Learning]:
        rows = self._engine.query(Q.ALL_LEARNINGS + " :order created_at")
        return [codec.row_learning(r) for r in rows]

    @_reading
    def resolve_prefix(self, prefix: str) -> list[LearningId]:
        """Ids (at most 50 of each kind) that `prefix` abbreviates: ids starting with it
        (git-style), and ids ending with it when it is a handle (`short_id`: the last 8
        or more hex digits) -- both point lookups, so a caller sees every candidate and
        reports two as ambiguous."""
        text = prefix.strip().lower()
        found = {r[0] for r in self._engine.query(Q.IDS_WITH_PREFIX, {"prefix": text})}
        if HANDLE_LEN <= len(text) <= 12 and all(c in "0123456789abcdef" for c in text):
            found |= {r[0] for r in self._engine.query(
                Q.IDS_WITH_HANDLE, {"handle": text[-HANDLE_LEN:], "suffix": text})}
        return sorted(LearningId(i) for i in found)

    @_writing
    def delete(self, id: LearningId) -> bool:
        """Remove a learning with its usage stats, embedding and every relation touching it."""
        key = str(id)
        with self._engine.write_lock():
            if not self._engine.query(Q.GET_LEARNING, {"id": key}):
                return False
            with self._vectors.writing() as index:
                self._engine.mutate(Q.DELETE_LEARNING, {"id": key})
                with self._index_lock:
                    index.remove(key)
            self._keywords_change(("remove", key))
            self._features_change(lambda f: f.remove(key))
        return True

    @_reading
    def count(self) -> int:
        return int(self._engine.query(Q.COUNT)[0][0])

    @_reading
    def count_by_scope(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._engine.query(Q.COUNT_BY_SCOPE)}

    @_reading
    def count_by_category(self) -> dict[LearningCategory, int]:
        return {LearningCategory(r[0]): int(r[1]) for r in self._engine.query(Q.COUNT_BY_CATEGORY)}

    # -- usage -------------------------------------------------------------------

    @_reading
    def get_usage(self, id: LearningId) -> UsageStats | None:
        rows = self._engine.query(Q.GET_USAGE, {"id": str(id)})
        return codec.row_usage(rows[0]) if rows else None

    @_reading
    def get_usages(self, ids: Sequence[LearningId]) -> dict[LearningId, UsageStats]:
        """Usage stats of many learnings in one query (ranking needs every candidate's)."""
        if not ids:
            return {}
        rows = self._engine.query(Q.GET_USAGES, {"ids": [str(i) for i in ids]})
        return {LearningId(r[0]): codec.row_usage(r) for r in rows}

    @_writing
    def update_usage(self, id: LearningId, stats: UsageStats) -> None:
        """Replace usage stats; the learning's confidence follows in the same transaction."""
        with self._engine.write_lock():
            self._put_usage(id, stats)

    @_writing
    def record_outcome(self, id: LearningId, outcome: Outcome, *,
                       log_event: bool = False) -> UsageStats:
        """Apply one outcome to the learning's posterior and its confidence, atomically;
        with `log_event` (a replica of a team server) the outcome also goes to the sync
        outbox in the same transaction, to be pushed as an event."""
        outcome = Outcome.parse(str(outcome))
        with self._engine.write_lock():
            rows = self._engine.query(Q.GET_USAGE, {"id": str(id)})
            if not rows:
                raise NotFound(id)
            stats = codec.row_usage(rows[0])
            now = utcnow()
            stats.record_outcome(outcome, now)
            events = [OutboxEntry.outcome_event(id, outcome, 1, now)] if log_event else []
            self._put_usage(id, stats, extra=_outbox_script(events))
        return stats

    # -- injections (per agent session) -------------------------------------------

    @_writing
    def record_injections(self, injections: Sequence[Injection]) -> list[Injection]:
        """Keep the first record of each learning per session; returns the ones new here."""
        with self._engine.write_lock():
            new = [i for i in injections
                   if not self._engine.query(Q.GET_INJECTION, {"session": i.session_id,
                                                               "id": str(i.learning_id)})]
            if new:
                self._engine.mutate(Q.PUT_INJECTIONS,
                                    {"injections": [codec.injection_row(i) for i in new]})
        return new

    @_reading
    def learning_injections(self, id: LearningId) -> list[Injection]:
        """Every session this learning was shown to, with the outcome credited and why."""
        rows = self._engine.query(Q.LEARNING_INJECTIONS, {"id": str(id)})
        return sorted(map(codec.row_injection, rows), key=lambda i: i.injected_at)

    @_reading
    def session_injections(self, session_id: str) -> list[Injection]:
        rows = self._engine.query(Q.SESSION_INJECTIONS, {"session": session_id})
        return sorted(map(codec.row_injection, rows), key=lambda i: i.injected_at)

    @_writing
    def credit_outcome(self, session_id: str, id: LearningId, outcome: Outcome,
                       source: OutcomeSource, evidence: str | None = None, *,
                       log_event: bool = False) -> tuple[UsageStats, Injection, bool]:
        """Credit an outcome to a learning injected into (or found by) a session, once:
        the usage stats and the injection record change in one transaction. A second
        credit is refused (returns applied=False) unless an explicit rating replaces an
        inferred one, whose effect is taken back first. With `log_event`, the outbox gets
        the events (-1 for the one taken back, +1 for the new one) in that transaction."""
        outcome = Outcome.parse(str(outcome))
        with self._engine.write_lock():
            rows = self._engine.query(Q.GET_INJECTION, {"session": session_id, "id": str(id)})
            if not rows:
                raise ValidationError(f"learning {id} was not injected into or found by "
                                      f"session {session_id}; only those are credited",
                                      field="session_id")
            injection = codec.row_injection(rows[0])
            usage_rows = self._engine.query(Q.GET_USAGE, {"id": str(id)})
            if not usage_rows:
                raise NotFound(id)
            stats = codec.row_usage(usage_rows[0])
            if not injection.decides(source):
                return stats, injection, False
            now = utcnow()
            events = []
            if injection.outcome is not None:
                stats.undo_outcome(injection.outcome)
                events.append(OutboxEntry.outcome_event(id, injection.outcome, -1, now))
            stats.record_outcome(outcome, now)
            events.append(OutboxEntry.outcome_event(id, outcome, 1, now))
            injection = replace(injection, outcome=outcome, outcome_source=source,
                                evidence=evidence, outcome_at=now)
            script, values = _outbox_script(events if log_event else []) or ("", {})
            self._put_usage(id, stats, extra=(Q.PUT_INJECTIONS + script, {
                "injections": [codec.injection_row(injection)], **values}))
        return stats, injection, True

    # -- captures ------------------------------------------------------------------

    @_writing
    def store_capture(self, learning: Learning, embedding: Embedding | None,
                      model_id: str | None, usage: UsageStats, record: CaptureRecord) -> bool:
        """Store a captured learning and where it came from in one transaction; a capture
        already made from the same session, turn and rule is not made again (False)."""
        vector = None if embedding is None else self._check_vector(embedding)
        model = None if vector is None else (model_id or self._model_id())
        with self._engine.write_lock():
            if self._engine.query(Q.GET_CAPTURE, {"session": record.session_id,
                                                  "turn": record.turn, "rule": record.rule}):
                return False
            self._write_new([learning], [usage], [vector], model, extra=(
                Q.PUT_CAPTURES, {"captures": [codec.capture_row(record)]}))
        return True

    @_reading
    def has_capture(self, session_id: str, turn: int, rule: str) -> bool:
        return bool(self._engine.query(Q.GET_CAPTURE, {"session": session_id, "turn": turn,
                                                       "rule": rule}))

    @_reading
    def captures(self, status: CaptureStatus | None = None) -> list[CaptureRecord]:
        found = map(codec.row_capture, self._engine.query(Q.ALL_CAPTURES))
        return sorted((c for c in found if status is None or c.status is status),
                      key=lambda c: c.captured_at)

    @_writing
    def review_capture(self, id: LearningId, status: CaptureStatus,
                       usage: UsageStats | None = None) -> list[CaptureRecord]:
        """Set the review status of a learning's captures (and its usage, e.g. the prior's
        penalty taken back on acceptance) in one transaction."""
        with self._engine.write_lock():
            records = [replace(c, status=status) for c in map(
                codec.row_capture, self._engine.query(Q.CAPTURES_OF, {"id": str(id)}))]
            if not records:
                raise NotFound(id, "capture")
            extra = (Q.PUT_CAPTURES, {"captures": [codec.capture_row(c) for c in records]})
            if usage is not None:
                self._put_usage(id, usage, extra=extra)
            else:
                self._engine.mutate(*extra)
        return records

    def _put_usage(self, id: LearningId, stats: UsageStats,
                   extra: tuple[str, dict[str, Any]] | None = None) -> None:
        """Stats and confidence (and `extra`) in one transaction; `:update` of a learning
        that is not there fails the whole of it, so no read beforehand is needed."""
        script = Q.PUT_USAGE + Q.SET_CONFIDENCE + (extra[0] if extra else "")
        now = to_micros(utcnow())
        try:
            self._engine.mutate(script, {
                "usage": [codec.usage_row(id, stats)], "id": str(id),
                "confidence": stats.confidence(), "updated_at": now,
                **(extra[1] if extra else {}),
            })
        except DatabaseError as e:
            if "assertion_failure" in (e.code or ""):
                raise NotFound(id) from None
            raise
        trust = trust_of(stats)
        self._features_change(lambda f: f.set_usage(str(id), trust, updated=now))

    # -- relations ---------------------------------------------------------------

    @_writing
    def store_relation(self, relation: LearningRelation) -> None:
        """Store an edge. Both ends must exist here, except the far end of a cross-tier
        type (derived_from, supersedes, contradicts), which may live in another tier."""
        with self._engine.write_lock():
            self._check_relation_ends([relation])
            self._engine.mutate(Q.PUT_RELATIONS, {"relations": [codec.relation_row(relation)]})

    def _check_relation_ends(self, relations: Sequence[LearningRelation],
                             also: Iterable[str] = ()) -> None:
        needed = {str(r.from_id) for r in relations}
        needed |= {str(r.to_id) for r in relations if r.relation_type not in CROSS_TIER}
        missing = needed - set(also) - self._existing(needed)
        if missing:
            raise NotFound(sorted(missing)[0])

    def _existing(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        return {r[0] for r in self._engine.query(Q.EXISTING_IDS, {"ids": ids})} if ids else set()

    @_reading
    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of `ids` are learnings here (one keyed query)."""
        return self._existing(ids)

    @_reading
    def cross_tier_targets(self) -> dict[str, list[LearningRelation]]:
        """Far ends of this store's cross-tier edges that are not learnings here, with the
        edges pointing at each: candidates for `groove doctor`'s dangling-edge check."""
        out: dict[str, list[LearningRelation]] = {}
        for r in map(codec.row_relation, self._engine.query(Q.ALL_RELATIONS)):
            if r.relation_type in CROSS_TIER:
                out.setdefault(str(r.to_id), []).append(r)
        here = self._existing(out)
        return {k: v for k, v in out.items() if k not in here}

    @_reading
    def relations_among(self, ids: Sequence[LearningId]) -> list[LearningRelation]:
        """Every edge with at least one end in `ids`, in one query."""
        return [codec.row_relation(r) for r in self._edges_of([str(i) for i in ids])]

    def _edges_of(self, ids: list[str]) -> list[list[Any]]:
        if not ids:
            return []
        if self._any_edges is None:
            self._any_edges = bool(self._engine.query(Q.ANY_RELATION))
        return self._engine.query(Q.RELATIONS_AMONG, {"ids": ids}) if self._any_edges else []

    @_reading
    def get_relations(self, id: LearningId, direction: Direction = Direction.BOTH
                      ) -> list[LearningRelation]:
        rows: list[list[Any]] = []
        if direction in (Direction.OUTGOING, Direction.BOTH):
            rows += self._engine.query(Q.OUTGOING, {"id": str(id)})
        if direction in (Direction.INCOMING, Direction.BOTH):
            rows += self._engine.query(Q.INCOMING, {"id": str(id)})
        return [codec.row_relation(r) for r in rows]

    async def find_related(
        self, id: LearningId, relation_type: RelationType | None = None,
        direction: Direction = Direction.BOTH,
    ) -> list[Learning]:
        """Learnings linked to `id` by edges in `direction` (both ways by default)."""
        relations = await self.get_relations(id, direction)
        wanted = None if relation_type is None else RelationType.parse(str(relation_type))
        others: list[LearningId] = []
        for r in relations:
            if wanted is None or r.relation_type == wanted:
                other = r.to_id if r.from_id == id else r.from_id
                if other not in others:
                    others.append(other)
        return await self.get_many(others)

    # -- params ------------------------------------------------------------------

    @_reading
    def get_param(self, name: str) -> SystemParam | None:
        rows = self._engine.query(Q.GET_PARAM, {"name": name})
        return codec.row_param(rows[0]) if rows else None

    @_writing
    def store_param(self, param: SystemParam) -> None:
        self._engine.mutate(Q.PUT_PARAMS, {"params": [codec.param_row(param)]})

    @_reading
    def all_params(self) -> list[SystemParam]:
        return [codec.row_param(r) for r in self._engine.query(Q.ALL_PARAMS)]

    # -- embeddings and search ---------------------------------------------------

    @_writing
    def store_embedding(self, id: LearningId, embedding: Embedding,
                        model_id: str | None = None) -> None:
        """Attach (or replace) a learning's vector; `model_id` names the model that made it."""
        vector = self._check_vector(embedding)
        model = model_id or self._model_id()
        with self._engine.write_lock():
            rows = self._engine.query(Q.GET_LEARNING, {"id": str(id)})
            if not rows:
                raise NotFound(id)
            self._check_model(model)
            with self._vectors.writing() as index:
                self._engine.mutate(Q.PUT_EMBEDDINGS, {"embeddings": [[str(id), model,
                                                                     vector.tobytes()]]})
                self._note_model(model)
                with self._index_lock:
                    index.upsert(str(id), vector, rows[0][1], rows[0][2])

    @_reading
    def get_embedding(self, id: LearningId) -> tuple[Vector, str] | None:
        """A learning's stored vector and the model that made it (a point read)."""
        import numpy as np

        rows = self._engine.query(Q.GET_EMBEDDING, {"id": str(id)})
        if not rows:
            return None
        return np.frombuffer(rows[0][1], dtype=np.float32).copy(), str(rows[0][0])

    @_reading
    def embedding_model(self) -> str | None:
        """The model whose vectors this store holds (None while it holds none)."""
        return self._stored_model_id()

    @_reading
    def embedding_models(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._engine.query(Q.EMBEDDING_MODELS)}

    @_reading
    def semantic_search(
        self, embedding: Embedding, limit: int = 10, scope: ScopeFilter = None,
        category: LearningCategory | None = None,
    ) -> list[tuple[Learning, float]]:
        """The `limit` learnings most similar to `embedding`, best first, with their cosine
        similarity in [-1, 1]. Filters apply before the cut, so `limit` results come back
        whenever that many learnings match."""
        cats = None if category is None else [LearningCategory.parse(str(category)).value]
        return self._search(embedding, limit, scopes=_scope_strings(scope), categories=cats)

    @_reading
    def find_similar(self, embedding: Embedding, threshold: float, limit: int = 10
                     ) -> list[tuple[Learning, float]]:
        """Learnings with cosine similarity >= `threshold` (in [-1, 1]), best first."""
        return self._search(embedding, limit, threshold=threshold)

    @_reading
    def find_for_injection(self, scope: ScopeFilter, embedding: Embedding | None,
                           limit: int) -> list[tuple[Learning, float]]:
        """What to inject into a session: by similarity to `embedding` when given (score is
        the similarity), else by confidence then recency (score is the confidence)."""
        scopes = _scope_strings(scope)
        if embedding is not None:
            return self._search(embedding, limit, scopes=scopes)
        if scopes is None:
            ranked = self._engine.query(Q.INJECTION_ORDER, {"limit": limit})
            found = self._get_many([r[2] for r in ranked])
        else:
            rows = self._engine.query(Q.INJECTION_ORDER_SCOPED, {"limit": limit, "scopes": scopes})
            found = [codec.row_learning(r) for r in rows]
        return [(x, x.confidence) for x in found]

    def _search(self, embedding: Embedding, limit: int, **filters: Any
                ) -> list[tuple[Learning, float]]:
        if limit < 0:
            raise ValidationError(f"must be >= 0, got {limit}", field="limit")
        query = self._check_vector(embedding)
        index = self._ensure_index()
        with self._index_lock:
            hits = index.search(query, limit, **filters)
        found = {str(x.id): x for x in self._get_many([h[0] for h in hits])}
        return [(found[i], score) for i, score in hits if i in found]

    async def retrieve(self, embedding: Embedding, text: str | None, limit: int,
                       scope: ScopeFilter = None, category: LearningCategory | None = None,
                       *, wait: bool = True) -> Retrieval:
        """Everything ranking needs from this store in one call: the `limit` nearest by
        vector and by keywords (filters before each cut), every candidate's cosine
        similarity, what ranking reads about it and the edges among them. While `warm`
        still builds the keyword index (seconds at 100,000 learnings, a minute at a
        million), `wait=False` retrieves by vector alone (a prompt hook's deadline is
        shorter); it always waits for the features (~1 s at 100,000, built first)."""
        await (self._built() if wait else self._ranked())
        return await self._retrieve(embedding, text, limit, scope, category)

    def _loaded(self, *_: Any) -> bool:
        """Whether a retrieval finds everything it reads in memory (nothing to load or
        build first)."""
        return (self._vectors.index is not None and self._features is not None
                and (self._keywords is not None or self._keywords_log is not None))

    @_on(writes=False, quick=_loaded)
    def _retrieve(self, embedding: Embedding, text: str | None, limit: int,
                  scope: ScopeFilter, category: LearningCategory | None) -> Retrieval:
        if limit < 0:
            raise ValidationError(f"must be >= 0, got {limit}", field="limit")
        query = self._check_vector(embedding)
        scopes = _scope_strings(scope)
        cats = None if category is None else [LearningCategory.parse(str(category)).value]
        index = self._ensure_index()
        with self._index_lock:
            similar = dict(index.search(query, limit, scopes=scopes, categories=cats))
        building = self._keywords is None and self._keywords_log is not None
        keyword = {} if not text or building else dict(self._ensure_keywords().search(
            text, limit, scopes, cats))
        with self._index_lock:
            missing = [i for i in keyword if i not in similar]
            near = index.cosines(query, missing)
        for i in missing:
            similar[i] = near.get(i, -1.0)
        ids = list(similar)
        features = self._ensure_features().of(ids)
        return Retrieval(
            [(i, similar[i], keyword.get(i), f) for i, f in zip(ids, features, strict=True)
             if f is not None],
            [codec.row_relation(r) for r in self._edges_of(ids)], not (text and building))

    # -- keywords ----------------------------------------------------------------

    async def keyword_search(self, query: str, limit: int = 10, scope: ScopeFilter = None,
                             category: LearningCategory | None = None
                             ) -> list[tuple[Learning, float]]:
        """The `limit` best BM25 matches for `query`'s words and code tokens, filters
        applied before the cut."""
        await self._built()
        return await self._keyword_search(query, limit, scope, category)

    @_reading
    def _keyword_search(self, query: str, limit: int, scope: ScopeFilter,
                        category: LearningCategory | None) -> list[tuple[Learning, float]]:
        cats = None if category is None else [LearningCategory.parse(str(category)).value]
        hits = self._ensure_keywords().search(query, limit, _scope_strings(scope), cats)
        found = {str(x.id): x for x in self._get_many([h[0] for h in hits])}
        return [(found[i], score) for i, score in hits if i in found]

    @_reading
    def similarities(self, embedding: Embedding, ids: Sequence[LearningId]
                     ) -> dict[LearningId, float]:
        """Cosine similarity of `embedding` to each of `ids` that has a vector."""
        query = self._check_vector(embedding)
        index = self._ensure_index()
        with self._index_lock:
            near = index.cosines(query, [str(i) for i in ids])
        return {i: near[str(i)] for i in ids if str(i) in near}

    def _ensure_keywords(self) -> KeywordIndex:
        """The keyword index, built now (under the read lock: writes wait) if nothing
        built it yet. A store the server warmed has it; a search that comes while `warm`
        builds it waits outside the locks first (`_built`), so this builds only for a
        store nobody warmed (or, rarely, twice: the first installed wins)."""
        if (index := self._keywords) is not None:
            return index
        with self._engine.write_lock():
            if self._keywords is None:
                index = self._saved_keywords()
                self._keywords = index if index is not None else _keyword_index(
                    self._engine.query(Q.ALL_TEXTS))
            return self._keywords

    def _ensure_features(self) -> RankingFeatures:
        """What ranking reads about every learning, read now if nothing read it yet (as
        `_ensure_keywords`)."""
        if (features := self._features) is not None:
            return features
        with self._engine.write_lock():
            if self._features is None:
                features = self._saved_features()
                self._features = features if features is not None else RankingFeatures.build(
                    self._engine.query(Q.FEATURE_LEARNINGS), self._engine.query(Q.FEATURE_USAGE))
            return self._features

    def _build_memory(self, ranks_built: Future[None]) -> None:
        """Build the ranking features and the keyword index while the store serves reads
        and writes. From the moment writes start to log what they change, the texts,
        times and usage are read without the store's lock (each query a consistent
        snapshot; a change both in a snapshot and in the log is applied twice, to the
        same effect); the features are read and built, their log replayed and they are
        installed under the write lock (`ranks_built` is then done), then the keyword
        index the same way. At 100,000 learnings writes waited ~5 s for a keyword build
        under the read lock, then ~1 s for its snapshot; now for neither. Both come from
        their saved files when those are trusted (`saved_indexes`: ~0.4 s instead of
        ~6), the keyword file opened before the features are read, so a write meanwhile
        (which removes it) is replayed onto what was opened."""
        with self._engine.write_lock():
            words = self._keywords is None and self._keywords_log is None
            ranks = self._features is None and self._features_log is None
            if words:
                self._keywords_log = []
            if ranks:
                self._features_log = []
        saved: saved_indexes.Saved | None = None
        features: RankingFeatures | None = None
        try:
            with self._snapshotting:  # opened now, read later: a write meanwhile removes
                if not self._engine.closed and not self._wrote:  # the file, not what this
                    kinds = [k for k, wanted in ((saved_indexes.KEYWORDS, words),  # holds open
                                                 (saved_indexes.FEATURES, ranks)) if wanted]
                    current = saved_indexes.stamps(self._engine, kinds) if kinds else {}
                    if words:
                        saved = self._open_saved(saved_indexes.KEYWORDS,
                                                 current[saved_indexes.KEYWORDS])
                    if ranks:
                        features = self._saved_features(current[saved_indexes.FEATURES])
            if ranks:
                if features is None:
                    learnings, usage = self._snapshot(Q.FEATURE_LEARNINGS, Q.FEATURE_USAGE)
                    features = RankingFeatures.build(learnings, usage)
                self._install_features(features)
                ranks = False
            ranks_built.set_result(None)
            if words:
                index = None if saved is None else self._read_keywords(saved)
                saved = None
                if index is None:
                    [texts] = self._snapshot(Q.ALL_TEXTS)
                    index = _keyword_index(texts)
                self._install_keywords(index)
                words = False
        finally:
            if saved is not None:
                saved.close()
            if ranks:
                self._install_features(None)
            if not ranks_built.done():
                ranks_built.set_result(None)
            if words:
                self._install_keywords(None)

    def _snapshot(self, *scripts: str) -> list[list[list[Any]]]:
        """What `scripts` read, without the store's lock (nothing, once it closed)."""
        with self._snapshotting:
            if self._engine.closed:
                return [[] for _ in scripts]
            return [self._engine.query(script) for script in scripts]

    def _install_features(self, features: RankingFeatures | None) -> None:
        """End a build of the features: replay the writes' log onto them and install
        them, unless the build failed (None) or the store closed meanwhile."""
        with self._rw.writing():
            changes, self._features_log = self._features_log or [], None
            if features is not None and self._features is None and not self._engine.closed:
                for op in changes:
                    op(features)
                self._features = features

    def _install_keywords(self, keywords: KeywordIndex | None) -> None:
        """As `_install_features`, for the keyword index (not after a reset meanwhile)."""
        with self._rw.writing():
            log, self._keywords_log = self._keywords_log or [], None
            if keywords is not None and self._keywords is None and not self._engine.closed \
                    and ("reset",) not in log:
                for change in log:
                    _apply_keyword_change(keywords, change)
                self._keywords = keywords

    async def _built(self) -> None:
        """Wait (holding no lock) for the build `warm` started, if one runs."""
        await self._await(self._building)

    async def _ranked(self) -> None:
        """Wait (holding no lock) for that build's features, if it runs."""
        await self._await(self._ranks_built)

    @staticmethod
    async def _await(job: Future[None] | None) -> None:
        if job is not None and not job.done():
            await asyncio.wait([asyncio.wrap_future(job)])

    def _keywords_upsert(self, learnings: Iterable[Learning]) -> None:
        if self._keywords is None and self._keywords_log is None:
            return  # no index to keep in step (a bulk load before any keyword search)
        for x in learnings:
            self._keywords_change(("upsert", str(x.id), x.content.insight,
                                   x.scope.to_db_string(), x.category.value,
                                   x.content.description))

    def _keywords_change(self, change: KeywordChange) -> None:
        """A write's change to the texts (under the write lock): into the keyword index,
        or into the log of a build in progress; ("reset",) drops the index."""
        if change[0] == "reset":
            self._keywords = None
        elif self._keywords is not None:
            _apply_keyword_change(self._keywords, change)
            return
        if self._keywords_log is not None:
            self._keywords_log.append(change)

    def _ensure_index(self) -> VectorIndex:
        return self._vectors.ensure()

    def _features_change(self, change: FeatureChange) -> None:
        """A write's change to what ranking reads (under the write lock): into the
        features, or into the log of a build in progress."""
        if self._features is not None:
            change(self._features)
        elif self._features_log is not None:
            self._features_log.append(change)

    async def warm(self, *, keywords: bool = True) -> None:
        """Load the vector index, read the ranking features and build the keyword index
        now, not on the first search (at 100,000 learnings the keyword index takes
        seconds to build); the store serves reads and writes meanwhile (`_build_memory`).
        Without `keywords`, return once the store can rank (an injection's retrieval
        then does not wait) and leave the keyword index building."""
        await self._load_vectors()
        job = self._building
        if (self._keywords is None or self._features is None) and (job is None or job.done()):
            if self._engine.closed:
                raise StoreClosed(self.path)
            self._ranks_built = Future()
            job = self._building = self._readers.submit(self._build_memory, self._ranks_built)
        if not keywords:
            await self._ranked()
        elif job is not None:
            await asyncio.wrap_future(job)

    @_reading
    def _load_vectors(self) -> None:
        self._ensure_index()

    def _load_index(self) -> VectorIndex:
        """A fresh index read from Cozo (the record), for comparison."""
        return self._vectors.from_cozo()

    # -- the vector index: side file, approximate index ---------------------------

    @_reading
    def vector_status(self) -> dict[str, Any]:
        """Where the vector index came from (side file or rebuilt, and why), its rows,
        tombstones, approximate index and side-file size."""
        return self._vectors.describe()

    @_writing
    def build_vector_index(self) -> dict[str, Any]:
        """Build the approximate index now when the store is large enough (else keep the
        exact scan), and save the side file; returns `vector_status`."""
        self._vectors.wait_for_build()
        index = self._vectors.ensure()
        if len(index) >= self._vectors.ann_min_rows:
            self._vectors.build(index)
        self._vectors.save()
        return self._vectors.describe()

    @_reading
    def storage_stats(self) -> dict[str, Any]:
        """Write-ahead logs (count, bytes: every open leaves one, all replayed on the next;
        see `compaction`), the size of `data/`, the vector index and the bytes of the
        saved keyword index and features (0: none saved; the next start builds them)."""
        return {**compaction.log_stats(self.path).to_dict(),
                "vector_index": self._vectors.describe(),
                "keyword_side_file_bytes": saved_indexes.size(self.path, saved_indexes.KEYWORDS),
                "features_side_file_bytes": saved_indexes.size(self.path,
                                                               saved_indexes.FEATURES)}

    @_writing
    def compact(self, progress: compaction.Progress | None = None) -> dict[str, Any]:
        """Rewrite the database into a fresh directory (one log again; safe if killed, see
        `compaction`) after saving the vector side file. Returns log figures before and
        after and the seconds taken."""
        import time

        with self._engine.write_lock(), self._snapshotting:
            self._vectors.wait_for_build()
            self._vectors.save()
            before = compaction.log_stats(self.path)
            started = time.perf_counter()
            counts = compaction.rewrite(self._engine, self._engine.open_raw, progress)
            after = compaction.log_stats(self.path)
        return {"before": before.to_dict(), "after": after.to_dict(),
                "seconds": time.perf_counter() - started, "rows": sum(counts.values())}

    @_writing
    def remove_relations(self, relations: Sequence[LearningRelation]) -> int:
        """Delete these edges (e.g. ones whose far end is gone); returns how many."""
        if not relations:
            return 0
        self._engine.mutate(Q.RM_RELATIONS, {"relations": [
            [str(r.from_id), r.relation_type.value, str(r.to_id)] for r in relations]})
        return len(relations)

    @_writing
    def rebuild_vectors(self) -> dict[str, Any]:
        """Drop the side file and the loaded index, rebuild both from Cozo (tombstones
        gone), and build the approximate index when due; returns `vector_status`."""
        self._vectors.wait_for_build()
        self._vectors.forget()
        index = self._vectors.ensure()
        self._vectors.wait_for_build()
        if len(index) >= self._vectors.ann_min_rows and index.ann is None:
            self._vectors.build(index)
        self._vectors.save()
        return self._vectors.describe()

    def _check_vector(self, embedding: Embedding) -> Vector:
        return as_unit_vector(embedding, self.dim)

    def _model_id(self) -> str:
        """The model a vector given without a model id is taken to come from."""
        stored = self._stored_model_id()
        return stored or "unspecified"

    def _stored_model_id(self) -> str | None:
        if not self._stored_model_known:
            models = self._engine.query(Q.EMBEDDING_MODELS)
            self._stored_model = str(max(models, key=lambda r: r[1])[0]) if models else None
            self._stored_model_known = True
        return self._stored_model

    def _check_model(self, model: str | None) -> None:
        stored = self._stored_model_id()
        if stored is not None and model is not None and model != stored:
            raise EmbeddingModelMismatch(stored, model)

    def _note_model(self, model: str | None) -> None:
        if model is not None:
            self._stored_model = model
            self._stored_model_known = True

    # -- export and import -------------------------------------------------------

    @_reading
    def export(self, scope: ScopeFilter = None) -> GrooveExport:
        """Everything in this store (or the learnings in `scope`), without embeddings."""
        scopes = _scope_strings(scope)
        learnings = [codec.row_learning(r) for r in self._engine.query(Q.ALL_LEARNINGS)]
        if scopes is not None:
            learnings = [x for x in learnings if x.scope.to_db_string() in scopes]
        learnings.sort(key=lambda x: (x.created_at, str(x.id)))
        usage = {r[0]: codec.row_usage(r) for r in self._engine.query(Q.ALL_USAGE)}
        relations = [codec.row_relation(r) for r in self._engine.query(Q.ALL_RELATIONS)]
        relations.sort(key=lambda r: (r.created_at, str(r.from_id), str(r.to_id)))
        doc = GrooveExport(
            learnings=[LearningExport(x, usage.get(str(x.id), UsageStats())) for x in learnings],
            params=[codec.row_param(r) for r in self._engine.query(Q.ALL_PARAMS)],
            relations=relations,
        )
        # an edge lives in its `from` learning's tier; whether its far end travels too is
        # for the caller to decide (the tiers prune after merging every tier they export)
        kept = {le.learning.id for le in doc.learnings}
        doc.relations = [r for r in doc.relations if r.from_id in kept]
        return doc

    async def import_(self, export: GrooveExport, *,
                      embed: Callable[[list[str]], Awaitable[Vector]] | None = None,
                      model_id: str | None = None, batch_size: int = 100,
                      progress: Callable[[int, int], None] | None = None,
                      known_elsewhere: Iterable[str] = ()) -> ImportStats:
        """Add what the document holds that this store lacks; original ids are kept.

        Everything is validated before the first write: an edge whose ends must both be
        here (related_to, specializes) and are in neither the file nor this store rejects
        the file (`ImportRejected`); a cross-tier edge (derived_from, supersedes,
        contradicts) whose far end is in neither the file, this store nor
        `known_elsewhere` (the ids found in the home's other tiers) is skipped and
        counted in `relations_dangling` -- an export legitimately carries the
        provenance of a copy whose original stayed behind, and one such edge must not
        refuse a whole file. Learnings are written (with their usage stats and the
        vectors `embed` gives for their texts, made by `model_id`) in transactions of
        `batch_size`; `embed` runs between the writes, off this store's thread, so
        searches are not queued behind it. `progress(done, total)` is called after each
        batch.
        """
        new, relations = await self._import_plan(export, set(known_elsewhere))
        stats = ImportStats(learnings_skipped=len(export.learnings) - len(new),
                            relations_dangling=len(export.relations) - len(relations))
        total = len(new)
        if progress is not None:
            progress(0, total)
        for start in range(0, total, max(1, batch_size)):
            batch = new[start:start + batch_size]
            vectors = None
            if embed is not None:
                vectors = list(await embed([le.learning.content.embedding_text()
                                            for le in batch]))
                stats.embeddings_computed += len(batch)
            await self.store_many([le.learning for le in batch], vectors, model_id,
                                  [le.usage_stats for le in batch])
            stats.learnings_imported += len(batch)
            if progress is not None:
                progress(stats.learnings_imported, total)
        params, added = await self._import_rest(export, relations)
        stats.params_imported, stats.params_skipped = params, len(export.params) - params
        stats.relations_imported = added
        stats.relations_skipped = len(relations) - added
        return stats

    @_writing
    def _import_plan(self, export: GrooveExport, elsewhere: set[str]
                     ) -> tuple[list[LearningExport], list[LearningRelation]]:
        """The records this store lacks and the edges to import, after checking every
        edge's ends (see `import_`)."""
        incoming = [str(le.learning.id) for le in export.learnings]
        existing = self._existing(incoming)
        # Relations may point at learnings already here or arriving in this document.
        try:
            self._check_relation_ends(export.relations, also=incoming)
        except NotFound as e:
            index = next(i for i, r in enumerate(export.relations)
                         if e.id in (str(r.from_id), str(r.to_id)))
            raise ImportRejected(f"relation points at learning {e.id}, which is neither in "
                                 "the file nor in the store", field=f"relations[{index}]") from None
        far = {str(r.to_id) for r in export.relations if r.relation_type in CROSS_TIER}
        known = set(incoming) | elsewhere
        known |= self._existing(far - known)
        relations = [r for r in export.relations
                     if r.relation_type not in CROSS_TIER or str(r.to_id) in known]
        return [le for le in export.learnings if str(le.learning.id) not in existing], relations

    @_writing
    def _import_rest(self, export: GrooveExport, relations: list[LearningRelation]
                     ) -> tuple[int, int]:
        """Params and `relations` the store lacks, in one transaction: (params, relations)."""
        with self._engine.write_lock():
            have_params = {p.name for p in map(codec.row_param, self._engine.query(Q.ALL_PARAMS))}
            params = [p for p in export.params if p.name not in have_params]
            have_rel = {tuple(r[:3]) for r in self._engine.query(Q.ALL_RELATIONS)}
            relations = [r for r in relations
                         if tuple(codec.relation_row(r)[:3]) not in have_rel]
            script, values = "", {}
            if params:
                script += Q.PUT_PARAMS
                values["params"] = [codec.param_row(p) for p in params]
            if relations:
                script += Q.PUT_RELATIONS
                values["relations"] = [codec.relation_row(r) for r in relations]
            if script:
                self._engine.mutate(script, values)
        return len(params), len(relations)

    # -- proposals (enterprise tier) -------------------------------------------------

    @_writing
    def store_proposal(self, proposal: Proposal, *, log_event: bool = False) -> None:
        """Store a proposal; with `log_event` (a team replica), queue it for the next push
        in the same transaction."""
        script, values = _outbox_script(
            [OutboxEntry.proposal(proposal)] if log_event else []) or ("", {})
        self._engine.mutate(Q.PUT_PROPOSALS + script,
                            {"proposals": [codec.proposal_row(proposal)], **values})

    @_reading
    def get_proposal(self, id: LearningId) -> Proposal | None:
        rows = self._engine.query(Q.GET_PROPOSAL, {"id": str(id)})
        return codec.row_proposal(rows[0]) if rows else None

    @_reading
    def list_proposals(self, status: ProposalStatus | None = None) -> list[Proposal]:
        out = [codec.row_proposal(r) for r in self._engine.query(Q.ALL_PROPOSALS)]
        return [p for p in out if status is None or p.status == status]

    @_writing
    def accept_proposal(self, proposal: Proposal, copy: Learning, relation: LearningRelation,
                        embedding: Embedding | None = None, model_id: str | None = None
                        ) -> None:
        """Store the curated copy (with `embedding`), its provenance edge and the decision
        in one transaction, if the proposal is still pending."""
        vector = None if embedding is None else self._check_vector(embedding)
        model = None if vector is None else (model_id or self._model_id())
        with self._engine.write_lock():
            self._check_pending(proposal)
            self._write_new([copy], [UsageStats()], [vector], model, extra=(
                Q.PUT_RELATIONS + Q.PUT_PROPOSALS,
                {"relations": [codec.relation_row(relation)],
                 "proposals": [codec.proposal_row(proposal)]}))

    @_writing
    def reject_proposal(self, proposal: Proposal) -> None:
        """Record a rejection if the proposal is still pending, checked and written under
        one lock, so a concurrent accept cannot be overwritten."""
        with self._engine.write_lock():
            self._check_pending(proposal)
            self._engine.mutate(Q.PUT_PROPOSALS, {"proposals": [codec.proposal_row(proposal)]})

    def _check_pending(self, proposal: Proposal) -> None:
        current = self._engine.query(Q.GET_PROPOSAL, {"id": str(proposal.id)})
        if not current:
            raise NotFound(proposal.id, "proposal")
        status = codec.row_proposal(current[0]).status
        if status is not ProposalStatus.PENDING:
            raise ValidationError(f"proposal {proposal.id} is already {status}",
                                  field="proposal")

    # -- team sync (an enterprise replica; see groove.team and store/replica.py) ------

    @_reading
    def sync_state(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._engine.query(R.ALL_STATE)}

    @_reading
    def outbox(self, limit: int = 1000) -> list[OutboxEntry]:
        """The oldest `limit` entries still to push."""
        rows = self._engine.query(R.OUTBOX_PAGE, {"limit": int(limit)})
        return [OutboxEntry.from_row(r) for r in rows]

    @_reading
    def outbox_counts(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._engine.query(R.OUTBOX_COUNT)}

    @_writing
    def clear_outbox(self, ids: Sequence[str]) -> None:
        """Forget entries the server has committed (a retry would be harmless anyway)."""
        if ids:
            self._engine.mutate(R.RM_OUTBOX, {"ids": [[i] for i in ids]})

    @_writing
    def apply_team_changes(self, changes: ReplicaChanges,
                           state: dict[str, str | None] | None = None) -> None:
        """Apply one pulled page and the sync state that follows it, in one transaction.

        Idempotent: rows are put by key and usage is set from the team's absolute counts
        plus this machine's events still in the outbox (which the server has not
        counted yet), so applying a page twice changes nothing. Learnings keep the
        server's text and times; a vector made by another model is refused.
        """
        with self._engine.write_lock():
            self._apply_team_changes(changes, state or {})

    def _apply_team_changes(self, changes: ReplicaChanges, state: dict[str, str | None]) -> None:
        pulled = {str(p.learning.id): p for p in changes.learnings}
        ids = set(pulled) | {str(i) for i in changes.usage}
        pending: dict[str, list[tuple[Outcome, int]]] = {}
        if ids:
            for ref, outcome, delta in self._engine.query(R.PENDING_OUTCOMES,
                                                          {"ids": sorted(ids)}):
                pending.setdefault(ref, []).append((Outcome.parse(outcome), int(delta)))

        def usage(id: str, counts: Counts) -> UsageStats:
            merged = Counts(counts.helpful, counts.ignored, counts.contradicted,
                            counts.last_used)
            for outcome, delta in pending.get(id, []):
                merged.add(outcome, delta)
            return merged.usage()

        script, values = "", {}
        with_vec = [p for p in pulled.values() if p.vector is not None]
        stats = {i: usage(i, p.counts) for i, p in pulled.items()}
        if pulled:
            script += Q.PUT_LEARNINGS + Q.PUT_USAGE
            values["learnings"] = [codec.learning_row(p.learning, stats[i])
                                   for i, p in pulled.items()]
            values["usage"] = [codec.usage_row(p.learning.id, stats[i])
                               for i, p in pulled.items()]
        vectors: list[tuple[PulledLearning, Vector]] = []
        models = {p.model or "unspecified" for p in with_vec}
        for model in models:
            self._check_model(model)
        if len(models) > 1:
            raise EmbeddingModelMismatch(*sorted(models)[:2])
        if with_vec:
            vectors = [(p, self._check_vector(p.vector)) for p in with_vec
                       if p.vector is not None]
            script += Q.PUT_EMBEDDINGS
            values["embeddings"] = [[str(p.learning.id), p.model or "unspecified",
                                     v.tobytes()] for p, v in vectors]
        others = {str(i): c for i, c in changes.usage.items() if str(i) not in pulled}
        known = self._existing(others) if others else set()
        recounted: dict[str, UsageStats] = {}
        if known:
            recounted = {i: usage(i, others[i]) for i in sorted(known)}
            script += Q.PUT_USAGE.replace("$usage", "$usage_only") + R.SET_CONFIDENCES
            values["usage_only"] = [codec.usage_row(LearningId(i), u)
                                    for i, u in recounted.items()]
            values["confidences"] = [[i, u.confidence(), -u.confidence()]
                                     for i, u in recounted.items()]
        if changes.relations:
            script += Q.PUT_RELATIONS
            values["relations"] = [codec.relation_row(r) for r in changes.relations]
        if changes.params:
            script += Q.PUT_PARAMS
            values["params"] = [codec.param_row(p) for p in changes.params]
        if changes.proposals:
            script += Q.PUT_PROPOSALS
            values["proposals"] = [codec.proposal_row(p) for p in changes.proposals]
        put = [[k, v] for k, v in state.items() if v is not None]
        gone = [[k] for k, v in state.items() if v is None]
        if put:
            script += R.PUT_STATE
            values["state"] = put
        if gone:
            script += R.RM_STATE
            values["keys"] = gone
        if not script:
            return
        with self._vectors.writing() as index:
            self._engine.mutate(script, values)
            self._keywords_change(("reset",))  # rebuilt on the next keyword search
            rows = rows_of([p.learning for p in pulled.values()], stats.values())
            trusts = {i: trust_of(u) for i, u in recounted.items()}

            def apply(f: RankingFeatures) -> None:
                f.put(rows)
                for i, t in trusts.items():
                    f.set_usage(i, t)

            self._features_change(apply)
            if models:
                self._note_model(sorted(models)[0])
            with self._index_lock:
                for p, v in vectors:
                    x = p.learning
                    index.upsert(str(x.id), v, x.scope.to_db_string(), x.category.value)
                for p in pulled.values():
                    if p.vector is None:
                        x = p.learning
                        index.set_meta(str(x.id), x.scope.to_db_string(), x.category.value)

    # -- integrity ---------------------------------------------------------------

    @_reading
    def check_integrity(self) -> list[str]:
        """Problems found (empty when sound): every learning has usage stats and its
        short handle (no handle abbreviates anything else); every embedding and relation
        points at a stored learning; the vector index holds every stored vector."""
        problems: list[str] = []
        ids = {r[0] for r in self._engine.query(Q.ALL_IDS)}
        usage = {r[0] for r in self._engine.query(Q.ALL_USAGE_IDS)}
        vectors = {r[0] for r in self._engine.query(Q.ALL_VECTOR_IDS)}
        problems += [f"learning {i} has no usage stats" for i in sorted(ids - usage)]
        problems += [f"usage stats for missing learning {i}" for i in sorted(usage - ids)]
        problems += [f"embedding for missing learning {i}" for i in sorted(vectors - ids)]
        handles = self._engine.query(Q.ALL_HANDLES)
        problems += [f"handle {h} does not abbreviate learning {i}" for h, i in handles
                     if i not in ids or h != i[-HANDLE_LEN:].lower()]
        problems += [f"learning {i} has no handle"
                     for i in sorted(ids - {i for _, i in handles})]
        for r in map(codec.row_relation, self._engine.query(Q.ALL_RELATIONS)):
            ends = [r.from_id] if r.relation_type in CROSS_TIER else [r.from_id, r.to_id]
            problems += [f"relation {r.from_id} {r.relation_type} {r.to_id} points at missing "
                         f"learning {e}" for e in ends if str(e) not in ids]
        problems += self._check_vector_index(sorted(vectors & ids))
        return problems

    def _check_vector_index(self, ids: list[str], probes: int = 64) -> list[str]:
        """Every stored vector is in the search index (a fresh load, and the live one if
        loaded) as a unit vector equal to the stored bytes, so a search for it scores 1;
        a sample is searched for to prove it. O(n * dim), not a search per vector."""
        import numpy as np

        problems: list[str] = []
        indexes = [self._load_index()] + ([self._index] if self._index is not None else [])
        stored: dict[str, bytes] = {r[0]: r[1] for r in self._engine.query(Q.ALL_VECTORS)}
        for index in indexes:
            for i in ids:
                v = index.vector(i)
                if v is None or v.tobytes() != stored[i] or abs(float(v @ v) - 1.0) > 1e-3:
                    problems.append(f"vector index does not hold the stored vector of {i}")
            index.drop_pages()
        step = max(1, len(ids) // probes)
        for i in ids[::step]:
            hits = indexes[-1].search(np.frombuffer(stored[i], dtype=np.float32), 1)
            if not hits or hits[0][1] < 0.999:
                problems.append(f"vector index does not find the stored vector of {i}")
        return problems


def _outbox_script(entries: Sequence[OutboxEntry]) -> tuple[str, dict[str, Any]] | None:
    """The script (and its values) that queues `entries` for the next push."""
    if not entries:
        return None
    return R.PUT_OUTBOX, {"outbox": [e.row() for e in entries]}


def _schema_version(engine: Engine) -> int:
    if "schema_version" not in engine.relations():
        return 0
    rows = engine.query(Q.SCHEMA_VERSION)
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _migrate(engine: Engine, migrations: tuple[Migration, ...]) -> int:
    """Apply pending migrations, each atomically, after backing up a non-empty database."""
    version = _schema_version(engine)
    latest = migrations[-1].version
    if version == 0 and engine.relations():
        raise MigrationError(f"{engine.path} holds a Cozo database that is not a groove store; "
                             "choose another path")
    if version > latest:
        raise MigrationError(
            f"{engine.path} has schema version {version}, newer than this groove knows "
            f"({latest}); upgrade groove")
    pending = [m for m in migrations if m.version > version]
    if not pending:
        return version
    backup = None
    if version > 0:
        backup_dir = engine.path / "backups"
        backup_dir.mkdir(exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        backup = backup_dir / f"schema-v{version}-{stamp}.db"
        engine.backup(backup)
    for m in pending:
        try:
            engine.mutate(m.script + RECORD_VERSION, {
                "version": m.version, "applied_at": to_micros(utcnow()),
                "description": m.description})
        except GrooveError as e:
            raise MigrationError(
                f"migration to schema version {m.version} ({m.description}) failed: {e}; "
                f"{engine.path} is still at version {_schema_version(engine)}",
                backup=backup, version=m.version) from None
        version = m.version
    return version
