"""The use cases of groove as one protocol, and the values they return.

Every entry point (the CLI, the hooks, the MCP server) is written against
`GrooveAPI` and does not know whether it holds the in-process `LocalGroove` or a
client of the warm groove server: both satisfy it. A request names where it comes
from (`RequestContext`) instead of changing shared state, so one process serves
every project of its user.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from groove.domain import (
    GrooveExport,
    ImportStats,
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
from groove.domain.injection import CaptureRecord, CaptureStatus, Injection, OutcomeSource
from groove.domain.proposal import Proposal, ProposalStatus
from groove.domain.tiered import Tier, TieredLearning
from groove.service.context import RequestContext

if TYPE_CHECKING:  # the team module loads the store; a thin client must not
    from groove.team import SyncReport, TeamStatus

Id = LearningId | str
"""A full id, or an abbreviation of at least 4 characters resolved like git's."""


@dataclass(slots=True)
class LearningDetail:
    """One learning with what `groove show` tells about it."""

    found: TieredLearning
    usage: UsageStats
    relations: list[LearningRelation]
    history: list[Injection] = field(default_factory=list)
    """The sessions it was shown to, with each credited outcome and its evidence."""


@dataclass(slots=True)
class OutcomeReport:
    """What recording an outcome did. `applied` is False when the session had already
    been credited for this learning (and this outcome could not replace it)."""

    found: TieredLearning
    outcome: Outcome
    confidence_before: float
    usage: UsageStats
    applied: bool = True
    injection: Injection | None = None

    @property
    def confidence_after(self) -> float:
        return self.usage.confidence()


@dataclass(slots=True)
class CreditedOutcome:
    """An outcome read from a transcript: what was decided, why, and whether it counted
    (False when the session had already been credited for that learning)."""

    learning_id: LearningId
    outcome: Outcome
    evidence: str
    applied: bool


@dataclass(slots=True)
class CapturedLearning:
    found: TieredLearning
    record: CaptureRecord


@dataclass(slots=True)
class LearnReport:
    """What reading one session's transcript did."""

    session_id: str
    outcomes: list[CreditedOutcome] = field(default_factory=list)
    captured: list[CapturedLearning] = field(default_factory=list)
    reinforced: list[tuple[LearningId, float]] = field(default_factory=list)
    records: int = 0
    skipped: int = 0


@dataclass(slots=True)
class InitReport:
    project: Path
    tiers: dict[str, str]
    gitignore_updated: bool


@dataclass(slots=True)
class Check:
    """One line of `groove doctor`: what was checked, whether it is fine, how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass(slots=True)
class DoctorReport:
    checks: list[Check] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    harness: str = ""

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass(slots=True)
class CompactReport:
    """What `groove compact` did to one tier's database."""

    tier: str
    path: str
    log_files_before: int
    log_bytes_before: int
    log_files_after: int
    log_bytes_after: int
    seconds: float
    vector_index: dict[str, Any] = field(default_factory=dict)
    """Where the vector index stands after (rows, tombstones, approximate index)."""
    dangling_dropped: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


CompactProgress = Callable[[str, str, int, int], None]
"""(tier, stage, done, total) while `compact` works."""


@runtime_checkable
class GrooveAPI(Protocol):
    """Everything a person or an agent does with groove, one call per use case."""

    async def init(self, ctx: RequestContext) -> InitReport: ...

    async def add(self, ctx: RequestContext, description: str, *, insight: str = "",
                  category: LearningCategory = LearningCategory.PREFERENCE,
                  pattern: Any = None, tier: Tier | None = None,
                  source: LearningSource | None = None) -> TieredLearning: ...

    async def get(self, ctx: RequestContext, id: Id) -> LearningDetail: ...

    async def list(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                   scope: Scope | None = None, category: LearningCategory | None = None,
                   sort: str = "confidence", limit: int | None = 50
                   ) -> builtins.list[TieredLearning]: ...

    async def search(self, ctx: RequestContext, query: str, *, limit: int = 10,
                     tiers: Sequence[Tier] = (), category: LearningCategory | None = None,
                     session_id: str | None = None) -> builtins.list[TieredLearning]:
        """Ranked search; with `session_id`, the hits are remembered as seen by it."""
        ...

    async def find_for_injection(self, ctx: RequestContext, query: str | None = None, *,
                                 limit: int | None = None, session_id: str | None = None,
                                 prompt_index: int | None = None,
                                 transcript: Path | None = None,
                                 min_confidence: float = 0.0
                                 ) -> builtins.list[TieredLearning]:
        """What to put into an agent's context: for a prompt, the relevant ones (above the
        tuned threshold, Thompson-sampled trust); without, the most trusted (at least
        `min_confidence`). `limit`
        defaults to the tuned budget. With `session_id`, what the session was already
        shown is skipped and what is returned is recorded, at `prompt_index` (default:
        the prompts in `transcript` so far, this one included; 0 without a query)."""
        ...

    async def record_outcome(self, ctx: RequestContext, id: Id, outcome: Outcome, *,
                             session_id: str | None = None,
                             source: OutcomeSource = OutcomeSource.EXPLICIT,
                             evidence: str | None = None) -> OutcomeReport:
        """Move a learning's confidence. With `session_id`, at most once per learning per
        session (an explicit rating replaces an inferred one), with its evidence kept."""
        ...

    async def session(self, ctx: RequestContext, session_id: str) -> builtins.list[Injection]:
        """What a session was shown, with the outcomes credited so far."""
        ...

    async def learn(self, ctx: RequestContext, transcript: Path, *,
                    session_id: str | None = None) -> LearnReport:
        """Read a session's transcript: credit an outcome to everything it was shown
        (once), and capture new learnings (a near-duplicate reinforces instead)."""
        ...

    async def captures(self, ctx: RequestContext, *,
                       status: CaptureStatus | None = CaptureStatus.PENDING
                       ) -> builtins.list[CapturedLearning]:
        """Learnings captured from transcripts, for a person's review."""
        ...

    async def review(self, ctx: RequestContext, id: Id, decision: CaptureStatus, *,
                     description: str | None = None, insight: str | None = None
                     ) -> CapturedLearning:
        """Accept (optionally edited) or drop a captured learning."""
        ...

    async def relate(self, ctx: RequestContext, from_id: Id, relation: RelationType,
                     to_id: Id) -> LearningRelation: ...

    async def delete(self, ctx: RequestContext, id: Id) -> TieredLearning: ...

    async def export(self, ctx: RequestContext, path: Path | None = None, *,
                     tiers: Sequence[Tier] = (), scope: Scope | None = None
                     ) -> GrooveExport: ...

    async def import_(self, ctx: RequestContext, path: Path, *, tier: Tier | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportStats: ...

    async def promote(self, ctx: RequestContext, id: Id) -> TieredLearning: ...

    async def propose(self, ctx: RequestContext, id: Id, *, org: str | None = None
                      ) -> Proposal: ...

    async def proposals(self, ctx: RequestContext, *, org: str | None = None,
                        status: ProposalStatus | None = None) -> builtins.list[Proposal]: ...

    async def accept(self, ctx: RequestContext, id: Id, *, curator: str | None = None,
                     org: str | None = None) -> tuple[Proposal, Learning]: ...

    async def reject(self, ctx: RequestContext, id: Id, reason: str, *,
                     curator: str | None = None, org: str | None = None) -> Proposal: ...

    async def sync(self, ctx: RequestContext, *, org: str | None = None
                   ) -> builtins.list[SyncReport]: ...

    async def team_status(self, ctx: RequestContext, *, org: str | None = None,
                          probe: bool = True) -> builtins.list[TeamStatus]: ...

    async def params(self, ctx: RequestContext, name: str | None = None, *,
                     tier: Tier = Tier.USER) -> builtins.list[SystemParam]: ...

    async def stats(self, ctx: RequestContext) -> builtins.list[dict[str, Any]]: ...

    async def doctor(self, ctx: RequestContext, *, check_model: bool = True
                     ) -> DoctorReport: ...

    async def compact(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                      drop_dangling: bool = False, progress: CompactProgress | None = None
                      ) -> builtins.list[CompactReport]:
        """Rewrite each tier's database (its write-ahead logs back to one), drop vector
        tombstones, and with `drop_dangling` remove cross-tier edges whose far end is in
        no tier of this home."""
        ...

    async def close(self) -> None: ...
