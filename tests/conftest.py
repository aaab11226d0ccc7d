"""Shared fixtures: real stores on RocksDB in tmp_path, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from groove import CozoStore, Embedder, Learning, LearningCategory, LearningContent, Scope
from groove.config import EnterpriseConfig, GrooveConfig
from groove.testing import HashEmbedder


@pytest.fixture(autouse=True)
def no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commands open the databases themselves unless a test starts a server: a test
    must never reach (or start) the groove server of the person running the suite."""
    monkeypatch.setenv("GROOVE_NO_SERVER", "1")
    monkeypatch.setenv("GROOVE_RUNTIME_DIR", str(tmp_path / "no-server-runtime"))
    monkeypatch.setenv("GROOVE_LOG_DIR", str(tmp_path / "logs"))


@pytest.fixture(params=["mnestic", "cozo"])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


class Embedded:
    """A real store whose writes get vectors from `embedder` first: the store takes
    vectors and never embeds (in groove, the tiers embed), and most store tests only
    care that each learning has its text's vector."""

    def __init__(self, store: CozoStore, embedder: Embedder):
        self.inner = store
        self.embedder = embedder

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def __aenter__(self) -> Embedded:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.inner.close()

    def _vector(self, learning: Learning) -> Any:
        return self.embedder.embed([learning.content.embedding_text()])[0]

    async def store(self, learning: Learning, embedding: Any = None, model_id: str | None = None,
                    relations: Sequence[Any] = (), usage: Any = None) -> Any:
        if embedding is None:
            embedding, model_id = self._vector(learning), self.embedder.model_id
        return await self.inner.store(learning, embedding, model_id, relations, usage)

    async def store_many(self, learnings: Sequence[Learning], embeddings: Any = None,
                         model_id: str | None = None, usage: Any = None) -> Any:
        if embeddings is None and learnings:
            embeddings = self.embedder.embed([x.content.embedding_text() for x in learnings])
            model_id = self.embedder.model_id
        return await self.inner.store_many(learnings, embeddings, model_id, usage)

    async def update(self, learning: Learning, embedding: Any = None,
                     model_id: str | None = None) -> Any:
        if embedding is None:
            embedding, model_id = self._vector(learning), self.embedder.model_id
        return await self.inner.update(learning, embedding, model_id)

    async def import_(self, export: Any, **kw: Any) -> Any:
        async def embed(texts: list[str]) -> Any:
            return self.embedder.embed(texts)

        kw.setdefault("embed", embed)
        kw.setdefault("model_id", self.embedder.model_id)
        return await self.inner.import_(export, **kw)


async def open_embedded(path: Path, embedder: Embedder, **kw: Any) -> Embedded:
    return Embedded(await CozoStore.open(path, **kw), embedder)


@pytest.fixture
async def store(tmp_path: Path, engine: str, embedder: HashEmbedder) -> AsyncIterator[Any]:
    s = await open_embedded(tmp_path / "db", embedder, engine=engine)
    yield s
    await s.close()


@pytest.fixture
async def bare_store(tmp_path: Path) -> AsyncIterator[CozoStore]:
    """A store with no embedder: vectors must be given explicitly."""
    s = await CozoStore.open(tmp_path / "bare")
    yield s
    await s.close()


@pytest.fixture
def config(tmp_path: Path) -> GrooveConfig:
    """A home with a user tier and the enterprise `acme`."""
    return GrooveConfig(tmp_path / "home" / "user",
                        {"acme": EnterpriseConfig("acme", tmp_path / "acme-db")}, user_id="alex")


def make_project(tmp_path: Path, name: str, org: str | None = None) -> Path:
    """A project root (with `.vibes/`), joined to `org` when given."""
    root = tmp_path / name
    (root / ".vibes").mkdir(parents=True)
    if org:
        (root / ".vibes" / "config.toml").write_text(f'[groove]\nenterprise = "{org}"\n')
    return root


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
