import random

import pytest

from groove import AdaptiveParam, SystemParam


def test_uninformed_prior() -> None:
    """An uninformed param starts at 0.5 with no observations."""
    p = AdaptiveParam.new_uninformed()
    assert p.value == pytest.approx(0.5)
    assert p.observations == 0


def test_informed_prior() -> None:
    """Prior 8/2 gives 0.8."""
    assert AdaptiveParam.new_with_prior(8.0, 2.0).value == pytest.approx(0.8)


def test_update_moves_toward_outcome_and_shrinks_uncertainty() -> None:
    """A positive outcome raises the value; uncertainty falls with observations."""
    p = AdaptiveParam.new_uninformed()
    p.update(1.0, 1.0)
    assert p.value > 0.5
    assert p.observations == 1
    assert p.uncertainty < 1.0


def test_sample_is_beta_draw() -> None:
    """Thompson samples lie in [0, 1] and centre on the posterior mean."""
    p = AdaptiveParam.new_with_prior(8.0, 2.0)
    rng = random.Random(1)
    draws = [p.sample(rng) for _ in range(4000)]
    assert all(0.0 <= d <= 1.0 for d in draws)
    assert sum(draws) / len(draws) == pytest.approx(0.8, abs=0.02)


def test_system_param() -> None:
    """A named system param starts uninformed; with_prior sets the prior."""
    assert SystemParam.new("injection_budget").param.value == pytest.approx(0.5)
    assert SystemParam.with_prior("x", 8, 2).param.value == pytest.approx(0.8)
