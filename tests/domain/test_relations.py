import json

import pytest

from groove import LearningRelation, RelationType, ValidationError
from groove.domain import uuid7


def test_relation_type_strings() -> None:
    """Relation types use the plan's strings and parse back."""
    assert [r.as_str() for r in RelationType] == [
        "supersedes", "contradicts", "derived_from", "related_to", "specializes"]
    assert RelationType.parse("supersedes") is RelationType.SUPERSEDES


def test_unknown_relation_type() -> None:
    """An unknown relation type is a clear validation error."""
    with pytest.raises(ValidationError, match="unknown relation type 'likes'"):
        RelationType.parse("likes")


def test_relation_round_trip() -> None:
    """A relation survives JSON."""
    r = LearningRelation.new(uuid7(), RelationType.SUPERSEDES, uuid7()).with_weight(0.5)
    assert LearningRelation.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_self_relation_rejected() -> None:
    """A learning cannot relate to itself."""
    a = uuid7()
    with pytest.raises(ValidationError):
        LearningRelation.new(a, RelationType.RELATED_TO, a)
