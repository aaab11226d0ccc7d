"""A proposal to share a learning with an enterprise, settled by a curator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from groove.domain.clock import utcnow, uuid7
from groove.domain.learning import Learning, LearningId


class ProposalStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(slots=True)
class Proposal:
    """A snapshot of the proposed learning; accepting it creates the enterprise copy."""

    learning: Learning
    org: str
    proposed_by: str
    from_tier: str
    id: LearningId = field(default_factory=uuid7)
    proposed_at: datetime = field(default_factory=utcnow)
    status: ProposalStatus = ProposalStatus.PENDING
    curator: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    accepted_id: LearningId | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id), "org": self.org, "status": self.status.value,
            "proposed_by": self.proposed_by, "from_tier": self.from_tier,
            "proposed_at": self.proposed_at.isoformat(), "curator": self.curator,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "reason": self.reason,
            "accepted_id": str(self.accepted_id) if self.accepted_id else None,
            "learning": self.learning.to_dict(),
        }
