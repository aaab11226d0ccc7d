"""`groove`: inspect and curate what your agents learned.

The command group lives in `app`; each command group in its own module registers its
commands on it (learnings, promotion between tiers, files, the server, ...). A module
is imported when one of its commands runs (see `app.Commands`): `COMMANDS` says where
each command lives.
"""

from groove.cli.app import Commands, main

COMMANDS = {
    "learnings": ["add", "list", "show", "search", "outcome", "relate", "related", "delete"],
    "promotion": ["promote", "propose", "proposals", "accept", "reject"],
    "files": ["export", "import"],
    "sessions": ["learn", "review"],
    "system": ["init", "params", "stats", "doctor"],
    "maintenance": ["compact"],
    "settings": ["config"],
    "hooks": ["hook", "hooks"],
    "mcp": ["mcp"],
    "server": ["serve", "server"],
    "team": ["sync", "team"],
}
Commands.modules = {name: f"groove.cli.{module}" for module, names in COMMANDS.items()
                    for name in names}

__all__ = ["main"]
