"""Pure domain types: no I/O, nothing here touches a database or a model."""

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
