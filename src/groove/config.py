"""Configuration: the user config file (TOML) and a project's context.

User config: `<user config dir>/vibes/groove.toml` (or `$GROOVE_CONFIG`; see
`groove.locations`).
A project joins an enterprise with `[groove] enterprise = "<org>"` in
`<project>/.vibes/config.toml`.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groove.errors import ConfigError, GrooveIOError
from groove.locations import default_config_path, default_user_db_path, project_config_path


@dataclass(slots=True)
class EnterpriseConfig:
    org_id: str
    db_path: Path
    sync_url: str | None = None
    """The team's PostgreSQL (`postgresql://user@host/db`); its password comes from
    PGPASSWORD or ~/.pgpass, never from this file."""

    def __post_init__(self) -> None:
        if self.sync_url is not None:
            check_sync_url(self.sync_url, f"[enterprises.{self.org_id}] sync_url")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"db_path": str(self.db_path)}
        if self.sync_url:
            out["sync_url"] = self.sync_url
        return out


def check_sync_url(url: str, where: str = "sync_url") -> None:
    """A sync_url must be a postgresql:// URL without a password: the config file is
    plain text (and a command line is visible to every process), so the password
    belongs in PGPASSWORD or ~/.pgpass."""
    from urllib.parse import parse_qsl, urlsplit  # only for a sync_url: hooks skip it

    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"{where} must be a postgresql:// URL, e.g. "
                          "postgresql://alice@db.example.com/groove")
    try:
        password = parts.password
    except ValueError:
        password = None
    query = {k.lower() for k, v in parse_qsl(parts.query, keep_blank_values=True) if v}
    if password or "password" in query:
        raise ConfigError(f"{where} contains a password; remove it from the URL and give it "
                          "to PostgreSQL through PGPASSWORD or ~/.pgpass (never in groove.toml)")


@dataclass(frozen=True, slots=True)
class ProjectContext:
    """Personal (user + project tiers) or Enterprise (plus the org's tier)."""

    org_id: str | None = None

    @classmethod
    def personal(cls) -> ProjectContext:
        return cls(None)

    @classmethod
    def enterprise(cls, org_id: str) -> ProjectContext:
        return cls(org_id)

    @property
    def is_enterprise(self) -> bool:
        return self.org_id is not None

    def __str__(self) -> str:
        return f"Enterprise({self.org_id})" if self.org_id else "Personal"


NUMBER_SETTINGS = {"lock_timeout": "seconds", "server_idle_timeout": "seconds",
                   "hook_deadline": "seconds", "server_memory_mb": "megabytes"}
"""Settings that are a number >= 0, with their unit."""


@dataclass(slots=True)
class GrooveConfig:
    user_db_path: Path = field(default_factory=default_user_db_path)
    enterprises: dict[str, EnterpriseConfig] = field(default_factory=dict)
    user_id: str = field(default_factory=getpass.getuser)
    engine: str = "mnestic"
    lock_timeout: float = 0.0
    """Seconds to wait for another process to release a tier before failing."""
    server_idle_timeout: float = 1800.0
    """Seconds without a request after which the groove server exits (0: never)."""
    hook_deadline: float = 2.0
    """Seconds a Claude Code hook may take before it answers (with nothing, if need be)."""
    server_memory_mb: float = 0.0
    """When > 0, every database the groove server holds shares one RocksDB block cache and
    write-buffer budget of this size (mnestic's memory envelope); 0: a cache and
    memtables per database. Off by default because it measured worse here: 10 tiers
    taking 6,000 writes each used 1,145 MB and 120 s with a 128 MB envelope against
    641 MB and 46 s without (`python -m bench.memory`): the small shared write budget
    flushes tiny tables that cost more than the memtables it saves."""
    path: Path | None = None
    """Where this config was read from (None for defaults never saved)."""

    def to_toml(self) -> str:
        data: dict[str, Any] = {
            "user_db_path": str(self.user_db_path),
            "user_id": self.user_id,
            "engine": self.engine,
            "lock_timeout": self.lock_timeout,
            "server_idle_timeout": self.server_idle_timeout,
            "hook_deadline": self.hook_deadline,
            "server_memory_mb": self.server_memory_mb,
        }
        if self.enterprises:
            data["enterprises"] = {k: v.to_dict() for k, v in self.enterprises.items()}
        import tomli_w  # only to write: reading is what hooks do

        return tomli_w.dumps(data)

    @classmethod
    def from_toml(cls, text: str, path: Path | None = None) -> GrooveConfig:
        return cls.from_dict(_parse_toml(text, path), path)

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> GrooveConfig:
        config = cls(path=path)
        known = {"user_db_path", "user_id", "engine", "enterprises", *NUMBER_SETTINGS}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(known))}", path=path)
        if "user_db_path" in data:
            config.user_db_path = _resolve(_str(data, "user_db_path", path), path)
        if "user_id" in data:
            config.user_id = _str(data, "user_id", path)
        if "engine" in data:
            config.engine = _str(data, "engine", path)
        for key, unit in NUMBER_SETTINGS.items():
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ConfigError(f"{key} must be a number of {unit} >= 0", path=path)
                setattr(config, key, float(value))
        orgs = data.get("enterprises", {})
        if not isinstance(orgs, dict):
            raise ConfigError("[enterprises] must be a table of [enterprises.<org>]", path=path)
        for org, entry in orgs.items():
            if not isinstance(entry, dict) or "db_path" not in entry:
                raise ConfigError(f"[enterprises.{org}] needs db_path", path=path)
            sync = entry.get("sync_url")
            try:
                config.enterprises[org] = EnterpriseConfig(
                    org, _resolve(_str(entry, "db_path", path), path),
                    str(sync) if sync is not None else None)
            except ConfigError as e:
                raise ConfigError(str(e), path=path) from None
        return config

    @classmethod
    def load(cls, path: Path | None = None) -> GrooveConfig:
        """Read the user config; defaults when the file does not exist."""
        path = path or default_config_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path=path)
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read config: {e}", path=path) from None
        return cls.from_toml(text, path)

    def save(self, path: Path | None = None) -> Path:
        path = path or self.path or default_config_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".toml.tmp")
            tmp.write_text(self.to_toml(), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as e:
            raise GrooveIOError(f"cannot write config {path}: {e.strerror}", path=path) from None
        self.path = path
        return path


def _parse_toml(text: str, path: Path | None) -> dict[str, Any]:
    import tomllib  # only where a config file is read: a served command never does

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ConfigError(f"malformed TOML: {e}", path=path,
                          line=int(m.group(1)) if m else None) from None


def _str(data: dict[str, Any], key: str, path: Path | None) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string", path=path)
    return value


def _resolve(value: str, config_path: Path | None) -> Path:
    p = Path(value).expanduser()
    if not p.is_absolute() and config_path is not None:
        p = config_path.parent / p
    return p


def read_project_context(project_root: Path) -> ProjectContext:
    """Personal unless `<project>/.vibes/config.toml` names an enterprise."""
    path = project_config_path(project_root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ProjectContext.personal()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read project config: {e}", path=path) from None
    data = _parse_toml(text, path)
    org = data.get("groove", {}).get("enterprise") if isinstance(data.get("groove"), dict) \
        else None
    if org is not None and not isinstance(org, str):
        raise ConfigError("[groove] enterprise must be a string", path=path)
    return ProjectContext.enterprise(org) if org else ProjectContext.personal()
