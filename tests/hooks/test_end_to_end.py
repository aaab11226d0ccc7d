"""From an agent's MCP call to the next sessions' context, through the real processes:
`groove mcp` (SDK client over stdio), `groove hook` processes, one real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters

from groove.config import GrooveConfig
from mcp import Client
from tests.conftest import make_project
from tests.served import Served, served

GROOVE = str(Path(sys.executable).with_name("groove"))


@pytest.fixture
def server(config: GrooveConfig) -> Iterator[Served]:
    with served(config) as s:
        yield s


def env(server: Served, project: Path) -> dict[str, str]:
    return {"GROOVE_RUNTIME_DIR": str(server.paths.dir),
            "GROOVE_LOG_DIR": str(server.paths.log_dir), "CLAUDE_PROJECT_DIR": str(project),
            "PATH": str(Path(sys.executable).parent)}


def hook(server: Served, project: Path, name: str, payload: dict[str, Any]) -> str:
    r = subprocess.run([GROOVE, "hook", name], input=json.dumps(
        {"cwd": str(project), **payload}), capture_output=True, text=True, timeout=30,
        env={**os.environ, **env(server, project)})
    assert r.returncode == 0, r.stderr
    return str(json.loads(r.stdout)["hookSpecificOutput"]["additionalContext"]) \
        if r.stdout else ""


async def test_a_learning_added_through_mcp_comes_back(server: Served, tmp_path: Path) -> None:
    """Added by an agent through MCP, a learning is in the next session's start context
    and in a later session's prompt hook for a related prompt, never for an unrelated one."""
    project = make_project(tmp_path, "ledger-api")
    params = StdioServerParameters(command=GROOVE, args=["mcp"], env=env(server, project))
    async with Client(params) as client:
        result = await client.call_tool("add_learning", {
            "description": "Money amounts use Decimal, never float",
            "insight": "float rounding broke reconcile_totals", "category": "code_pattern"})
        assert not result.is_error
    start = hook(server, project, "session-start",
                 {"session_id": "next", "hook_event_name": "SessionStart", "source": "startup"})
    assert "Money amounts use Decimal" in start
    later = {"session_id": "later", "hook_event_name": "UserPromptSubmit"}
    assert hook(server, project, "prompt",
                {**later, "prompt": "rename the CLI's --verbose flag to --debug"}) == ""
    related = hook(server, project, "prompt",
                   {**later, "prompt": "store these invoice money amounts as Decimal"})
    assert "Money amounts use Decimal" in related
