"""The keyword index and the ranking features, saved beside their database, so a start
does not rebuild them.

At 100,000 learnings a start built the keyword index from the texts in ~5 s (every text
tokenised in Python; ~60 s at a million) and read the features (each learning's
posterior, times and lineage) in ~1 s of queries (~10 s at a million); reading
`keywords.npz` and `features.npz` back costs ~0.1-0.4 s. The files are caches, never the
record:

- each is written when a store that holds it closes, after its last write (renamed into
  place, not fsynced: a torn file fails its zip CRC-32);
- the first write of every process that opened the store removes them before writing
  (and makes the removal durable), so a crash never leaves one older than the data;
- one is trusted only if the stamp it records equals the database's: its kind and
  format (the keyword tokenizer's fingerprint, `keyword_index.TOKENIZER`), the schema
  version, the vector epoch and its token, the number of learnings and the newest
  update, and for the features a checksum of every usage row's posterior and last use.
  Those are what a write by a groove that does not know these files (an older version)
  moves.

Arrays only (`numpy.load(allow_pickle=False)`): a file planted in a project's tier
cannot run code.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from groove.store import queries as Q
from groove.store.engine import Engine, fsync_dir
from groove.store.keyword_index import TOKENIZER
from groove.store.sidecar import SidecarInvalid

Arrays = dict[str, np.ndarray]
_DAMAGED = (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, NotImplementedError,
            RuntimeError)
"""What reading a damaged zip raises (a bad CRC-32, header, size or compression method)."""


@dataclass(frozen=True)
class Kind:
    """One saved index: its file and what its stamp covers."""

    filename: str
    format: str
    usage: bool
    """The stamp also covers the usage stats (the features hold the posteriors)."""


KEYWORDS = Kind("keywords.npz", f"keywords-1-{TOKENIZER}", usage=False)
FEATURES = Kind("features.npz", "features-1", usage=True)
KINDS = (KEYWORDS, FEATURES)


def stamps(engine: Engine, kinds: Sequence[Kind]) -> dict[Kind, str]:
    """What the database says each kind's file must record to be trusted, their shared
    part read once (~50 ms of queries at 100,000 learnings, ~0.2 s more for the usage
    checksum when a kind needs it)."""
    [[version]] = engine.query(Q.SCHEMA_VERSION)
    epoch = engine.query(Q.VECTOR_EPOCH)
    [[count]] = engine.query(Q.COUNT_BY_RECENT)
    newest = engine.query(Q.NEWEST_UPDATE)
    usage = engine.query(Q.USAGE_CHECKSUM)[0] if any(k.usage for k in kinds) else []
    shared = [version, *(epoch[0] if epoch else (0, "")), count,
              newest[0][0] if newest else "-"]
    return {k: ":".join(str(x) for x in (k.format, *shared, *(usage if k.usage else [])))
            for k in kinds}


def stamp(engine: Engine, kind: Kind) -> str:
    """`stamps` of one kind."""
    return stamps(engine, [kind])[kind]


class Saved:
    """A saved index whose stamp matched, opened: what it holds stays readable after a
    write removes the file (a build opens it before the store serves writes, reads it
    later and replays the writes made meanwhile)."""

    def __init__(self, z: Any, name: str) -> None:
        self._z, self._name = z, name

    def read(self) -> Arrays:
        """The arrays (closes the file); `SidecarInvalid` if it is damaged."""
        try:
            return {k: self._z[k] for k in self._z.files if k != "stamp"}
        except _DAMAGED as e:
            raise SidecarInvalid(f"{self._name} is damaged: {e}") from None
        finally:
            self.close()

    def close(self) -> None:
        self._z.close()


def open_saved(db: Path, kind: Kind, expected: str) -> Saved:
    """The saved index, opened, if its stamp is `expected`; else `SidecarInvalid` says
    why."""
    name = kind.filename
    try:
        z = np.load(db / name, allow_pickle=False)
    except FileNotFoundError:
        raise SidecarInvalid(f"no {name}") from None
    except _DAMAGED as e:
        raise SidecarInvalid(f"{name} is damaged: {e}") from None
    try:
        found = bytes(z["stamp"].astype(np.uint8)).decode(errors="replace")
    except _DAMAGED as e:
        z.close()
        raise SidecarInvalid(f"{name} is damaged: {e}") from None
    if found != expected:
        z.close()
        raise SidecarInvalid(f"{name} describes another state ({found} != {expected})")
    return Saved(z, name)


def load(db: Path, kind: Kind, expected: str) -> Arrays:
    """The saved arrays, if the stamp is `expected`; else `SidecarInvalid` says why."""
    return open_saved(db, kind, expected).read()


def save(db: Path, kind: Kind, arrays: Arrays, current: str) -> None:
    """Write the arrays with their stamp to a temporary file, then rename it. Not fsynced
    (a second at a million learnings): a file torn by a power cut fails its zip CRC-32
    and is rebuilt, like any damaged one."""
    path = db / kind.filename
    tmp = path.with_name(kind.filename + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        np.savez(f, **{"stamp": np.frombuffer(current.encode(), dtype=np.uint8),  # type: ignore[arg-type]
                       **arrays})
    os.replace(tmp, path)


def drop(db: Path) -> None:
    """Remove every saved index (and any half-written one), durably."""
    removed = False
    for kind in KINDS:
        for name in (kind.filename, kind.filename + ".tmp"):
            with contextlib.suppress(FileNotFoundError):
                (db / name).unlink()
                removed = True
    if removed:
        fsync_dir(db)


def size(db: Path, kind: Kind) -> int:
    """Bytes of a saved index (0 when there is none)."""
    try:
        return (db / kind.filename).stat().st_size
    except OSError:
        return 0
