"""Tests for groove.store.rows: stored rows to domain types and back."""

from groove.domain import (
    Learning,
    LearningCategory,
    LearningContent,
    Scope,
    TranscriptSource,
    UsageStats,
)
from groove.store.rows import learning_row, row_learning


def test_rows_of_one_scope_and_source_decode_to_independent_learnings() -> None:
    """Decoded rows share their immutable scope and source, yet changing one learning
    (its scope, its words) never shows in another decoded from an equal row."""
    source = TranscriptSource("s-1", 3)
    made = [Learning.new(Scope.project("/repo"), LearningCategory.SOLUTION,
                         LearningContent(f"fix {i}", "why"), source=source) for i in range(2)]
    a, b = (row_learning(learning_row(x, UsageStats())) for x in made)
    assert a.scope == b.scope == Scope.project("/repo")
    assert a.source == b.source == source
    a.scope = Scope.GLOBAL
    a.content.description = "changed"
    assert b.scope == Scope.project("/repo") and b.content.description == "fix 1"
    assert row_learning(learning_row(made[1], UsageStats())) == made[1]
