"""Claude Code hooks: thin, fast clients of the groove server (no model, no database)."""

from groove.hooks.main import main

__all__ = ["main"]
