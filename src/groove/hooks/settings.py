"""groove's entries in Claude Code's settings.json: merged in, taken out, nothing else
touched.

Claude Code merges hooks from every settings file, so groove only adds its own handlers
(found again by their command, updated in place, never duplicated), keeps every other
key and hook as it was, backs the file up first and replaces it atomically.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groove.errors import ConfigError, GrooveIOError

COMMAND = "groove hook"
"""Every groove handler's command starts so; that is how install finds its own."""

ENTRIES: dict[str, tuple[str | None, str, int]] = {
    "SessionStart": ("startup|resume|clear|compact", "session-start", 10),
    "UserPromptSubmit": (None, "prompt", 10),
    "Stop": (None, "stop", 10),
    "PreCompact": (None, "pre-compact", 10),
    "SessionEnd": (None, "session-end", 5),
}
"""event: (matcher, `groove hook` name, timeout in seconds; the hook keeps its own
shorter deadline, this is Claude Code's upper bound)."""


@dataclass
class Change:
    path: Path
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    backup: Path | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def settings_path(*, project: Path | None) -> Path:
    """`<project>/.claude/settings.json`, or the user's `~/.claude/settings.json`."""
    if project is not None:
        return project / ".claude" / "settings.json"
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude") / "settings.json"


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise GrooveIOError(f"cannot read {path}: {e.strerror}", path=path) from e
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as e:
        raise ConfigError(f"not valid JSON ({e}); fix it, then run this again",
                          path=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("hooks", {}), dict):
        raise ConfigError('expected an object with a "hooks" object', path=path)
    return data


def _is_groove(handler: Any) -> bool:
    return isinstance(handler, dict) and str(handler.get("command", "")).startswith(COMMAND)


def _without_groove(groups: list[Any]) -> tuple[list[Any], int]:
    """The matcher groups with groove's handlers taken out (empty groups dropped)."""
    kept, removed = [], 0
    for group in groups:
        if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
            kept.append(group)
            continue
        handlers = [h for h in group["hooks"] if not _is_groove(h)]
        removed += len(group["hooks"]) - len(handlers)
        if handlers:
            kept.append({**group, "hooks": handlers})
    return kept, removed


def merged(data: dict[str, Any], command: str = "groove") -> tuple[dict[str, Any], Change]:
    """`data` with groove's entries in place (pure: the caller writes)."""
    out = copy.deepcopy(data)
    hooks = out.setdefault("hooks", {})
    change = Change(Path())
    for event, (matcher, name, timeout) in ENTRIES.items():
        groups = hooks.get(event, [])
        groups = groups if isinstance(groups, list) else []
        before = copy.deepcopy(groups)
        kept, removed = _without_groove(groups)
        group: dict[str, Any] = {"hooks": [{"type": "command",
                                            "command": f"{command} hook {name}",
                                            "timeout": timeout}]}
        if matcher:
            group = {"matcher": matcher, **group}
        hooks[event] = [*kept, group]
        if not removed:
            change.added.append(event)
        elif hooks[event] != before:
            change.updated.append(event)
    return out, change


def removed(data: dict[str, Any]) -> tuple[dict[str, Any], Change]:
    out = copy.deepcopy(data)
    hooks = out.get("hooks", {})
    change = Change(Path())
    for event in list(hooks):
        if not isinstance(hooks[event], list):
            continue
        kept, n = _without_groove(hooks[event])
        if n:
            change.removed.append(event)
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]
    if "hooks" in out and not out["hooks"]:
        del out["hooks"]
    return out, change


def apply(path: Path, *, install: bool, dry_run: bool = False,
          command: str = "groove") -> Change:
    """Install (or uninstall) groove's hooks in the settings file at `path`."""
    data = _read(path)
    new, change = merged(data, command) if install else removed(data)
    change.path = path
    if dry_run or not change.changed:
        return change
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            change.backup = path.with_name(path.name + ".groove-backup")
            shutil.copy2(path, change.backup)
        fd, tmp = tempfile.mkstemp(prefix=".settings.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(new, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise GrooveIOError(f"cannot write {path}: {e.strerror}", path=path) from e
    return change
