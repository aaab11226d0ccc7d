"""One error tree for everything groove raises.

Every error carries the offending value and a message that says what to do::

    GrooveError
    ├── DatabaseError            the engine refused or failed a query
    │   ├── DatabaseLocked       another process holds the database (path, holder pid)
    │   └── StoreClosed          a call reached a store after it was closed
    ├── MigrationError           a schema migration failed (names the backup)
    ├── NoProjectContext         a project tier was needed but there is no project
    ├── NoEnterpriseContext      an enterprise tier was needed but none is configured
    ├── ValidationError          bad input, rejected before anything was written
    │   ├── InvalidScope         a scope string that is not global | user:ID | project:PATH
    │   └── ImportRejected       an export document that does not validate (field path)
    ├── NotFound                 no learning (or proposal) with this id
    ├── AmbiguousId              an id prefix matches several learnings
    ├── ExportError              an export or import file could not be read or written
    ├── EmbeddingError           the embedder failed or a vector is unusable
    │   └── EmbeddingModelMismatch  vectors from two models would be mixed
    ├── CapabilityMissing        this installation cannot do what was asked
    ├── ConfigError              a config file is malformed (file, line)
    ├── GrooveIOError            a file system operation failed
    ├── SyncError                a team server (PostgreSQL) could not be reached or refused
    │                            a sync (its URL, never a password)
    ├── ServerUnavailable        no groove server answers on the user's socket
    │   └── ServerNotRunning     nothing listens there (the request was never sent)
    └── SerializationError       stored data could not be decoded
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class GrooveError(Exception):
    """Root of every error groove raises on purpose."""


class DatabaseError(GrooveError):
    """The database engine refused or failed an operation."""

    def __init__(self, message: str, *, path: Path | None = None, code: str | None = None):
        self.path = path
        self.code = code
        super().__init__(message)


class DatabaseLocked(DatabaseError):
    """Another process holds the database; RocksDB admits one process per database."""

    def __init__(self, path: Path, holder_pid: int | None = None, waited: float = 0.0):
        self.holder_pid = holder_pid
        self.waited = waited
        holder = f" by process {holder_pid}" if holder_pid else " by another process"
        wait = f" after waiting {waited:.1f}s" if waited > 0 else ""
        super().__init__(
            f"database {path} is locked{holder}{wait}; stop that process (a groove server: "
            "groove server stop) or let it finish, or wait for it with --lock-timeout "
            "SECONDS",
            path=path,
            code="locked",
        )


class StoreClosed(DatabaseError):
    """A call reached a store after `close()`: a bug in the caller's lifecycle, named."""

    def __init__(self, path: Path):
        super().__init__(f"the store at {path} is closed; open it again to use it",
                         path=path, code="closed")


class MigrationError(GrooveError):
    """A schema migration failed; the store was left at its old version."""

    def __init__(self, message: str, *, backup: Path | None = None, version: int | None = None):
        self.backup = backup
        self.version = version
        if backup is not None:
            message += f"; a backup taken before the migration is at {backup}"
        super().__init__(message)


class NoProjectContext(GrooveError):
    """A project tier was needed but groove runs outside a project."""

    def __init__(self) -> None:
        super().__init__(
            "No project context available; run inside a project or pass its root "
            "(e.g. `groove init PATH`)"
        )


class NoEnterpriseContext(GrooveError):
    """An enterprise tier was needed but the org is not configured."""

    def __init__(self, org: str | None, known: list[str] | None = None):
        self.org = org
        self.known = known or []
        what = f"org {org!r}" if org else "this project"
        orgs = (f" (configured: {', '.join(self.known)})" if self.known
                else " (no enterprise is configured)")
        super().__init__(
            f"No enterprise context for {what}{orgs}; add it with `groove config enterprise "
            f"add {org or '<org>'} --db-path PATH --join`, or fix `[groove] enterprise` in "
            "the project's .vibes/config.toml"
        )


class ValidationError(GrooveError):
    """Input that groove rejects before writing anything."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None):
        self.field = field
        self.value = value
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class InvalidScope(ValidationError):
    """A scope string outside `global` | `user:<id>` | `project:<path>`."""

    def __init__(self, value: str, *, field: str | None = None, reason: str | None = None):
        self.detail = reason
        shown = value if len(value) <= 60 else value[:60] + "\u2026"
        super().__init__(
            f"invalid scope {shown!r}: {reason}" if reason else
            f"invalid scope {shown!r}; expected 'global', 'user:<id>' or 'project:<path>'",
            field=field,
            value=value,
        )


class ImportRejected(ValidationError):
    """An export document failed validation; nothing was written."""


class NotFound(GrooveError):
    """No learning (or other record) with the given id."""

    def __init__(self, id: object, what: str = "learning"):
        self.id = id
        super().__init__(f"{what} not found: {id}")


class AmbiguousId(GrooveError):
    """An abbreviated id matches more than one learning."""

    def __init__(self, prefix: str, candidates: list[str]):
        self.prefix = prefix
        self.candidates = candidates
        shown = ", ".join(candidates[:10])
        super().__init__(
            f"id prefix {prefix!r} is ambiguous; it matches {len(candidates)} learnings: "
            f"{shown}; give more characters"
        )


class ExportError(GrooveError):
    """An export or import file could not be read or written."""

    def __init__(self, message: str, *, path: Path | None = None):
        self.path = path
        super().__init__(message)


class EmbeddingError(GrooveError):
    """The embedder failed, or a vector cannot be stored or searched."""


class EmbeddingModelMismatch(EmbeddingError):
    """The store already holds vectors from another model; mixing spaces breaks search."""

    def __init__(self, stored: str, offered: str):
        self.stored = stored
        self.offered = offered
        super().__init__(
            f"this store holds vectors from model {stored!r}, not {offered!r}; search "
            f"with {stored!r}, or export and re-import the store to re-embed it with "
            f"{offered!r}"
        )


class CapabilityMissing(GrooveError):
    """A feature needs a capability this installation does not have right now."""

    def __init__(self, capability: str, reason: str):
        self.capability = capability
        self.reason = reason
        super().__init__(f"{capability} is not available: {reason}")


class ConfigError(GrooveError):
    """A configuration file is malformed."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = f"{path}" + (f" line {line}" if line else "") if path else ""
        super().__init__(f"{where}: {message}" if where else message)


class GrooveIOError(GrooveError):
    """A file system operation failed (permissions, a file where a directory belongs)."""

    def __init__(self, message: str, *, path: Path | None = None):
        self.path = path
        super().__init__(message)


class SyncError(GrooveError):
    """A sync with the team's PostgreSQL failed: unreachable, not initialised, a role
    without the right grant, or a server newer than this groove. Local data is unchanged
    apart from what completed before (a sync resumes where it stopped)."""

    def __init__(self, message: str, *, url: str | None = None):
        self.url = url
        super().__init__(message)


class ServerUnavailable(GrooveError):
    """No groove server answers on the socket (none runs, it died, or it did not start in
    time); the message says which and what to do."""


class ServerNotRunning(ServerUnavailable):
    """Nothing listens on the socket: the request was never sent, so it can be retried
    once a server runs."""


class SerializationError(GrooveError):
    """Stored data could not be decoded into groove's types."""
