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
