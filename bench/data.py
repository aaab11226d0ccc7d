"""Benchmark data: varied learning texts and clustered 384-dim unit vectors."""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt

SUBJECTS = ["pytest fixtures", "the RocksDB lock", "async database calls", "git rebase",
            "type hints", "the CI pipeline", "docker layers", "SQL migrations", "error retries",
            "logging config", "the release script", "API pagination", "cache invalidation",
            "unicode filenames", "timezone handling", "flaky tests", "dependency pins"]
VERBS = ["prefer", "avoid", "always check", "document", "measure", "isolate", "retry",
         "pin", "review", "simplify"]
REASONS = ["because it broke the build twice", "since the team agreed on it in review",
           "as the profiler showed it dominated latency", "because users reported data loss",
           "to keep the tests deterministic", "which made onboarding much faster",
           "after an outage traced back to it", "since the linter cannot catch it"]


def texts(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """(description, insight) pairs of a few hundred characters each, all different."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        s, v, r = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(REASONS)
        desc = f"When working on {s}, {v} the obvious shortcut {r}. Case {i}: " + " ".join(
            rng.choice(SUBJECTS) for _ in range(rng.randint(3, 8)))
        insight = f"{v.capitalize()} {s}; {rng.choice(REASONS)}. " + " ".join(
            rng.choice(VERBS) for _ in range(rng.randint(5, 15)))
        out.append((desc, insight))
    return out


def clustered_vectors(n: int, dim: int = 384, clusters: int = 50, seed: int = 11
                      ) -> npt.NDArray[np.float32]:
    """Unit vectors around random centres: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    v = centres[labels] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v.astype(np.float32)


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, q))


def recall_at_k(found: list[list[str]], truth: list[list[str]]) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / sum(len(t) for t in truth)
