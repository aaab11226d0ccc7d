"""The team tier on PostgreSQL: an enterprise replica per machine, synced with the team's
server.

- `schema`: the server's schema as ordered migrations, and the roles
  `groove_developer` (read, propose, record outcomes) and `groove_curator` (decide);
- `server`: connections and every statement (psycopg 3, the optional extra `team`);
- `sync`: push the outbox, pull since the cursor, decide proposals on the server, and a
  loop for the groove server to sync in the background.

The replica (a `CozoStore`) stays the read path: fast and available offline.
"""

from groove.team.server import InitServerReport, init_server, redact
from groove.team.sync import (
    SyncReport,
    TeamStatus,
    background_sync,
    pending_proposal,
    record_decision,
    sync_replica,
    team_status,
)

__all__ = [
    "InitServerReport",
    "SyncReport",
    "TeamStatus",
    "background_sync",
    "init_server",
    "pending_proposal",
    "record_decision",
    "redact",
    "sync_replica",
    "team_status",
]
