"""groove: a memory that learns, for AI coding agents.

Learnings live in CozoDB databases on RocksDB (one per tier); outcomes move
their confidence; semantic search finds the relevant ones again.

The public names below are imported on first use (PEP 562): a hook process that
needs only `groove.client` must not pay for the store, numpy and the tiers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from groove.config import EnterpriseConfig, GrooveConfig, ProjectContext
    from groove.domain import (
        DEFAULT_DIM,
        EXPORT_VERSION,
        AdaptiveParam,
        Direction,
        Embedder,
        EnterpriseCuratedSource,
        GrooveExport,
        ImportedSource,
        ImportStats,
        Learning,
        LearningCategory,
        LearningContent,
        LearningExport,
        LearningId,
        LearningRelation,
        LearningSource,
        Outcome,
        PromotedSource,
        RelationType,
        Scope,
        SystemParam,
        TranscriptSource,
        UsageStats,
        UserCreatedSource,
    )
    from groove.domain.proposal import Proposal, ProposalStatus
    from groove.domain.tiered import Tier, TieredLearning
    from groove.embedder import DEFAULT_MODEL_ID, DefaultEmbedder
    from groove.errors import (
        AmbiguousId,
        CapabilityMissing,
        ConfigError,
        DatabaseError,
        DatabaseLocked,
        EmbeddingError,
        EmbeddingModelMismatch,
        ExportError,
        GrooveError,
        GrooveIOError,
        ImportRejected,
        InvalidScope,
        MigrationError,
        NoEnterpriseContext,
        NoProjectContext,
        NotFound,
        SerializationError,
        ServerNotRunning,
        ServerUnavailable,
        SyncError,
        ValidationError,
    )
    from groove.plugin import Capability, Harness, PluginContext
    from groove.store import CURRENT_SCHEMA_VERSION, CozoStore, LearningStore, ParamStore
    from groove.tiers import GrooveStorage

_EXPORTS = {
    "AdaptiveParam": "groove.domain",
    "AmbiguousId": "groove.errors",
    "CURRENT_SCHEMA_VERSION": "groove.store",
    "Capability": "groove.plugin",
    "CapabilityMissing": "groove.errors",
    "ConfigError": "groove.errors",
    "CozoStore": "groove.store",
    "DEFAULT_DIM": "groove.domain",
    "DEFAULT_MODEL_ID": "groove.embedder",
    "DatabaseError": "groove.errors",
    "DatabaseLocked": "groove.errors",
    "DefaultEmbedder": "groove.embedder",
    "Direction": "groove.domain",
    "EXPORT_VERSION": "groove.domain",
    "Embedder": "groove.domain",
    "EmbeddingError": "groove.errors",
    "EmbeddingModelMismatch": "groove.errors",
    "EnterpriseConfig": "groove.config",
    "EnterpriseCuratedSource": "groove.domain",
    "ExportError": "groove.errors",
    "GrooveConfig": "groove.config",
    "GrooveError": "groove.errors",
    "GrooveExport": "groove.domain",
    "GrooveIOError": "groove.errors",
    "GrooveStorage": "groove.tiers",
    "Harness": "groove.plugin",
    "ImportRejected": "groove.errors",
    "ImportStats": "groove.domain",
    "ImportedSource": "groove.domain",
    "InvalidScope": "groove.errors",
    "Learning": "groove.domain",
    "LearningCategory": "groove.domain",
    "LearningContent": "groove.domain",
    "LearningExport": "groove.domain",
    "LearningId": "groove.domain",
    "LearningRelation": "groove.domain",
    "LearningSource": "groove.domain",
    "LearningStore": "groove.store",
    "MigrationError": "groove.errors",
    "NoEnterpriseContext": "groove.errors",
    "NoProjectContext": "groove.errors",
    "NotFound": "groove.errors",
    "Outcome": "groove.domain",
    "ParamStore": "groove.store",
    "PluginContext": "groove.plugin",
    "ProjectContext": "groove.config",
    "PromotedSource": "groove.domain",
    "Proposal": "groove.domain.proposal",
    "ProposalStatus": "groove.domain.proposal",
    "RelationType": "groove.domain",
    "Scope": "groove.domain",
    "SerializationError": "groove.errors",
    "ServerNotRunning": "groove.errors",
    "ServerUnavailable": "groove.errors",
    "SyncError": "groove.errors",
    "SystemParam": "groove.domain",
    "Tier": "groove.domain.tiered",
    "TieredLearning": "groove.domain.tiered",
    "TranscriptSource": "groove.domain",
    "UsageStats": "groove.domain",
    "UserCreatedSource": "groove.domain",
    "ValidationError": "groove.errors",
}

from groove.version import __version__ as __version__  # noqa: E402

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "DEFAULT_DIM",
    "DEFAULT_MODEL_ID",
    "EXPORT_VERSION",
    "AdaptiveParam",
    "AmbiguousId",
    "Capability",
    "CapabilityMissing",
    "ConfigError",
    "CozoStore",
    "DatabaseError",
    "DatabaseLocked",
    "DefaultEmbedder",
    "Direction",
    "Embedder",
    "EmbeddingError",
    "EmbeddingModelMismatch",
    "EnterpriseConfig",
    "EnterpriseCuratedSource",
    "ExportError",
    "GrooveConfig",
    "GrooveError",
    "GrooveExport",
    "GrooveIOError",
    "GrooveStorage",
    "Harness",
    "ImportRejected",
    "ImportStats",
    "ImportedSource",
    "InvalidScope",
    "Learning",
    "LearningCategory",
    "LearningContent",
    "LearningExport",
    "LearningId",
    "LearningRelation",
    "LearningSource",
    "LearningStore",
    "MigrationError",
    "NoEnterpriseContext",
    "NoProjectContext",
    "NotFound",
    "Outcome",
    "ParamStore",
    "PluginContext",
    "ProjectContext",
    "PromotedSource",
    "Proposal",
    "ProposalStatus",
    "RelationType",
    "Scope",
    "SerializationError",
    "ServerNotRunning",
    "ServerUnavailable",
    "SyncError",
    "SystemParam",
    "Tier",
    "TieredLearning",
    "TranscriptSource",
    "UsageStats",
    "UserCreatedSource",
    "ValidationError",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'groove' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
