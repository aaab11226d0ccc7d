"""The embedder contract and the checks every vector passes before it is stored."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from groove.errors import EmbeddingError

# numpy is imported where vectors are handled, not here: commands that never touch a
# vector (`groove list`) should not pay for importing it.
if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector: TypeAlias = npt.NDArray[np.float32]
else:
    Vector: TypeAlias = Any

DEFAULT_DIM = 384


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors of `dim` floats. `model_id` names the vector space."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> Vector:
        """One row per text, each of unit length (cosine similarity is then a dot product)."""
        ...


def as_unit_vector(values: Sequence[float] | Vector, dim: int) -> Vector:
    """Validate and normalise one vector; a bad vector is an error, never silently fixed up."""
    one: Vector = as_unit_vectors(_shaped(values, dim).reshape(1, dim), dim)[0]
    return one


def as_unit_vectors(values: Sequence[Sequence[float] | Vector] | Vector, dim: int) -> Vector:
    """`as_unit_vector` for many at once, as one (n, dim) float32 matrix: a bulk load
    spent ~10 us a vector in numpy calls checking them one by one. Row i equals
    `as_unit_vector(values[i])` bit for bit (the same arithmetic on each row)."""
    import numpy as np

    try:
        m = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        m = None
    if m is None or m.ndim != 2:
        # not one matrix: shaped one vector at a time, so the first bad one is reported
        m = np.stack([_shaped(v, dim) for v in values]) if len(values) \
            else np.zeros((0, dim), dtype=np.float32)
    if m.shape[1] != dim:
        raise EmbeddingError(
            f"embedding has {m.shape[1]} dimensions, this store uses {dim}; embed with the "
            "store's model (see `groove stats`)"
        )
    if not np.isfinite(m).all():
        raise EmbeddingError("embedding contains NaN or infinite components")
    norms = np.sqrt(np.einsum("ij,ij->i", m, m))
    if not norms.all():
        raise EmbeddingError("embedding is the zero vector; it has no direction to compare")
    out: Vector = m / norms[:, None]
    return out


def _shaped(values: Sequence[float] | Vector, dim: int) -> Vector:
    """One vector as `dim` float32 components (not yet normalised), or the error."""
    import numpy as np

    try:
        v = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise EmbeddingError(f"an embedding must be a sequence of numbers: {e}") from None
    if v.ndim != 1 or v.shape[0] != dim:
        got = v.shape[0] if v.ndim == 1 else f"shape {v.shape}"
        raise EmbeddingError(
            f"embedding has {got} dimensions, this store uses {dim}; embed with the "
            "store's model (see `groove stats`)"
        )
    return v
