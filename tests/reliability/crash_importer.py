"""Child process for the crash test: bulk-import a file, acknowledging each commit.

    python crash_importer.py DB_PATH EXPORT_FILE BATCH

Prints "start" once ready, then "ack N" after each committed batch (N learnings
so far). The parent kills it with SIGKILL at a random moment.
"""

import asyncio
import sys
from pathlib import Path

from groove.testing import HashEmbedder
from groove.transfer import read_export
from tests.conftest import open_embedded


async def main() -> None:
    path, file, batch = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    doc = read_export(file)
    store = await open_embedded(path, HashEmbedder())
    print("start", flush=True)

    def ack(done: int, total: int) -> None:
        if done:
            print(f"ack {done}", flush=True)

    await store.import_(doc, batch_size=batch, progress=ack)
    print("done", flush=True)
    await store.close()


asyncio.run(main())
