"""Many threads on one store: exact counts, no busy errors reach the caller."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from groove import CozoStore, LearningRelation, Outcome, RelationType
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
