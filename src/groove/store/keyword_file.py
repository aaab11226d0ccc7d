"""The keyword index persisted beside its database, so a start does not rebuild it.

Building the index from the texts costs ~5 s at 100,000 learnings (every text tokenised
in Python; ~50 s at a million), the first keyword search of a new process or a started
server waits for it; reading `keywords.npz` back costs ~0.1 s. The file is a cache,
never the record:

- it is written when a store that holds the index closes, after its last write (renamed
  into place, not fsynced: a torn file fails its CRC-32);
- the first write of every process that opened the store removes it before writing (and
  makes the removal durable), so a crash never leaves a file older than the data;
- it is trusted only if the stamp it records equals the database's: its format and
  the tokenizer (`keyword_index.TOKENIZER`), the schema version, the vector epoch and
  its token, the number of learnings and the newest update. Those are what a write by
  a groove that does not know this file (an older version) moves.

Arrays only (`numpy.load(allow_pickle=False)`): a file planted in a project's tier
cannot run code.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from groove.store import queries as Q
from groove.store.engine import Engine, fsync_dir
from groove.store.keyword_index import TOKENIZER, KeywordIndex
from groove.store.sidecar import SidecarInvalid

FORMAT = 1
FILENAME = "keywords.npz"


def stamp(engine: Engine) -> str:
    """What the database says the file must record to be trusted (~50 ms at 100,000)."""
    [[version]] = engine.query(Q.SCHEMA_VERSION)
    epoch = engine.query(Q.VECTOR_EPOCH)
    [[count]] = engine.query(Q.COUNT_BY_RECENT)
    newest = engine.query(Q.NEWEST_UPDATE)
    return ":".join(str(x) for x in (
        FORMAT, TOKENIZER, version, *(epoch[0] if epoch else (0, "")), count,
        newest[0][0] if newest else "-"))


class Saved:
    """A saved index whose stamp matched, opened: what it holds stays readable after a
    write removes the file (a build opens it before the store serves writes, reads it
    later and replays the writes made meanwhile)."""

    def __init__(self, z: Any) -> None:
        self._z = z

    def read(self) -> KeywordIndex:
        """The index (closes the file); `SidecarInvalid` if it is damaged."""
        try:
            return KeywordIndex.from_arrays({k: self._z[k] for k in self._z.files
                                             if k != "stamp"})
        except (OSError, KeyError, ValueError, UnicodeDecodeError, zipfile.BadZipFile,
                EOFError) as e:
            raise SidecarInvalid(f"{FILENAME} is damaged: {e}") from None
        finally:
            self.close()

    def close(self) -> None:
        self._z.close()


def open_saved(db: Path, expected: str) -> Saved:
    """The saved index, opened, if its stamp is `expected`; else `SidecarInvalid` says
    why."""
    try:
        z = np.load(db / FILENAME, allow_pickle=False)
    except FileNotFoundError:
        raise SidecarInvalid("no saved keyword index") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise SidecarInvalid(f"{FILENAME} is damaged: {e}") from None
    try:
        found = bytes(z["stamp"].astype(np.uint8)).decode(errors="replace")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError) as e:
        z.close()
        raise SidecarInvalid(f"{FILENAME} is damaged: {e}") from None
    if found != expected:
        z.close()
        raise SidecarInvalid(f"{FILENAME} describes another state ({found} != {expected})")
    return Saved(z)


def load(db: Path, expected: str) -> KeywordIndex:
    """The saved index, if its stamp is `expected`; else `SidecarInvalid` says why."""
    return open_saved(db, expected).read()


def save(db: Path, index: KeywordIndex, current: str) -> None:
    """Write the index with its stamp to a temporary file, then rename it. Not fsynced (a
    second at a million learnings): a file torn by a power cut fails its zip CRC-32 and
    is rebuilt, like any damaged one."""
    path = db / FILENAME
    tmp = path.with_name(FILENAME + ".tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        arrays = {"stamp": np.frombuffer(current.encode(), dtype=np.uint8),
                  **index.to_arrays()}
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub: one keyword is a bool
    os.replace(tmp, path)


def drop(db: Path) -> None:
    """Remove the saved index (and any half-written one), durably."""
    removed = False
    for name in (FILENAME, FILENAME + ".tmp"):
        with contextlib.suppress(FileNotFoundError):
            (db / name).unlink()
            removed = True
    if removed:
        fsync_dir(db)


def size(db: Path) -> int:
    """Bytes of the saved index (0 when there is none)."""
    try:
        return (db / FILENAME).stat().st_size
    except OSError:
        return 0

