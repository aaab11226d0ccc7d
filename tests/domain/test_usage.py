import pytest

from groove import Outcome, UsageStats, ValidationError


def test_default_is_uniform_prior() -> None:
    """Fresh stats have prior 1/1, hence confidence 0.5."""
    stats = UsageStats()
    assert (stats.times_injected, stats.confidence_alpha, stats.confidence_beta) == (0, 1.0, 1.0)
    assert stats.confidence() == pytest.approx(0.5)


@pytest.mark.parametrize(("outcome", "alpha", "beta", "counter"), [
    (Outcome.HELPFUL, 2.0, 1.0, "times_helpful"),
    (Outcome.IGNORED, 1.0, 1.1, "times_ignored"),
    (Outcome.CONTRADICTED, 1.0, 2.5, "times_contradicted"),
])
def test_outcome_moves_posterior_by_plan_numbers(
    outcome: Outcome, alpha: float, beta: float, counter: str
) -> None:
    """helpful alpha+1, ignored beta+0.1, contradicted beta+1.5; counters and last_used move."""
    stats = UsageStats()
    stats.record_outcome(outcome)
    assert stats.confidence_alpha == pytest.approx(alpha)
    assert stats.confidence_beta == pytest.approx(beta)
    assert getattr(stats, counter) == 1
    assert stats.times_injected == 1
    assert stats.last_used is not None


def test_direction_of_confidence() -> None:
    """Helpful raises confidence; ignored lowers it slightly; contradicted lowers it more."""
    base = UsageStats().confidence()
    moved = {}
    for outcome in Outcome:
        s = UsageStats()
        s.record_outcome(outcome)
        moved[outcome] = s.confidence()
    assert moved[Outcome.HELPFUL] > base > moved[Outcome.IGNORED] > moved[Outcome.CONTRADICTED]


def test_negative_counter_rejected() -> None:
    """Counters below zero are rejected."""
    with pytest.raises(ValidationError, match="times_helpful"):
        UsageStats(times_helpful=-1)


def test_interval_brackets_mean() -> None:
    """The credible interval contains the mean and narrows with evidence."""
    s = UsageStats()
    lo, hi = s.interval()
    for _ in range(20):
        s.record_outcome(Outcome.HELPFUL)
    lo2, hi2 = s.interval()
    assert lo <= 0.5 <= hi
    assert lo2 <= s.confidence() <= hi2
    assert hi2 - lo2 < hi - lo


def test_unknown_outcome() -> None:
    """An unknown outcome string names the valid ones."""
    with pytest.raises(ValidationError, match="expected one of helpful, ignored, contradicted"):
        Outcome.parse("great")
