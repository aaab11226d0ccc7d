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
    if not np.all(np.isfinite(v)):
        raise EmbeddingError("embedding contains NaN or infinite components")
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        raise EmbeddingError("embedding is the zero vector; it has no direction to compare")
    return (v / norm).astype(np.float32)
