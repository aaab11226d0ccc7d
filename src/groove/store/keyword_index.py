"""BM25 keyword search over learnings' words and code tokens, in memory beside Cozo.

Vectors miss what wording alone separates: `ripgrep` vs `fd`, `AWS_PROFILE` vs
`AWS_REGION`, `ops/deploy.sh` vs `ops/rollback.sh`. A token here is a word, and a code
token is also kept whole (a path, a flag, an ENV_VAR, a dotted or dashed name) beside
its parts, so `ruff check --fix` matches `--fix` exactly and `fix` loosely. Words lose
their plural `s` (`stem`), so `tests` matches `test` and `branches` `branch`.

A learning is indexed with its description as the `headline`, counted twice, and its
insight once (a one-line BM25F). Measured on bench/rankset, cross-validated over
clusters: folding and the headline took fused MRR from 0.872 to 0.89 and fused hit@5
back up to vector-only's 0.961 (ranking.py keeps KEYWORD_LIFT = 0.1).

Like the vector index, this is a cache of what Cozo stores, built on first use and
kept in step by every write; filters (scope, category) apply before the top-k cut.
"""

from __future__ import annotations

import functools
import math
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from groove.store.packing import pack, unpack
from groove.store.vector_index import Codes

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


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Fold a plural or third-person `s`: tests -> test, libraries -> library, branches
    -> branch, fixes -> fix; short words, numbers and -ss/-us/-is/-ous words stay.
    (Cached: words repeat, and building the index at 100,000 learnings stems millions.)"""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Words (lowercased, stopwords out, `stem`med) plus whole code tokens
    (`ops/deploy.sh`, `--fix`, `aws_profile`): a query's code token matches only the
    same token."""
    out = [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    # a match of _CODE is a code token when it holds one of `. _ - / : =`, which is
    # exactly when it is not all letters and digits: `isalnum` asks that in C (a regex
    # search per match cost a sixth of indexing)
    for m in _CODE.findall(text):
        if len(m) > 2 and not m.isalnum():
            out.append(m.lower())
            if "=" in m:  # `AWS_PROFILE=staging` also names `AWS_PROFILE`
                out += [p.lower() for p in m.split("=") if len(p) > 2 and not p.isalnum()]
    return out


_PROBE = ("Tests branches libraries fixes classes: run `ruff check --fix` on ops/deploy.sh "
          "with AWS_PROFILE=staging and pkg.mod-name:attr; the 3 bus analysis status")
TOKENIZER = zlib.crc32(repr((_CODE.pattern, _WORD.pattern, sorted(STOPWORDS),
                             tokens(_PROBE))).encode())
"""Changes when what `tokens` makes of a text changes (a saved index built by another
tokenizer is rebuilt, never searched)."""


class _Column:
    """A numpy column that grows by doubling (an index's per-row values)."""

    def __init__(self, dtype: Any) -> None:
        self.data = np.zeros(1024, dtype=dtype)

    def set(self, row: int, value: Any) -> None:
        if row >= self.data.size:
            grown = np.zeros(max(row + 1, 2 * self.data.size), dtype=self.data.dtype)
            grown[: self.data.size] = self.data
            self.data = grown
        self.data[row] = value


class KeywordIndex:
    """Postings as compact arrays: per term the rows (uint32) and term frequencies
    (uint8, BM25 saturates long before 255) that hold it. A dict of dicts per term cost
    ~3.6 KB a learning (361 MB at 100,000); this ~0.1 KB. A removed or rewritten row is
    marked dead and skipped; postings are compacted once dead rows outnumber live ones."""

    def __init__(self) -> None:
        self._ids: list[str | None] = []
        self._row: dict[str, int] = {}
        self._alive = _Column(np.bool_)
        self._length = _Column(np.float64)
        self._scope = _Column(np.int32)
        self._category = _Column(np.int32)
        self._scopes = Codes()
        self._categories = Codes()
        self._term: dict[str, int] = {}
        self._rows: list[array[int] | None] = []
        self._tf: list[array[int] | None] = []
        """Per term, its rows and term frequencies as appendable arrays; None while they
        are still the slice `_loaded_at[t]:_loaded_at[t + 1]` of `_loaded_rows` and
        `_loaded_tf` (an index read back from its file makes no per-term arrays until a
        write appends to a term: ~4 s -> ~1 s for a million terms)."""
        self._forget_loaded()
        self._total_length = 0.0
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The index as flat arrays of plain values (`from_arrays` reads them back): what
        its saved file holds (`saved_indexes`), read in ~0.1-0.4 s at 100,000 learnings
        where a build from the texts takes ~5 s."""
        n = len(self._ids)
        sizes = np.array([-1 if r is None else len(r) for r in self._rows], dtype=np.int64)
        loaded = np.flatnonzero(sizes < 0)
        sizes[loaded] = np.diff(self._loaded_at)[loaded]
        return {
            "ids": pack(i or "" for i in self._ids),
            "alive": self._alive.data[:n].copy(),
            "length": self._length.data[:n].copy(),
            "scope": self._scope.data[:n].copy(),
            "category": self._category.data[:n].copy(),
            "scopes": pack(self._scopes.values),
            "categories": pack(self._categories.values),
            "terms": pack(self._term),
            "offsets": np.concatenate([[0], np.cumsum(sizes)]),
            "rows": np.frombuffer(b"".join(self._pieces(self._rows, self._loaded_rows)),
                                  dtype=np.uint32),
            "tf": np.frombuffer(b"".join(self._pieces(self._tf, self._loaded_tf)),
                                dtype=np.uint8),
            "totals": np.array([self._total_length, self._live], dtype=np.float64),
            "counts": np.array([n, len(self._scopes.values), len(self._categories.values),
                                len(self._term)], dtype=np.int64),
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> KeywordIndex:
        """The index `to_arrays` wrote; a ValueError when the arrays do not fit together."""
        index = cls()
        n, scopes, categories, term_count = (int(x) for x in a["counts"])
        ids, terms = unpack(a["ids"], n), unpack(a["terms"], term_count)
        offsets, rows, tf = a["offsets"], a["rows"], a["tf"]
        if any(len(a[k]) != n for k in ("alive", "length", "scope", "category")) \
                or len(offsets) != len(terms) + 1 or offsets[0] != 0 \
                or offsets[-1] != len(rows) or np.any(np.diff(offsets) < 0) \
                or len(tf) != len(rows) or (len(rows) and int(rows.max()) >= n):
            raise ValueError("the keyword arrays do not fit together")
        alive = a["alive"].astype(np.bool_)
        index._ids = [i if live else None for i, live in zip(ids, alive.tolist(), strict=True)]
        index._row = {i: r for r, i in enumerate(index._ids) if i is not None}
        for column, values in ((index._alive, alive), (index._length, a["length"]),
                               (index._scope, a["scope"]), (index._category, a["category"])):
            column.data = np.concatenate([values.astype(column.data.dtype),
                                          np.zeros(1024, dtype=column.data.dtype)])
        index._scopes = Codes(unpack(a["scopes"], scopes))
        index._categories = Codes(unpack(a["categories"], categories))
        index._term = {t: k for k, t in enumerate(terms)}
        index._rows, index._tf = [None] * term_count, [None] * term_count
        index._loaded_rows = rows.astype(np.uint32)
        index._loaded_tf = tf.astype(np.uint8)
        index._loaded_at = offsets.astype(np.int64)
        index._total_length, live = (float(x) for x in a["totals"])
        index._live = int(live)
        if index._live != len(index._row):
            raise ValueError("the keyword arrays count another number of learnings")
        return index

    def upsert(self, id: str, text: str, scope: str, category: str, *,
               headline: str = "") -> None:
        """Index `id`'s `text`; a `headline` (a learning's description, `text` being its
        insight) counts twice."""
        self.remove(id)
        if len(self._ids) > 1000 and len(self._ids) > 2 * self._live:
            self._compact()
        row = len(self._ids)
        counts = Counter(tokens(text))
        for token in tokens(headline):
            counts[token] += 2
        self._ids.append(id)
        self._row[id] = row
        length = sum(counts.values())
        self._alive.set(row, True)
        self._length.set(row, length)
        self._scope.set(row, self._scopes.code(scope))
        self._category.set(row, self._categories.code(category))
        self._total_length += length
        self._live += 1
        for token, tf in counts.items():
            t = self._term.get(token)
            if t is None:
                t = self._term[token] = len(self._rows)
                self._rows.append(array("I"))
                self._tf.append(array("B"))
            elif self._rows[t] is None:  # still a slice of the loaded arrays: own it
                rows, tfs = self._postings(t)
                self._rows[t], self._tf[t] = array("I", rows.tobytes()), array("B", tfs.tobytes())
            for postings, value in ((self._rows, row), (self._tf, min(tf, 255))):
                held = postings[t]
                assert held is not None
                try:
                    held.append(value)
                except BufferError:  # a search's view of it outlived the search: a copy
                    postings[t] = array(held.typecode, held)
                    postings[t].append(value)  # type: ignore[union-attr]

    def set_meta(self, id: str, scope: str, category: str) -> None:
        row = self._row.get(id)
        if row is not None:
            self._scope.set(row, self._scopes.code(scope))
            self._category.set(row, self._categories.code(category))

    def remove(self, id: str) -> None:
        row = self._row.pop(id, None)
        if row is None:
            return
        self._alive.set(row, False)
        self._ids[row] = None
        self._total_length -= float(self._length.data[row])
        self._live -= 1

    def _compact(self) -> None:
        """Drop dead rows: renumber the live ones and rewrite every posting."""
        n = len(self._ids)
        alive = self._alive.data[:n]
        new_row = np.cumsum(alive) - 1
        keep = np.flatnonzero(alive)
        self._ids = [self._ids[r] for r in keep.tolist()]
        self._row = {id: r for r, id in enumerate(self._ids) if id is not None}
        for column in (self._alive, self._length, self._scope, self._category):
            column.data = np.concatenate([column.data[keep],
                                          np.zeros(keep.size, dtype=column.data.dtype)])
        term: dict[str, int] = {}
        rows: list[array[int] | None] = []
        tfs: list[array[int] | None] = []
        for token, t in self._term.items():
            held, held_tf = self._postings(t)
            old = held.astype(np.int64)
            live = alive[old]
            if live.any():
                term[token] = len(rows)
                rows.append(array("I", new_row[old[live]].astype(np.uint32).tobytes()))
                tfs.append(array("B", held_tf[live].tobytes()))
        self._term, self._rows, self._tf = term, rows, tfs
        self._forget_loaded()

    def _forget_loaded(self) -> None:
        """No term's postings are slices of loaded arrays (any more)."""
        self._loaded_rows = np.zeros(0, dtype=np.uint32)
        self._loaded_tf = np.zeros(0, dtype=np.uint8)
        self._loaded_at = np.zeros(1, dtype=np.int64)

    def _pieces(self, held: list[array[int] | None], loaded: np.ndarray
                ) -> Iterator[array[int] | memoryview]:
        """Every term's postings in term order, a run of terms still in the loaded arrays
        as one slice of them (a million terms are not a million slices)."""
        start = None
        for t, own in enumerate(held):
            if own is None:
                start = t if start is None else start
                continue
            if start is not None:
                yield loaded[self._loaded_at[start]:self._loaded_at[t]].data
                start = None
            yield own
        if start is not None:
            yield loaded[self._loaded_at[start]:self._loaded_at[len(held)]].data

    def _postings(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Term `t`'s rows and term frequencies. Views, not copies: writes wait for
        searches (the store's lock), and a view of an array that outlived one makes the
        next append copy (see upsert)."""
        rows = self._rows[t]
        if rows is None:
            lo, hi = int(self._loaded_at[t]), int(self._loaded_at[t + 1])
            return self._loaded_rows[lo:hi], self._loaded_tf[lo:hi]
        tf = self._tf[t]
        assert tf is not None
        return np.frombuffer(rows, dtype=np.uint32), np.frombuffer(tf, dtype=np.uint8)

    def search(self, query: str, limit: int, scopes: Iterable[str] | None = None,
               categories: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The `limit` best BM25 matches among the learnings that pass the filters."""
        terms = set(tokens(query))
        if not terms or not self._live or limit <= 0:
            return []
        n = len(self._ids)
        alive = self._alive.data[:n]
        lengths = self._length.data[:n]
        scores = np.zeros(n, dtype=np.float64)
        average = self._total_length / self._live or 1.0
        some_dead = self._live < n
        for term in terms:
            t = self._term.get(term)
            if t is None:
                continue
            rows, tf = self._postings(t)
            if some_dead:
                live = alive[rows]
                rows, tf = rows[live], tf[live]
            if rows.size == 0 or (rows.size > COMMON * self._live and self._live > 100):
                continue
            idf = math.log(1.0 + (self._live - rows.size + 0.5) / (rows.size + 0.5))
            norm = tf + K1 * (1.0 - B + B * lengths[rows] / average)
            scores[rows] += idf * tf * (K1 + 1.0) / norm
        hit = np.flatnonzero(scores > 0)
        if scopes is not None:
            hit = hit[np.isin(self._scope.data[hit], self._scopes.codes(scopes))]
        if categories is not None:
            hit = hit[np.isin(self._category.data[hit],
                              self._categories.codes(categories))]
        best = top(hit, scores, limit)
        return [(str(self._ids[r]), float(scores[r])) for r in best.tolist()]


def top(rows: np.ndarray, scores: np.ndarray, limit: int) -> np.ndarray:
    """The `limit` best of `rows` (ascending) by score, ties to the lower row: what a
    stable sort of all of them gives, without sorting them all (a query's common words
    hit tens of thousands of rows; sorting them was two thirds of a search at 100,000)."""
    if rows.size > limit:
        s = scores[rows]
        kth = np.partition(s, rows.size - limit)[rows.size - limit]
        above, tied = rows[s > kth], rows[s == kth]
        rows = np.concatenate([above, tied[: limit - above.size]])
    return rows[np.lexsort((rows, -scores[rows]))]
