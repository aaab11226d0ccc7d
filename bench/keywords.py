"""Keyword engines side by side: groove's KeywordIndex, bm25s, tantivy, Cozo FTS (mnestic).

    python -m bench keywords [--n 10000] [--queries 200] [--speed-runs 2] [--out FILE]

Issue 12: which keyword engine should sit beside the vectors? Each engine runs in this
one process on the same texts and answers the same queries. A learning's text is
`description\\ndescription\\ninsight`: groove indexes the description as a headline
that counts twice, and the same words twice give every engine the same term counts.

Quality: the rankset dev set (bench/rankset/data.py: 150 learnings, 102 queries) plus
CODE_QUERIES below (identifiers, paths, flags typed as an agent types them), measured
keyword-only and fused with the real all-MiniLM-L6-v2 vectors the way groove fuses:
the top 20 by vector and the top 20 by keywords (groove's fetch for `search(limit=10)`),
every candidate's cosine, `ranking.relevance(cosine, score / best score of the query)`.
Every learning is new, so trust, tier and recency are equal and relevance alone orders
them. NEAR_MISSES: does the query's exact token put its learning above the one that
differs only in that token (AWS_PROFILE vs AWS_REGION)?

Speed: `bench.data.texts(n)`, 200 query prefixes as bench/search.py draws them; index
build, top-25 query p50/p95 (ids included), and the per-write update each engine
offers (groove updates every write: store, edit, delete).

Engines, each "as shipped" plus, where it takes pre-tokenized input, with groove's
`tokens()` (words minus stopwords plus whole code tokens) to separate tokenizer from
scorer:
- groove: `groove.store.keyword_index.KeywordIndex`, unchanged.
- bm25s: `BM25()` defaults (Lucene BM25, k1 1.5, b 0.75); `bm25s.tokenize` defaults
  (English stopwords, `\\w\\w+`, no stemmer) or groove's tokens; `get_scores` per query.
- tantivy: in-RAM `Index`, one writer thread; the `default` analyzer (simple, lowercase,
  no stopwords) or a whitespace analyzer over groove's tokens; a query is an OR of term
  queries over the analyzed words (tantivy's query parser rejects `--fix`, `a:b`).
- cozo: mnestic's FTS (Okapi BM25, k1 1.2, b 0.75, OR sums) on RocksDB through
  groove's own `Engine`; the `Simple` tokenizer with `[Lowercase]`, or with
  `[Lowercase, Stopwords('en')]` (stopwords-iso's 1,298 English words, among them
  `fix`, `test`, `run`, `make`, `find`, `value`, `name`), or groove's tokens through the
  `Whitespace` tokenizer. A query is each whitespace-separated chunk quoted (a path
  becomes an exact phrase) joined by OR: bare words would be ANDed, and `/ . - :`
  outside quotes are syntax errors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from bench.data import texts
from bench.rankset.__main__ import metrics
from bench.rankset.data import learnings, queries
from groove.domain.ranking import relevance
from groove.store.keyword_index import KeywordIndex, tokens

FETCH = 20
"""What groove's `search(limit=10)` fetches from each retriever (limit * 2 + 5)."""

CODE_QUERIES: list[tuple[str, str]] = [
    ("ruff check --fix", "c2-0"), ("ops/deploy.sh", "c4-0"), ("ops/rollback.sh", "c4-1"),
    ("AWS_PROFILE", "c3-0"), ("AWS_REGION", "c3-1"), ("pytest --lf", "c13-2"),
    ("pytest -n auto", "c13-1"), (".claude/settings.json", "c9-1"),
    (".claude/commands", "c9-2"), ("kubectl logs --previous", "c45-1"),
    ("kubectl logs -f", "c25-0"), ("asyncio.to_thread", "c31-1"),
    ("asyncio.timeout", "c31-2"), ("httpx.Timeout", "c8-1"), ("httpx.AsyncClient", "c8-2"),
    ("DATABASE_URL", "c15-1"), ("FLAGS_OVERRIDE", "c16-2"), ("PYTHONIOENCODING", "c29-1"),
    ("git reset --soft", "c22-1"), ("git commit --no-verify", "c49-2"),
    ("pytest --snapshot-update", "c36-0"), ("lru_cache(maxsize=1024)", "c37-1"),
    ("pnpm-lock.yaml", "c14-0"), ("SECRET_KEY", "c35-1"), ("WEBHOOK_SECRET", "c47-0"),
    ("--profile", "c3-2"), ("--fix", "c2-0"), ("ops/smoke.sh", "c4-2"),
    ("pip install -e", "c5-0"), ("make db-reset", "c7-1"),
]
"""Identifier, path and flag queries on the rankset learnings (the wanted learning)."""

NEAR_MISSES: list[tuple[str, str, tuple[str, ...]]] = [
    ("AWS_PROFILE", "c3-0", ("c3-1", "c3-2")),      # AWS_REGION; aws sso login --profile
    ("--profile", "c3-2", ("c3-0",)),               # AWS_PROFILE=staging
    ("ops/deploy.sh", "c4-0", ("c4-1", "c4-2")),    # ops/rollback.sh; a deploy ... ops/smoke.sh
    ("--fix", "c2-0", ("c43-0",)),                  # sqlfluff fix
    ("pytest --lf", "c13-2", ("c13-0", "c13-1")),   # pytest path::test_name -x; pytest -n auto
    ("kubectl logs --previous", "c45-1", ("c25-0",)),  # kubectl logs -f (logs twice)
    ("FLAGS_OVERRIDE", "c16-2", ("c16-0",)),        # flags.enabled, flags.yaml
    ("SECRET_KEY", "c35-1", ("c47-0",)),            # WEBHOOK_SECRET
    (".claude/settings.json", "c9-1", ("c9-2",)),   # .claude/commands/*.md
    ("pip install -e", "c5-0", ("c10-0",)),         # uv pip install, not pip install
]
"""(query, the learning with the query's exact token, its near misses): passed when the
first ranks above every near miss (a near miss not found ranks below everything). The
near misses share the token's parts (`aws`, `profile`) or its word (`fix`), not the
token; the last needs the 2-character flag `-e`, which groove's tokens() drops."""

Hits = list[tuple[str, float]]


# -- engines -----------------------------------------------------------------------------

class KeywordEngine:
    """One engine behind one interface: build, search, and the per-write updates."""

    name = ""
    updates = ""
    """How the engine takes one write (add, edit, delete), in words."""
    rebuilds = False
    """True when an add or a delete means rebuilding the whole index."""

    def build(self, docs: Sequence[tuple[str, str]]) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int) -> Hits:
        raise NotImplementedError

    def add(self, id: str, text: str) -> None:
        raise NotImplementedError

    def remove(self, id: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass



def doc_text(description: str, insight: str) -> str:
    """A learning as every engine gets it: the description twice (groove's headline
    weight), then the insight."""
    return f"{description}\n{description}\n{insight}"

def _unique(xs: list[str]) -> list[str]:
    return list(dict.fromkeys(xs))


class Groove(KeywordEngine):
    name = "groove KeywordIndex"
    updates = "upsert/remove in place (postings dict per term)"

    def build(self, docs: Sequence[tuple[str, str]]) -> None:
        self.index = KeywordIndex()
        for id, text in docs:
            self.index.upsert(id, text, "user", "preference")

    def search(self, query: str, k: int) -> Hits:
        return list(self.index.search(query, k))

    def add(self, id: str, text: str) -> None:
        self.index.upsert(id, text, "user", "preference")

    def remove(self, id: str) -> None:
        self.index.remove(id)


class Bm25s(KeywordEngine):
    updates = ("none: the index is a frozen sparse matrix, every add or delete rebuilds it "
               "(a delete can be masked with weight_mask, IDF and lengths then stale)")
    rebuilds = True

    def __init__(self, groove_tokens: bool):
        self.groove_tokens = groove_tokens
        self.name = "bm25s (groove tokens)" if groove_tokens else "bm25s (own tokenizer)"

    def _tokenize(self, xs: list[str]) -> list[list[str]]:
        if self.groove_tokens:
            return [tokens(x) for x in xs]
        import bm25s

        out = bm25s.tokenize(xs, return_ids=False, show_progress=False)
        assert isinstance(out, list)
        return out

    def build(self, docs: Sequence[tuple[str, str]]) -> None:
        import bm25s

        self.docs = dict(docs)
        self.ids = list(self.docs)
        self.retriever = bm25s.BM25()
        self.retriever.index(self._tokenize(list(self.docs.values())), show_progress=False)

    def search(self, query: str, k: int) -> Hits:
        terms = self._tokenize([query])[0]
        if self.groove_tokens:
            terms = _unique(terms)
        ids = self.retriever.get_tokens_ids(terms)
        if not ids:
            return []
        scores = self.retriever.get_scores_from_ids(ids)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def add(self, id: str, text: str) -> None:
        self.build([*self.docs.items(), (id, text)])

    def remove(self, id: str) -> None:
        self.build([(i, t) for i, t in self.docs.items() if i != id])


class Tantivy(KeywordEngine):
    updates = ("add_document / delete_documents_by_term, visible after commit() + reload() "
               "(a new segment per commit, merged in the background)")

    def __init__(self, groove_tokens: bool):
        self.groove_tokens = groove_tokens
        self.name = "tantivy (groove tokens)" if groove_tokens else "tantivy (default analyzer)"

    def build(self, docs: Sequence[tuple[str, str]]) -> None:
        import tantivy
        from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("body", tokenizer_name="groove" if self.groove_tokens
                               else "default")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        if self.groove_tokens:
            self.index.register_tokenizer("groove",
                                          TextAnalyzerBuilder(Tokenizer.whitespace()).build())
        self.analyzer = (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40))
                         .filter(Filter.lowercase()).build())
        self.writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        for id, text in docs:
            self.writer.add_document(tantivy.Document(id=id, body=self._body(text)))
        self._commit()

    def _body(self, text: str) -> str:
        return " ".join(tokens(text)) if self.groove_tokens else text

    def _commit(self) -> None:
        self.writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, query: str, k: int) -> Hits:
        import tantivy

        terms = (_unique(tokens(query)) if self.groove_tokens
                 else self.analyzer.analyze(query))
        if not terms:
            return []
        q = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "body", t))
             for t in terms])
        searcher = self.searcher
        return [(str(searcher.doc(addr)["id"][0]), float(score))
                for score, addr in searcher.search(q, k, count=False).hits]

    def add(self, id: str, text: str) -> None:
        import tantivy

        self.writer.add_document(tantivy.Document(id=id, body=self._body(text)))
        self._commit()

    def remove(self, id: str) -> None:
        self.writer.delete_documents_by_term("id", id)
        self._commit()


class CozoFts(KeywordEngine):
    updates = ("transactional: a :put or :rm on the relation updates its FTS index "
               "in the same transaction as the row")

    ANALYZERS: ClassVar[dict[str, tuple[str, str]]] = {
        "simple": ("cozo FTS (Simple)", "tokenizer: Simple, filters: [Lowercase]"),
        "stopwords": ("cozo FTS (Simple+stopw.)",
                      "tokenizer: Simple, filters: [Lowercase, Stopwords('en')]"),
        "groove": ("cozo FTS (groove tokens)", "tokenizer: Whitespace"),
    }

    def __init__(self, analyzer: str):
        self.groove_tokens = analyzer == "groove"
        self.name, self.analyzer = self.ANALYZERS[analyzer]
        self.tmp: str | None = None

    def build(self, docs: Sequence[tuple[str, str]]) -> None:
        """Rows first (groove stores them anyway), then `::fts create` over them; the
        timed build is the whole of it, the index alone is `index_s`."""
        from groove.store.engine import Engine

        self.close()
        self.tmp = tempfile.mkdtemp(prefix="bench-kw-cozo-")
        self.db = Engine.open(Path(self.tmp) / "db", engine="mnestic", durable=True)
        self.db.mutate(":create kw {id: String => text: String}")
        self.db.mutate(":create plain {id: String => text: String}")
        rows = [[id, self._body(text)] for id, text in docs]
        for start in range(0, len(rows), 1000):
            self.db.mutate("?[id, text] <- $rows :put kw {id => text}",
                           {"rows": rows[start:start + 1000]})
        t = time.perf_counter()
        self.db.mutate(f"::fts create kw:fts {{extractor: text, {self.analyzer}}}")
        self.index_s = time.perf_counter() - t

    def _body(self, text: str) -> str:
        return " ".join(tokens(text)) if self.groove_tokens else text

    def fts_query(self, query: str) -> str:
        """Each chunk quoted (one token: a term; several: an exact phrase), ORed: bare
        words would be ANDed, and `/ . - :` outside quotes are syntax errors."""
        if self.groove_tokens:
            chunks = _unique(tokens(query))
        else:
            chunks = [c for c in (re.sub(r'["\\]', "", c) for c in query.split())
                      if re.search(r"\w", c)]
        return " OR ".join(f'"{c}"' for c in chunks)

    def search(self, query: str, k: int) -> Hits:
        q = self.fts_query(query)
        if not q:
            return []
        rows = self.db.query(f"?[id, s] := ~kw:fts{{id | query: $q, k: {int(k)}, "
                             "bind_score: s}", {"q": q})
        rows.sort(key=lambda r: -float(r[1]))
        return [(str(i), float(s)) for i, s in rows]

    def add(self, id: str, text: str) -> None:
        self.db.mutate("?[id, text] <- [[$id, $text]] :put kw {id => text}",
                       {"id": id, "text": self._body(text)})

    def add_plain(self, id: str, text: str) -> None:
        """The same write into a relation without an FTS index (what the index adds)."""
        self.db.mutate("?[id, text] <- [[$id, $text]] :put plain {id => text}",
                       {"id": id, "text": self._body(text)})

    def remove(self, id: str) -> None:
        self.db.mutate("?[id] <- [[$id]] :rm kw {id}", {"id": id})

    def close(self) -> None:
        if self.tmp is not None:
            self.db.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def engines() -> list[KeywordEngine]:
    return [Groove(), Bm25s(False), Bm25s(True), Tantivy(False), Tantivy(True),
            CozoFts("simple"), CozoFts("stopwords"), CozoFts("groove")]


# -- quality -----------------------------------------------------------------------------

def fuse(vector: np.ndarray, doc_vectors: np.ndarray, ids: list[str], keyword: Hits,
         limit: int = 10) -> list[str]:
    """groove's search on one tier of new learnings: the top FETCH by cosine and the
    keyword hits, every candidate's cosine, relevance with the keyword score relative to
    the query's best."""
    sims = doc_vectors @ vector
    found = {ids[i] for i in np.argsort(-sims, kind="stable")[:FETCH]}
    best = max((s for _, s in keyword if s > 0), default=1.0)
    kw = {i: s / best for i, s in keyword if s > 0}
    row = {id: n for n, id in enumerate(ids)}
    cands = found | kw.keys()
    scored = sorted(cands, key=lambda i: (relevance(float(sims[row[i]]), kw.get(i)),
                                          float(sims[row[i]])), reverse=True)
    return scored[:limit]


def near_misses(rankings: dict[str, list[str]]) -> tuple[int, list[str]]:
    passed, failed = 0, []
    for q, exact, nears in NEAR_MISSES:
        got = rankings[q]

        def rank(i: str, got: list[str] = got) -> int:
            return got.index(i) + 1 if i in got else len(got) + 1

        if exact in got and all(rank(exact) < rank(n) for n in nears):
            passed += 1
        else:
            failed.append(f"{q}: " + ", ".join(
                f"{i} #{rank(i) if i in got else '-'}" for i in (exact, *nears)))
    return passed, failed


def quality(embed: Callable[[list[str]], np.ndarray]) -> dict[str, Any]:
    docs = [(x["id"], doc_text(x["description"], x["insight"])) for x in learnings()]
    ids = [i for i, _ in docs]
    dev, code = queries(), CODE_QUERIES
    asked = dev + code + [(q, exact) for q, exact, _ in NEAR_MISSES
                          if q not in {c for c, _ in code}]
    # the vectors are groove's: of `description\ninsight` (LearningContent.embedding_text)
    doc_vectors = embed([f"{x['description']}\n{x['insight']}" if x["insight"] else
                         x["description"] for x in learnings()])
    query_vectors = dict(zip([q for q, _ in asked], embed([q for q, _ in asked]),
                             strict=True))

    def score(ranked: dict[str, list[str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for part, qs in (("dev", dev), ("code", code), ("all", dev + code)):
            out[part] = metrics([ranked[q] for q, _ in qs], [w for _, w in qs])
        passed, failed = near_misses(ranked)
        out["near_miss"] = passed
        out["near_miss_failures"] = failed
        return out

    vector_only = {q: [ids[i] for i in np.argsort(-(doc_vectors @ v), kind="stable")[:FETCH]]
                   for q, v in query_vectors.items()}
    result: dict[str, Any] = {"learnings": len(docs), "dev_queries": len(dev),
                              "code_queries": len(code), "near_miss_checks": len(NEAR_MISSES),
                              "vector": score(vector_only), "engines": {}}
    for engine in engines():
        try:
            engine.build(docs)
            hits = {q: engine.search(q, FETCH) for q, _ in asked}
        except Exception as e:
            result["engines"][engine.name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        finally:
            engine.close()
        keyword = {q: [i for i, _ in h] for q, h in hits.items()}
        fused = {q: fuse(query_vectors[q], doc_vectors, ids, h, FETCH)
                 for q, h in hits.items()}
        result["engines"][engine.name] = {"keyword": score(keyword), "fused": score(fused)}
    return result


# -- speed -------------------------------------------------------------------------------

def pct(xs: list[float], p: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]


def per_write(write: Callable[[str, str], None], docs: list[str], prefix: str) -> float:
    """p50 ms of one write per document (ids prefix0, prefix1, ...)."""
    times = []
    for i, text in enumerate(docs):
        t = time.perf_counter()
        write(f"{prefix}{i}", text)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 3)


def speed(n: int, n_queries: int, writes: int) -> dict[str, Any]:
    pairs = texts(n)
    docs = [(f"d{i}", doc_text(d, s)) for i, (d, s) in enumerate(pairs)]
    rng = random.Random(5)
    asked = [rng.choice(pairs)[0][:60] for _ in range(n_queries)]
    extra = [doc_text(d, s) for d, s in texts(writes, seed=99)]
    import bm25s  # noqa: F401  (imports are not build time)
    import tantivy  # noqa: F401

    out: dict[str, Any] = {}
    for engine in engines():
        row: dict[str, Any] = {"updates": engine.updates}
        try:
            t = time.perf_counter()
            engine.build(docs)
            row["build_s"] = round(time.perf_counter() - t, 3)
            if isinstance(engine, CozoFts):
                row["index_only_s"] = round(engine.index_s, 3)
            engine.search(asked[0], FETCH)
            times = []
            for q in asked:
                t = time.perf_counter()
                engine.search(q, FETCH)
                times.append((time.perf_counter() - t) * 1000)
            row["query_p50_ms"] = round(statistics.median(times), 3)
            row["query_p95_ms"] = round(pct(times, 0.95), 3)
            row["hits_per_query"] = round(statistics.mean(
                len(engine.search(q, FETCH)) for q in asked[:20]), 1)
            k = 3 if engine.rebuilds else writes
            row["add_one_p50_ms"] = per_write(engine.add, extra[:k], "x")
            row["remove_one_p50_ms"] = per_write(lambda id, _: engine.remove(id),  # noqa: B023
                                                 extra[:k], "x")
            row["update_samples"] = k
            if isinstance(engine, CozoFts):
                row["add_one_without_fts_p50_ms"] = per_write(engine.add_plain, extra[:k], "y")
        except Exception as e:
            row["error"] = f"{type(e).__name__}: {e}"
        finally:
            engine.close()
        out[engine.name] = row
    return out


# -- report ------------------------------------------------------------------------------

def _m(m: dict[str, float]) -> str:
    return f"{m['hit@1']:.3f} {m['hit@5']:.3f} {m['mrr']:.3f}"


def table(result: dict[str, Any]) -> str:
    q = result["quality"]
    lines: list[str] = []
    if q is not None:
        lines += quality_table(q)
    return "\n".join(lines + speed_table(result))


def quality_table(q: dict[str, Any]) -> list[str]:
    nm = q["near_miss_checks"]
    lines = [f"Quality: {q['learnings']} learnings; dev = rankset's {q['dev_queries']} queries, "
             f"code = {q['code_queries']} identifier/path/flag queries; "
             "hit@1 hit@5 MRR@10; near miss = exact token above its near miss "
             f"(of {nm})",
             f"{'engine':<28}{'keyword dev':>20}{'fused dev':>20}{'keyword code':>20}"
             f"{'fused code':>20}{'near miss kw/fused':>20}"]
    v = q["vector"]
    lines.append(f"{'vector only':<28}{'':>20}{_m(v['dev']):>20}{'':>20}{_m(v['code']):>20}"
                 f"{'-/' + str(v['near_miss']):>20}")
    for name, r in q["engines"].items():
        if "error" in r:
            lines.append(f"{name:<28}error: {r['error']}")
            continue
        k, f = r["keyword"], r["fused"]
        lines.append(f"{name:<28}{_m(k['dev']):>20}{_m(f['dev']):>20}{_m(k['code']):>20}"
                     f"{_m(f['code']):>20}{str(k['near_miss']) + '/' + str(f['near_miss']):>20}")
    return lines


def speed_table(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for i, run in enumerate(result["speed"], 1):
        lines.append("")
        lines.append(f"Speed run {i}: {result['n']:,} documents, {result['queries']} queries, "
                     f"top {FETCH}; add/remove = one write made searchable")
        lines.append(f"{'engine':<28}{'build s':>10}{'query p50':>11}{'p95 ms':>9}"
                     f"{'add ms':>10}{'remove ms':>11}")
        for name, r in run.items():
            if "error" in r:
                lines.append(f"{name:<28}error: {r['error']}")
                continue
            note = ""
            if "add_one_without_fts_p50_ms" in r:
                note = (f"  (index alone {r['index_only_s']:.3f} s; add without FTS "
                        f"{r['add_one_without_fts_p50_ms']:.3f} ms)")
            elif r["update_samples"] < 10:
                note = "  (add/remove = full rebuild)"
            lines.append(f"{name:<28}{r['build_s']:>10.3f}{r['query_p50_ms']:>11.3f}"
                         f"{r['query_p95_ms']:>9.3f}{r['add_one_p50_ms']:>10.3f}"
                         f"{r['remove_one_p50_ms']:>11.3f}{note}")
    return lines


def cli(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench keywords", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--writes", type=int, default=50, help="single adds/removes timed")
    parser.add_argument("--speed-runs", type=int, default=2)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {p: version(p) for p in ("bm25s", "tantivy", "mnestic")},
        "n": args.n, "queries": args.queries}
    if args.skip_quality:
        result["quality"] = None
    else:
        from groove import DefaultEmbedder

        embedder = DefaultEmbedder()
        embedder.load()
        result["quality"] = quality(lambda xs: np.asarray(embedder.embed(xs)))
        result["embedder"] = embedder.backend
    result["speed"] = [speed(args.n, args.queries, args.writes)
                       for _ in range(args.speed_runs)]
    print(table(result))
    print(json.dumps(result, indent=2) if args.out is None else f"\nwrote {args.out}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    cli(sys.argv[1:])
