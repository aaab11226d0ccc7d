"""Lists of strings as numpy byte arrays, for the indexes saved beside a database
(`saved_indexes`): plain arrays load without pickle."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def pack(values: Iterable[str]) -> np.ndarray:
    """The strings joined by NUL, which no id, scope or token holds."""
    return np.frombuffer("\0".join(values).encode(), dtype=np.uint8)


def unpack(data: np.ndarray, count: int) -> list[str]:
    """The `count` strings `pack` joined; a ValueError if there are not that many."""
    parts = data.astype(np.uint8).tobytes().decode().split("\0") if count else []
    if len(parts) != count:
        raise ValueError(f"{len(parts)} strings where {count} were written")
    return parts
