"""Usage statistics: a Beta posterior over "this learning helps" that outcomes move."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from groove.domain import _fields as f
from groove.domain.choice import Choice
from groove.domain.clock import utcnow
from groove.errors import ImportRejected, ValidationError

PRIOR_ALPHA = 1.0
PRIOR_BETA = 1.0


class Outcome(Choice):
    """What happened after a learning was injected."""

    HELPFUL = "helpful"
    IGNORED = "ignored"
    CONTRADICTED = "contradicted"

    @classmethod
    def label(cls) -> str:
        return "outcome"


# How much each outcome moves the posterior: (alpha step, beta step).
OUTCOME_WEIGHTS: dict[Outcome, tuple[float, float]] = {
    Outcome.HELPFUL: (1.0, 0.0),
    Outcome.IGNORED: (0.0, 0.1),  # neutral, a slight decay
    Outcome.CONTRADICTED: (0.0, 1.5),  # a strong negative signal
}


@dataclass(slots=True)
class UsageStats:
    times_injected: int = 0
    times_helpful: int = 0
    times_ignored: int = 0
    times_contradicted: int = 0
    last_used: datetime | None = None
    confidence_alpha: float = PRIOR_ALPHA
    confidence_beta: float = PRIOR_BETA

    def __post_init__(self) -> None:
        for name in ("times_injected", "times_helpful", "times_ignored", "times_contradicted"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValidationError(f"must be a non-negative integer, got {value!r}", field=name)
        for name in ("confidence_alpha", "confidence_beta"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValidationError(f"must be a positive finite number, got {value!r}",
                                      field=name)

    def confidence(self) -> float:
        """Posterior mean of the Beta(alpha, beta)."""
        return self.confidence_alpha / (self.confidence_alpha + self.confidence_beta)

    def interval(self, mass: float = 0.9) -> tuple[float, float]:
        """A central credible interval of the posterior, by a normal approximation."""
        a, b = self.confidence_alpha, self.confidence_beta
        mean = a / (a + b)
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        z = {0.9: 1.6449, 0.95: 1.96}.get(mass, 1.6449)
        return max(0.0, mean - z * sd), min(1.0, mean + z * sd)

    def record_outcome(self, outcome: Outcome, at: datetime | None = None) -> None:
        self.times_injected += 1
        self.last_used = at or utcnow()
        if outcome is Outcome.HELPFUL:
            self.times_helpful += 1
        elif outcome is Outcome.IGNORED:
            self.times_ignored += 1
        else:
            self.times_contradicted += 1
        d_alpha, d_beta = OUTCOME_WEIGHTS[outcome]
        self.confidence_alpha += d_alpha
        self.confidence_beta += d_beta

    def undo_outcome(self, outcome: Outcome) -> None:
        """Take back one recorded outcome (an explicit rating replacing an inferred one)."""
        self.times_injected = max(0, self.times_injected - 1)
        if outcome is Outcome.HELPFUL:
            self.times_helpful = max(0, self.times_helpful - 1)
        elif outcome is Outcome.IGNORED:
            self.times_ignored = max(0, self.times_ignored - 1)
        else:
            self.times_contradicted = max(0, self.times_contradicted - 1)
        d_alpha, d_beta = OUTCOME_WEIGHTS[outcome]
        self.confidence_alpha = max(PRIOR_ALPHA, self.confidence_alpha - d_alpha)
        self.confidence_beta = max(PRIOR_BETA, self.confidence_beta - d_beta)

    def to_dict(self) -> dict[str, Any]:
        return {
            "times_injected": self.times_injected,
            "times_helpful": self.times_helpful,
            "times_ignored": self.times_ignored,
            "times_contradicted": self.times_contradicted,
            "last_used": self.last_used.isoformat() if self.last_used else None,
            "confidence_alpha": self.confidence_alpha,
            "confidence_beta": self.confidence_beta,
        }

    @classmethod
    def from_dict(cls, d: Any, path: str = "usage_stats") -> UsageStats:
        try:
            f.known(d, cls().to_dict(), path)
            return cls(
                times_injected=f.integer(d, "times_injected", path),
                times_helpful=f.integer(d, "times_helpful", path),
                times_ignored=f.integer(d, "times_ignored", path),
                times_contradicted=f.integer(d, "times_contradicted", path),
                last_used=f.timestamp(d, "last_used", path, optional=True),
                confidence_alpha=f.number(d, "confidence_alpha", path),
                confidence_beta=f.number(d, "confidence_beta", path),
            )
        except ValidationError as e:
            if isinstance(e, ImportRejected):
                raise
            raise ImportRejected(e.reason, field=f"{path}.{e.field}") from None
