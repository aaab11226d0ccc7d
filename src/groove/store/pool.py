"""One open store per database path in a process.

RocksDB admits one handle per database per process as much as per machine: a
second `CozoStore` on a path this process holds fails with `DatabaseLocked`
naming our own pid. Everything that needs a tier asks the pool, which opens a
path once, on first use, and closes it once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from groove.domain import DEFAULT_DIM
from groove.store.cozo import CozoStore
from groove.store.schema import MIGRATIONS, Migration


def store_exists(path: Path) -> bool:
    """Whether anything is at `path`: reads must not create a database, but something in
    its place (a store, or a file in the way) is opened so that its problem is reported."""
    return path.exists()


class StorePool:
    """The stores this process has open, keyed by resolved path."""

    def __init__(self, *, engine: str = "mnestic", lock_timeout: float = 0.0,
                 durable: bool = True, dim: int = DEFAULT_DIM,
                 migrations: Sequence[Migration] = MIGRATIONS):
        self.engine = engine
        self.lock_timeout = lock_timeout
        self.durable = durable
        self.dim = dim
        self.migrations = tuple(migrations)
        self._stores: dict[Path, CozoStore] = {}
        self._named: dict[Path, CozoStore] = {}
        """Open stores by the path they were asked for: resolving a path costs ~30 us of
        system calls, and a search asks for each tier's store twice."""
        self._opening: dict[Path, asyncio.Lock] = {}
        self._closing: dict[Path, asyncio.Task[None]] = {}

    async def get(self, path: Path, *, create: bool = True) -> CozoStore | None:
        """The store at `path`, opened on first use; with `create=False`, None when no
        database exists there yet."""
        store = self._named.get(path)
        if store is not None:
            return store
        key = path.resolve()
        store = self._stores.get(key)
        if store is not None:
            if path.is_absolute():  # a relative one may mean another place after a chdir
                self._named[path] = store
            return store
        closing = self._closing.get(key)
        if closing is not None:  # reopening a store being closed waits for its lock
            await asyncio.shield(closing)
            return await self.get(path, create=create)
        if not create and not store_exists(key):
            return None
        lock = self._opening.setdefault(key, asyncio.Lock())
        async with lock:
            if key not in self._stores:
                self._stores[key] = await CozoStore.open(
                    key, engine=self.engine, durable=self.durable,
                    lock_timeout=self.lock_timeout, dim=self.dim, migrations=self.migrations)
        return self._stores[key]

    async def open(self, path: Path) -> CozoStore:
        """The store at `path`, created if needed."""
        store = await self.get(path)
        assert store is not None
        return store

    def _forget(self, store: CozoStore) -> None:
        self._named = {p: s for p, s in self._named.items() if s is not store}

    def is_open(self, path: Path) -> bool:
        return path.resolve() in self._stores

    def open_paths(self) -> list[Path]:
        return list(self._stores)

    async def close(self, path: Path) -> None:
        """Close one store (e.g. a project tier unused for a while)."""
        key = path.resolve()
        store = self._stores.pop(key, None)
        if store is None:
            return
        self._forget(store)
        task = asyncio.ensure_future(store.close())
        self._closing[key] = task
        try:
            await task
        finally:
            self._closing.pop(key, None)

    async def close_all(self) -> None:
        """Close every store once; a failure to close one does not leave the others open."""
        stores, self._stores, self._named = list(self._stores.values()), {}, {}
        errors: list[BaseException] = []
        for store in stores:
            try:
                await store.close()
            except Exception as e:
                errors.append(e)
        if errors:
            raise errors[0]
