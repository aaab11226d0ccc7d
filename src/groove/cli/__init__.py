"""`groove`: inspect and curate what your agents learned.

The command group lives in `app`; each command group in its own module registers
its commands on it: learnings, promotion (tiers), files, and the system.
"""

from groove.cli import (  # noqa: F401  (registers commands)
    files,
    hooks,
    learnings,
    maintenance,
    mcp,
    promotion,
    server,
    sessions,
    settings,
    system,
    team,
)
from groove.cli.app import main

__all__ = ["main"]
