"""Vector checks: one at a time and a batch at once give the same unit vectors."""

from __future__ import annotations

import numpy as np
import pytest

from groove import EmbeddingError
from groove.domain.embedding import as_unit_vector, as_unit_vectors


def test_a_batch_normalises_each_row_as_one_vector_would() -> None:
    """Row i of as_unit_vectors equals as_unit_vector(row i) bit for bit, whether the
    batch comes as a matrix, a list of arrays or a list of lists."""
    m = np.random.default_rng(3).standard_normal((50, 8)).astype(np.float32) * 7
    one = np.stack([as_unit_vector(v, 8) for v in m])
    for given in (m, list(m), m.tolist()):
        got = as_unit_vectors(given, 8)
        assert got.dtype == np.float32 and got.tobytes() == one.tobytes()
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize(("bad", "message"), [
    ([0.0] * 8, "zero vector"),
    ([1.0] * 7 + [float("nan")], "NaN or infinite"),
    ([1.0] * 5, "has 5 dimensions"),
    (["a"] * 8, "sequence of numbers"),
])
def test_one_bad_vector_fails_the_batch_with_its_reason(bad: list[object], message: str
                                                         ) -> None:
    """A bad vector among good ones fails the whole batch with the error a single check
    would give it."""
    good = [[1.0] * 8, [0.5] * 8]
    with pytest.raises(EmbeddingError, match=message):
        as_unit_vector(bad, 8)  # type: ignore[arg-type]
    with pytest.raises(EmbeddingError, match=message):
        as_unit_vectors([*good, bad], 8)  # type: ignore[list-item]


def test_an_empty_batch_is_an_empty_matrix() -> None:
    """No vectors give a (0, dim) matrix, not an error."""
    assert as_unit_vectors([], 8).shape == (0, 8)
