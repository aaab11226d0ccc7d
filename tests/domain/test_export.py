import json

import pytest

from groove import (
    EXPORT_VERSION,
    GrooveExport,
    ImportRejected,
    ImportStats,
    LearningExport,
    LearningRelation,
    RelationType,
    SystemParam,
    UsageStats,
)
from tests.conftest import DELETE, make_learning, set_path


def _doc() -> GrooveExport:
    a, b = make_learning("a"), make_learning("b")
    return GrooveExport(
        learnings=[LearningExport(a, UsageStats(3, 2, 1, 0)), LearningExport(b)],
        params=[SystemParam.with_prior("budget", 8, 2)],
        relations=[LearningRelation.new(a.id, RelationType.SUPERSEDES, b.id)],
    )


def test_version_and_defaults() -> None:
    """The export version is 1 and ImportStats start at zero."""
    assert EXPORT_VERSION == 1
    assert ImportStats().learnings_imported == 0


def test_document_round_trip() -> None:
    """A document survives to_json / from_json."""
    doc = _doc()
    assert GrooveExport.from_json(doc.to_json()) == doc


def _mutated(path: list[object], value: object) -> str:
    data = json.loads(_doc().to_json())
    set_path(data, path, value)
    return json.dumps(data)


@pytest.mark.parametrize(("path", "value", "field"), [
    (["version"], 2, "version"),
    (["learnings", 0, "id"], "not-a-uuid", "learnings[0].id"),
    (["learnings", 0, "category"], "nope", "learnings[0].category"),
    (["learnings", 1, "confidence"], 1.5, "learnings[1].confidence"),
    (["learnings", 0, "usage_stats", "times_helpful"], -1, "learnings[0].usage_stats"),
    (["learnings", 0, "content"], DELETE, "learnings[0].content"),
    (["learnings", 0, "content", "description"], 5, "learnings[0].content.description"),
    (["learnings", 0, "scope"], "team:x", "learnings[0].scope"),
    (["relations", 0, "relation_type"], "likes", "relations[0].relation_type"),
    (["params", 0, "prior_alpha"], 0, "params[0].prior_alpha"),
])
def test_bad_field_rejected_with_its_path(path: list[object], value: object, field: str) -> None:
    """Each malformed field is rejected with the dotted path of that field."""
    with pytest.raises(ImportRejected) as info:
        GrooveExport.from_json(_mutated(path, value))
    assert (info.value.field or "").startswith(field)


def test_truncated_json_rejected() -> None:
    """Truncated JSON names the line and column."""
    with pytest.raises(ImportRejected, match="not valid JSON at line"):
        GrooveExport.from_json(_doc().to_json()[:-20])


def test_duplicate_ids_rejected() -> None:
    """Two learnings with one id in a file are rejected."""
    data = json.loads(_doc().to_json())
    data["learnings"][1]["id"] = data["learnings"][0]["id"]
    with pytest.raises(ImportRejected, match="duplicate learning id"):
        GrooveExport.from_dict(data)


def test_nan_rejected() -> None:
    """NaN is not a JSON number and is refused."""
    text = _doc().to_json().replace('"confidence": 0.5', '"confidence": NaN', 1)
    with pytest.raises(ImportRejected, match="NaN"):
        GrooveExport.from_json(text)


def test_invalid_utf8_rejected() -> None:
    """Bytes that are not UTF-8 are rejected with the byte offset."""
    with pytest.raises(ImportRejected, match="not valid UTF-8"):
        GrooveExport.from_json(b'{"version": 1, "x": "\xff"}')


@pytest.mark.parametrize(("path", "where"), [
    (["surprise"], "surprise"),
    (["learnings", 0, "surprise"], "learnings[0].surprise"),
    (["learnings", 0, "usage_stats", "times_loved"], "learnings[0].usage_stats.times_loved"),
    (["learnings", 0, "content", "summary"], "learnings[0].content.summary"),
    (["learnings", 0, "source", "session"], "learnings[0].source.session"),
    (["params", 0, "mean"], "params[0].mean"),
    (["relations", 0, "note"], "relations[0].note"),
])
def test_unknown_fields_are_rejected_by_path(path: list[object], where: str) -> None:
    """An unknown key anywhere in the document rejects it, naming the key's path (a typo
    or another version's field is never silently dropped)."""
    with pytest.raises(ImportRejected) as e:
        GrooveExport.from_json(_mutated(path, 1))
    assert e.value.field == where and "unknown field" in str(e.value)
