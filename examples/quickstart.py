"""A first taste of groove: store a few learnings, record an outcome, search them.

Runs on a real RocksDB store (in a temporary directory unless a path is given)
with the real all-MiniLM-L6-v2 model.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from groove import (
    CozoStore,
    DefaultEmbedder,
    Learning,
    LearningCategory,
    LearningContent,
    Outcome,
    Scope,
)

LEARNINGS = [
    (LearningCategory.PREFERENCE, "Use pytest fixtures, not unittest setUp",
     "Fixtures compose and can be scoped per module or session"),
    (LearningCategory.ERROR_RECOVERY, "RocksDB LOCK error means another process holds the DB",
     "Close the other process or wait for it; never delete the LOCK file"),
    (LearningCategory.TOOL_USAGE, "Run ruff check --fix before committing",
     "It sorts imports and fixes most lint findings automatically"),
]


async def main(path: Path) -> None:
    embedder = DefaultEmbedder()
    async with await CozoStore.open(path, embedder=embedder) as store:
        ids = []
        for category, description, insight in LEARNINGS:
            learning = Learning.new(Scope.user("me"), category,
                                    LearningContent(description, insight))
            ids.append(await store.store(learning))
        stats = await store.record_outcome(ids[0], Outcome.HELPFUL)
        print(f"stored {await store.count()} learnings in {path}")
        print(f"confidence after a helpful outcome: {stats.confidence():.3f}")
        for query in ["how do I set up tests in python?", "database is locked by another program"]:
            print(f"\nsearch: {query!r}")
            hits = await store.semantic_search(embedder.embed([query])[0], 2)
            for learning, similarity in hits:
                print(f"  {similarity:+.3f}  {learning.content.description}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(main(Path(tmp) / "groove"))
