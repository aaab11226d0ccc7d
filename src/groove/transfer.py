"""Export documents as files: written atomically, read and validated whole."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from groove.domain import GrooveExport
from groove.errors import ExportError, ImportRejected

MAX_IMPORT_BYTES = 512 * 1024 * 1024


def write_export(doc: GrooveExport, path: Path) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it: a crash
    mid-write never leaves a half file where a good one was."""
    text = doc.to_json()
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror}", path=path) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        if sys.platform != "win32":
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ExportError(f"cannot write {path}: {e.strerror}", path=path) from None


def read_export(path: Path) -> GrooveExport:
    """Read and validate a whole export file; `ImportRejected` names the bad field."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise ExportError(f"{path} is {size:,} bytes; the import limit is "
                              f"{MAX_IMPORT_BYTES:,}", path=path)
        data = path.read_bytes()
    except OSError as e:
        raise ExportError(f"cannot read {path}: {e.strerror}", path=path) from None
    try:
        return GrooveExport.from_json(data)
    except ImportRejected as e:
        named = ImportRejected(e.reason, field=e.field, value=e.value)
        Exception.__init__(named, f"{path}: {e}")  # each fact once: file, field, reason
        raise named from None
