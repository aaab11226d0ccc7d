"""Child process for the crash test: bulk-import a file, announcing each write and commit.

    python crash_importer.py DB_PATH EXPORT_FILE BATCH

Prints "start" once ready; then, per batch, "write N" when the batch's vectors are
ready (its write begins next) and "ack N" after it committed (N learnings so far);
"done" at the end. The parent SIGKILLs it after a chosen "ack" line.
"""

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from groove.domain import Vector
from groove.testing import HashEmbedder
from groove.transfer import read_export
from tests.conftest import open_embedded


class AnnouncingEmbedder(HashEmbedder):
    """Says when a batch leaves the embedder, so the parent can tell a kill inside a
    write from one between batches."""

    written = 0

    def embed(self, texts: Sequence[str]) -> Vector:
        out = super().embed(texts)
        self.written += len(texts)
        print(f"write {self.written}", flush=True)
        return out


async def main() -> None:
    path, file, batch = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    doc = read_export(file)
    store = await open_embedded(path, AnnouncingEmbedder())
    print("start", flush=True)

    def ack(done: int, total: int) -> None:
        if done:
            print(f"ack {done}", flush=True)

    await store.import_(doc, batch_size=batch, progress=ack)
    print("done", flush=True)
    await store.close()


asyncio.run(main())
