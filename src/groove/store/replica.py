"""What an enterprise replica exchanges with its team server, as the store sees it.

A replica keeps two things for `groove.team`: an outbox of what this machine did
and has not pushed yet (outcome events and proposals, each under its own id, so a
retried push is recognised instead of counted twice), and the sync state (the pull
cursor and the progress of a pull under way). Pulled changes are applied by
`CozoStore.apply_team_changes` in one transaction together with the new state, so a
sync killed between two pages resumes exactly where it stopped.

Usage in a replica is the team's merged count (as last pulled) plus this machine's
events still in the outbox: never a local read-modify-write of a shared number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groove.domain import (
    Learning,
    LearningId,
    LearningRelation,
    Outcome,
    SystemParam,
    UsageStats,
    Vector,
)
from groove.domain.clock import from_micros, to_micros, utcnow, uuid7
from groove.domain.proposal import Proposal
from groove.domain.usage import OUTCOME_WEIGHTS, PRIOR_ALPHA, PRIOR_BETA

OUTCOME = "outcome"
PROPOSAL = "proposal"

OB_COLS = "id, kind, ref_id, outcome, delta, created_at"
PUT_OUTBOX = f"""
{{?[{OB_COLS}] <- $outbox
 :put sync_outbox {{id => kind, ref_id, outcome, delta, created_at}}}}"""
# Key order is id order, and ids are UUIDv7: the oldest entries first, without a sort.
OUTBOX_PAGE = f"?[{OB_COLS}] := *sync_outbox{{{OB_COLS}}} :limit $limit"
OUTBOX_COUNT = "?[kind, count(id)] := *sync_outbox{id, kind}"
RM_OUTBOX = "{?[id] <- $ids :rm sync_outbox {id}}"
PENDING_OUTCOMES = """?[ref_id, outcome, delta] := *sync_outbox{kind, ref_id, outcome, delta},
    kind = 'outcome', is_in(ref_id, $ids)"""
ALL_STATE = "?[key, value] := *sync_state{key, value}"
PUT_STATE = "{?[key, value] <- $state :put sync_state {key => value}}"
RM_STATE = "{?[key] <- $keys :rm sync_state {key}}"
# Merged usage moves confidence, not the learning's update time: replicas converge.
SET_CONFIDENCES = """
{?[id, confidence, rank_confidence] <- $confidences
 :update learning {id => confidence, rank_confidence}}"""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One thing to push: an outcome event (`ref_id` is the learning, `delta` +1 for an
    outcome, -1 for one taken back) or a proposal (`ref_id` is the proposal)."""

    id: str
    kind: str
    ref_id: str
    outcome: Outcome | None
    delta: int
    created_at: datetime

    @classmethod
    def outcome_event(cls, learning_id: LearningId, outcome: Outcome, delta: int = 1,
                      at: datetime | None = None) -> OutboxEntry:
        return cls(str(uuid7()), OUTCOME, str(learning_id), outcome, delta, at or utcnow())

    @classmethod
    def proposal(cls, proposal: Proposal) -> OutboxEntry:
        return cls(str(uuid7()), PROPOSAL, str(proposal.id), None, 0, utcnow())

    def row(self) -> list[Any]:
        return [self.id, self.kind, self.ref_id,
                None if self.outcome is None else self.outcome.value, self.delta,
                to_micros(self.created_at)]

    @classmethod
    def from_row(cls, row: list[Any]) -> OutboxEntry:
        return cls(row[0], row[1], row[2], None if row[3] is None else Outcome.parse(row[3]),
                   int(row[4]), from_micros(row[5]))


@dataclass(slots=True)
class Counts:
    """A learning's outcome counts as the team server merged them from every event."""

    helpful: int = 0
    ignored: int = 0
    contradicted: int = 0
    last_used: datetime | None = None

    def add(self, outcome: Outcome, delta: int, at: datetime | None = None) -> None:
        name = outcome.value
        setattr(self, name, getattr(self, name) + delta)
        if at is not None and delta > 0 and (self.last_used is None or at > self.last_used):
            self.last_used = at

    def usage(self) -> UsageStats:
        """The Beta posterior these counts make (the prior plus each outcome's weight), as
        `UsageStats.record_outcome` would have made it one outcome at a time."""
        h, i, c = (max(0, n) for n in (self.helpful, self.ignored, self.contradicted))
        alpha = PRIOR_ALPHA + sum(OUTCOME_WEIGHTS[o][0] * n for o, n in self._by_outcome(h, i, c))
        beta = PRIOR_BETA + sum(OUTCOME_WEIGHTS[o][1] * n for o, n in self._by_outcome(h, i, c))
        return UsageStats(h + i + c, h, i, c, self.last_used, alpha, beta)

    @staticmethod
    def _by_outcome(h: int, i: int, c: int) -> list[tuple[Outcome, int]]:
        return [(Outcome.HELPFUL, h), (Outcome.IGNORED, i), (Outcome.CONTRADICTED, c)]


@dataclass(slots=True)
class PulledLearning:
    """A curated learning from the team server, with its vector and merged counts."""

    learning: Learning
    counts: Counts = field(default_factory=Counts)
    vector: Vector | None = None
    model: str | None = None


@dataclass(slots=True)
class ReplicaChanges:
    """One page of what the team server changed, applied to a replica in one transaction."""

    learnings: list[PulledLearning] = field(default_factory=list)
    relations: list[LearningRelation] = field(default_factory=list)
    params: list[SystemParam] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    usage: dict[LearningId, Counts] = field(default_factory=dict)

    def __len__(self) -> int:
        return (len(self.learnings) + len(self.relations) + len(self.params)
                + len(self.proposals) + len(self.usage))
