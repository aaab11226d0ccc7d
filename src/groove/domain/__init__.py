"""Pure domain types: no I/O, nothing here touches a database or a model.

Names are imported on first use (PEP 562), like the package root's: a hook process
that needs one type must not pay for all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from groove import lazy

if TYPE_CHECKING:
    from groove.domain.clock import utcnow, uuid7
    from groove.domain.embedding import DEFAULT_DIM, Embedder, Vector, as_unit_vector
    from groove.domain.export import EXPORT_VERSION, GrooveExport, ImportStats, LearningExport
    from groove.domain.learning import (
        EnterpriseCuratedSource,
        ImportedSource,
        Learning,
        LearningCategory,
        LearningContent,
        LearningId,
        LearningSource,
        PromotedSource,
        TranscriptSource,
        UserCreatedSource,
        short_id,
    )
    from groove.domain.params import AdaptiveParam, SystemParam
    from groove.domain.relations import Direction, LearningRelation, RelationType
    from groove.domain.scope import Scope
    from groove.domain.usage import Outcome, UsageStats

_EXPORTS = {
    "AdaptiveParam": "groove.domain.params",
    "DEFAULT_DIM": "groove.domain.embedding",
    "Direction": "groove.domain.relations",
    "EXPORT_VERSION": "groove.domain.export",
    "Embedder": "groove.domain.embedding",
    "EnterpriseCuratedSource": "groove.domain.learning",
    "GrooveExport": "groove.domain.export",
    "ImportStats": "groove.domain.export",
    "ImportedSource": "groove.domain.learning",
    "Learning": "groove.domain.learning",
    "LearningCategory": "groove.domain.learning",
    "LearningContent": "groove.domain.learning",
    "LearningExport": "groove.domain.export",
    "LearningId": "groove.domain.learning",
    "LearningRelation": "groove.domain.relations",
    "LearningSource": "groove.domain.learning",
    "Outcome": "groove.domain.usage",
    "PromotedSource": "groove.domain.learning",
    "RelationType": "groove.domain.relations",
    "Scope": "groove.domain.scope",
    "SystemParam": "groove.domain.params",
    "TranscriptSource": "groove.domain.learning",
    "UsageStats": "groove.domain.usage",
    "UserCreatedSource": "groove.domain.learning",
    "Vector": "groove.domain.embedding",
    "as_unit_vector": "groove.domain.embedding",
    "short_id": "groove.domain.learning",
    "utcnow": "groove.domain.clock",
    "uuid7": "groove.domain.clock",
}

__all__ = [
    "DEFAULT_DIM",
    "EXPORT_VERSION",
    "AdaptiveParam",
    "Direction",
    "Embedder",
    "EnterpriseCuratedSource",
    "GrooveExport",
    "ImportStats",
    "ImportedSource",
    "Learning",
    "LearningCategory",
    "LearningContent",
    "LearningExport",
    "LearningId",
    "LearningRelation",
    "LearningSource",
    "Outcome",
    "PromotedSource",
    "RelationType",
    "Scope",
    "SystemParam",
    "TranscriptSource",
    "UsageStats",
    "UserCreatedSource",
    "Vector",
    "as_unit_vector",
    "short_id",
    "utcnow",
    "uuid7",
]


__getattr__ = lazy.exports(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
