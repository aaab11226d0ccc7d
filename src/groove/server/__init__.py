"""The groove server: one warm process per user owns the databases and the model."""

from groove.runtime import groove_version
from groove.server.app import GrooveServer
from groove.server.process import AlreadyRunning, running_pid, serve

__all__ = ["AlreadyRunning", "GrooveServer", "groove_version", "running_pid", "serve"]
