"""BM25 keyword search over learnings' words and code tokens, in memory beside Cozo.

Vectors miss what wording alone separates: `ripgrep` vs `fd`, `AWS_PROFILE` vs
`AWS_REGION`, `ops/deploy.sh` vs `ops/rollback.sh`. A token here is a word, and a code
token is also kept whole (a path, a flag, an ENV_VAR, a dotted or dashed name) beside
its parts, so `ruff check --fix` matches `--fix` exactly and `fix` loosely.

Like the vector index, this is a cache of what Cozo stores, built on first use and
kept in step by every write; filters (scope, category) apply before the top-k cut.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

K1 = 1.2
B = 0.75
COMMON = 0.5
"""A term in more than this share of learnings is skipped: its IDF is under log 2, it
barely moves the order, and its posting list is the most expensive to score."""
_CODE = re.compile(r"[A-Za-z0-9_][\w.\-/:=]*[\w]|--?[A-Za-z][\w-]*")
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "has",
    "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "not", "of", "on",
    "or", "our", "so", "than", "that", "the", "their", "then", "there", "these", "this", "to",
    "us", "use", "used", "using", "was", "we", "what", "when", "where", "which", "while", "who",
    "why", "will", "with", "you", "your",
})


def tokens(text: str) -> list[str]:
    """Words (lowercased, stopwords out) plus whole code tokens (`ops/deploy.sh`,
    `--fix`, `aws_profile`): a query's code token matches only the same token."""
    out = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    for m in _CODE.findall(text):
        if any(c in m for c in "._-/:=") and len(m) > 2:
            out.append(m.lower())
            if "=" in m:  # `AWS_PROFILE=staging` also names `AWS_PROFILE`
                out += [p.lower() for p in m.split("=")
                        if len(p) > 2 and any(c in p for c in "._-/:")]
    return out


class KeywordIndex:
    def __init__(self) -> None:
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._alive: list[bool] = []
        self._length: list[int] = []
        self._lengths = np.zeros(0, dtype=np.float64)
        """`_length` as an array, rebuilt when rows were appended (rows never change)."""
        self._scope: list[str] = []
        self._category: list[str] = []
        self._terms: list[tuple[str, ...]] = []
        self._postings: dict[str, dict[int, int]] = {}
        self._arrays: dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}
        self._total_length = 0
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def upsert(self, id: str, text: str, scope: str, category: str) -> None:
        self.remove(id)
        row = len(self._ids)
        counts = Counter(tokens(text))
        self._ids.append(id)
        self._row[id] = row
        self._alive.append(True)
        length = sum(counts.values())
        self._length.append(length)
        self._scope.append(scope)
        self._category.append(category)
        self._terms.append(tuple(counts))
        self._total_length += length
        self._live += 1
        for token, tf in counts.items():
            self._postings.setdefault(token, {})[row] = tf
            self._arrays.pop(token, None)

    def set_meta(self, id: str, scope: str, category: str) -> None:
        row = self._row.get(id)
        if row is not None:
            self._scope[row], self._category[row] = scope, category

    def remove(self, id: str) -> None:
        row = self._row.pop(id, None)
        if row is None:
            return
        self._alive[row] = False
        self._total_length -= self._length[row]
        self._live -= 1
        for token in self._terms[row]:
            posting = self._postings.get(token)
            if posting is not None and posting.pop(row, None) is not None:
                self._arrays.pop(token, None)
                if not posting:
                    del self._postings[token]
        self._terms[row] = ()

    def _posting(self, token: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        cached = self._arrays.get(token)
        if cached is None:
            posting = self._postings.get(token, {})
            cached = (np.fromiter(posting.keys(), dtype=np.int64, count=len(posting)),
                      np.fromiter(posting.values(), dtype=np.float64, count=len(posting)))
            self._arrays[token] = cached
        return cached

    def search(self, query: str, limit: int, scopes: Iterable[str] | None = None,
               categories: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The `limit` best BM25 matches among the learnings that pass the filters."""
        terms = set(tokens(query))
        if not terms or not self._live or limit <= 0:
            return []
        n = len(self._ids)
        scores = np.zeros(n, dtype=np.float64)
        if self._lengths.size != n:
            self._lengths = np.asarray(self._length, dtype=np.float64)
        lengths = self._lengths
        average = self._total_length / self._live or 1.0
        for term in terms:
            rows, tf = self._posting(term)
            if rows.size == 0 or (rows.size > COMMON * self._live and self._live > 100):
                continue
            idf = math.log(1.0 + (self._live - rows.size + 0.5) / (rows.size + 0.5))
            norm = tf + K1 * (1.0 - B + B * lengths[rows] / average)
            scores[rows] += idf * tf * (K1 + 1.0) / norm
        hit = np.flatnonzero(scores > 0)
        if scopes is not None or categories is not None:
            allowed_scopes = None if scopes is None else set(scopes)
            allowed_categories = None if categories is None else set(categories)
            hit = np.array([r for r in hit if (allowed_scopes is None
                                               or self._scope[r] in allowed_scopes)
                            and (allowed_categories is None
                                 or self._category[r] in allowed_categories)],
                           dtype=np.int64)
        if hit.size == 0:
            return []
        best = hit[np.argsort(-scores[hit], kind="stable")[:limit]]
        return [(self._ids[r], float(scores[r])) for r in best if self._alive[r]]
