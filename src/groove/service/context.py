"""Where a request comes from: its own small module, because every command and hook
needs it and most of them need nothing else of the service protocol."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where a request comes from: the project it runs in (None: outside any project)."""

    project_root: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"project_root": None if self.project_root is None else str(self.project_root)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RequestContext:
        root = d.get("project_root")
        return cls(None if root is None else Path(root))
