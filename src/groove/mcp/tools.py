"""groove's MCP server: an agent searches, adds, relates and rates learnings itself.

A stdio server on the official `mcp` SDK (`MCPServer`), and a thin client of the groove
server: every tool is one `GrooveAPI` call through `RemoteGroove`; it never opens a
database. Text it returns is worded as facts (the lines hooks inject), with control and
bidi characters made visible. A groove error comes back as a tool error carrying
groove's message.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from pydantic import Field

from groove.domain import LearningCategory, Outcome, RelationType
from groove.domain.context import line, why_lines
from groove.domain.injection import OutcomeSource
from groove.domain.text import visible
from groove.domain.tiered import TieredLearning
from groove.errors import GrooveError, NotFound
from groove.locations import find_project_root
from groove.service import GrooveAPI, LearningDetail, RequestContext

log = logging.getLogger("groove.mcp")

T = TypeVar("T")

INSTRUCTIONS = (
    "groove is this user's memory of what worked in earlier coding sessions: preferences, "
    "code patterns, fixes. search_learnings finds what is relevant to the task; "
    "add_learning keeps something worth knowing next time; record_outcome says whether a "
    "learning helped (helpful), was not used (ignored) or turned out wrong (contradicted), "
    "which moves its confidence.")
RATED_SESSION_WITHIN = timedelta(hours=12)
"""A rating is credited to the session that was last shown the learning, if that was
this recent (so the transcript's copy of the same rating is not counted twice)."""

Query = Annotated[str, Field(min_length=1, max_length=4000, description="What to look for")]
Limit = Annotated[int, Field(ge=1, le=50, description="How many learnings, at most")]
LearningRef = Annotated[str, Field(min_length=4, max_length=64,
                                   description="A learning's id, or its short id (8+ chars)")]
Category = Literal["preference", "code_pattern", "solution", "error_recovery",
                   "tool_usage", "harness_knowledge"]
OutcomeName = Literal["helpful", "ignored", "contradicted"]
RelationName = Literal["related_to", "supersedes", "contradicts", "specializes",
                       "derived_from"]


def request_context() -> RequestContext:
    """The project the agent works in: Claude Code's project dir, else the cwd's."""
    start = Path(os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd())
    return RequestContext(find_project_root(start))


def describe(t: TieredLearning) -> str:
    return line(t)[2:]


def detail_text(d: LearningDetail) -> str:
    x = d.found.learning
    lo, hi = d.usage.interval()
    parts = [describe(d.found), f"id: {x.id}",
             f"confidence {x.confidence:.2f} (90% interval {lo:.2f}-{hi:.2f}); "
             f"injected {d.usage.times_injected}, helpful {d.usage.times_helpful}, "
             f"ignored {d.usage.times_ignored}, contradicted {d.usage.times_contradicted}",
             f"description: {visible(x.content.description)}"]
    if x.content.insight:
        parts.append(f"insight: {visible(x.content.insight)}")
    parts += [f"{r.relation_type.value}: {r.from_id} -> {r.to_id}" for r in d.relations]
    return "\n".join(parts)


def build(api: Callable[[], GrooveAPI],
          ctx: Callable[[], RequestContext] = request_context) -> MCPServer:
    """The MCP server over `api()` (a fresh client per call is cheap: no connection)."""
    server: MCPServer = MCPServer("groove", instructions=INSTRUCTIONS)

    async def call(fn: Callable[[GrooveAPI, RequestContext], Awaitable[T]]) -> T:
        try:
            return await fn(api(), ctx())
        except GrooveError as e:
            raise ToolError(str(e)) from None

    @server.tool()
    async def search_learnings(query: Query, limit: Limit = 10) -> str:
        """Learnings relevant to `query`, best first, with category, confidence and id."""
        hits = await call(lambda a, c: a.search(c, query, limit=limit))
        log.info("search %r: %d hits%s", query, len(hits),
                 "".join(f"\n  {w}" for w in why_lines(hits)))
        return "\n".join(describe(h) for h in hits) or "no learning matches"

    @server.tool()
    async def list_learnings(limit: Limit = 20, category: Category | None = None,
                             sort: Literal["confidence", "recent"] = "confidence") -> str:
        """Learnings of this project and user, most trusted (or most recent) first."""
        items = await call(lambda a, c: a.list(
            c, limit=limit, sort=sort,
            category=None if category is None else LearningCategory(category)))
        return "\n".join(describe(t) for t in items) or "no learnings yet"

    @server.tool()
    async def get_learning(id: LearningRef) -> str:
        """One learning in full: text, confidence with its interval, usage, relations."""
        return detail_text(await call(lambda a, c: a.get(c, id)))

    @server.tool()
    async def add_learning(
            description: Annotated[str, Field(min_length=1, max_length=20_000)],
            insight: Annotated[str, Field(max_length=20_000)] = "",
            category: Category = "preference") -> str:
        """Keep something worth knowing in later sessions (in this project, else for the
        user). Say what, and in `insight` why."""
        t = await call(lambda a, c: a.add(c, description, insight=insight,
                                          category=LearningCategory(category)))
        return f"stored in the {t.tier.value} tier: {describe(t)}"

    @server.tool()
    async def record_outcome(id: LearningRef, outcome: OutcomeName) -> str:
        """Say how a learning worked out: helpful, ignored, or contradicted (wrong)."""

        async def rate(a: GrooveAPI, c: RequestContext) -> Any:
            session = latest_session(await a.get(c, id))
            return await a.record_outcome(c, id, Outcome(outcome), session_id=session,
                                          source=OutcomeSource.EXPLICIT,
                                          evidence='{"rule": "explicit rating (MCP)"}')

        r = await call(rate)
        if not r.applied:
            return (f"{outcome} noted; this session had already been credited for "
                    f"{describe(r.found)}")
        return (f"recorded {outcome}: confidence {r.confidence_before:.2f} -> "
                f"{r.confidence_after:.2f} for {describe(r.found)}")

    @server.tool()
    async def relate_learnings(from_id: LearningRef, relation: RelationName,
                               to_id: LearningRef) -> str:
        """Link two learnings (e.g. a newer one supersedes an older)."""
        r = await call(lambda a, c: a.relate(c, from_id, RelationType(relation), to_id))
        return f"{r.from_id} {r.relation_type.value} {r.to_id}"

    @server.resource("groove://learning/{id}", mime_type="text/plain",
                     description="One learning in full")
    async def learning(id: str) -> str:
        try:
            return detail_text(await api().get(ctx(), id))
        except NotFound as e:
            raise ResourceNotFoundError(str(e)) from None
        except GrooveError as e:
            raise ResourceError(str(e)) from None

    return server


def latest_session(d: LearningDetail) -> str | None:
    """The session most recently shown this learning, if recent enough to be this one."""
    if not d.history:
        return None
    last = max(d.history, key=lambda i: i.injected_at)
    if datetime.now(UTC) - last.injected_at > RATED_SESSION_WITHIN:
        return None
    return last.session_id
