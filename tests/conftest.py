"""Shared fixtures: real stores on RocksDB in tmp_path, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from groove import CozoStore, Learning, LearningCategory, LearningContent, Scope
from groove.testing import HashEmbedder


@pytest.fixture(params=["mnestic", "cozo"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
async def store(tmp_path: Path, engine: str, embedder: HashEmbedder) -> AsyncIterator[CozoStore]:
    s = await CozoStore.open(tmp_path / "db", engine=engine, embedder=embedder)
    yield s
    await s.close()


@pytest.fixture
async def bare_store(tmp_path: Path) -> AsyncIterator[CozoStore]:
    """A store with no embedder: vectors must be given explicitly."""
    s = await CozoStore.open(tmp_path / "bare")
    yield s
    await s.close()


DELETE = object()
"""With `set_path`: remove the field instead of setting it."""


def set_path(doc: Any, path: Sequence[Any], value: Any) -> None:
    """Set (or with DELETE remove) the field of a JSON-shaped document at `path`."""
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


def make_learning(
    description: str = "Use pytest fixtures",
    insight: str = "Prefer fixtures over setUp",
    scope: Scope = Scope.GLOBAL,
    category: LearningCategory = LearningCategory.PREFERENCE,
) -> Learning:
    return Learning.new(scope, category, LearningContent(description, insight))
