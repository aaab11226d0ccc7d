"""Helpers of the team tests: seed a team server, read a replica or the server whole."""

from __future__ import annotations

from typing import Any

import numpy as np

from groove.domain import (
    EnterpriseCuratedSource,
    Learning,
    LearningCategory,
    LearningContent,
    Scope,
)
from groove.store import CozoStore
from groove.store.replica import PulledLearning
from groove.team import server
from groove.testing import HashEmbedder

MODEL = HashEmbedder.model_id


def curated(n: int, seed: int = 0, dim: int = 384) -> list[PulledLearning]:
    """`n` curated learnings with random unit vectors (fast at 100,000)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [PulledLearning(Learning.new(Scope.GLOBAL, LearningCategory.CODE_PATTERN,
                                        LearningContent(f"team learning {seed}-{i}",
                                                        f"insight {i}"),
                                        EnterpriseCuratedSource("seed")),
                           vector=vectors[i], model=MODEL) for i in range(n)]


async def seed(url: str, items: list[PulledLearning], chunk: int = 10_000) -> None:
    async with server.connect(url) as conn:
        for start in range(0, len(items), chunk):
            await server.publish(conn, items[start:start + chunk])


async def server_rows(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    async with server.connect(url) as conn:
        return list(await (await conn.execute(query, params)).fetchall())


async def server_counts(url: str) -> dict[str, tuple[int, int, int]]:
    """Per learning: (helpful, ignored, contradicted) summed from the raw events."""
    rows = await server_rows(url, """
        SELECT learning_id::text,
               coalesce(sum(delta) FILTER (WHERE outcome = 'helpful'), 0),
               coalesce(sum(delta) FILTER (WHERE outcome = 'ignored'), 0),
               coalesce(sum(delta) FILTER (WHERE outcome = 'contradicted'), 0)
        FROM groove.outcome_event GROUP BY learning_id""")
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


async def replica_view(store: CozoStore) -> dict[str, Any]:
    """What must be equal on every converged replica: learnings (without local times),
    usage counts, relations, params and proposal decisions."""
    learnings = await store.all_learnings()
    ids = [x.id for x in learnings]
    usage = await store.get_usages(ids)
    return {
        "learnings": sorted((str(x.id), x.content.description, x.scope.to_db_string(),
                             x.source.source_type, round(x.confidence, 12))
                            for x in learnings),
        "usage": {str(i): (u.times_helpful, u.times_ignored, u.times_contradicted,
                           u.times_injected) for i, u in usage.items()},
        "relations": sorted((str(r.from_id), r.relation_type.value, str(r.to_id))
                            for r in await store.relations_among(ids)),
        "params": sorted((p.name, p.param.value) for p in await store.all_params()),
        "proposals": sorted((str(p.id), p.status.value, p.curator or "",
                             str(p.accepted_id or "")) for p in await store.list_proposals()),
    }
