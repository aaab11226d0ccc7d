import json
import uuid
from datetime import timedelta

import pytest

from groove import (
    ImportedSource,
    Learning,
    LearningCategory,
    LearningContent,
    LearningSource,
    PromotedSource,
    Scope,
    TranscriptSource,
    UserCreatedSource,
    ValidationError,
)
from groove.domain import uuid7
from groove.domain.learning import MAX_TEXT_CHARS


def test_category_round_trip() -> None:
    """Every category maps to its string and back."""
    for category in LearningCategory:
        assert LearningCategory.parse(category.as_str()) is category


def test_unknown_category_is_clear_error() -> None:
    """An unknown category names itself and the known ones."""
    with pytest.raises(ValidationError, match=r"unknown category 'nope'.*code_pattern"):
        LearningCategory.parse("nope")


def test_source_type_names() -> None:
    """source_type names each source variant as the plan does."""
    assert UserCreatedSource().source_type == "user_created"
    assert TranscriptSource("sess-1", 5).source_type == "transcript"
    assert PromotedSource(Scope.GLOBAL, uuid7()).source_type == "promoted"


@pytest.mark.parametrize("source", [
    UserCreatedSource(),
    TranscriptSource("sess-1", 5),
    PromotedSource(Scope.project("/p"), uuid.UUID(int=7)),
    ImportedSource("backup.json"),
])
def test_source_json_round_trip(source: LearningSource) -> None:
    """Each source variant survives a JSON round trip."""
    assert LearningSource.from_dict(json.loads(json.dumps(source.to_dict()))) == source


def test_content_with_pattern_round_trips() -> None:
    """Content with a structured pattern survives JSON."""
    content = LearningContent("Use Result for errors", "Prefer Result over panic",
                              {"language": "rust"})
    again = LearningContent.from_dict(json.loads(json.dumps(content.to_dict())))
    assert again == content


def test_new_learning_has_v7_id_and_microsecond_aware_times() -> None:
    """Learning.new gives a UUIDv7 id, tz-aware timestamps and neutral confidence."""
    a = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent("x", "y"))
    b = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent("x", "y"))
    assert a.id.version == 7
    assert a.id < b.id
    assert a.created_at.tzinfo is not None
    assert a.confidence == 0.5
    assert b.created_at - a.created_at < timedelta(seconds=1)


def test_uuid7_is_monotonic() -> None:
    """Ids made in a tight loop sort in creation order."""
    ids = [uuid7() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("confidence", [-0.1, 1.01, float("nan"), float("inf")])
def test_confidence_out_of_range_rejected(confidence: float) -> None:
    """Confidence outside [0, 1] (or NaN) is a validation error."""
    learning = Learning.new(Scope.GLOBAL, LearningCategory.SOLUTION, LearningContent("x", "y"))
    with pytest.raises(ValidationError, match="confidence"):
        Learning(learning.id, learning.scope, learning.category, learning.content, confidence,
                  learning.created_at, learning.updated_at, learning.source)


def test_oversized_text_rejected() -> None:
    """A description beyond the limit is rejected with the limit named."""
    with pytest.raises(ValidationError, match="limit is 65,536"):
        LearningContent("x" * (MAX_TEXT_CHARS + 1), "")


def test_unencodable_text_rejected() -> None:
    """Text that is not valid Unicode (a lone surrogate) is rejected before storage."""
    with pytest.raises(ValidationError, match="not valid Unicode"):
        LearningContent("bad \udc80 text", "")


def test_learning_dict_round_trip() -> None:
    """A learning survives to_dict / from_dict unchanged."""
    learning = Learning.new(Scope.user("a"), LearningCategory.TOOL_USAGE,
                            LearningContent("d", "i", [1, {"k": None}]),
                            TranscriptSource("s", 3))
    assert Learning.from_dict(json.loads(json.dumps(learning.to_dict()))) == learning
