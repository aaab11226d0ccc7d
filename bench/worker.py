"""One system's measurements on one prepared data set, in its own process.

    python -m bench.worker groove|chroma DATA_DIR

Prints one JSON object. Running each system in its own process keeps their
memory figures apart; both read the identical ids, texts and vectors.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import percentile_ms, recall_at_k

BATCH = 1000


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it does not carry the parent's
    high-water mark across fork/exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Any, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


class Data:
    def __init__(self, root: Path):
        meta = json.loads((root / "meta.json").read_text())
        self.ids: list[str] = meta["ids"]
        self.texts: list[list[str]] = meta["texts"]
        self.scopes: list[str] = meta["scopes"]
        self.categories: list[str] = meta["categories"]
        self.extra_ids: list[str] = meta["extra_ids"]
        self.filter_scope: str = meta["filter_scope"]
        self.vectors = np.load(root / "vectors.npy")
        self.queries = np.load(root / "queries.npy")
        self.extra = np.load(root / "extra.npy")
        self.truth: list[list[str]] = meta["truth"]
        self.filtered_truth: list[list[str]] = meta["filtered_truth"]
        self.n = len(self.ids)


def _summary(d: Data, load_s: float, adds: list[float], search: list[float],
             found: list[list[str]], filtered: list[float], ffound: list[list[str]],
             gets: list[float], disk: int) -> dict[str, Any]:
    return {
        "bulk_load_per_s": d.n / load_s,
        "add_one_p50_ms": percentile_ms(adds, 50), "add_one_p95_ms": percentile_ms(adds, 95),
        "search_p50_ms": percentile_ms(search, 50), "search_p95_ms": percentile_ms(search, 95),
        "recall_at_10": recall_at_k(found, d.truth),
        "filtered_search_p50_ms": percentile_ms(filtered, 50),
        "filtered_recall_at_10": recall_at_k(ffound, d.filtered_truth),
        "get_p50_ms": percentile_ms(gets, 50),
        "disk_bytes": disk, "disk_bytes_per_10k": disk * 10_000 / d.n,
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_chroma(d: Data, tmp: Path) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(tmp / "chroma"),
                                       settings=Settings(anonymized_telemetry=False))
    col = client.create_collection("learnings", metadata={"hnsw:space": "cosine"},
                                   embedding_function=None)
    meta = [{"scope": s, "category": c} for s, c in zip(d.scopes, d.categories, strict=True)]
    t = time.perf_counter()
    for s in range(0, d.n, BATCH):
        col.add(ids=d.ids[s:s + BATCH], embeddings=d.vectors[s:s + BATCH],
                documents=[f"{a}\n{b}" for a, b in d.texts[s:s + BATCH]],
                metadatas=meta[s:s + BATCH])  # type: ignore[arg-type]
    load_s = time.perf_counter() - t
    found: list[list[str]] = []
    ffound: list[list[str]] = []

    def search(i: int) -> None:
        found.append(col.query(query_embeddings=d.queries[i:i + 1], n_results=10)["ids"][0])

    def fsearch(i: int) -> None:
        ffound.append(col.query(query_embeddings=d.queries[i:i + 1], n_results=10,
                                where={"scope": d.filter_scope})["ids"][0])

    q = len(d.queries)
    s_times, f_times = _timed(search, q), _timed(fsearch, q)
    gets = _timed(lambda i: col.get(ids=[d.ids[(i * 7919) % d.n]], include=["documents",
                                                                             "metadatas"]), q)
    adds = _timed(lambda i: col.add(ids=[d.extra_ids[i]], embeddings=d.extra[i:i + 1],
                                    documents=["extra"], metadatas=[{"scope": "x",
                                                                     "category": "solution"}]),
                  len(d.extra_ids))
    return _summary(d, load_s, adds, s_times, found, f_times, ffound, gets,
                    _dir_bytes(tmp / "chroma"))


def run_groove(d: Data, tmp: Path) -> dict[str, Any]:
    return asyncio.run(_groove(d, tmp))


async def _groove(d: Data, tmp: Path) -> dict[str, Any]:
    import uuid

    from groove import (
        CozoStore,
        DefaultEmbedder,
        Learning,
        LearningCategory,
        LearningContent,
        Outcome,
        Scope,
        UserCreatedSource,
    )
    from groove.domain import utcnow

    now = utcnow()

    def learning(k: int) -> Learning:
        """Made per batch, as Chroma gets its documents: the harness holds no 100k objects."""
        a, b = d.texts[k]
        return Learning(uuid.UUID(d.ids[k]), Scope.from_db_string(d.scopes[k]),
                        LearningCategory(d.categories[k]), LearningContent(a, b), 0.5, now, now,
                        UserCreatedSource())

    path = tmp / "groove" / "user"
    store = await CozoStore.open(path)
    t = time.perf_counter()
    for s in range(0, d.n, BATCH):
        await store.store_many([learning(k) for k in range(s, min(d.n, s + BATCH))],
                               list(d.vectors[s:s + BATCH]))
    load_s = time.perf_counter() - t
    # close saves the vector side file (after the approximate index, when due, is built):
    # the reopen below reads it instead of rebuilding from Cozo.
    t = time.perf_counter()
    await store.close()
    close_s = time.perf_counter() - t
    t = time.perf_counter()
    store = await CozoStore.open(path)
    await store.semantic_search(d.queries[0], 10)
    reopen_s = time.perf_counter() - t
    vector_status = await store.vector_status()
    found: list[list[str]] = []
    ffound: list[list[str]] = []
    scope = Scope.from_db_string(d.filter_scope)
    q = len(d.queries)
    s_times, f_times, gets, outcomes = [], [], [], []
    for i in range(q):
        t = time.perf_counter()
        hits = await store.semantic_search(d.queries[i], 10)
        s_times.append(time.perf_counter() - t)
        found.append([str(h[0].id) for h in hits])
    for i in range(q):
        t = time.perf_counter()
        hits = await store.semantic_search(d.queries[i], 10, scope=scope)
        f_times.append(time.perf_counter() - t)
        ffound.append([str(h[0].id) for h in hits])
    for i in range(q):
        t = time.perf_counter()
        await store.get(uuid.UUID(d.ids[(i * 7919) % d.n]))
        gets.append(time.perf_counter() - t)
    for i in range(q):
        t = time.perf_counter()
        await store.record_outcome(uuid.UUID(d.ids[(i * 31) % d.n]), Outcome.HELPFUL)
        outcomes.append(time.perf_counter() - t)
    adds = []
    for i, x in enumerate(d.extra_ids):
        extra = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent("extra"))
        extra.id = uuid.UUID(x)
        t = time.perf_counter()
        await store.store(extra, d.extra[i])
        adds.append(time.perf_counter() - t)
    out = _summary(d, load_s, adds, s_times, found, f_times, ffound, gets, _dir_bytes(path))
    out["record_outcome_p50_ms"] = percentile_ms(outcomes, 50)
    out["close_with_index_and_side_file_s"] = close_s
    out["reopen_and_first_search_s"] = reopen_s
    out["vector_index"] = {k: vector_status.get(k) for k in ("source", "ann", "nprobe",
                                                             "load_s", "side_file_bytes")}
    out["peak_rss_mb"] = _peak_rss_mb()  # before the model is loaded below
    # An agent's prompt: embed the text with the real model, then pick what to inject.
    embedder = DefaultEmbedder()
    t = time.perf_counter()
    embedder.load()
    model_load_s = time.perf_counter() - t
    inject = []
    for i in range(50):
        t = time.perf_counter()
        vec = embedder.embed([f"how do I handle {d.texts[i][0][:60]}"])[0]
        await store.find_for_injection(None, vec, 5)
        inject.append(time.perf_counter() - t)
    out["model_load_s"] = model_load_s
    out["peak_rss_with_model_mb"] = _peak_rss_mb()
    out["find_for_injection_with_embedding_p50_ms"] = percentile_ms(inject, 50)
    await store.close()
    out.update(_cold_starts(tmp))
    return out


def _cold_starts(tmp: Path, runs: int = 5) -> dict[str, float]:
    """Wall time of `groove --no-server list` and `search` from a new process on this
    store (the direct path; `bench.server` measures the served one).

    As a user runs them: bytecode caching allowed (one warm-up run writes the .pyc files),
    stdout piped (plain table) and, where `script` exists, on a pseudo-terminal (Rich).
    """
    config = tmp / "groove.toml"
    config.write_text(f'user_db_path = "{tmp / "groove" / "user"}"\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["GROOVE_CONFIG"] = str(config)
    # the direct path, in this bench's own runtime dir: no groove server is started (one
    # would outlive the store it serves, in the user's runtime dir) and none is found
    env["GROOVE_NO_SERVER"] = "1"
    env["GROOVE_RUNTIME_DIR"] = str(tmp / "run")
    env["GROOVE_LOG_DIR"] = str(tmp / "log")
    cwd = tmp / "no-project"
    cwd.mkdir(exist_ok=True)
    exe = [sys.executable, "-m", "groove"]

    def wall(args: list[str], tty: bool = False) -> float:
        cmd = exe + args
        if tty:
            cmd = ["script", "-qec", " ".join(cmd), "/dev/null"]
        t = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
        return time.perf_counter() - t

    wall(["list", "--limit", "20"])  # writes bytecode caches, as any first run does
    lists = sorted(wall(["list", "--limit", "20"]) for _ in range(runs))
    out = {"cold_list_median_s": lists[len(lists) // 2]}
    if shutil.which("script"):
        ttys = sorted(wall(["list", "--limit", "20"], tty=True) for _ in range(runs))
        out["cold_list_tty_median_s"] = ttys[len(ttys) // 2]
    out["cold_search_min_s"] = min(wall(["search", "flaky tests", "--limit", "5"])
                                   for _ in range(2))
    return out


def main() -> None:
    system, data_dir = sys.argv[1], Path(sys.argv[2])
    d = Data(data_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{system}-"))
    try:
        result = run_groove(d, tmp) if system == "groove" else run_chroma(d, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
