"""groove's MCP server (stdio, the official `mcp` SDK), a thin client of the groove server."""

from groove.mcp.tools import build, request_context

__all__ = ["build", "request_context"]
