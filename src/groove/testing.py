"""Test helpers that ship with groove: a fast, deterministic stand-in embedder.

`HashEmbedder` maps each word to a fixed pseudo-random direction and sums
them, so texts that share words are similar. It is for fast unit tests only
and is never used unless passed in explicitly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from groove.domain import DEFAULT_DIM, Vector

_WORD = re.compile(r"\w+")


class HashEmbedder:
    model_id = "groove-testing/hash-embedder"

    def __init__(self, dim: int = DEFAULT_DIM):
        self.dim = dim
        self.calls = 0

    def _word(self, word: str) -> Vector:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> Vector:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = _WORD.findall(text.lower()) or [""]
            for w in words:
                out[i] += self._word(w)
            out[i] /= np.linalg.norm(out[i]) or 1.0
        return out
