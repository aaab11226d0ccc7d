"""The database schema as an ordered list of migrations.

A fresh database runs them all; an older one runs those above its recorded
version. Each migration is one chained CozoScript, so it commits whole or not
at all, and records its version in `schema_version` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    script: str


V1_INITIAL = """
{:create schema_version {version: Int => applied_at: Int, description: String}}
{:create learning {
    id: String =>
    scope: String,
    category: String,
    description: String,
    pattern_json: String? default null,
    insight: String,
    confidence: Float,
    created_at: Int,
    updated_at: Int,
    source_type: String,
    source_json: String
}}
{:create usage_stats {
    learning_id: String =>
    times_injected: Int,
    times_helpful: Int,
    times_ignored: Int,
    times_contradicted: Int,
    last_used: Int? default null,
    confidence_alpha: Float,
    confidence_beta: Float
}}
{:create learning_embeddings {learning_id: String => embedding: Bytes}}
{:create learning_relations {
    from_id: String, relation_type: String, to_id: String => weight: Float, created_at: Int
}}
{:create adaptive_params {
    param_name: String =>
    value: Float,
    uncertainty: Float,
    observations: Int,
    prior_alpha: Float,
    prior_beta: Float,
    updated_at: Int
}}
{::index create learning:by_scope {scope}}
{::index create learning:by_category {category}}
{::index create learning_relations:by_to {to_id}}
"""

# v1 stored bare vectors; v2 records which model made each one, so a model
# change is detected instead of silently mixing vector spaces. v1 only ever
# wrote vectors of the default model, which is what the copy labels them.
V2_EMBEDDING_MODEL = """
{:create learning_embeddings_v2 {learning_id: String => model: String, embedding: Bytes}}
{?[learning_id, model, embedding] := *learning_embeddings{learning_id, embedding},
    model = 'sentence-transformers/all-MiniLM-L6-v2'
 :put learning_embeddings_v2 {learning_id => model, embedding}}
{::remove learning_embeddings}
{::rename learning_embeddings_v2 -> learning_embeddings}
"""

V3_PROPOSALS = """
{:create proposal {
    id: String =>
    org: String,
    learning_json: String,
    original_id: String,
    proposed_by: String,
    from_tier: String,
    proposed_at: Int,
    status: String,
    curator: String? default null,
    decided_at: Int? default null,
    reason: String? default null,
    accepted_id: String? default null
}}
"""

# Listing by confidence or recency reads this small index instead of scanning and
# sorting whole learning rows (measured: 24 ms instead of 114 ms at 10,000 learnings).
V4_RANK_INDEX = """
{::index create learning:by_confidence {confidence, updated_at}}
"""

# Cozo scans a relation or index in key order and `:limit` without `:order` stops
# the scan early, but it cannot scan backwards. Negated copies of confidence and
# update time make "best first" the key order: the top 45 of 100,000 learnings then
# cost 0.3 ms instead of 290 ms to sort (measured). The v4 index is superseded.
V5_RANK_COLUMNS = """
{::index drop learning:by_scope}
{::index drop learning:by_category}
{::index drop learning:by_confidence}
{:create learning_v5 {
    id: String =>
    scope: String,
    category: String,
    description: String,
    pattern_json: String? default null,
    insight: String,
    confidence: Float,
    created_at: Int,
    updated_at: Int,
    source_type: String,
    source_json: String,
    rank_confidence: Float,
    rank_updated: Int
}}
{?[id, scope, category, description, pattern_json, insight, confidence, created_at, updated_at,
   source_type, source_json, rank_confidence, rank_updated] :=
    *learning{id, scope, category, description, pattern_json, insight, confidence, created_at,
              updated_at, source_type, source_json},
    rank_confidence = -confidence, rank_updated = -updated_at
 :put learning_v5 {id => scope, category, description, pattern_json, insight, confidence,
                   created_at, updated_at, source_type, source_json, rank_confidence,
                   rank_updated}}
{::remove learning}
{::rename learning_v5 -> learning}
{::index create learning:by_scope {scope}}
{::index create learning:by_category {category}}
{::index create learning:by_rank {rank_confidence, rank_updated}}
{::index create learning:by_recent {rank_updated}}
"""

# What was injected into which agent session, and the outcome credited for it: the
# evidence that attributes outcomes (once per learning per session) and tunes the
# injection parameters. Kept in the user tier, whichever tier the learning lives in.
V6_INJECTIONS = """
{:create injection {
    session_id: String,
    learning_id: String
    =>
    via: String,
    prompt_index: Int,
    tier: String,
    score: Float,
    similarity: Float? default null,
    injected_at: Int,
    outcome: String? default null,
    outcome_source: String? default null,
    evidence: String? default null,
    outcome_at: Int? default null
}}
{::index create injection:by_learning {learning_id, session_id}}
"""

# Team sync (an enterprise replica of a PostgreSQL team server, see `groove.team`):
# what this machine still has to push (outcome events and proposals, each with an id,
# so a retried push cannot count twice) and the pull cursor with its progress.
V7_TEAM_SYNC = """
{:create sync_outbox {
    id: String
    =>
    kind: String,
    ref_id: String,
    outcome: String? default null,
    delta: Int default 0,
    created_at: Int
}}
{:create sync_state {key: String => value: String}}
"""

# Learnings captured from session transcripts, awaiting a person's review, with where
# they came from (session, turn, rule, quote); keyed by (session, turn, rule) so a
# session read twice captures nothing twice.
V8_CAPTURES = """
{:create capture {
    session_id: String,
    turn: Int,
    rule: String
    =>
    learning_id: String,
    quote: String,
    status: String,
    captured_at: Int
}}
{::index create capture:by_status {status, learning_id}}
{::index create capture:by_learning {learning_id}}
"""

# Short handles (an id's last 8 hex digits, see `groove.domain.short_id`) looked up by key
# instead of scanning every id (80 ms at 100,000 learnings, measured); and the vector epoch:
# every write of a vector, of a learning's scope or category, and every delete moves it
# (epoch + 1 and a fresh random token) in the same transaction, so a vector side file that
# records another epoch or token is known to be stale, whatever its age or origin.
V9_HANDLES_AND_VECTOR_EPOCH = """
{:create learning_handle {handle: String, id: String}}
{?[handle, id] := *learning{id}, n = length(id),
    handle = lowercase(slice_string(id, n - 8, n))
 :put learning_handle {handle, id}}
{:create vector_epoch {key: Int => epoch: Int, token: String}}
{?[key, epoch, token] <- [[0, 1, to_string(rand_uuid_v4())]]
 :put vector_epoch {key => epoch, token}}
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", V1_INITIAL),
    Migration(2, "record the embedding model of each vector", V2_EMBEDDING_MODEL),
    Migration(3, "enterprise proposals", V3_PROPOSALS),
    Migration(4, "index learnings by confidence and recency", V4_RANK_INDEX),
    Migration(5, "rank columns: list best-first without sorting", V5_RANK_COLUMNS),
    Migration(6, "injections per agent session, with the outcome credited", V6_INJECTIONS),
    Migration(7, "team sync: outbox and cursor of an enterprise replica", V7_TEAM_SYNC),
    Migration(8, "learnings captured from transcripts, pending review", V8_CAPTURES),
    Migration(9, "short id handles and the vector epoch", V9_HANDLES_AND_VECTOR_EPOCH),
)

CURRENT_SCHEMA_VERSION = MIGRATIONS[-1].version

RECORD_VERSION = """
{?[version, applied_at, description] <- [[$version, $applied_at, $description]]
 :put schema_version {version => applied_at, description}}
"""
