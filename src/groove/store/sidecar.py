"""The vector index persisted beside its database, so a start does not rebuild it.

Reading 100,000 vectors back out of Cozo costs a new process 1.8 s before its first
search (measured); reading them from a flat file costs ~0.1 s. The file is a cache,
never the record: Cozo's vector epoch (schema v9) moves, with a fresh random token, in
the same transaction as every vector write and delete, and a side file that records
another epoch or token, or whose sizes or checksums do not match, is rejected
(`SidecarInvalid`) and rebuilt from Cozo.

Layout of `<db>/vectors/`:

    manifest.json        the commit point: epoch, token, row count, files, checksums
    vectors.<gen>.f32    float32 rows, row-major, append-only within a generation
    ids.<gen>.txt        one id per row, newline-separated, append-only likewise
    codes.<seq>.npy      int32 (rows, 2): scope code (-1: tombstone), category code
    ann.<seq>.faiss      the approximate index (optional), covering rows < its `rows`

Crash safety: appended bytes lie past the length the current manifest records, and
every rewritten file gets a new name, written to a temporary file, fsynced and
renamed; the manifest is replaced last the same way (and the directory fsynced). A
save killed at any point leaves the previous manifest describing intact bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from groove.store.engine import fsync_dir
from groove.store.vector_index import BLOCK_ROWS, DEAD, RowFile, VectorIndex

if TYPE_CHECKING:
    from groove.store.ann import Ann

FORMAT = 1
DIRNAME = "vectors"
MANIFEST = "manifest.json"
_CHUNK = 1 << 24
ANN_REWRITE_SHARE = 0.05
"""The saved approximate index is rewritten once rows past it (caught up on each load)
exceed this share of all rows (or 2,000)."""


class SidecarInvalid(Exception):
    """The side file cannot be trusted; the message says why. Internal: the store
    rebuilds from Cozo and records the reason."""


@dataclass(slots=True)
class SidecarState:
    """What the current manifest says, kept to append to it on the next save."""

    generation: int = 0
    seq: int = 0
    rows: int = 0
    vectors_crc: int = 0
    ids_bytes: int = 0
    ids_crc: int = 0
    ann: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def directory(db: Path) -> Path:
    return db / DIRNAME


# -- load --------------------------------------------------------------------------


def load(db: Path, dim: int, epoch: tuple[int, str]) -> tuple[VectorIndex, SidecarState]:
    """The index as saved for `epoch`, its approximate index caught up; raises
    `SidecarInvalid` (missing, stale, truncated, corrupt) instead of guessing."""
    root = directory(db)
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError:
        raise SidecarInvalid("no side file") from None
    except (OSError, ValueError) as e:
        raise SidecarInvalid(f"unreadable manifest: {e}") from None
    try:
        return _load(root, manifest, dim, epoch)
    except SidecarInvalid:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        raise SidecarInvalid(f"damaged side file: {type(e).__name__}: {e}") from None


def _load(root: Path, m: dict[str, Any], dim: int, epoch: tuple[int, str]
          ) -> tuple[VectorIndex, SidecarState]:
    if m.get("format") != FORMAT or m.get("dim") != dim:
        raise SidecarInvalid(f"format {m.get('format')}/dim {m.get('dim')}, "
                             f"expected {FORMAT}/{dim}")
    if [m.get("epoch"), m.get("token")] != list(epoch):
        raise SidecarInvalid(f"stale: saved at epoch {m.get('epoch')}, the database is at "
                             f"{epoch[0]}")
    rows = int(m["rows"])
    state = SidecarState(int(m["generation"]), int(m["seq"]), rows, int(m["vectors"]["crc32"]),
                         int(m["ids"]["bytes"]), int(m["ids"]["crc32"]), m.get("ann"))
    vec_path = root / m["vectors"]["file"]
    if _size(vec_path) < rows * dim * 4:
        raise SidecarInvalid(f"{vec_path.name} is truncated")
    # the vectors' checksum (the longest step: ~0.1 s at 100,000 rows) runs beside the
    # rest of the load (zlib releases the GIL); nothing is returned before it passed
    with ThreadPoolExecutor(1, thread_name_prefix="groove-sidecar-crc") as pool:
        vectors_crc = pool.submit(_file_crc, vec_path, rows * dim * 4)
        index, state = _load_rest(root, m, dim, rows, state, vec_path)
        try:
            if vectors_crc.result() != state.vectors_crc:
                raise SidecarInvalid(f"{vec_path.name} fails its checksum")
        except BaseException:
            index.file.close()  # type: ignore[union-attr]
            raise
    return index, state


def _load_rest(root: Path, m: dict[str, Any], dim: int, rows: int, state: SidecarState,
               vec_path: Path) -> tuple[VectorIndex, SidecarState]:
    ids_raw = _read_exact(root / m["ids"]["file"], state.ids_bytes, state.ids_crc, "ids")
    ids = ids_raw.decode("utf-8").split("\n")[:-1] if rows else []
    if len(ids) != rows:
        raise SidecarInvalid(f"ids file holds {len(ids)} ids for {rows} rows")
    codes_file = root / m["codes"]["file"]
    raw = _read_exact(codes_file, codes_file.stat().st_size, int(m["codes"]["crc32"]), "codes")
    codes = np.frombuffer(raw, dtype=np.int32).reshape(-1, 2).copy()
    scopes, categories = list(m["scopes"]), list(m["categories"])
    if len(codes) != rows or (rows and (
            codes[:, 0].max() >= len(scopes) or codes[:, 0].min() < DEAD
            or codes[:, 1].max() >= len(categories) or codes[:, 1].min() < 0)):
        raise SidecarInvalid("codes file does not match its rows")
    index = VectorIndex(dim)
    index.restore(RowFile(vec_path, dim, rows, state.vectors_crc), ids, _padded(codes),
                  scopes, categories)
    try:
        if state.ann is not None:
            index.ann = _load_ann(root, state.ann, index)
    except BaseException:
        index.file.close()  # type: ignore[union-attr]
        raise
    return index, state


def _padded(codes: np.ndarray) -> np.ndarray:
    out = np.full((max(1024, len(codes)), 2), DEAD, dtype=np.int32)
    out[: len(codes)] = codes
    return out


def _read_exact(path: Path, size: int, crc: int, what: str) -> bytes:
    with path.open("rb") as f:
        data = f.read(size)
    if len(data) != size:
        raise SidecarInvalid(f"{what} file {path.name} is truncated")
    if zlib.crc32(data) != crc:
        raise SidecarInvalid(f"{what} file {path.name} fails its checksum")
    return data


def _file_crc(path: Path, size: int) -> int:
    """The CRC-32 of the first `size` bytes, read into one reused buffer: a fresh 16 MB
    chunk per read is a fresh mapping to fault in once glibc's mmap threshold is pinned
    (`ann.pin_mmap_threshold`), which doubled a 100,000-row reopen (0.15 -> 0.3 s)."""
    crc = 0
    left = size
    buf = bytearray(min(_CHUNK, size))
    view = memoryview(buf)
    with path.open("rb", buffering=0) as f:
        while left:
            got = f.readinto(view[: min(len(buf), left)])
            if not got:
                raise SidecarInvalid(f"{path.name} is truncated")
            crc = zlib.crc32(view[:got], crc)
            left -= got
    return crc


def _load_ann(root: Path, meta: dict[str, Any], index: VectorIndex) -> Ann:
    from groove.store.ann import Ann  # faiss loads only for stores that need it

    path = root / meta["file"]
    if _size(path) != int(meta["bytes"]) or _file_crc(path, int(meta["bytes"])) != \
            int(meta["crc32"]):
        raise SidecarInvalid(f"{path.name} is truncated or fails its checksum")
    ann = Ann.load(path, int(meta["nprobe"]), int(meta["trained_on"]))
    if ann.dim != index.dim:
        raise SidecarInvalid(f"{path.name} has dimension {ann.dim}")
    covered = int(meta["rows"])
    if covered > index.rows:
        raise SidecarInvalid(f"{path.name} covers more rows than the side file holds")
    alive = index.codes[: index.rows, 0] != DEAD
    gone = np.flatnonzero(~alive[:covered]).astype(np.int64)
    ann.remove(gone)  # tombstoned since the index file was written
    index.feed(ann, covered + np.flatnonzero(alive[covered:]).astype(np.int64))
    return ann


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        raise SidecarInvalid(f"{path.name} is missing") from None


# -- save --------------------------------------------------------------------------


def save(db: Path, index: VectorIndex, epoch: tuple[int, str], state: SidecarState | None,
         *, ann_built: bool = False) -> SidecarState:
    """Write what changed since `state` (None: everything, a new generation) and commit it
    with a new manifest. `ann_built`: the approximate index changed beyond catching up."""
    root = directory(db)
    root.mkdir(exist_ok=True)
    rows = index.rows
    backing = index.file if index.file is not None and index.file.path.parent == root else None
    if backing is not None:  # the rows are in that file already: commit them
        gen = generation_of(backing.path)
        same = state is not None and state.generation == gen and rows >= state.rows
    else:
        same = state is not None and rows >= state.rows
        gen = state.generation if same and state is not None else _next_gen(root)
    if same and state is not None:
        new = SidecarState(state.generation, state.seq, state.rows, state.vectors_crc,
                           state.ids_bytes, state.ids_crc, state.ann)
    else:
        new = SidecarState(generation=gen)
    new.seq = max([state.seq if state is not None else 0,
                   *(int(p.name.split(".")[1]) for p in root.glob("codes.*.npy")
                     if p.name.split(".")[1].isdigit())]) + 1
    vec_file = root / f"vectors.{new.generation}.f32"
    ids_file = root / f"ids.{new.generation}.txt"
    start = new.rows
    if backing is not None:
        backing.sync()
        new.vectors_crc = backing.crc
    else:
        # append rows past the committed length (a crashed save's leftovers are overwritten)
        with _append(vec_file, start * index.dim * 4) as f:
            for b, block in enumerate(index.iter_blocks()):
                lo = max(0, start - b * BLOCK_ROWS)
                if lo < len(block):
                    data = np.ascontiguousarray(block[lo:]).data.cast("B")
                    f.write(data)
                    new.vectors_crc = zlib.crc32(data, new.vectors_crc)
    text = "".join(f"{i}\n" for i in index.ids[start:]).encode("utf-8")
    with _append(ids_file, new.ids_bytes) as f:
        f.write(text)
    new.ids_crc = zlib.crc32(text, new.ids_crc)
    new.ids_bytes += len(text)
    new.rows = rows
    codes = np.ascontiguousarray(index.codes[:rows]).tobytes()
    codes_file = root / f"codes.{new.seq}.npy"
    _write_atomic(codes_file, codes)
    ann = index.ann
    if ann is None:
        new.ann = None
    elif ann_built or new.ann is None or \
            rows - int(new.ann["rows"]) > max(2000, ANN_REWRITE_SHARE * rows):
        ann_file = root / f"ann.{new.seq}.faiss"
        tmp = ann_file.with_suffix(".tmp")
        ann.save(tmp)
        _fsync_file(tmp)
        os.replace(tmp, ann_file)
        size = ann_file.stat().st_size
        new.ann = {"file": ann_file.name, "bytes": size, "crc32": _file_crc(ann_file, size),
                   "rows": rows, "nprobe": ann.nprobe, "trained_on": ann.trained_on}
    elif new.ann is not None:
        new.ann = {**new.ann, "nprobe": ann.nprobe}
    manifest = {
        "format": FORMAT, "dim": index.dim, "epoch": epoch[0], "token": epoch[1],
        "rows": rows, "live": len(index), "generation": new.generation, "seq": new.seq,
        "saved_at": time.time(),
        "vectors": {"file": vec_file.name, "crc32": new.vectors_crc},
        "ids": {"file": ids_file.name, "bytes": new.ids_bytes, "crc32": new.ids_crc},
        "codes": {"file": codes_file.name, "crc32": zlib.crc32(codes)},
        "scopes": index.scopes.values, "categories": index.categories.values,
        "ann": new.ann,
    }
    _write_atomic(root / MANIFEST, json.dumps(manifest).encode())
    fsync_dir(root)
    keep = {MANIFEST, vec_file.name, ids_file.name, codes_file.name}
    if new.ann is not None:
        keep.add(new.ann["file"])
    for p in root.iterdir():
        if p.name not in keep:
            with contextlib.suppress(OSError):
                p.unlink()
    index.changed_rows.clear()
    return new


def discard(db: Path) -> None:
    """Remove the side file (its manifest first, so a half-removed one is never read)."""
    root = directory(db)
    with contextlib.suppress(FileNotFoundError):
        (root / MANIFEST).unlink()
    if root.exists():
        for p in root.iterdir():
            with contextlib.suppress(OSError):
                p.unlink()


def size_bytes(db: Path) -> int:
    root = directory(db)
    if not root.exists():
        return 0
    return sum(p.stat().st_size for p in root.iterdir() if p.is_file())


def _next_gen(root: Path) -> int:
    gens = [int(p.name.split(".")[1]) for p in root.glob("vectors.*.f32")
            if p.name.split(".")[1].isdigit()]
    return max(gens, default=0) + 1


def generation_of(path: Path) -> int:
    return int(path.name.split(".")[1])


def new_row_file(db: Path, dim: int) -> RowFile:
    """An empty vectors file of a new generation, for an index rebuilt from Cozo: it is
    written as the index fills and committed by the next `save`."""
    root = directory(db)
    root.mkdir(exist_ok=True)
    return RowFile(root / f"vectors.{_next_gen(root)}.f32", dim, truncate=True)


@contextlib.contextmanager
def _append(path: Path, offset: int) -> Any:
    """Open `path` to write at `offset` (cutting anything past it), fsynced on exit."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as f:
        if os.fstat(fd).st_size < offset:
            raise SidecarInvalid(f"{path.name} is shorter than its manifest says")
        f.seek(offset)
        f.truncate()
        yield f
        f.flush()
        os.fsync(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

