"""The replica side of team sync, without a server: outbox, merged usage, applying pages,
the sync_url rule, and the background loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from groove.config import EnterpriseConfig, GrooveConfig
from groove.domain import (
    Learning,
    LearningCategory,
    LearningContent,
    Outcome,
    Scope,
    UsageStats,
    utcnow,
)
from groove.domain.injection import InjectedVia, Injection, OutcomeSource
from groove.domain.proposal import Proposal
from groove.errors import ConfigError, SyncError
from groove.service import LocalGroove, RequestContext
from groove.store import CozoStore
from groove.store.replica import OUTCOME, PROPOSAL, Counts, PulledLearning, ReplicaChanges
from groove.team import background_sync, redact
from groove.testing import HashEmbedder
from groove.tiers import Tier


def learning(text: str = "team learning") -> Learning:
    return Learning.new(Scope.GLOBAL, LearningCategory.PREFERENCE, LearningContent(text, ""))


@pytest.fixture
async def store(tmp_path: Path) -> CozoStore:
    s = await CozoStore.open(tmp_path / "replica")
    yield s  # type: ignore[misc]
    await s.close()


def test_counts_make_the_posterior_of_their_outcomes() -> None:
    """Merged counts give the same Beta posterior as recording each outcome in turn."""
    one_by_one = UsageStats()
    for outcome in [Outcome.HELPFUL] * 3 + [Outcome.IGNORED] * 5 + [Outcome.CONTRADICTED] * 2:
        one_by_one.record_outcome(outcome)
    merged = Counts(3, 5, 2).usage()
    assert merged.confidence_alpha == pytest.approx(one_by_one.confidence_alpha)
    assert merged.confidence_beta == pytest.approx(one_by_one.confidence_beta)
    assert (merged.times_injected, merged.times_helpful) == (10, 3)


async def test_outcome_events_are_queued_with_the_outcome(store: CozoStore) -> None:
    """With log_event an outcome and its outbox event are one write; without, no event."""
    x = learning()
    await store.store(x)
    await store.record_outcome(x.id, Outcome.HELPFUL)
    assert await store.outbox() == []
    await store.record_outcome(x.id, Outcome.IGNORED, log_event=True)
    (event,) = await store.outbox()
    assert (event.kind, event.ref_id, event.outcome, event.delta) == (
        OUTCOME, str(x.id), Outcome.IGNORED, 1)


async def test_a_replaced_credit_queues_its_undo(store: CozoStore) -> None:
    """An explicit rating replacing an inferred one queues -1 for the old outcome and +1
    for the new, so the team's counts move exactly as the local ones."""
    x = learning()
    await store.store(x)
    await store.record_injections([Injection("s1", x.id, InjectedVia.PROMPT, 0, "enterprise",
                                             0.5, 0.5, utcnow())])
    await store.credit_outcome("s1", x.id, Outcome.IGNORED, OutcomeSource.TRANSCRIPT,
                               log_event=True)
    await store.credit_outcome("s1", x.id, Outcome.HELPFUL, OutcomeSource.EXPLICIT,
                               log_event=True)
    events = [(e.outcome, e.delta) for e in await store.outbox()]
    assert events == [(Outcome.IGNORED, 1), (Outcome.IGNORED, -1), (Outcome.HELPFUL, 1)]


async def test_proposals_are_queued_when_asked(store: CozoStore) -> None:
    """A proposal stored with log_event is queued for the push in the same write."""
    p = Proposal(learning(), "acme", "alice", "user")
    await store.store_proposal(p, log_event=True)
    (entry,) = await store.outbox()
    assert (entry.kind, entry.ref_id) == (PROPOSAL, str(p.id))
    await store.clear_outbox([entry.id])
    assert await store.outbox() == []


async def test_applying_a_page_twice_changes_nothing(store: CozoStore) -> None:
    """A page applied again (a resumed sync) leaves the same rows, and usage is the team's
    counts plus this machine's unpushed events."""
    x = learning()
    page = ReplicaChanges(learnings=[PulledLearning(x, Counts(2, 1, 0),
                                                    HashEmbedder().embed(["a"])[0], "m")])
    await store.apply_team_changes(page, {"cursor": "1:2:"})
    await store.record_outcome(x.id, Outcome.CONTRADICTED, log_event=True)
    for _ in range(2):
        await store.apply_team_changes(page)
        await store.apply_team_changes(ReplicaChanges(usage={x.id: Counts(2, 1, 0)}))
    usage = await store.get_usage(x.id)
    assert usage is not None
    assert (usage.times_helpful, usage.times_ignored, usage.times_contradicted) == (2, 1, 1)
    stored = await store.get(x.id)
    assert stored is not None and stored.confidence == pytest.approx(usage.confidence())
    assert await store.count() == 1 and await store.check_integrity() == []
    assert await store.sync_state() == {"cursor": "1:2:"}
    await store.apply_team_changes(ReplicaChanges(), {"cursor": None})
    assert await store.sync_state() == {}


async def test_pulled_vectors_are_searchable(store: CozoStore) -> None:
    """A pulled learning's vector goes into the search index at once."""
    emb = HashEmbedder()
    x = learning("rust borrow checker")
    await store.semantic_search(emb.embed(["warm up"])[0], 1)  # the index is loaded
    await store.apply_team_changes(ReplicaChanges(learnings=[PulledLearning(
        x, Counts(), emb.embed([x.content.embedding_text()])[0], emb.model_id)]))
    ((found, similarity),) = await store.semantic_search(
        emb.embed([x.content.embedding_text()])[0], 1)
    assert found.id == x.id and similarity == pytest.approx(1.0, abs=1e-5)


async def test_tiers_queue_only_for_a_synced_org(tmp_path: Path) -> None:
    """An outcome on an enterprise learning is queued only when the org has a sync_url."""
    project = tmp_path / "p"
    (project / ".vibes").mkdir(parents=True)
    (project / ".vibes" / "config.toml").write_text('[groove]\nenterprise = "acme"\n')
    for url, queued in ((None, 0), ("postgresql://alice@127.0.0.1:1/g", 1)):
        home = tmp_path / str(queued)
        config = GrooveConfig(home / "user", {"acme": EnterpriseConfig("acme", home / "e", url)})
        async with LocalGroove(config, embedder=HashEmbedder()) as api:
            ctx = RequestContext(project)
            x = await api.add(ctx, "shared thing", tier=Tier.ENTERPRISE)
            await api.record_outcome(ctx, x.learning.id, Outcome.HELPFUL)
            store = await api.pool.open(home / "e")
            assert len(await store.outbox()) == queued


def test_a_sync_url_with_a_password_is_refused(tmp_path: Path) -> None:
    """A password in sync_url (user:password@ or ?password=) is refused at load, naming the
    file and where the password belongs; a URL without one is kept."""
    for bad in ("postgresql://alice:s3cret@db/groove", "postgresql://alice@db/g?password=s3cret"):
        path = tmp_path / "groove.toml"
        path.write_text(f'[enterprises.acme]\ndb_path = "e"\nsync_url = "{bad}"\n')
        with pytest.raises(ConfigError, match=r"PGPASSWORD or ~/\.pgpass") as e:
            GrooveConfig.load(path)
        assert str(path) in str(e.value) and "s3cret" not in str(e.value)
    with pytest.raises(ConfigError, match="postgresql://"):
        EnterpriseConfig("acme", tmp_path, "https://sync.example")
    assert EnterpriseConfig("acme", tmp_path, "postgresql://alice@db/g").sync_url
    assert redact("postgresql://a:b@h:5/d") == "postgresql://a@h:5/d"


async def test_background_sync_survives_failures_and_stops() -> None:
    """The background loop reports a failed sync, retries with a longer wait, and ends when
    told to."""
    calls: list[float] = []
    errors: list[str] = []
    stop = asyncio.Event()

    async def flaky() -> str:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) < 3:
            raise SyncError("down")
        stop.set()
        return "ok"

    results: list[str] = []
    await asyncio.wait_for(background_sync(flaky, interval=0.01, stop=stop,
                                           on_error=lambda e: errors.append(str(e)),
                                           on_result=results.append), 5)
    assert errors == ["down", "down"] and results == ["ok"]
    assert calls[2] - calls[1] >= calls[1] - calls[0]
