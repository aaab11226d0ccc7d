"""Short handles: an id's random tail, accepted wherever an id is, never guessed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from groove import AmbiguousId, Learning, LearningCategory, LearningContent, Scope
from groove.config import GrooveConfig
from groove.domain import short_id, uuid7
from groove.service import LocalGroove, RequestContext
from groove.testing import HashEmbedder
from groove.tiers import Tier


def _with_tail(tail: str) -> uuid.UUID:
    """A fresh UUIDv7 whose last 8 hex digits are `tail` (a forced collision)."""
    text = str(uuid7())
    return uuid.UUID(text[:-8] + tail)


def _learning(id: uuid.UUID, text: str) -> Learning:
    x = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent(text))
    x.id = id
    return x


@pytest.fixture
async def api(config: GrooveConfig) -> AsyncIterator[LocalGroove]:
    async with LocalGroove(config, embedder=HashEmbedder()) as api:
        yield api


def test_handle_is_the_random_tail() -> None:
    """Ids made in the same millisecond share their prefix but not their handle."""
    ids = [uuid7() for _ in range(200)]
    assert len({str(i)[:8] for i in ids}) < 5
    assert len({short_id(i) for i in ids}) == 200
    assert all(len(short_id(i)) == 8 and str(i).endswith(short_id(i)) for i in ids)


async def test_handle_is_accepted_wherever_an_id_is(api: LocalGroove) -> None:
    """get, record_outcome and delete take the 8-digit handle (and a longer tail)."""
    ctx = RequestContext()
    added = await api.add(ctx, "use ruff", insight="not flake8")
    handle = short_id(added.learning.id)
    assert (await api.get(ctx, handle)).found.learning.id == added.learning.id
    assert (await api.get(ctx, handle.upper())).found.learning.id == added.learning.id
    assert (await api.get(ctx, str(added.learning.id)[-12:])).found.learning.id == \
        added.learning.id
    await api.record_outcome(ctx, handle, "helpful")
    assert (await api.delete(ctx, handle)).learning.id == added.learning.id


async def test_colliding_handles_are_ambiguous(api: LocalGroove) -> None:
    """Two learnings with the same handle: the handle is ambiguous (both named), a longer
    tail or the full id still finds each."""
    ctx = RequestContext()
    store = await api.view(ctx).store_for(Tier.USER)
    a, b = _with_tail("0000abcd"), _with_tail("0000abcd")
    await store.store(_learning(a, "first"))
    await store.store(_learning(b, "second"))
    with pytest.raises(AmbiguousId) as caught:
        await api.get(ctx, "0000abcd")
    assert set(caught.value.candidates) == {str(a), str(b)}
    assert (await api.get(ctx, str(b)[-12:])).found.learning.id == b
    assert (await api.get(ctx, str(a))).found.learning.id == a


async def test_handle_colliding_across_tiers_is_ambiguous(api: LocalGroove, tmp_path: Path
                                                          ) -> None:
    """A handle shared by a project and a user learning is reported, not resolved to one."""
    from tests.conftest import make_project

    ctx = RequestContext(make_project(tmp_path, "p"))
    view = api.view(ctx)
    a, b = _with_tail("12345678"), _with_tail("12345678")
    await (await view.store_for(Tier.PROJECT)).store(_learning(a, "project one"))
    await (await view.store_for(Tier.USER)).store(_learning(b, "user one"))
    with pytest.raises(AmbiguousId):
        await api.get(ctx, "12345678")


async def test_deleted_learning_leaves_no_handle(api: LocalGroove) -> None:
    """After a delete its handle finds nothing (the handle row went in the same write)."""
    ctx = RequestContext()
    added = await api.add(ctx, "temporary")
    store = await api.view(ctx).store_for(Tier.USER)
    await api.delete(ctx, added.learning.id)
    assert await store.resolve_prefix(short_id(added.learning.id)) == []
