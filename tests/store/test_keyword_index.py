"""Keyword search: words and whole code tokens, BM25, filters before the cut, in step."""

from __future__ import annotations

from typing import Any

from groove import LearningCategory, Scope
from groove.store.keyword_index import KeywordIndex, tokens
from tests.conftest import make_learning


def test_code_tokens_kept_whole_and_in_parts() -> None:
    """Paths, flags and env vars are tokens of their own beside their words."""
    got = tokens("Run `ops/deploy.sh --dry-run` with AWS_PROFILE=staging")
    assert {"ops/deploy.sh", "--dry-run", "aws_profile=staging", "aws_profile", "deploy",
            "aws", "profile"} <= set(got)
    assert "with" not in got


def test_exact_code_token_ranks_first_and_filters_apply_first() -> None:
    """A query naming AWS_PROFILE finds that learning before the AWS_REGION one; a scope
    filter keeps `limit` results from the allowed rows only; removal is immediate."""
    index = KeywordIndex()
    index.upsert("a", "Set AWS_PROFILE before deploying", "user:x", "preference")
    index.upsert("b", "Set AWS_REGION before deploying", "user:x", "preference")
    index.upsert("c", "AWS_PROFILE lives in ~/.aws/config", "project:/p", "solution")
    assert [i for i, _ in index.search("which AWS_PROFILE", 3)][2] == "b"
    assert [i for i, _ in index.search("AWS_PROFILE", 5, scopes=["user:x"])] == ["a", "b"]
    assert [i for i, _ in index.search("deploying", 5, categories=["solution"])] == []
    index.remove("a")
    assert [i for i, _ in index.search("AWS_PROFILE", 5)] == ["c", "b"]
    index.upsert("c", "nothing relevant now", "project:/p", "solution")
    assert [i for i, _ in index.search("AWS_PROFILE", 5)] == ["b"] and len(index) == 2


async def test_store_keeps_keywords_in_step(store: Any) -> None:
    """The store's keyword search follows stores, updates and deletes."""
    a = make_learning("use ripgrep (rg) to search code", "", scope=Scope.user("me"))
    b = make_learning("use fd to find files", "", category=LearningCategory.TOOL_USAGE)
    await store.store(a)
    assert [x.id for x, _ in await store.keyword_search("ripgrep", 5)] == [a.id]
    await store.store(b)
    assert [x.id for x, _ in await store.keyword_search("fd files", 5)] == [b.id]
    a.content.description = "use ag to search code"
    await store.update(a)
    assert await store.keyword_search("ripgrep", 5) == []
    await store.delete(b.id)
    assert await store.keyword_search("fd", 5) == []
    hits = await store.keyword_search("search code", 5, scope=Scope.user("me"))
    assert [x.id for x, _ in hits] == [a.id]


def test_rewrites_and_removals_compact_to_the_same_answers() -> None:
    """After thousands of rewrites and removals (which compact the postings), every search
    answers as an index built from the surviving texts alone."""
    import random

    rng = random.Random(3)
    words = ["ruff", "pytest", "fixture", "deploy", "ops/deploy.sh", "--fix", "AWS_PROFILE",
             "docker", "compose", "rebase", "merge", "timezone", "cache", "retry"]
    churned, texts = KeywordIndex(), {}
    for _ in range(6000):
        key = f"id{rng.randrange(800)}"
        if rng.random() < 0.15:
            churned.remove(key)
            texts.pop(key, None)
        else:
            text = " ".join(rng.choices(words, k=rng.randrange(2, 8)))
            scope = rng.choice(["user:x", "project:/p"])
            churned.upsert(key, text, scope, "preference")
            texts[key] = (text, scope)
    assert len(churned._ids) < 6000  # compacted along the way
    fresh = KeywordIndex()
    for key, (text, scope) in texts.items():
        fresh.upsert(key, text, scope, "preference")
    assert len(churned) == len(fresh) == len(texts)
    for query in ["ruff --fix", "ops/deploy.sh", "AWS_PROFILE docker", "timezone cache retry"]:
        for scopes in (None, ["project:/p"]):
            got = churned.search(query, 1000, scopes)
            want = fresh.search(query, 1000, scopes)
            assert {k: round(s, 9) for k, s in got} == {k: round(s, 9) for k, s in want}


def test_plurals_fold_and_the_description_weighs_double() -> None:
    """`tests` finds `test`, `branches` finds `branch`; a query word in one learning's
    description outranks the same word in another's insight."""
    from groove.store.keyword_index import stem

    assert [stem(w) for w in ["tests", "libraries", "branches", "fixes", "class", "status",
                              "uses", "s3"]] == ["test", "library", "branch", "fix", "class",
                                                 "status", "use", "s3"]
    index = KeywordIndex()
    index.upsert("headline", "keeps history", "user:x", "preference",
                 headline="Rebase branches on main")
    index.upsert("aside", "rebase branches on main", "user:x", "preference",
                 headline="Keep history linear")
    assert [i for i, _ in index.search("rebase a branch", 2)] == ["headline", "aside"]


def test_a_view_kept_past_a_search_does_not_break_the_next_write() -> None:
    """A numpy view of a posting that outlived a search makes the next write append to a
    copy of that posting (not fail, not write a row twice)."""
    import numpy as np

    index = KeywordIndex()
    index.upsert("a", "ruff fix", "user:x", "preference")
    held = np.frombuffer(index._tf[index._term["ruff"]], dtype=np.uint8)
    index.upsert("b", "ruff check", "user:x", "preference")
    assert sorted(i for i, _ in index.search("ruff", 5)) == ["a", "b"]
    assert list(index._rows[index._term["ruff"]]) == [0, 1] and held.size == 1


def test_top_rows_are_those_a_stable_sort_gives_ties_included() -> None:
    """Selecting the best rows without a full sort gives exactly the stable sort's first
    `limit`, ties at the cut going to the lower rows."""
    import numpy as np

    from groove.store.keyword_index import top

    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        scores = rng.integers(0, 6, n).astype(np.float64)  # many ties
        rows = np.sort(rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
        limit = int(rng.integers(1, 40))
        expected = rows[np.argsort(-scores[rows], kind="stable")[:limit]]
        assert top(rows, scores, limit).tolist() == expected.tolist()


def test_a_code_token_is_one_not_all_letters_and_digits() -> None:
    """For each match of the code pattern (and each `=` part of one) longer than two
    characters, the ones `tokens` keeps, holding one of `. _ - / : =` is the same as not
    being alphanumeric: over random text of ASCII, accented letters, other scripts'
    digits and every special character."""
    import random
    import re

    from groove.store.keyword_index import _CODE

    special = re.compile(r"[._\-/:=]")
    rng = random.Random(11)
    alphabet = "ab_.-/:=é٣Ⅻ XY1\t,;"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for m in _CODE.findall(text):
            for part in (p for p in (m, *m.split("=")) if len(p) > 2):
                assert bool(special.search(part)) == (not part.isalnum()), (text, part)
