"""The sync engine: an enterprise replica (local CozoDB) against the team's PostgreSQL.

One sync = push, then pull.

Push: the replica's outbox (outcome events and proposals recorded on this machine, each
under its own UUIDv7) goes to the server in transactions of `page_size`; the server
inserts with `ON CONFLICT (id) DO NOTHING`, then the entries leave the outbox. A sync
killed between the server's commit and the local clear pushes them again and the server
skips them: nothing is counted twice, nothing is lost.

Pull: every pulled row carries `changed_xid`, the transaction that last wrote it. The
cursor is a PostgreSQL snapshot (`pg_current_snapshot()`), not a sequence number: a
bigserial is taken at insert but becomes visible at commit, so a reader that saw 11
before 10 committed would skip 10 for ever. A window (since, upto] selects the rows
whose transaction is visible in `upto` and was not visible in `since` - exactly the
transactions that committed between the two snapshots, whatever order their ids
were taken in. A transaction still running at `upto` is invisible in it, so it falls
into the next window. A row changed again later leaves this window and enters the
next one with its new xid, so the last version of every row is always pulled.

Pages come in (changed_xid, key) order; each page is applied to the replica in one
transaction together with the window and the last key done, so a killed pull resumes
after the last applied page. Applying is idempotent (rows put by key, usage set from
absolute counts), so even a replayed page changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from groove.config import EnterpriseConfig
from groove.domain import LearningId, LearningRelation, utcnow
from groove.domain.proposal import Proposal, ProposalStatus
from groove.errors import GrooveError, ValidationError
from groove.store.replica import OUTCOME, PROPOSAL, PulledLearning, ReplicaChanges
from groove.team import server
from groove.team.server import FEEDS, Feed

if TYPE_CHECKING:
    from psycopg import AsyncConnection

    from groove.store import CozoStore

PAGE_SIZE = 1000

STATE_SERVER = "server_id"
STATE_CURSOR = "cursor"
STATE_PULL = "pull"
STATE_LAST = "last_sync"

Progress = Callable[[str, int], None]
"""Called after each page: (what, rows), e.g. ("push", 1000) or ("pull learnings", 1000)."""

_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@dataclass(slots=True)
class SyncReport:
    """What one sync of one org did."""

    org: str
    url: str
    pushed_events: int = 0
    pushed_proposals: int = 0
    skipped: int = 0
    """Pushed entries the server already had (a push retried after an interruption)."""
    pulled: dict[str, int] = field(default_factory=lambda: {f.name: 0 for f in FEEDS})
    full: bool = False
    resumed: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "url": self.url, "pushed_events": self.pushed_events,
                "pushed_proposals": self.pushed_proposals, "skipped": self.skipped,
                "pulled": dict(self.pulled), "full": self.full, "resumed": self.resumed,
                "seconds": round(self.seconds, 6)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SyncReport:
        return cls(d["org"], d["url"], int(d["pushed_events"]), int(d["pushed_proposals"]),
                   int(d.get("skipped", 0)), {k: int(v) for k, v in d["pulled"].items()},
                   bool(d["full"]), bool(d["resumed"]), float(d["seconds"]))


def sync_url(org: EnterpriseConfig) -> str:
    if not org.sync_url:
        raise ValidationError(f"[enterprises.{org.org_id}] has no sync_url; add "
                              "sync_url = \"postgresql://USER@HOST/DB\" to the user config",
                              field="sync_url")
    return org.sync_url


async def sync_replica(store: CozoStore, org: EnterpriseConfig, user_id: str, *,
                       page_size: int = PAGE_SIZE, progress: Progress | None = None
                       ) -> SyncReport:
    """Push this machine's outbox, then pull what changed on the team server since the
    cursor, into `store` (the org's replica). Syncs of one replica in this process run
    one at a time; a failure raises `SyncError` and leaves every applied page applied."""
    url = sync_url(org)
    lock = _locks.setdefault(store, asyncio.Lock())
    async with lock:
        started = time.perf_counter()
        report = SyncReport(org.org_id, server.redact(url))
        async with server.connect(url) as conn:
            server_id = await server.check_server(conn, url)
            state = await store.sync_state()
            if state.get(STATE_SERVER) != server_id:
                # a new replica, or a different server: pull everything (puts are idempotent)
                await store.apply_team_changes(ReplicaChanges(), {
                    STATE_SERVER: server_id, STATE_CURSOR: None, STATE_PULL: None})
                state = {STATE_SERVER: server_id}
            await _push(conn, store, user_id, page_size, report, progress)
            await _pull(conn, store, org.org_id, state, page_size, report, progress)
        report.seconds = time.perf_counter() - started
        return report


async def _push(conn: AsyncConnection[Any], store: CozoStore, user_id: str, page_size: int,
                report: SyncReport, progress: Progress | None) -> None:
    while True:
        entries = await store.outbox(page_size)
        if not entries:
            return
        events = [e for e in entries if e.kind == OUTCOME and e.outcome is not None]
        proposals: list[Proposal] = []
        for e in entries:
            if e.kind == PROPOSAL:
                found = await store.get_proposal(LearningId(e.ref_id))
                if found is not None:
                    proposals.append(found)
        new_events, new_proposals = await server.push(conn, events, proposals, user_id)
        await store.clear_outbox([e.id for e in entries])
        report.pushed_events += new_events
        report.pushed_proposals += new_proposals
        report.skipped += len(events) - new_events + len(proposals) - new_proposals
        if progress is not None:
            progress("push", len(entries))
        if len(entries) < page_size:
            return


async def _pull(conn: AsyncConnection[Any], store: CozoStore, org: str, state: dict[str, str],
                page_size: int, report: SyncReport, progress: Progress | None) -> None:
    window: dict[str, Any] | None = None
    if state.get(STATE_PULL):
        window = json.loads(state[STATE_PULL])
        report.resumed = True
    cursor = state.get(STATE_CURSOR)
    while True:
        fresh = window is None
        if window is None:
            window = {"since": cursor, "upto": await server.snapshot(conn), "feed": 0,
                      "after": None}
        report.full = report.full or window["since"] is None
        await _pull_window(conn, store, org, window, page_size, report, progress)
        cursor = window["upto"]
        await store.apply_team_changes(ReplicaChanges(), {
            STATE_CURSOR: cursor, STATE_PULL: None, STATE_LAST: utcnow().isoformat()})
        if fresh:
            return
        window = None  # a resumed window is done: catch up with what came since


async def _pull_window(conn: AsyncConnection[Any], store: CozoStore, org: str,
                       window: dict[str, Any], page_size: int, report: SyncReport,
                       progress: Progress | None) -> None:
    since, upto = window["since"], window["upto"]
    for index in range(int(window["feed"]), len(FEEDS)):
        feed = FEEDS[index]
        after = window["after"] if index == window["feed"] and window["after"] \
            else ["0", *feed.first_key()]
        while True:
            rows = await server.pull_page(conn, feed, since, upto, after, page_size)
            if not rows:
                break
            after = [str(v) for v in rows[-1][:1 + len(feed.keys)]]
            window.update(feed=index, after=after)
            await store.apply_team_changes(_changes(feed, rows, org),
                                           {STATE_PULL: json.dumps(window)})
            report.pulled[feed.name] += len(rows)
            if progress is not None:
                progress(f"pull {feed.name}", len(rows))
            if len(rows) < page_size:
                break


def _changes(feed: Feed, rows: list[tuple[Any, ...]], org: str) -> ReplicaChanges:
    changes = ReplicaChanges()
    if feed.name == "learnings":
        changes.learnings = [server.row_learning(r) for r in rows]
    elif feed.name == "relations":
        changes.relations = [server.row_relation(r) for r in rows]
    elif feed.name == "params":
        changes.params = [server.row_param(r) for r in rows]
    elif feed.name == "proposals":
        changes.proposals = [server.row_proposal(r, org) for r in rows]
    else:
        changes.usage = {LearningId(str(r[1])): server.counts(*r[2:6]) for r in rows}
    return changes


# -- status ------------------------------------------------------------------------------

@dataclass(slots=True)
class TeamStatus:
    """Where one org's replica stands: what waits to be pushed, when it last synced, and
    whether its server answers (`server_error` says why not)."""

    org: str
    url: str | None
    replica: str
    replica_exists: bool
    pending_outcomes: int = 0
    pending_proposals: int = 0
    last_sync: str | None = None
    pull_in_progress: bool = False
    server_version: int | None = None
    server_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "url": self.url, "replica": self.replica,
                "replica_exists": self.replica_exists,
                "pending_outcomes": self.pending_outcomes,
                "pending_proposals": self.pending_proposals, "last_sync": self.last_sync,
                "pull_in_progress": self.pull_in_progress,
                "server_version": self.server_version, "server_error": self.server_error}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TeamStatus:
        return cls(d["org"], d.get("url"), d["replica"], bool(d["replica_exists"]),
                   int(d.get("pending_outcomes", 0)), int(d.get("pending_proposals", 0)),
                   d.get("last_sync"), bool(d.get("pull_in_progress")),
                   d.get("server_version"), d.get("server_error"))


async def team_status(store: CozoStore | None, org: EnterpriseConfig, *,
                      probe: bool = True) -> TeamStatus:
    """The replica's sync state (read locally, no server needed) and, with `probe`, the
    server's schema version or the error that reaching it gave."""
    url = None if not org.sync_url else server.redact(org.sync_url)
    status = TeamStatus(org.org_id, url, str(org.db_path), store is not None)
    if store is not None:
        counts = await store.outbox_counts()
        status.pending_outcomes = counts.get(OUTCOME, 0)
        status.pending_proposals = counts.get(PROPOSAL, 0)
        state = await store.sync_state()
        status.last_sync = state.get(STATE_LAST)
        status.pull_in_progress = bool(state.get(STATE_PULL))
    if probe and org.sync_url:
        try:
            async with server.connect(org.sync_url) as conn:
                await server.check_server(conn, org.sync_url)
                status.server_version = await server.server_version(conn)
        except GrooveError as e:
            status.server_error = str(e)
    return status


# -- decisions against the server ------------------------------------------------------

async def pending_proposal(org: EnterpriseConfig, id: LearningId | str) -> Proposal:
    """The proposal (by id or unique prefix) as the server has it; it must be pending."""
    url = sync_url(org)
    async with server.connect(url) as conn:
        await server.check_server(conn, url)
        proposal = await server.find_proposal(conn, id, org.org_id)
    if proposal.status is not ProposalStatus.PENDING:
        raise ValidationError(f"proposal {proposal.id} is already {proposal.status.value}"
                              + (f" by {proposal.curator}" if proposal.curator else ""),
                              field="proposal")
    return proposal


async def record_decision(store: CozoStore, org: EnterpriseConfig, decided: Proposal,
                          copy: PulledLearning | None = None,
                          relation: LearningRelation | None = None) -> Proposal:
    """Decide on the server (only if still pending there: two curators cannot both
    decide), then apply the outcome to this replica at once, as a pull would."""
    url = sync_url(org)
    async with server.connect(url) as conn:
        await server.check_server(conn, url)
        result = await server.decide(conn, decided, copy, relation)
    await store.apply_team_changes(ReplicaChanges(
        learnings=[copy] if copy is not None else [],
        relations=[relation] if relation is not None else [], proposals=[result]))
    return result


# -- in the background -------------------------------------------------------------------

async def background_sync(sync: Callable[[], Awaitable[Any]], *, interval: float = 60.0,
                          max_interval: float = 900.0, stop: asyncio.Event | None = None,
                          on_error: Callable[[GrooveError], None] | None = None,
                          on_result: Callable[[Any], None] | None = None) -> None:
    """Call `sync` every `interval` seconds until `stop` is set (e.g. the groove server:
    `background_sync(lambda: api.sync(RequestContext()))`). A failure (the team server is
    down) is reported to `on_error` and retried with the interval doubled, up to
    `max_interval`; the loop itself never dies of a `GrooveError`."""
    stop = stop or asyncio.Event()
    delay = interval
    while not stop.is_set():
        try:
            result = await sync()
        except GrooveError as e:
            if on_error is not None:
                on_error(e)
            delay = min(delay * 2, max_interval)
        else:
            if on_result is not None:
                on_result(result)
            delay = interval
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
