"""Many threads on one store: exact counts, no busy errors reach the caller; reads side
by side, writes alone."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from groove import CozoStore, LearningRelation, Outcome, RelationType
from groove.store.cozo import ReadWriteLock
from groove.testing import HashEmbedder
from tests.conftest import make_learning


async def test_eight_threads_record_outcomes_exactly(tmp_path: Path, engine: str) -> None:
    """8 threads x 100 outcomes on one learning end with exact counters."""
    store = await CozoStore.open(tmp_path / "db", engine=engine)
    learning = make_learning()
    await store.store(learning)
    errors: list[BaseException] = []
    outcomes = [Outcome.HELPFUL, Outcome.IGNORED, Outcome.CONTRADICTED, Outcome.HELPFUL]

    def worker(n: int) -> None:
        try:
            async def run() -> None:
                for i in range(100):
                    await store.record_outcome(learning.id, outcomes[(n + i) % 4])
                    if i % 25 == 0:
                        other = make_learning(f"t{n}-{i}")
                        await store.store(other)
                        await store.store_relation(LearningRelation.new(
                            other.id, RelationType.RELATED_TO, learning.id))
            asyncio.run(run())
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = await store.get_usage(learning.id)
    assert stats is not None
    assert stats.times_injected == 800
    assert stats.times_helpful == 400
    assert stats.times_ignored == 200
    assert stats.times_contradicted == 200
    assert stats.confidence_alpha == 401.0
    assert abs(stats.confidence_beta - (1 + 200 * 0.1 + 200 * 1.5)) < 1e-9
    assert await store.count() == 1 + 8 * 4
    assert len(await store.get_relations(learning.id)) == 32
    assert await store.check_integrity() == []
    await store.close()


def test_reads_run_side_by_side() -> None:
    """Two readers hold the store's lock at the same time."""
    lock = ReadWriteLock()
    both_in = threading.Barrier(2, timeout=5)

    def reader() -> None:
        with lock.reading():
            both_in.wait()  # raises BrokenBarrierError if the other cannot get in

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not both_in.broken


def test_a_write_runs_alone_and_goes_before_later_reads() -> None:
    """A writer waits for the readers inside, runs alone, and a reader that comes
    while it waits runs after it."""
    lock = ReadWriteLock()
    order: list[str] = []
    first_in, release_first = threading.Event(), threading.Event()

    def first_reader() -> None:
        with lock.reading():
            first_in.set()
            release_first.wait(5)
            order.append("first read")

    def writer() -> None:
        with lock.writing():
            order.append("write")

    def late_reader() -> None:
        with lock.reading():
            order.append("late read")

    t1 = threading.Thread(target=first_reader)
    t1.start()
    assert first_in.wait(5)
    t2 = threading.Thread(target=writer)
    t2.start()
    while not lock._writers_waiting:  # the writer is queued behind the first reader
        time.sleep(0.001)
    t3 = threading.Thread(target=late_reader)
    t3.start()
    time.sleep(0.05)
    assert order == []  # the writer waits for the reader; the late reader for the writer
    release_first.set()
    for t in (t1, t2, t3):
        t.join(5)
    assert order == ["first read", "write", "late read"]


async def test_searches_and_writes_at_once_see_whole_writes(tmp_path: Path) -> None:
    """Searches from many tasks beside a stream of writes on one store: every search
    answers, never sees half a write, and the writes all land."""
    embedder = HashEmbedder()
    store = await CozoStore.open(tmp_path / "db")
    base = [make_learning(f"base learning {i}") for i in range(200)]
    await store.store_many(base, list(embedder.embed([x.content.description for x in base])))
    stop = asyncio.Event()

    async def searcher(k: int) -> int:
        n = 0
        while not stop.is_set():
            hits = await store.semantic_search(embedder.embed([f"base learning {k}"])[0], 5)
            assert len(hits) == 5 and all(-1.0001 <= s <= 1.0001 for _, s in hits)
            n += 1
        return n

    async def writer() -> None:
        for i in range(60):
            x = make_learning(f"new learning {i}")
            await store.store(x, embedder.embed([x.content.description])[0])
            await store.record_outcome(base[i].id, Outcome.HELPFUL)
        stop.set()

    results = await asyncio.gather(writer(), *(searcher(k) for k in range(6)))
    assert all(n > 0 for n in results[1:])
    assert await store.count() == 260
    assert await store.check_integrity() == []
    await store.close()


def test_try_reading_takes_a_share_only_without_a_writer() -> None:
    """A read share is taken at once when no writer runs or waits, refused otherwise,
    and a share given back lets a waiting writer in."""
    lock = ReadWriteLock()
    assert lock.try_reading()
    entered = threading.Event()

    def writer() -> None:
        with lock.writing():
            entered.set()

    t = threading.Thread(target=writer)
    t.start()
    while not lock._writers_waiting:
        time.sleep(0.001)
    assert not lock.try_reading()  # a waiting writer goes first
    lock.done_reading()
    assert entered.wait(5)
    t.join(5)
    assert lock.try_reading()
    lock.done_reading()


async def test_quick_reads_run_on_the_callers_thread_unless_a_writer_holds_the_store(
        tmp_path: Path) -> None:
    """A loaded store answers a ranked retrieval and a read by id on the caller's
    thread; while a write holds the store they go to a reader thread and see it whole."""
    embedder = HashEmbedder()
    store = await CozoStore.open(tmp_path / "db")
    learnings = [make_learning(f"quick read {i}") for i in range(20)]
    await store.store_many(learnings, list(embedder.embed(
        [x.content.embedding_text() for x in learnings])))
    threads: list[str] = []
    query = store._engine.query

    def spy(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        return query(*args, **kwargs)  # type: ignore[arg-type]

    store._engine.query = spy  # type: ignore[method-assign]
    vector = embedder.embed(["quick read 3"])[0]
    first = await store.retrieve(vector, "quick read 3", 5)  # loads: on a reader thread
    assert threads and all(t.startswith("groove-store-read") for t in threads)
    threads.clear()
    assert (await store.retrieve(vector, "quick read 3", 5)).hits == first.hits
    assert len(await store.get_many([learnings[0].id])) == 1
    assert threads == [threading.current_thread().name]  # the row, read right here
    threads.clear()
    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store._rw.writing():
            held.set()
            release.wait(5)

    t = threading.Thread(target=writer)
    t.start()
    assert held.wait(5)
    store._learnings.clear()
    read = asyncio.ensure_future(store.get_many([learnings[1].id]))
    await asyncio.sleep(0.05)
    assert not read.done()  # waits for the write, off the caller's thread
    release.set()
    assert [x.id for x in await read] == [learnings[1].id]
    assert threads and all(t.startswith("groove-store-read") for t in threads)
    t.join(5)
    await store.close()
