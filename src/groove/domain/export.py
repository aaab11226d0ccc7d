"""The versioned export document: learnings with usage stats, params and relations.

Embeddings are left out on purpose: they belong to a model, and the importer
re-embeds with whatever model it runs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from groove.domain import _fields as f
from groove.domain.clock import utcnow
from groove.domain.learning import Learning
from groove.domain.params import SystemParam
from groove.domain.relations import LearningRelation
from groove.domain.usage import UsageStats
from groove.errors import ExportError, ImportRejected, ValidationError

EXPORT_VERSION = 1


@dataclass(slots=True)
class LearningExport:
    """A learning and its usage stats, as one exported record."""

    learning: Learning
    usage_stats: UsageStats = field(default_factory=UsageStats)

    def to_dict(self) -> dict[str, Any]:
        return {**self.learning.to_dict(), "usage_stats": self.usage_stats.to_dict()}

    @classmethod
    def from_dict(cls, d: Any, path: str) -> LearningExport:
        learning = Learning.from_dict(d, path)
        usage = UsageStats.from_dict(f.field(d, "usage_stats", path), f"{path}.usage_stats")
        f.known(d, [*learning.to_dict(), "usage_stats"], path)
        return cls(learning, usage)


@dataclass(slots=True)
class GrooveExport:
    version: int = EXPORT_VERSION
    exported_at: datetime = field(default_factory=utcnow)
    learnings: list[LearningExport] = field(default_factory=list)
    params: list[SystemParam] = field(default_factory=list)
    relations: list[LearningRelation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "exported_at": self.exported_at.isoformat(),
            "learnings": [le.to_dict() for le in self.learnings],
            "params": [p.to_dict() for p in self.params],
            "relations": [r.to_dict() for r in self.relations],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Any) -> GrooveExport:
        """Validate a whole document; the first bad field raises `ImportRejected` with its path."""
        try:
            return cls._parse(d)
        except ImportRejected:
            raise
        except ValidationError as e:
            raise ImportRejected(e.reason, field=e.field, value=e.value) from None

    @classmethod
    def _parse(cls, d: Any) -> GrooveExport:
        version = f.integer(d, "version", "")
        f.known(d, ("version", "exported_at", "learnings", "params", "relations"), "")
        if version != EXPORT_VERSION:
            raise ImportRejected(
                f"unsupported export version {version}; this groove reads version "
                f"{EXPORT_VERSION}", field="version", value=version)
        doc = cls(
            version=version,
            exported_at=f.required_time(d, "exported_at", ""),
            learnings=[LearningExport.from_dict(x, f"learnings[{i}]")
                       for i, x in enumerate(f.array(d, "learnings", ""))],
            params=[SystemParam.from_dict(x, f"params[{i}]")
                    for i, x in enumerate(f.array(d, "params", ""))],
            relations=[LearningRelation.from_dict(x, f"relations[{i}]")
                       for i, x in enumerate(f.array(d, "relations", ""))],
        )
        doc._check_unique()
        return doc

    @classmethod
    def from_json(cls, text: str | bytes) -> GrooveExport:
        try:
            raw = text.decode("utf-8") if isinstance(text, bytes) else text
        except UnicodeDecodeError as e:
            raise ImportRejected(f"file is not valid UTF-8 (byte {e.start})") from None
        try:
            data = json.loads(raw, parse_constant=_reject_constant)
        except json.JSONDecodeError as e:
            raise ImportRejected(
                f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
        return cls.from_dict(data)

    def merge(self, other: GrooveExport) -> None:
        """Add what `other` holds that this document lacks (by learning id, param name
        and edge), so a learning held by two tiers appears once: the first one's."""
        ids = {le.learning.id for le in self.learnings}
        names = {p.name for p in self.params}
        edges = {r.key() for r in self.relations}
        self.learnings += [le for le in other.learnings if le.learning.id not in ids]
        self.params += [p for p in other.params if p.name not in names]
        self.relations += [r for r in other.relations if r.key() not in edges]

    def prune_relations(self) -> None:
        """Drop the edges an import into an empty home would not restore: those with an
        end outside the document (e.g. a tier's promoted copy pointing at its original in
        another tier; exporting both tiers keeps that edge)."""
        ids = {le.learning.id for le in self.learnings}
        self.relations = [r for r in self.relations if _importable(r, ids)]

    def check_self_contained(self) -> None:
        """Raise `ExportError` unless this document imports into an empty home."""
        try:
            self._check_unique()
        except ImportRejected as e:
            raise ExportError(f"the export would not import back: {e}") from None
        ids = {le.learning.id for le in self.learnings}
        for i, r in enumerate(self.relations):
            if not _importable(r, ids):
                raise ExportError(f"the export would not import back: relations[{i}] "
                                  f"({r.from_id} {r.relation_type} {r.to_id}) points outside it")

    def _check_unique(self) -> None:
        ids = Counter(le.learning.id for le in self.learnings)
        for i, le in enumerate(self.learnings):
            if ids[le.learning.id] > 1:
                raise ImportRejected(f"duplicate learning id {le.learning.id}",
                                     field=f"learnings[{i}].id")
        names = Counter(p.name for p in self.params)
        for i, p in enumerate(self.params):
            if names[p.name] > 1:
                raise ImportRejected(f"duplicate param name {p.name!r}", field=f"params[{i}].name")


def _importable(r: LearningRelation, ids: set[Any]) -> bool:
    """Both ends in the document: import skips an edge whose far end is in neither the
    file nor any tier, so one written without its far end would not come back."""
    return r.from_id in ids and r.to_id in ids


def _reject_constant(name: str) -> Any:
    raise ImportRejected(f"{name} is not a valid JSON number")


@dataclass(slots=True)
class ImportStats:
    learnings_imported: int = 0
    learnings_skipped: int = 0
    params_imported: int = 0
    params_skipped: int = 0
    relations_imported: int = 0
    relations_skipped: int = 0
    embeddings_computed: int = 0
    relations_dangling: int = 0
    """Cross-tier edges skipped because their far end is in neither the file nor any tier
    (they would dangle); counted apart from edges skipped as already present."""

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__slots__}
