"""Team sync against a real PostgreSQL server: convergence, races, roles, the cursor."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from groove.client import RemoteGroove
from groove.domain import LearningId, Outcome, SystemParam
from groove.errors import SyncError, ValidationError
from groove.service import RequestContext
from groove.store import CozoStore
from groove.store.replica import OutboxEntry
from groove.team import init_server, server
from groove.team.schema import CURRENT_SERVER_VERSION
from groove.team.sync import _changes
from groove.tiers import Tier
from tests.served import served
from tests.team.conftest import ORG, Machine, create_database, machine_config, make_machine
from tests.team.helpers import curated, replica_view, seed, server_counts, server_rows
from tests.team.pg import PgServer

pytestmark = pytest.mark.slow


async def replica(m: Machine) -> CozoStore:
    return await m.api.pool.open(m.replica_path)


async def test_init_server_creates_schema_and_roles_once(pg_server: PgServer) -> None:
    """init-server applies the migrations once (also when two admins run it at once) and
    creates the developer and curator roles."""
    url = create_database(pg_server)
    first, second = await asyncio.gather(init_server(url), init_server(url))
    assert sorted([len(first.applied), len(second.applied)]) == [0, CURRENT_SERVER_VERSION]
    again = await init_server(url)
    assert again.applied == [] and again.version_after == CURRENT_SERVER_VERSION
    rows = await server_rows(url, "SELECT version FROM groove.schema_version ORDER BY 1")
    assert [r[0] for r in rows] == list(range(1, CURRENT_SERVER_VERSION + 1))
    roles = await server_rows(url, "SELECT rolname, rolcanlogin FROM pg_roles "
                                   "WHERE rolname LIKE 'groove_%' ORDER BY 1")
    assert roles == [("groove_curator", False), ("groove_developer", False)]


async def test_two_machines_converge(machines: tuple[Machine, Machine], team_url: str) -> None:
    """Two machines propose, decide and record outcomes concurrently, then hold the same
    enterprise tier, whose usage counts are exactly the sum of the events recorded."""
    a, b = machines
    rng = random.Random(14)
    for m in machines:
        for i in range(6):
            x = await m.api.add(m.ctx, f"{m.config.user_id} learned thing {i}")
            await m.api.propose(m.ctx, x.learning.id)
    await asyncio.gather(a.api.sync(a.ctx), b.api.sync(b.ctx))
    await asyncio.gather(a.api.sync(a.ctx), b.api.sync(b.ctx))
    proposals = await a.api.proposals(a.ctx)
    assert len(proposals) == 12 and proposals == await b.api.proposals(b.ctx)

    async def decide(m: Machine, ids: list[str]) -> list[str]:
        won = []
        for pid in ids:
            try:
                if int(pid[-1], 16) % 3 == 0:
                    await m.api.reject(m.ctx, pid, "not for the team")
                else:
                    await m.api.accept(m.ctx, pid)
                won.append(pid)
            except ValidationError as e:
                assert "already" in str(e)
        return won

    ids = [str(p.id) for p in proposals]
    won_a, won_b = await asyncio.gather(decide(a, ids), decide(b, ids[::-1]))
    assert sorted(won_a + won_b) == sorted(ids)  # every proposal decided exactly once
    await asyncio.gather(a.api.sync(a.ctx), b.api.sync(b.ctx))
    accepted = [x.learning.id for x in await a.api.list(a.ctx, tiers=[Tier.ENTERPRISE],
                                                        limit=None)]
    assert accepted
    expected: Counter[tuple[str, str]] = Counter()

    async def use(m: Machine, seed: int) -> None:
        r = random.Random(seed)
        for step in range(40):
            lid = r.choice(accepted)
            outcome = r.choice(list(Outcome))
            await m.api.record_outcome(m.ctx, lid, outcome)
            expected[(str(lid), outcome.value)] += 1
            if step % 9 == 0:
                await m.api.sync(m.ctx)

    await asyncio.gather(use(a, rng.randrange(1 << 30)), use(b, rng.randrange(1 << 30)))
    for m in (a, b, a):
        await m.api.sync(m.ctx)
    view_a, view_b = await replica_view(await replica(a)), await replica_view(await replica(b))
    assert view_a == view_b
    on_server = await server_counts(team_url)
    for lid in map(str, accepted):
        want = tuple(expected[(lid, o.value)] for o in Outcome)
        assert on_server.get(lid, (0, 0, 0)) == want
        assert view_a["usage"][lid] == (*want, sum(want))
    assert len(view_a["relations"]) == len(accepted)  # one provenance edge per copy
    assert {s for _, s, _, _ in view_a["proposals"]} == {"accepted", "rejected"}


async def test_two_curators_cannot_both_decide(machines: tuple[Machine, Machine]) -> None:
    """Of two curators accepting (or rejecting) one proposal at once, exactly one wins; the
    other is told who decided it."""
    a, b = machines
    x = await a.api.add(a.ctx, "one proposal, two curators")
    p = await a.api.propose(a.ctx, x.learning.id)
    await a.api.sync(a.ctx)
    results = await asyncio.gather(a.api.accept(a.ctx, p.id),
                                   b.api.reject(b.ctx, p.id, "duplicate"),
                                   return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert "already" in str(errors[0]) and " by " in str(errors[0])
    for m in machines:
        await m.api.sync(m.ctx)
    statuses = {(await m.api.proposals(m.ctx))[0].status for m in machines}
    assert len(statuses) == 1


async def test_commit_order_gap_is_not_skipped(machines: tuple[Machine, Machine],
                                               team_url: str) -> None:
    """A server transaction that started before a sync and commits after it is pulled by
    the next sync, although a later transaction committed first (the gap a sequence
    cursor would skip)."""
    a, _ = machines
    slow = await psycopg.AsyncConnection.connect(team_url)
    try:
        await server.put_param(slow, SystemParam.with_prior("slow_param", 2, 1))  # open txn
        async with server.connect(team_url) as conn:
            await server.put_param(conn, SystemParam.with_prior("fast_param", 1, 2))
        first = await a.api.sync(a.ctx)
        assert first[0].pulled["params"] == 1
        await slow.commit()
    finally:
        await slow.close()
    second = await a.api.sync(a.ctx)
    assert second[0].pulled["params"] == 1
    names = [p.name for p in await (await replica(a)).all_params()]
    assert names == ["fast_param", "slow_param"]


async def test_params_and_updates_are_pulled(machines: tuple[Machine, Machine],
                                             team_url: str) -> None:
    """A team param set by a curator reaches every replica, and so does a later change."""
    async with server.connect(team_url) as conn:
        await server.put_param(conn, SystemParam.with_prior("injection_threshold", 3, 7))
    for m in machines:
        await m.api.sync(m.ctx)
    async with server.connect(team_url) as conn:
        await server.put_param(conn, SystemParam.with_prior("injection_threshold", 7, 3))
    for m in machines:
        await m.api.sync(m.ctx)
        (param,) = await (await replica(m)).all_params()
        assert param.param.value == pytest.approx(0.7)


async def test_pushed_twice_counts_once(machines: tuple[Machine, Machine],
                                        team_url: str) -> None:
    """Events the server already has (a push retried after a crash) are skipped by id."""
    a, _ = machines
    await seed(team_url, curated(1))
    await a.api.sync(a.ctx)
    store = await replica(a)
    (learning,) = await store.all_learnings()
    await store.record_outcome(learning.id, Outcome.HELPFUL, log_event=True)
    entries = await store.outbox()
    async with server.connect(team_url) as conn:
        assert await server.push(conn, entries, [], "alice") == (1, 0)
    report = (await a.api.sync(a.ctx))[0]  # the same entries again, as after a crash
    assert report.pushed_events == 0 and report.skipped == 1
    assert await server_counts(team_url) == {str(learning.id): (1, 0, 0)}
    usage = await store.get_usage(learning.id)
    assert usage is not None and usage.times_helpful == 1


async def test_unsynced_outcomes_survive_a_pull(machines: tuple[Machine, Machine],
                                                team_url: str) -> None:
    """A pull sets usage to the team's counts plus this machine's events not pushed yet, so
    an outcome recorded between push and pull is neither lost nor counted twice."""
    a, b = machines
    await seed(team_url, curated(1))
    for m in machines:
        await m.api.sync(m.ctx)
    store_a = await replica(a)
    (learning,) = await store_a.all_learnings()
    await b.api.record_outcome(b.ctx, learning.id, Outcome.HELPFUL)
    await b.api.sync(b.ctx)
    await store_a.record_outcome(learning.id, Outcome.CONTRADICTED, log_event=True)
    pending = await store_a.outbox()
    async with server.connect(team_url) as conn:  # a pull alone, as if after this push
        feed = server.FEEDS[-1]
        rows = await server.pull_page(conn, feed, None, await server.snapshot(conn),
                                      ["0", *feed.first_key()], 10)
    await store_a.apply_team_changes(_changes(feed, rows, ORG))
    usage = await store_a.get_usage(learning.id)
    assert usage is not None
    assert (usage.times_helpful, usage.times_contradicted) == (1, 1)
    assert await store_a.outbox() == pending


async def test_developer_role_proposes_but_cannot_decide(pg_server: PgServer, tmp_path: Path
                                                         ) -> None:
    """A groove_developer login syncs, proposes and records outcomes; deciding needs
    groove_curator, and the refusal says which grant is missing."""
    url = create_database(pg_server)
    await init_server(url)
    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        for role, grant in (("dev_" + dbname, "groove_developer"),
                            ("cur_" + dbname, "groove_curator")):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                sql.Identifier(role), sql.Identifier(grant)))
    dev = make_machine(tmp_path / "dev", pg_server.url(dbname, "dev_" + dbname), "dev")
    cur = make_machine(tmp_path / "cur", pg_server.url(dbname, "cur_" + dbname), "cur")
    try:
        x = await dev.api.add(dev.ctx, "developers propose")
        p = await dev.api.propose(dev.ctx, x.learning.id)
        await dev.api.sync(dev.ctx)
        with pytest.raises(SyncError, match=r"GRANT groove_developer.*groove_curator"):
            await dev.api.accept(dev.ctx, p.id)
        await cur.api.sync(cur.ctx)
        _, copy = await cur.api.accept(cur.ctx, p.id)
        await dev.api.sync(dev.ctx)
        await dev.api.record_outcome(dev.ctx, copy.id, Outcome.HELPFUL)
        await dev.api.sync(dev.ctx)
        assert await server_counts(url) == {str(copy.id): (1, 0, 0)}
        with pytest.raises(SyncError, match="refused: permission denied for table usage"):
            async with server.connect(pg_server.url(dbname, "dev_" + dbname)) as conn:
                await conn.execute("UPDATE groove.usage SET helpful = 100")
    finally:
        await dev.api.close()
        await cur.api.close()


async def test_server_newer_than_groove_is_refused(machines: tuple[Machine, Machine],
                                                   team_url: str) -> None:
    """A server migrated by a newer groove is not synced: the error says to upgrade."""
    a, _ = machines
    async with server.connect(team_url) as conn:
        await conn.execute("INSERT INTO groove.schema_version (version, description) "
                           "VALUES (%s, %s)", (CURRENT_SERVER_VERSION + 1, "future"))
    with pytest.raises(SyncError, match="upgrade groove"):
        await a.api.sync(a.ctx)


async def test_a_different_server_pulls_everything(machines: tuple[Machine, Machine],
                                                   pg_server: PgServer, team_url: str) -> None:
    """A replica pointed at another server forgets the old cursor and pulls it whole."""
    a, _ = machines
    await seed(team_url, curated(3, seed=1))
    await a.api.sync(a.ctx)
    other = create_database(pg_server)
    await init_server(other)
    await seed(other, curated(2, seed=2))
    a.api.config.enterprises[ORG].sync_url = other
    report = (await a.api.sync(a.ctx))[0]
    assert report.full and report.pulled["learnings"] == 2
    assert await (await replica(a)).count() == 5


async def test_concurrent_pushes_do_not_deadlock(team_url: str) -> None:
    """Two machines pushing events for the same learnings in opposite orders at once both
    commit at the first try (usage rows are locked in learning order), each event once."""
    items = curated(60, seed=9)
    await seed(team_url, items)
    ids = [p.learning.id for p in items]

    async def run(outcome: Outcome, order: list[LearningId], user: str) -> None:
        async with server.connect(team_url) as conn:
            for _ in range(8):
                batch = [OutboxEntry.outcome_event(i, outcome) for i in order]
                assert await server._push_once(conn, batch, [], user) == (len(order), 0)

    await asyncio.gather(run(Outcome.HELPFUL, ids, "alice"),
                         run(Outcome.IGNORED, ids[::-1], "bob"))
    assert await server_counts(team_url) == {str(i): (8, 8, 0) for i in ids}


async def test_the_groove_server_syncs_in_the_background(tmp_path: Path,
                                                         team_url: str) -> None:
    """A groove server keeps an org with a sync_url in step: a proposal made through it
    reaches the team server without anyone running `groove sync`."""
    config, project = machine_config(tmp_path / "carol", team_url, "carol")
    other = make_machine(tmp_path / "dave", team_url, "dave")
    with served(config, sync_interval=0.2) as s:
        api, ctx = RemoteGroove(s.paths), RequestContext(project)
        x = await api.add(ctx, "carol's learning for the team")
        await api.propose(ctx, x.learning.id)
        for _ in range(100):
            await other.api.sync(other.ctx)
            if await other.api.proposals(other.ctx):
                break
            await asyncio.sleep(0.1)
        assert [p.learning.content.description for p in await other.api.proposals(other.ctx)
                ] == ["carol's learning for the team"]
    await other.api.close()
