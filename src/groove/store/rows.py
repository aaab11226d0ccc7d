"""Rows as Cozo stores them, to and from groove's domain types."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from groove.domain import (
    Learning,
    LearningCategory,
    LearningId,
    LearningRelation,
    LearningSource,
    Outcome,
    RelationType,
    Scope,
    SystemParam,
    UsageStats,
)
from groove.domain.clock import from_micros, to_micros
from groove.domain.injection import (
    CaptureRecord,
    CaptureStatus,
    InjectedVia,
    Injection,
    OutcomeSource,
)
from groove.domain.params import AdaptiveParam
from groove.domain.proposal import Proposal, ProposalStatus
from groove.errors import GrooveError, SerializationError


def learning_row(learning: Learning, usage: UsageStats) -> list[Any]:
    """The stored row; confidence and its rank key come from `usage`, the one place
    confidence is derived, so the two can never drift apart."""
    pattern = learning.content.pattern
    confidence = usage.confidence()
    return [
        str(learning.id),
        learning.scope.to_db_string(),
        learning.category.value,
        learning.content.description,
        None if pattern is None else json.dumps(pattern, ensure_ascii=False),
        learning.content.insight,
        confidence,
        to_micros(learning.created_at),
        to_micros(learning.updated_at),
        learning.source.source_type,
        json.dumps(learning.source.to_dict(), ensure_ascii=False),
        -confidence,
        -to_micros(learning.updated_at),
    ]


@lru_cache(maxsize=4096)
def _scope(text: str) -> Scope:
    return Scope.from_db_string(text)


@lru_cache(maxsize=64)
def _category(text: str) -> LearningCategory:
    return LearningCategory.parse(text)


@lru_cache(maxsize=4096)
def _source(text: str) -> LearningSource:
    return LearningSource.from_dict(json.loads(text))


def row_learning(row: Sequence[Any]) -> Learning:
    """Scope, category and source are immutable and repeat across rows (one scope per
    project, a handful of source kinds): decoded once each. Not checked again
    (`Learning.stored`): the row was checked when written."""
    try:
        return Learning.stored(
            LearningId(row[0]), _scope(row[1]), _category(row[2]),
            (row[3], row[5], None if row[4] is None else json.loads(row[4])),
            float(row[6]), from_micros(row[7]), from_micros(row[8]), _source(row[10]))
    except (GrooveError, ValueError, TypeError) as e:
        raise SerializationError(f"stored learning {row[0]} cannot be decoded: {e}") from None


def usage_row(id: LearningId, s: UsageStats) -> list[Any]:
    return [str(id), s.times_injected, s.times_helpful, s.times_ignored, s.times_contradicted,
            None if s.last_used is None else to_micros(s.last_used),
            float(s.confidence_alpha), float(s.confidence_beta)]


def row_usage(row: Sequence[Any]) -> UsageStats:
    return UsageStats(row[1], row[2], row[3], row[4],
                      None if row[5] is None else from_micros(row[5]), row[6], row[7])


def relation_row(r: LearningRelation) -> list[Any]:
    return [str(r.from_id), r.relation_type.value, str(r.to_id), float(r.weight),
            to_micros(r.created_at)]


def row_relation(row: Sequence[Any]) -> LearningRelation:
    return LearningRelation(LearningId(row[0]), RelationType.parse(row[1]), LearningId(row[2]),
                            row[3], from_micros(row[4]))


def param_row(p: SystemParam) -> list[Any]:
    a = p.param
    return [p.name, a.value, a.uncertainty, a.observations, a.prior_alpha, a.prior_beta,
            to_micros(p.updated_at)]


def row_param(row: Sequence[Any]) -> SystemParam:
    return SystemParam(row[0], AdaptiveParam(row[1], row[2], row[3], row[4], row[5]),
                       from_micros(row[6]))


def proposal_row(p: Proposal) -> list[Any]:
    return [str(p.id), p.org, json.dumps(p.learning.to_dict(), ensure_ascii=False),
            str(p.learning.id), p.proposed_by, p.from_tier, to_micros(p.proposed_at),
            p.status.value, p.curator, None if p.decided_at is None else to_micros(p.decided_at),
            p.reason, None if p.accepted_id is None else str(p.accepted_id)]


def row_proposal(row: Sequence[Any]) -> Proposal:
    return Proposal(
        learning=Learning.from_dict(json.loads(row[2])), org=row[1], proposed_by=row[4],
        from_tier=row[5], id=LearningId(row[0]), proposed_at=from_micros(row[6]),
        status=ProposalStatus(row[7]), curator=row[8],
        decided_at=None if row[9] is None else from_micros(row[9]), reason=row[10],
        accepted_id=None if row[11] is None else LearningId(row[11]))


def injection_row(i: Injection) -> list[Any]:
    return [i.session_id, str(i.learning_id), i.via.value, i.prompt_index, i.tier,
            float(i.score), None if i.similarity is None else float(i.similarity),
            to_micros(i.injected_at), None if i.outcome is None else i.outcome.value,
            None if i.outcome_source is None else i.outcome_source.value, i.evidence,
            None if i.outcome_at is None else to_micros(i.outcome_at)]


def row_injection(row: Sequence[Any]) -> Injection:
    try:
        return Injection(
            row[0], LearningId(row[1]), InjectedVia.parse(row[2]), int(row[3]), row[4],
            float(row[5]), None if row[6] is None else float(row[6]), from_micros(row[7]),
            None if row[8] is None else Outcome.parse(row[8]),
            None if row[9] is None else OutcomeSource.parse(row[9]), row[10],
            None if row[11] is None else from_micros(row[11]))
    except (GrooveError, ValueError, TypeError) as e:
        raise SerializationError(f"stored injection {row[0]}/{row[1]} cannot be decoded: "
                                 f"{e}") from None


def capture_row(c: CaptureRecord) -> list[Any]:
    return [c.session_id, c.turn, c.rule, str(c.learning_id), c.quote, c.status.value,
            to_micros(c.captured_at)]


def row_capture(row: Sequence[Any]) -> CaptureRecord:
    try:
        return CaptureRecord(row[0], int(row[1]), row[2], LearningId(row[3]), row[4],
                             CaptureStatus.parse(row[5]), from_micros(row[6]))
    except (GrooveError, ValueError, TypeError) as e:
        raise SerializationError(f"stored capture {row[0]}/{row[1]} cannot be decoded: "
                                 f"{e}") from None
