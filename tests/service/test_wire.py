"""Tests for groove.service.wire: values cross the socket unchanged, or not at all."""

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from groove.domain import Learning, LearningCategory, LearningContent, Outcome, Scope
from groove.domain.explanation import Explanation
from groove.domain.tiered import Tier, TieredLearning
from groove.service import wire


def test_a_ranked_answer_and_tagged_values_round_trip() -> None:
    """Dataclasses (nested, with an explanation), enums, tuples, dicts with non-string
    keys, paths, times, UUIDs and non-finite floats come back equal and of their type."""
    learning = Learning.new(Scope.project("/repo"), LearningCategory.SOLUTION,
                            LearningContent('say "x" := ?[a] <- [[1]]', "why\n\u202e"))
    why = Explanation(1, None, 0.8, None, 0.9, 0.5, False, 1.0, 0.99, 1.0, ["n"], 0.4)
    value = {"hits": [TieredLearning(learning, Tier.PROJECT, 0.4, why)] * 2,
             "outcome": Outcome.HELPFUL, "pair": (1, "a"), "keyed": {Tier.USER: 3},
             "path": Path("/x y"), "when": datetime(2026, 1, 2, tzinfo=UTC),
             "id": uuid.UUID(int=7), "inf": math.inf, "flag": True, "none": None}
    back = wire.loads(wire.dumps(value))
    assert back == value
    assert type(back["hits"][1]) is TieredLearning and type(back["pair"]) is tuple
    assert back["outcome"] is Outcome.HELPFUL and back["keyed"] == {Tier.USER: 3}


@dataclass
class _WithComputed:
    a: int
    b: list[int] = field(default_factory=list)
    c: int = field(init=False, default=0)


def test_a_field_outside_init_is_set_after_construction(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """A dataclass field that `__init__` does not take arrives all the same."""
    _WithComputed.__module__ = "groove.testing"
    monkeypatch.setattr("groove.testing._WithComputed", _WithComputed, raising=False)
    value = _WithComputed(1, [2])
    value.c = 5
    assert wire.loads(wire.dumps(value)) == value


@pytest.mark.parametrize("tag", ["os:system", "groove.errors:GrooveError", "groove:lazy"])
def test_a_tag_that_names_no_groove_value_is_refused(tag: str) -> None:
    """Only groove's dataclasses and enums are rebuilt from a tag: anything else is an
    error, never an import or call of what a peer named."""
    with pytest.raises(TypeError):
        wire.loads(f'{{"$": "{tag}", "v": {{}}}}')
