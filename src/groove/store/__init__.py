"""Storage: the store protocols, the schema, and the CozoDB backend."""

from groove.store.cozo import CozoStore
from groove.store.engine import ENGINES
from groove.store.protocols import LearningStore, ParamStore
from groove.store.schema import CURRENT_SCHEMA_VERSION, MIGRATIONS, Migration

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "ENGINES",
    "MIGRATIONS",
    "CozoStore",
    "LearningStore",
    "Migration",
    "ParamStore",
]
