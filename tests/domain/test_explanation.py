"""Tests for groove.domain.explanation: what a ranked hit says about its rank."""

from groove.domain.explanation import Explanation


def test_summary_names_every_factor_and_the_notes() -> None:
    """A log line gives both retrievals' ranks, each factor of the score, a fade and the
    relation notes; `to_dict` carries every field (for --json)."""
    why = Explanation(2, None, 0.61234, None, 0.8, 0.4, True, 0.92, 0.99, 0.5,
                      ["contradicted by x"], 0.123, faded=True)
    line = why.summary()
    assert line.startswith("score 0.123; vector #2 sim 0.612; keyword #-; relevance 0.80")
    assert "trust 0.40 (sampled)" in line and "tier 0.92" in line
    assert line.endswith("relations 0.50; faded; contradicted by x")
    assert why.to_dict()["notes"] == ["contradicted by x"] and len(why.to_dict()) == 13
