"""Adaptive system parameters: values that learn by Bayesian updates, sampled by Thompson."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groove.domain import _fields as f
from groove.domain.clock import utcnow
from groove.errors import ValidationError


@dataclass(slots=True)
class AdaptiveParam:
    value: float = 0.5
    uncertainty: float = 1.0
    observations: int = 0
    prior_alpha: float = 1.0
    prior_beta: float = 1.0

    def __post_init__(self) -> None:
        for name in ("prior_alpha", "prior_beta"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ValidationError(f"must be a positive finite number, got {v!r}", field=name)
        if self.observations < 0:
            raise ValidationError("must be >= 0", field="observations")

    @classmethod
    def new_uninformed(cls) -> AdaptiveParam:
        return cls()

    @classmethod
    def new_with_prior(cls, alpha: float, beta: float) -> AdaptiveParam:
        return cls(alpha / (alpha + beta), 1.0, 0, alpha, beta)

    def update(self, outcome: float, weight: float = 1.0) -> None:
        """Move toward `outcome` in [0, 1]; early observations count less while uncertain."""
        if not 0.0 <= outcome <= 1.0 or not math.isfinite(weight) or weight < 0:
            raise ValidationError(f"outcome must be in [0, 1] and weight >= 0, got "
                                  f"{outcome!r}, {weight!r}", field="outcome")
        self.observations += 1
        effective = weight / (1.0 + self.uncertainty)
        self.prior_alpha += outcome * effective
        self.prior_beta += (1.0 - outcome) * effective
        self.value = self.prior_alpha / (self.prior_alpha + self.prior_beta)
        self.uncertainty = 1.0 / (1.0 + math.sqrt(self.observations))

    def sample(self, rng: random.Random | None = None) -> float:
        """Thompson sampling: one draw from Beta(prior_alpha, prior_beta)."""
        return (rng or random).betavariate(self.prior_alpha, self.prior_beta)


@dataclass(slots=True)
class SystemParam:
    name: str
    param: AdaptiveParam = field(default_factory=AdaptiveParam)
    updated_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValidationError("a parameter needs a non-empty name", field="name")

    @classmethod
    def new(cls, name: str) -> SystemParam:
        return cls(name)

    @classmethod
    def with_prior(cls, name: str, alpha: float, beta: float) -> SystemParam:
        return cls(name, AdaptiveParam.new_with_prior(alpha, beta))

    def to_dict(self) -> dict[str, Any]:
        p = self.param
        return {
            "name": self.name,
            "value": p.value,
            "uncertainty": p.uncertainty,
            "observations": p.observations,
            "prior_alpha": p.prior_alpha,
            "prior_beta": p.prior_beta,
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: Any, path: str = "param") -> SystemParam:
        f.known(d, ("name", "value", "uncertainty", "observations", "prior_alpha",
                    "prior_beta", "updated_at"), path)
        return cls(
            f.string(d, "name", path),
            AdaptiveParam(
                f.number(d, "value", path, lo=0.0, hi=1.0),
                f.number(d, "uncertainty", path, lo=0.0),
                f.integer(d, "observations", path),
                _positive(d, "prior_alpha", path),
                _positive(d, "prior_beta", path),
            ),
            f.required_time(d, "updated_at", path),
        )


def _positive(d: Any, key: str, path: str) -> float:
    from groove.errors import ImportRejected

    v = f.number(d, key, path)
    if v <= 0:
        raise ImportRejected(f"must be > 0, got {v}", field=f"{path}.{key}")
    return v
