"""Talking to the team's PostgreSQL: connections, the schema check, and every statement.

Every value is a bound parameter (psycopg placeholders); the statements are module
constants. psycopg is imported lazily: it is the optional extra `team`, and a groove
without it only fails when a sync is asked for.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from groove.domain import Learning, LearningId, LearningRelation, RelationType
from groove.domain.params import SystemParam
from groove.domain.proposal import Proposal, ProposalStatus
from groove.errors import (
    AmbiguousId,
    CapabilityMissing,
    GrooveError,
    NotFound,
    SyncError,
    ValidationError,
)
from groove.store.replica import Counts, OutboxEntry, PulledLearning
from groove.team.schema import (
    BOOTSTRAP,
    CURATOR,
    CURRENT_SERVER_VERSION,
    DEVELOPER,
    MIGRATION_LOCK,
    MIGRATIONS,
)

if TYPE_CHECKING:
    from psycopg import AsyncConnection

CONNECT_TIMEOUT = 10

ADVICE = ("check that PostgreSQL is running and reachable from here, and that your password "
          "is in PGPASSWORD or ~/.pgpass; local reads keep working, and `groove sync` "
          "resumes where it stopped")


def redact(url: str) -> str:
    """The URL with any password taken out, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = (f"{parts.username}@" if parts.username else "") + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise CapabilityMissing("TeamSync", "psycopg is not installed; install it with "
                                "pip install 'vibes-groove[team]'") from None
    return psycopg


@contextlib.asynccontextmanager
async def errors(url: str) -> AsyncIterator[None]:
    """Turn psycopg's errors into one `SyncError` that names the URL and what to do."""
    psycopg = _psycopg()
    shown = redact(url)
    try:
        yield
    except GrooveError:
        raise
    except psycopg.errors.InsufficientPrivilege as e:
        raise SyncError(f"the team server {shown} refused: {_first_line(e)}; ask its admin to "
                        f"GRANT {DEVELOPER} (or {CURATOR}, to decide proposals) TO your "
                        "login role", url=shown) from None
    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as e:
        raise SyncError(f"the team server {shown} has no groove schema ({_first_line(e)}); "
                        f"its admin runs `groove team init-server {shown}`", url=shown) from None
    except psycopg.errors.TransactionRollback as e:
        raise SyncError(f"the team server {shown} rolled a transaction back "
                        f"({_first_line(e)}); run `groove sync` again: it resumes",
                        url=shown) from None
    except psycopg.OperationalError as e:
        raise SyncError(f"cannot reach the team server {shown}: {_first_line(e)}; {ADVICE}",
                        url=shown) from None
    except psycopg.Error as e:
        raise SyncError(f"the team server {shown} failed: {_first_line(e)}",
                        url=shown) from None
    except OSError as e:
        raise SyncError(f"cannot reach the team server {shown}: {e}; {ADVICE}",
                        url=shown) from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[:2]) if lines else type(e).__name__


@contextlib.asynccontextmanager
async def connect(url: str) -> AsyncIterator[AsyncConnection[Any]]:
    """An autocommit connection (transactions are explicit), closed on exit; failures
    become `SyncError`."""
    psycopg = _psycopg()
    async with errors(url):
        conn = await psycopg.AsyncConnection.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, application_name="groove")
    try:
        async with errors(url):
            yield conn
    finally:
        with contextlib.suppress(Exception):
            await conn.close()


# -- schema ------------------------------------------------------------------------

SERVER_VERSION = "SELECT coalesce(max(version), 0) FROM groove.schema_version"
SERVER_ID = "SELECT value FROM groove.server_info WHERE key = 'server_id'"
RECORD_VERSION = ("INSERT INTO groove.schema_version (version, description) "
                  "VALUES (%(version)s, %(description)s)")
HAS_SCHEMA = "SELECT to_regclass('groove.schema_version') IS NOT NULL"


async def server_version(conn: AsyncConnection[Any]) -> int:
    row = await (await conn.execute(HAS_SCHEMA)).fetchone()
    if not row or not row[0]:
        return 0
    row = await (await conn.execute(SERVER_VERSION)).fetchone()
    return int(row[0]) if row else 0


async def check_server(conn: AsyncConnection[Any], url: str) -> str:
    """The server's id, after checking its schema is the one this groove speaks."""
    shown = redact(url)
    version = await server_version(conn)
    if version == 0:
        raise SyncError(f"the team server {shown} has no groove schema; its admin runs "
                        f"`groove team init-server {shown}`", url=shown)
    if version > CURRENT_SERVER_VERSION:
        raise SyncError(f"the team server {shown} has schema version {version}, newer than "
                        f"this groove knows ({CURRENT_SERVER_VERSION}); upgrade groove",
                        url=shown)
    if version < CURRENT_SERVER_VERSION:
        raise SyncError(f"the team server {shown} has schema version {version}; its admin "
                        f"runs `groove team init-server {shown}` to bring it to "
                        f"{CURRENT_SERVER_VERSION}", url=shown)
    row = await (await conn.execute(SERVER_ID)).fetchone()
    assert row is not None
    return str(row[0])


@dataclass(slots=True)
class InitServerReport:
    url: str
    version_before: int
    version_after: int
    applied: list[str]
    roles: tuple[str, str] = (DEVELOPER, CURATOR)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "version_before": self.version_before,
                "version_after": self.version_after, "applied": self.applied,
                "roles": list(self.roles)}


async def init_server(url: str) -> InitServerReport:
    """Create or upgrade the groove schema and its roles; each migration in one transaction
    under an advisory lock (concurrent runs apply it once). Needs a role that may create
    schemas and roles (the database owner with CREATEROLE, or a superuser)."""
    async with connect(url) as conn:
        before = await server_version(conn)
        if before > CURRENT_SERVER_VERSION:
            raise SyncError(f"the team server {redact(url)} has schema version {before}, "
                            f"newer than this groove knows ({CURRENT_SERVER_VERSION}); "
                            "upgrade groove", url=redact(url))
        applied: list[str] = []
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await conn.execute(BOOTSTRAP)
        for m in MIGRATIONS:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                if await server_version(conn) >= m.version:
                    continue
                await conn.execute(m.sql)
                await conn.execute(RECORD_VERSION, {"version": m.version,
                                                    "description": m.description})
                applied.append(f"{m.version}: {m.description}")
        return InitServerReport(redact(url), before, await server_version(conn), applied)


# -- push --------------------------------------------------------------------------

# In learning order: the trigger locks each learning's usage row, and two pushes that
# lock rows in different orders would deadlock.
PUSH_EVENTS = """
INSERT INTO groove.outcome_event (id, learning_id, outcome, delta, recorded_by, recorded_at)
SELECT * FROM unnest(%(ids)s::uuid[], %(learnings)s::uuid[], %(outcomes)s::text[],
                     %(deltas)s::smallint[], %(by)s::text[], %(at)s::timestamptz[])
    AS e(id, learning_id, outcome, delta, recorded_by, recorded_at)
ORDER BY learning_id, id
ON CONFLICT (id) DO NOTHING
"""
PUSH_PROPOSALS = """
INSERT INTO groove.proposal (id, learning_id, doc, proposed_by, from_tier, proposed_at)
SELECT * FROM unnest(%(ids)s::uuid[], %(learnings)s::uuid[], %(docs)s::text[]::jsonb[],
                     %(by)s::text[], %(tiers)s::text[], %(at)s::timestamptz[])
ON CONFLICT (id) DO NOTHING
"""


async def push(conn: AsyncConnection[Any], events: Sequence[OutboxEntry],
               proposals: Sequence[Proposal], user_id: str, attempts: int = 3
               ) -> tuple[int, int]:
    """Insert events and proposals in one transaction; ids already there are skipped (a
    retried push counts nothing twice). Returns how many of each were new. A transaction
    the server rolls back (a deadlock or serialization failure) is tried again."""
    psycopg = _psycopg()
    for attempt in range(attempts):
        try:
            return await _push_once(conn, events, proposals, user_id)
        except psycopg.errors.TransactionRollback:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


async def _push_once(conn: AsyncConnection[Any], events: Sequence[OutboxEntry],
                     proposals: Sequence[Proposal], user_id: str) -> tuple[int, int]:
    new_events = new_proposals = 0
    async with conn.transaction():
        if events:
            cur = await conn.execute(PUSH_EVENTS, {
                "ids": [e.id for e in events], "learnings": [e.ref_id for e in events],
                "outcomes": [e.outcome.value if e.outcome else "" for e in events],
                "deltas": [e.delta for e in events], "by": [user_id] * len(events),
                "at": [e.created_at for e in events]})
            new_events = max(cur.rowcount, 0)
        if proposals:
            cur = await conn.execute(PUSH_PROPOSALS, {
                "ids": [str(p.id) for p in proposals],
                "learnings": [str(p.learning.id) for p in proposals],
                "docs": [json.dumps(p.learning.to_dict(), ensure_ascii=False)
                         for p in proposals],
                "by": [p.proposed_by for p in proposals],
                "tiers": [p.from_tier for p in proposals],
                "at": [p.proposed_at for p in proposals]})
            new_proposals = max(cur.rowcount, 0)
    return new_events, new_proposals


# -- pull --------------------------------------------------------------------------

SNAPSHOT = "SELECT pg_current_snapshot()::text"


@dataclass(frozen=True, slots=True)
class Feed:
    """One table a replica pulls: its key columns (with their SQL types) and the query of
    one page of rows changed in a window, in (changed_xid, key) order."""

    name: str
    keys: tuple[tuple[str, str], ...]
    select: str
    table: str

    def sql(self, incremental: bool) -> str:
        keys = ", ".join(f"t.{k}" for k, _ in self.keys)
        after = ", ".join(f"%(k{i})s::{kind}" for i, (_, kind) in enumerate(self.keys))
        window = "pg_visible_in_snapshot(t.changed_xid, %(upto)s::pg_snapshot)"
        if incremental:
            window += (" AND t.changed_xid >= pg_snapshot_xmin(%(since)s::pg_snapshot)"
                       " AND NOT pg_visible_in_snapshot(t.changed_xid, %(since)s::pg_snapshot)")
        return (f"SELECT t.changed_xid::text, {keys}, {self.select} FROM {self.table} "
                f"WHERE {window} AND (t.changed_xid, {keys}) > (%(xid)s::xid8, {after}) "
                f"ORDER BY t.changed_xid, {keys} LIMIT %(limit)s")

    def first_key(self) -> list[str]:
        return [NIL_UUID if kind == "uuid" else "" for _, kind in self.keys]


NIL_UUID = "00000000-0000-0000-0000-000000000000"

FEEDS: tuple[Feed, ...] = (
    Feed("learnings", (("id", "uuid"),),
         "t.doc, t.embedding, t.model, u.helpful, u.ignored, u.contradicted, u.last_used",
         "groove.learning t LEFT JOIN groove.usage u ON u.learning_id = t.id"),
    Feed("relations", (("from_id", "uuid"), ("relation_type", "text"), ("to_id", "uuid")),
         "t.weight, t.created_at", "groove.relation t"),
    Feed("params", (("name", "text"),), "t.doc", "groove.param t"),
    Feed("proposals", (("id", "uuid"),),
         "t.learning_id, t.doc, t.proposed_by, t.from_tier, t.proposed_at, t.status, "
         "t.curator, t.decided_at, t.reason, t.accepted_id", "groove.proposal t"),
    Feed("usage", (("learning_id", "uuid"),),
         "t.helpful, t.ignored, t.contradicted, t.last_used", "groove.usage t"),
)
FEED_SQL = {(f.name, inc): f.sql(inc) for f in FEEDS for inc in (False, True)}


async def snapshot(conn: AsyncConnection[Any]) -> str:
    row = await (await conn.execute(SNAPSHOT)).fetchone()
    assert row is not None
    return str(row[0])


async def pull_page(conn: AsyncConnection[Any], feed: Feed, since: str | None, upto: str,
                    after: Sequence[str], limit: int) -> list[tuple[Any, ...]]:
    """Rows of `feed` changed after snapshot `since` (None: ever) and visible in `upto`,
    past `after` = [xid, *key], at most `limit`."""
    values: dict[str, Any] = {"upto": upto, "since": since, "xid": after[0], "limit": limit}
    values.update({f"k{i}": k for i, k in enumerate(after[1:])})
    if since is None:
        values.pop("since")
    cur = await conn.execute(FEED_SQL[(feed.name, since is not None)], values)
    return list(await cur.fetchall())


def counts(helpful: Any, ignored: Any, contradicted: Any, last_used: Any) -> Counts:
    return Counts(int(helpful or 0), int(ignored or 0), int(contradicted or 0), last_used)


def row_learning(row: Sequence[Any]) -> PulledLearning:
    import numpy as np

    doc, embedding, model = row[2], row[3], row[4]
    vector = None if embedding is None else np.frombuffer(bytes(embedding),
                                                          dtype=np.float32).copy()
    return PulledLearning(Learning.from_dict(doc), counts(*row[5:9]), vector, model)


def row_relation(row: Sequence[Any]) -> LearningRelation:
    return LearningRelation(LearningId(str(row[1])), RelationType.parse(row[2]),
                            LearningId(str(row[3])), float(row[4]), row[5])


def row_param(row: Sequence[Any]) -> SystemParam:
    return SystemParam.from_dict(row[2])


def row_proposal(row: Sequence[Any], org: str) -> Proposal:
    return Proposal(
        learning=Learning.from_dict(row[3]), org=org, proposed_by=row[4], from_tier=row[5],
        id=LearningId(str(row[1])), proposed_at=row[6], status=ProposalStatus(row[7]),
        curator=row[8], decided_at=row[9], reason=row[10],
        accepted_id=None if row[11] is None else LearningId(str(row[11])))


# -- decisions (curators) ------------------------------------------------------------

P_COLS = ("changed_xid::text, id, learning_id, doc, proposed_by, from_tier, proposed_at, "
          "status, curator, decided_at, reason, accepted_id")
GET_PROPOSAL = f"SELECT {P_COLS} FROM groove.proposal WHERE id = %(id)s::uuid"
PROPOSALS_WITH_PREFIX = (f"SELECT {P_COLS} FROM groove.proposal "
                         "WHERE id::text LIKE %(prefix)s ORDER BY id LIMIT 11")
DECIDE = f"""
UPDATE groove.proposal
SET status = %(status)s, curator = %(curator)s, decided_at = %(decided_at)s,
    reason = %(reason)s, accepted_id = %(accepted_id)s::uuid
WHERE id = %(id)s::uuid AND status = 'pending'
RETURNING {P_COLS}"""
INSERT_LEARNING = """
INSERT INTO groove.learning (id, doc, embedding, model)
VALUES (%(id)s::uuid, %(doc)s::jsonb, %(embedding)s, %(model)s)"""
INSERT_RELATION = """
INSERT INTO groove.relation (from_id, relation_type, to_id, weight, created_at)
VALUES (%(from_id)s::uuid, %(type)s, %(to_id)s::uuid, %(weight)s, %(created_at)s)
ON CONFLICT DO NOTHING"""
PUT_PARAM = """
INSERT INTO groove.param (name, doc) VALUES (%(name)s, %(doc)s::jsonb)
ON CONFLICT (name) DO UPDATE SET doc = EXCLUDED.doc"""


async def find_proposal(conn: AsyncConnection[Any], id: LearningId | str, org: str) -> Proposal:
    """A proposal by id or unique id prefix, as the server has it now."""
    if isinstance(id, str):
        like = id.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        rows = list(await (await conn.execute(PROPOSALS_WITH_PREFIX,
                                              {"prefix": like})).fetchall())
    else:
        rows = list(await (await conn.execute(GET_PROPOSAL, {"id": str(id)})).fetchall())
    if not rows:
        raise NotFound(id, "proposal")
    if len(rows) > 1:
        raise AmbiguousId(str(id), [str(r[1]) for r in rows])
    return row_proposal(rows[0], org)


async def decide(conn: AsyncConnection[Any], decided: Proposal,
                 copy: PulledLearning | None = None,
                 relation: LearningRelation | None = None) -> Proposal:
    """Record a curator's decision if the proposal is still pending: one conditional UPDATE
    (`WHERE status = 'pending'`), so of two curators deciding at once exactly one wins;
    an acceptance adds the curated copy and its provenance edge in the same transaction."""
    async with conn.transaction():
        cur = await conn.execute(DECIDE, {
            "id": str(decided.id), "status": decided.status.value, "curator": decided.curator,
            "decided_at": decided.decided_at, "reason": decided.reason,
            "accepted_id": None if decided.accepted_id is None else str(decided.accepted_id)})
        row = await cur.fetchone()
        if row is None:
            current = await find_proposal(conn, decided.id, decided.org)
            raise ValidationError(
                f"proposal {decided.id} is already {current.status.value}"
                + (f" by {current.curator}" if current.curator else ""), field="proposal")
        if copy is not None:
            vector = copy.vector
            await conn.execute(INSERT_LEARNING, {
                "id": str(copy.learning.id),
                "doc": json.dumps(copy.learning.to_dict(), ensure_ascii=False),
                "embedding": None if vector is None else vector.tobytes(),
                "model": copy.model})
        if relation is not None:
            await conn.execute(INSERT_RELATION, {
                "from_id": str(relation.from_id), "type": relation.relation_type.value,
                "to_id": str(relation.to_id), "weight": relation.weight,
                "created_at": relation.created_at})
    return row_proposal(row, decided.org)


async def put_param(conn: AsyncConnection[Any], param: SystemParam) -> None:
    """Set a team-wide parameter (curators); every replica pulls it."""
    await conn.execute(PUT_PARAM, {"name": param.name,
                                   "doc": json.dumps(param.to_dict(), ensure_ascii=False)})


PUBLISH = "COPY groove.learning (id, doc, embedding, model) FROM STDIN"


async def publish(conn: AsyncConnection[Any], items: Sequence[PulledLearning]) -> int:
    """Bulk-add curated learnings (with their vectors) to the team server in one COPY, e.g.
    to seed it from an existing enterprise tier (curators). Ids already there fail it."""
    async with conn.transaction(), conn.cursor().copy(PUBLISH) as copy:
        for p in items:
            await copy.write_row((str(p.learning.id),
                                  json.dumps(p.learning.to_dict(), ensure_ascii=False),
                                  None if p.vector is None else p.vector.tobytes(), p.model))
    return len(items)
