"""The team server's schema (PostgreSQL), as ordered migrations, and its roles.

Everything lives in the `groove` schema of the team's database. Like the local
schema, `groove.schema_version` records each applied migration; each migration runs
in one transaction under an advisory lock, so two admins running
`groove team init-server` at once apply it once.

Tables a replica pulls carry `changed_xid`, the id of the transaction that last wrote
the row (set by a trigger on every insert and update, whatever the statement says).
Pulls select rows by transaction visibility (see `groove.team.sync`), never by a
sequence number.

Outcome counts: `outcome_event` is append-only (one row per event, id from the
machine that recorded it); a trigger adds each new event into `usage` with
`helpful = helpful + delta` (a commutative increment under PostgreSQL's row lock,
never a read-modify-write in a client). It runs as the schema owner, so developers
insert events but cannot write counts.

A migration that adds a table grants it to the roles below (grants are per object).
Needs PostgreSQL 13 or later (xid8, pg_current_snapshot, gen_random_uuid).

Roles (no LOGIN; grant them to people's login roles):
- `groove_developer`: read everything; propose (insert a pending proposal); record
  outcome events.
- `groove_curator`: a developer who also decides proposals (accept, reject), adds
  curated learnings and their relations, and sets team params.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVELOPER = "groove_developer"
CURATOR = "groove_curator"

# One advisory lock key for "the groove schema is changing" (any 64-bit constant).
MIGRATION_LOCK = 0x67726F6F7665  # "groove"

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS groove;
CREATE TABLE IF NOT EXISTS groove.schema_version (
    version int PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class ServerMigration:
    version: int
    description: str
    sql: str


V1_TEAM = """
CREATE TABLE groove.server_info (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO groove.server_info (key, value) VALUES ('server_id', gen_random_uuid()::text);

CREATE FUNCTION groove.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_xid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TABLE groove.learning (
    id uuid PRIMARY KEY,
    doc jsonb NOT NULL,
    embedding bytea,
    model text,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX learning_changed ON groove.learning (changed_xid, id);
CREATE TRIGGER learning_touch BEFORE INSERT OR UPDATE ON groove.learning
    FOR EACH ROW EXECUTE FUNCTION groove.touch();

CREATE TABLE groove.relation (
    from_id uuid NOT NULL,
    relation_type text NOT NULL CHECK (relation_type IN
        ('supersedes', 'contradicts', 'derived_from', 'related_to', 'specializes')),
    to_id uuid NOT NULL,
    weight double precision NOT NULL,
    created_at timestamptz NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (from_id, relation_type, to_id)
);
CREATE INDEX relation_changed ON groove.relation (changed_xid, from_id, relation_type, to_id);
CREATE TRIGGER relation_touch BEFORE INSERT OR UPDATE ON groove.relation
    FOR EACH ROW EXECUTE FUNCTION groove.touch();

CREATE TABLE groove.param (
    name text PRIMARY KEY,
    doc jsonb NOT NULL,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX param_changed ON groove.param (changed_xid, name);
CREATE TRIGGER param_touch BEFORE INSERT OR UPDATE ON groove.param
    FOR EACH ROW EXECUTE FUNCTION groove.touch();

CREATE TABLE groove.proposal (
    id uuid PRIMARY KEY,
    learning_id uuid NOT NULL,
    doc jsonb NOT NULL,
    proposed_by text NOT NULL,
    from_tier text NOT NULL,
    proposed_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'rejected')),
    curator text,
    decided_at timestamptz,
    reason text,
    accepted_id uuid,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'accepted') = (accepted_id IS NOT NULL))
);
CREATE INDEX proposal_changed ON groove.proposal (changed_xid, id);
CREATE TRIGGER proposal_touch BEFORE INSERT OR UPDATE ON groove.proposal
    FOR EACH ROW EXECUTE FUNCTION groove.touch();

CREATE TABLE groove.outcome_event (
    id uuid PRIMARY KEY,
    learning_id uuid NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('helpful', 'ignored', 'contradicted')),
    delta smallint NOT NULL CHECK (delta IN (-1, 1)),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outcome_event_learning ON groove.outcome_event (learning_id);

CREATE TABLE groove.usage (
    learning_id uuid PRIMARY KEY,
    helpful bigint NOT NULL DEFAULT 0,
    ignored bigint NOT NULL DEFAULT 0,
    contradicted bigint NOT NULL DEFAULT 0,
    last_used timestamptz,
    changed_xid xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX usage_changed ON groove.usage (changed_xid, learning_id);
CREATE TRIGGER usage_touch BEFORE INSERT OR UPDATE ON groove.usage
    FOR EACH ROW EXECUTE FUNCTION groove.touch();

CREATE FUNCTION groove.count_outcome() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO groove.usage AS u (learning_id, helpful, ignored, contradicted, last_used)
    VALUES (NEW.learning_id,
            CASE WHEN NEW.outcome = 'helpful' THEN NEW.delta ELSE 0 END,
            CASE WHEN NEW.outcome = 'ignored' THEN NEW.delta ELSE 0 END,
            CASE WHEN NEW.outcome = 'contradicted' THEN NEW.delta ELSE 0 END,
            CASE WHEN NEW.delta > 0 THEN NEW.recorded_at END)
    ON CONFLICT (learning_id) DO UPDATE SET
        helpful = u.helpful + EXCLUDED.helpful,
        ignored = u.ignored + EXCLUDED.ignored,
        contradicted = u.contradicted + EXCLUDED.contradicted,
        last_used = GREATEST(u.last_used, EXCLUDED.last_used);
    RETURN NULL;
END $$;
CREATE TRIGGER outcome_counts AFTER INSERT ON groove.outcome_event
    FOR EACH ROW EXECUTE FUNCTION groove.count_outcome();

-- Roles belong to the cluster, not the database: another database's init-server may be
-- creating them right now (the advisory lock is per database), hence the handlers.
DO $$
BEGIN
    BEGIN
        CREATE ROLE groove_developer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE groove_curator NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END $$;
GRANT groove_developer TO groove_curator;

REVOKE ALL ON ALL TABLES IN SCHEMA groove FROM PUBLIC;
REVOKE ALL ON FUNCTION groove.count_outcome() FROM PUBLIC;
GRANT USAGE ON SCHEMA groove TO groove_developer;
GRANT SELECT ON ALL TABLES IN SCHEMA groove TO groove_developer;
GRANT INSERT (id, learning_id, doc, proposed_by, from_tier, proposed_at)
    ON groove.proposal TO groove_developer;
GRANT INSERT (id, learning_id, outcome, delta, recorded_by, recorded_at)
    ON groove.outcome_event TO groove_developer;
GRANT UPDATE (status, curator, decided_at, reason, accepted_id)
    ON groove.proposal TO groove_curator;
GRANT INSERT ON groove.learning, groove.relation TO groove_curator;
GRANT INSERT, UPDATE ON groove.param TO groove_curator;
"""

MIGRATIONS: tuple[ServerMigration, ...] = (
    ServerMigration(1, "team tier: learnings, relations, params, proposals, outcome "
                       "events with merged usage; roles groove_developer, groove_curator",
                    V1_TEAM),
)

CURRENT_SERVER_VERSION = MIGRATIONS[-1].version
