"""What groove put into an agent's session, and the outcome credited for it.

An outcome is credited once per learning per session, so a session-end hook that
runs twice changes nothing; the agent's explicit rating (through the MCP tool or
`groove outcome`) wins over an outcome inferred from the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from groove.domain.choice import Choice
from groove.domain.learning import LearningId
from groove.domain.usage import Outcome


class InjectedVia(Choice):
    SESSION_START = "session_start"
    PROMPT = "prompt"
    SEARCH = "search"
    """Returned by a search the agent made: it saw the learning, so it may be credited."""

    @classmethod
    def label(cls) -> str:
        return "via"


class OutcomeSource(Choice):
    EXPLICIT = "explicit"
    """Rated by the agent or a person: wins over what a transcript suggests."""
    TRANSCRIPT = "transcript"

    @classmethod
    def label(cls) -> str:
        return "outcome source"


@dataclass(slots=True)
class Injection:
    session_id: str
    learning_id: LearningId
    via: InjectedVia
    prompt_index: int
    tier: str
    score: float
    similarity: float | None
    injected_at: datetime
    outcome: Outcome | None = None
    outcome_source: OutcomeSource | None = None
    evidence: str | None = None
    outcome_at: datetime | None = None

    def decides(self, source: OutcomeSource) -> bool:
        """Whether an outcome from `source` may be credited now: nothing credited yet,
        or an explicit rating replacing an inferred one."""
        return self.outcome is None or (source is OutcomeSource.EXPLICIT
                                        and self.outcome_source is not OutcomeSource.EXPLICIT)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id, "learning_id": str(self.learning_id),
            "via": self.via.value, "prompt_index": self.prompt_index, "tier": self.tier,
            "score": self.score, "similarity": self.similarity,
            "injected_at": self.injected_at.isoformat(),
            "outcome": None if self.outcome is None else self.outcome.value,
            "outcome_source": None if self.outcome_source is None else self.outcome_source.value,
            "evidence": self.evidence,
            "outcome_at": None if self.outcome_at is None else self.outcome_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Injection:
        def time(key: str) -> datetime | None:
            return None if d.get(key) is None else datetime.fromisoformat(d[key])

        injected = time("injected_at")
        assert injected is not None
        return cls(d["session_id"], LearningId(d["learning_id"]), InjectedVia.parse(d["via"]),
                   int(d["prompt_index"]), d["tier"], float(d["score"]), d.get("similarity"),
                   injected, None if d.get("outcome") is None else Outcome.parse(d["outcome"]),
                   None if d.get("outcome_source") is None
                   else OutcomeSource.parse(d["outcome_source"]),
                   d.get("evidence"), time("outcome_at"))


# -- the injection parameters, tuned by outcomes ---------------------------------------

INJECTION_THRESHOLD = "injection_threshold"
"""The least cosine similarity a learning needs to be injected for a prompt."""
INJECTION_BUDGET = "injection_budget"
"""The share of `MAX_INJECTIONS` injected per prompt."""
THRESHOLD_PRIOR = (7.0, 13.0)
"""Mean 0.35: the cosine at which all-MiniLM-L6-v2 texts are as likely about the query
as not (measured on the retrieval dev set); worth 20 observations, so a few outcomes
nudge it and a few hundred move it."""
BUDGET_PRIOR = (5.0, 5.0)
"""Mean 0.5, i.e. 3 of `MAX_INJECTIONS`: a few facts per prompt, far under the cap."""
MAX_INJECTIONS = 6
SESSION_START_MIN_CONFIDENCE = 0.5
"""At a session's start there is no prompt to be relevant to, so only learnings at
least as trusted as a typed one (prior mean 0.5) are shown: not a capture nobody has
reviewed yet (1/3), nor one that outcomes pushed down; those get their chances when a
prompt makes them relevant."""
THRESHOLD_STEP = 0.05
THRESHOLD_WINDOW = 0.15
IGNORED_WEIGHT = 0.5
"""An ignored injection pushes the threshold up half as hard as a helpful one pushes it
down: "ignored" also happens to relevant learnings that were simply not needed, so the
threshold settles where ignored outcomes are twice as common as helpful ones."""


def injection_budget(value: float) -> int:
    """How many learnings to inject per prompt for a budget parameter's value."""
    return max(1, min(MAX_INJECTIONS, round(value * MAX_INJECTIONS)))


def threshold_evidence(similarity: float | None, outcome: Outcome, current: float
                       ) -> tuple[float, float] | None:
    """(target, weight) for the threshold's update, or None when the outcome says nothing.

    A small step, not a jump to the similarity: only injections near the threshold
    (within `THRESHOLD_WINDOW`) inform it, a helpful one nudging it down and an ignored
    one up, so it tracks the boundary between useful and idle injections (a stochastic
    approximation). A contradiction says the learning is wrong, not irrelevant."""
    if similarity is None or abs(similarity - current) > THRESHOLD_WINDOW:
        return None
    if outcome is Outcome.HELPFUL:
        return max(0.0, current - THRESHOLD_STEP), 1.0
    if outcome is Outcome.IGNORED:
        return min(1.0, current + THRESHOLD_STEP), IGNORED_WEIGHT
    return None


def budget_evidence(outcome: Outcome) -> float:
    """A helpful injection argues for injecting more, anything else for fewer."""
    return 1.0 if outcome is Outcome.HELPFUL else 0.0


# -- captures -------------------------------------------------------------------------


class CaptureStatus(Choice):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DROPPED = "dropped"

    @classmethod
    def label(cls) -> str:
        return "capture status"


CAPTURE_PRIOR = (1.0, 2.0)
"""A captured learning starts at confidence 1/3, below a typed one's 1/2: a rule read
it from a transcript and nobody has vouched for it yet. Accepting it in review takes
the extra prior failure back (as if it had started at Beta(1, 1))."""


@dataclass(slots=True)
class CaptureRecord:
    """Where a captured learning came from, and whether a person reviewed it."""

    session_id: str
    turn: int
    rule: str
    learning_id: LearningId
    quote: str
    status: CaptureStatus
    captured_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "turn": self.turn, "rule": self.rule,
                "learning_id": str(self.learning_id), "quote": self.quote,
                "status": self.status.value, "captured_at": self.captured_at.isoformat()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CaptureRecord:
        return cls(d["session_id"], int(d["turn"]), d["rule"], LearningId(d["learning_id"]),
                   d["quote"], CaptureStatus.parse(d["status"]),
                   datetime.fromisoformat(d["captured_at"]))
