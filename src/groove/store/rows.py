"""Rows as Cozo stores them, to and from groove's domain types."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
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
from groove.domain.learning import HANDLE_LEN
from groove.domain.params import AdaptiveParam
from groove.domain.proposal import Proposal, ProposalStatus
from groove.errors import GrooveError, SerializationError


def learning_row(learning: Learning, usage: UsageStats) -> list[Any]:
    """The stored row; confidence and its rank key come from `usage`, the one place
    confidence is derived, so the two can never drift apart."""
    return NewRows([learning], [usage]).learnings[0]


class NewRows:
    """What storing new learnings writes, encoded in one pass: their ids, learning rows
    (`learning_row`), usage rows (`usage_row`) and short-handle rows. A bulk load spent
    ~40 us a learning encoding them one call at a time: the UUID string made four times,
    the source's JSON and the timestamps once per row although a batch shares a few."""

    __slots__ = ("handles", "ids", "learnings", "usage")

    def __init__(self, learnings: Sequence[Learning], usage: Sequence[UsageStats] | None):
        micros: dict[datetime, int] = {}
        sources: dict[LearningSource, str] = {}
        prior = None if usage is not None else _usage_tail(UsageStats())
        prior_confidence = UsageStats().confidence()
        self.ids: list[str] = []
        self.learnings: list[list[Any]] = []
        self.usage: list[list[Any]] = []
        self.handles: list[list[Any]] = []
        for k, x in enumerate(learnings):
            id = str(x.id)
            if prior is None:
                assert usage is not None
                u = usage[k]
                confidence = u.confidence()
                self.usage.append([id, *_usage_tail(u)])
            else:
                confidence = prior_confidence
                self.usage.append([id, *prior])
            created = micros.get(x.created_at)
            if created is None:
                created = micros[x.created_at] = to_micros(x.created_at)
            updated = micros.get(x.updated_at)
            if updated is None:
                updated = micros[x.updated_at] = to_micros(x.updated_at)
            source = x.source
            try:
                source_json = sources.get(source)
                if source_json is None:
                    source_json = sources[source] = _source_json(source)
            except TypeError:  # a source with an unhashable field
                source_json = _source_json(source)
            content = x.content
            pattern = content.pattern
            self.ids.append(id)
            self.learnings.append([
                id, x.scope.to_db_string(), x.category.value, content.description,
                None if pattern is None else json.dumps(pattern, ensure_ascii=False),
                content.insight, confidence, created, updated, source.source_type,
                source_json, -confidence, -updated])
            self.handles.append([id[-HANDLE_LEN:].lower(), id])


def _source_json(source: LearningSource) -> str:
    return json.dumps(source.to_dict(), ensure_ascii=False)


def _usage_tail(s: UsageStats) -> list[Any]:
    return [s.times_injected, s.times_helpful, s.times_ignored, s.times_contradicted,
            None if s.last_used is None else to_micros(s.last_used),
            float(s.confidence_alpha), float(s.confidence_beta)]


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
    return [str(id), *_usage_tail(s)]


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
