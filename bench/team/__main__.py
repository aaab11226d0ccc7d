"""Team sync, measured: a full sync into an empty replica and an incremental sync with
nothing new, against a real PostgreSQL started here.

    python -m bench.team --sizes 10000,100000 --out team.json

Per size N (learnings with 384-d vectors on the server): `full_sync_s` (empty replica
to N), then `incremental_*_ms` over repeated syncs with nothing new (target <= 50 ms;
each includes connecting). The peer in the same run is what a sync without a cursor
would pay each time: `reread_all_s`, one SELECT of every learning row with its vector.
Prints JSON on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.team.conftest import create_database
from tests.team.helpers import curated, seed
from tests.team.pg import PgServer, start_server

from groove.config import EnterpriseConfig
from groove.store import CozoStore
from groove.team import init_server, server, sync_replica


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def measure(pg: PgServer, n: int, repeats: int, work: Path) -> dict[str, Any]:
    url = create_database(pg)
    await init_server(url)
    started = time.perf_counter()
    await seed(url, curated(n, seed=n))
    log(f"{n}: seeded the server in {time.perf_counter() - started:.1f}s")
    org = EnterpriseConfig("bench", work / f"replica-{n}", url)
    store = await CozoStore.open(org.db_path)
    try:
        started = time.perf_counter()
        report = await sync_replica(store, org, "bench")
        full = time.perf_counter() - started
        assert report.pulled["learnings"] == n and await store.count() == n
        log(f"{n}: full sync {full:.2f}s")
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            report = await sync_replica(store, org, "bench")
            times.append((time.perf_counter() - started) * 1000)
            assert sum(report.pulled.values()) == 0
        times.sort()
        log(f"{n}: incremental p50 {statistics.median(times):.1f} ms")
    finally:
        await store.close()
    async with server.connect(url) as conn:
        started = time.perf_counter()
        rows = await (await conn.execute("SELECT id, doc, embedding FROM groove.learning")
                      ).fetchall()
        reread = time.perf_counter() - started
        assert len(rows) == n
    return {
        "learnings_on_server": n,
        "full_sync_s": round(full, 3),
        "full_sync_per_s": round(n / full, 1),
        "incremental_p50_ms": round(statistics.median(times), 2),
        "incremental_p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "incremental_max_ms": round(times[-1], 2),
        "incremental_target_ms": 50,
        "incremental_within_target": statistics.median(times) <= 50,
        "peer_reread_all_s": round(reread, 3),
        "replica_bytes": sum(f.stat().st_size for f in org.db_path.rglob("*") if f.is_file()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.team")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pg, how = start_server()
    if pg is None:
        sys.exit(f"no PostgreSQL to run: {how}")
    work = Path(tempfile.mkdtemp(prefix="groove-bench-team-"))
    try:
        results = {"postgres": how, "rows": [
            asyncio.run(measure(pg, int(n), args.repeats, work)) for n in args.sizes.split(",")]}
    finally:
        pg.close()
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
