"""Child process of the SIGKILL test: sync one replica, announcing each applied page.

    python sync_child.py CONFIG PAGE_SIZE

Prints "start" once the replica is open, then "push N" or "pull FEED N" after each page
is committed on both sides, and "done" at the end. The parent SIGKILLs it midway.
"""

import asyncio
import sys
from pathlib import Path

from groove.config import GrooveConfig
from groove.store import CozoStore
from groove.team import sync_replica


async def main(config_path: str, page: int) -> None:
    config = GrooveConfig.load(Path(config_path))
    org = config.enterprises["acme"]
    store = await CozoStore.open(org.db_path)
    print("start", flush=True)
    await sync_replica(store, org, config.user_id, page_size=page,
                       progress=lambda what, n: print(f"{what} {n}", flush=True))
    await store.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
