"""`groove mcp` through the MCP SDK's own client over stdio, against a real groove server."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from mcp.client.stdio import StdioServerParameters

from groove.client import RemoteGroove
from groove.config import GrooveConfig
from groove.service import RequestContext
from mcp import Client
from tests.conftest import make_project
from tests.served import Served, served

GROOVE = str(Path(sys.executable).with_name("groove"))


@pytest.fixture
def server(config: GrooveConfig) -> Iterator[Served]:
    with served(config) as s:
        yield s


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path, "ledger-api")


@asynccontextmanager
async def mcp_client(server: Served, project: Path) -> AsyncIterator[Client]:
    params = StdioServerParameters(command=GROOVE, args=["mcp"], env={
        "GROOVE_RUNTIME_DIR": str(server.paths.dir), "GROOVE_LOG_DIR": str(server.paths.log_dir),
        "CLAUDE_PROJECT_DIR": str(project), "PATH": str(Path(sys.executable).parent)})
    async with Client(params) as client:
        yield client


def text(result: object) -> str:
    return "\n".join(c.text for c in result.content)  # type: ignore[attr-defined]


async def test_tools_are_listed_with_bounded_inputs(server: Served, project: Path) -> None:
    """The six tools are there, with typed, bounded inputs."""
    async with mcp_client(server, project) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"search_learnings", "add_learning", "record_outcome",
                          "relate_learnings", "get_learning", "list_learnings"}
    limit = tools["search_learnings"].input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 50)
    assert tools["record_outcome"].input_schema["properties"]["outcome"]["enum"] == [
        "helpful", "ignored", "contradicted"]


async def test_add_search_rate_and_read(server: Served, project: Path) -> None:
    """An agent adds a learning, finds it, rates it (confidence moves), reads it as a
    resource; it is stored in the project's tier of the real server."""
    async with mcp_client(server, project) as client:
        added = await client.call_tool("add_learning", {
            "description": "Money amounts use Decimal, never float",
            "insight": "float rounding broke reconcile_totals", "category": "code_pattern"})
        assert not added.is_error and "stored in the project tier" in text(added)
        found = text(await client.call_tool("search_learnings",
                                            {"query": "money amounts Decimal", "limit": 3}))
        assert "Money amounts use Decimal" in found and "confidence 0.50" in found
        short = found.split("id ")[1].split("]")[0]
        rated = await client.call_tool("record_outcome", {"id": short, "outcome": "helpful"})
        assert "confidence 0.50 -> 0.67" in text(rated)
        listed = text(await client.call_tool("list_learnings", {"limit": 5}))
        assert "confidence 0.67" in listed
        full = await client.read_resource(f"groove://learning/{short}")
        assert "helpful 1" in full.contents[0].text  # type: ignore[union-attr]
    stored = await RemoteGroove(server.paths).list(RequestContext(project))
    assert [t.learning.content.description for t in stored] == [
        "Money amounts use Decimal, never float"]


async def test_errors_come_back_as_tool_errors(server: Served, project: Path) -> None:
    """A groove error is a tool error with groove's message; out-of-bounds input is
    refused before groove sees it; the server keeps answering."""
    async with mcp_client(server, project) as client:
        missing = await client.call_tool("get_learning", {"id": "0123456789abcdef"})
        assert missing.is_error and "learning not found: 0123456789abcdef" in text(missing)
        bad = await client.call_tool("search_learnings", {"query": "x", "limit": 500})
        assert bad.is_error
        blank = await client.call_tool("add_learning", {"description": "   "})
        assert blank.is_error and "description" in text(blank)
        ok = await client.call_tool("list_learnings", {})
        assert not ok.is_error


async def test_hostile_text_is_made_visible(server: Served, project: Path) -> None:
    """Escape sequences and bidi overrides in a learning reach the agent as escapes."""
    async with mcp_client(server, project) as client:
        await client.call_tool("add_learning",
                               {"description": "title \x1b]0;pwned\x07 and \u202eevil"})
        out = text(await client.call_tool("list_learnings", {}))
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b" in out


async def test_a_rating_counts_once_for_its_session(server: Served, project: Path) -> None:
    """A rating through MCP is credited to the session that was shown the learning, so
    the transcript's record of the same call does not count it twice."""
    api, ctx = RemoteGroove(server.paths), RequestContext(project)
    x = await api.add(ctx, "Run the API tests with just test-api")
    await api.find_for_injection(ctx, None, session_id="s1")
    async with mcp_client(server, project) as client:
        await client.call_tool("record_outcome", {"id": str(x.learning.id),
                                                  "outcome": "helpful"})
    shown = await api.session(ctx, "s1")
    assert shown[0].outcome is not None and shown[0].outcome.value == "helpful"
    again = await api.record_outcome(ctx, x.learning.id, shown[0].outcome, session_id="s1")
    assert not again.applied
    assert json.loads(shown[0].evidence or "{}")["rule"] == "explicit rating (MCP)"
