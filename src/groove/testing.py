"""Test helpers that ship with groove: a stand-in embedder and a fake of the service.

`HashEmbedder` maps each word to a fixed pseudo-random direction and sums
them, so texts that share words are similar. `FakeGroove` is `GrooveAPI` in a
few dicts. Both are for fast tests only and are never used unless passed in.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from groove.domain import (
    DEFAULT_DIM,
    GrooveExport,
    ImportStats,
    Learning,
    LearningCategory,
    LearningContent,
    LearningExport,
    LearningId,
    LearningRelation,
    LearningSource,
    Outcome,
    RelationType,
    Scope,
    SystemParam,
    TranscriptSource,
    UsageStats,
    Vector,
    utcnow,
)
from groove.domain.injection import (
    CaptureRecord,
    CaptureStatus,
    InjectedVia,
    Injection,
    OutcomeSource,
)
from groove.domain.proposal import Proposal, ProposalStatus
from groove.domain.tiered import Tier, TieredLearning
from groove.errors import AmbiguousId, NotFound, ValidationError
from groove.service import (
    CapturedLearning,
    Check,
    CompactProgress,
    CompactReport,
    CreditedOutcome,
    DoctorReport,
    Id,
    InitReport,
    LearningDetail,
    LearnReport,
    OutcomeReport,
    RequestContext,
)
from groove.team import SyncReport, TeamStatus

_WORD = re.compile(r"\w+")


class HashEmbedder:
    model_id = "groove-testing/hash-embedder"

    def __init__(self, dim: int = DEFAULT_DIM):
        self.dim = dim
        self.calls = 0

    def _word(self, word: str) -> Vector:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> Vector:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = _WORD.findall(text.lower()) or [""]
            for w in words:
                out[i] += self._word(w)
            out[i] /= np.linalg.norm(out[i]) or 1.0
        return out


class FakeGroove:
    """An in-memory `GrooveAPI` for testing entry points (hooks, MCP, CLI rendering)
    without databases or a model: one flat list of learnings, word-overlap search,
    outcomes on the real Beta update. Not a store: tiers, relations across tiers and
    proposals are kept only as far as an entry point can observe them."""

    def __init__(self) -> None:
        self.learnings: dict[LearningId, TieredLearning] = {}
        self.usage: dict[LearningId, UsageStats] = {}
        self.relations: list[LearningRelation] = []
        self.proposal_list: list[Proposal] = []
        self.param_list: list[SystemParam] = []
        self.injections: dict[str, list[Injection]] = {}
        self.capture_list: list[CaptureRecord] = []
        self.calls: list[str] = []

    def _find(self, id: Id) -> TieredLearning:
        text = str(id).lower()
        matches = [t for k, t in self.learnings.items()
                   if str(k).startswith(text) or (len(text) >= 8 and str(k).endswith(text))]
        if not matches:
            raise NotFound(id)
        if len(matches) > 1:
            raise AmbiguousId(str(id), [str(t.learning.id) for t in matches])
        return matches[0]

    async def init(self, ctx: RequestContext) -> InitReport:
        self.calls.append("init")
        root = ctx.project_root or Path.cwd()
        return InitReport(root, {"project": str(root / ".vibes" / "groove")}, False)

    async def add(self, ctx: RequestContext, description: str, *, insight: str = "",
                  category: LearningCategory = LearningCategory.PREFERENCE,
                  pattern: Any = None, tier: Tier | None = None,
                  source: LearningSource | None = None) -> TieredLearning:
        self.calls.append("add")
        if not description.strip():
            raise ValidationError("is blank; a learning needs words", field="description")
        where = tier or (Tier.PROJECT if ctx.project_root else Tier.USER)
        scope = Scope.project(str(ctx.project_root)) if where is Tier.PROJECT and \
            ctx.project_root else Scope.GLOBAL
        learning = Learning.new(scope, category, LearningContent(description, insight, pattern),
                                source)
        found = TieredLearning(learning, where, learning.confidence)
        self.learnings[learning.id] = found
        self.usage[learning.id] = UsageStats()
        return found

    async def get(self, ctx: RequestContext, id: Id) -> LearningDetail:
        self.calls.append("get")
        found = self._find(id)
        lid = found.learning.id
        return LearningDetail(found, self.usage[lid],
                              [r for r in self.relations if lid in (r.from_id, r.to_id)])

    async def list(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                   scope: Scope | None = None, category: LearningCategory | None = None,
                   sort: str = "confidence", limit: int | None = 50
                   ) -> builtins.list[TieredLearning]:
        self.calls.append("list")
        items = [t for t in self.learnings.values()
                 if (not tiers or t.tier in tiers) and (scope is None or t.learning.scope == scope)
                 and (category is None or t.learning.category is category)]
        key = (lambda t: t.learning.updated_at) if sort == "recent" else (
            lambda t: (t.learning.confidence, t.learning.updated_at))
        items.sort(key=key, reverse=True)
        return items[:limit]

    async def search(self, ctx: RequestContext, query: str, *, limit: int = 10,
                     tiers: Sequence[Tier] = (), category: LearningCategory | None = None,
                     session_id: str | None = None) -> builtins.list[TieredLearning]:
        self.calls.append("search")
        words = set(_WORD.findall(query.lower()))
        hits = []
        for t in await self.list(ctx, tiers=tiers, category=category, limit=None):
            text = set(_WORD.findall(t.learning.content.embedding_text().lower()))
            overlap = len(words & text) / (len(words | text) or 1)
            if overlap > 0:
                hits.append(TieredLearning(t.learning, t.tier, overlap))
        hits.sort(key=lambda t: t.score, reverse=True)
        return hits[:limit]

    async def find_for_injection(self, ctx: RequestContext, query: str | None = None, *,
                                 limit: int | None = None, session_id: str | None = None,
                                 prompt_index: int | None = None,
                                 transcript: Path | None = None,
                                 min_confidence: float = 0.0
                                 ) -> builtins.list[TieredLearning]:
        seen = {i.learning_id for i in self.injections.get(session_id or "", [])}
        hits = await self.list(ctx, limit=None) if query is None else \
            await self.search(ctx, query, limit=100)
        hits = [h for h in hits if h.learning.id not in seen
                and h.learning.confidence >= min_confidence][:limit or 3]
        if session_id is not None:
            self.injections.setdefault(session_id, []).extend(
                Injection(session_id, h.learning.id,
                          InjectedVia.SESSION_START if query is None else InjectedVia.PROMPT,
                          prompt_index or 0, h.tier.value, h.score, None, utcnow())
                for h in hits)
        return hits

    async def record_outcome(self, ctx: RequestContext, id: Id, outcome: Outcome, *,
                             session_id: str | None = None,
                             source: OutcomeSource = OutcomeSource.EXPLICIT,
                             evidence: str | None = None) -> OutcomeReport:
        self.calls.append("record_outcome")
        found = self._find(id)
        stats = self.usage[found.learning.id]
        before = stats.confidence()
        injection = None
        if session_id is not None:
            injection = next((i for i in self.injections.get(session_id, [])
                              if i.learning_id == found.learning.id), None)
            if injection is None:
                raise ValidationError(f"learning {found.learning.id} was not injected into "
                                      f"session {session_id}", field="session_id")
            if not injection.decides(source):
                return OutcomeReport(found, outcome, before, stats, False, injection)
            if injection.outcome is not None:
                stats.undo_outcome(injection.outcome)
            injection.outcome, injection.outcome_source = outcome, source
            injection.evidence = evidence
        stats.record_outcome(outcome)
        found.learning.confidence = stats.confidence()
        return OutcomeReport(found, outcome, before, stats, True, injection)

    async def session(self, ctx: RequestContext, session_id: str) -> builtins.list[Injection]:
        return list(self.injections.get(session_id, []))

    async def learn(self, ctx: RequestContext, transcript: Path, *,
                    session_id: str | None = None) -> LearnReport:
        """The real rules (without the similarity ones) over the fake's records."""
        from groove.learn import Rules, session_id_of

        session_id = session_id or session_id_of(transcript) or "unknown"
        report = LearnReport(session_id)
        shown = [(i, self.learnings[i.learning_id].learning)
                 for i in self.injections.get(session_id, []) if i.learning_id in self.learnings]
        reader = Rules()
        for a in reader.attribute(transcript, shown):
            done = await self.record_outcome(
                ctx, a.learning_id, a.outcome, session_id=session_id,
                source=OutcomeSource.EXPLICIT if a.explicit else OutcomeSource.TRANSCRIPT,
                evidence=a.evidence.to_json())
            report.outcomes.append(CreditedOutcome(a.learning_id, a.outcome,
                                                   a.evidence.to_json(), done.applied))
        for c in reader.capture(transcript):
            key = (session_id, c.turn, c.key)
            if any((r.session_id, r.turn, r.rule) == key for r in self.capture_list):
                continue
            added = await self.add(ctx, c.description, insight=c.insight, category=c.category,
                                   source=TranscriptSource(session_id, c.turn))
            record = CaptureRecord(session_id, c.turn, c.key, added.learning.id, c.quote,
                                   CaptureStatus.PENDING, utcnow())
            self.capture_list.append(record)
            report.captured.append(CapturedLearning(added, record))
        return report

    async def captures(self, ctx: RequestContext, *,
                       status: CaptureStatus | None = CaptureStatus.PENDING
                       ) -> builtins.list[CapturedLearning]:
        return [CapturedLearning(self.learnings[r.learning_id], r) for r in self.capture_list
                if (status is None or r.status is status) and r.learning_id in self.learnings]

    async def review(self, ctx: RequestContext, id: Id, decision: CaptureStatus, *,
                     description: str | None = None, insight: str | None = None
                     ) -> CapturedLearning:
        found = self._find(id)
        for n, r in enumerate(self.capture_list):
            if r.learning_id == found.learning.id:
                self.capture_list[n] = replace(r, status=decision)
                if decision is CaptureStatus.DROPPED:
                    await self.delete(ctx, found.learning.id)
                elif description is not None or insight is not None:
                    content = found.learning.content
                    found.learning.content = LearningContent(
                        description or content.description, insight or content.insight)
                return CapturedLearning(found, self.capture_list[n])
        raise NotFound(id, "capture")

    async def relate(self, ctx: RequestContext, from_id: Id, relation: RelationType,
                     to_id: Id) -> LearningRelation:
        self.calls.append("relate")
        r = LearningRelation.new(self._find(from_id).learning.id, relation,
                                 self._find(to_id).learning.id)
        self.relations.append(r)
        return r

    async def delete(self, ctx: RequestContext, id: Id) -> TieredLearning:
        self.calls.append("delete")
        found = self._find(id)
        lid = found.learning.id
        del self.learnings[lid], self.usage[lid]
        self.relations = [r for r in self.relations if lid not in (r.from_id, r.to_id)]
        return found

    async def export(self, ctx: RequestContext, path: Path | None = None, *,
                     tiers: Sequence[Tier] = (), scope: Scope | None = None) -> GrooveExport:
        self.calls.append("export")
        items = await self.list(ctx, tiers=tiers, scope=scope, limit=None)
        doc = GrooveExport(learnings=[LearningExport(t.learning, self.usage[t.learning.id])
                                      for t in items], params=list(self.param_list),
                           relations=list(self.relations))
        doc.prune_relations()
        if path is not None:
            path.write_text(doc.to_json(), encoding="utf-8")
        return doc

    async def import_(self, ctx: RequestContext, path: Path, *, tier: Tier | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportStats:
        self.calls.append("import")
        doc = GrooveExport.from_json(path.read_bytes())
        stats = ImportStats()
        for le in doc.learnings:
            if le.learning.id in self.learnings:
                stats.learnings_skipped += 1
                continue
            where = tier or (Tier.PROJECT if ctx.project_root else Tier.USER)
            self.learnings[le.learning.id] = TieredLearning(le.learning, where,
                                                            le.usage_stats.confidence())
            self.usage[le.learning.id] = le.usage_stats
            stats.learnings_imported += 1
        return stats

    async def promote(self, ctx: RequestContext, id: Id) -> TieredLearning:
        found = self._find(id)
        return await self.add(ctx, found.learning.content.description,
                              insight=found.learning.content.insight,
                              category=found.learning.category, tier=Tier.USER)

    async def propose(self, ctx: RequestContext, id: Id, *, org: str | None = None
                      ) -> Proposal:
        found = self._find(id)
        proposal = Proposal(found.learning, org or "org", "fake", found.tier.value)
        self.proposal_list.append(proposal)
        return proposal

    async def proposals(self, ctx: RequestContext, *, org: str | None = None,
                        status: ProposalStatus | None = None) -> builtins.list[Proposal]:
        return [p for p in self.proposal_list if status is None or p.status is status]

    def _decide(self, id: Id, **changes: Any) -> Proposal:
        for i, p in enumerate(self.proposal_list):
            if str(p.id).startswith(str(id).lower()):
                if p.status is not ProposalStatus.PENDING:
                    raise ValidationError(f"proposal {p.id} is already {p.status}",
                                          field="proposal")
                self.proposal_list[i] = replace(p, **changes)
                return self.proposal_list[i]
        raise NotFound(id, "proposal")

    async def accept(self, ctx: RequestContext, id: Id, *, curator: str | None = None,
                     org: str | None = None) -> tuple[Proposal, Learning]:
        p = self._decide(id, status=ProposalStatus.ACCEPTED, curator=curator or "fake")
        copy = await self.add(ctx, p.learning.content.description,
                              insight=p.learning.content.insight,
                              category=p.learning.category, tier=Tier.ENTERPRISE)
        return p, copy.learning

    async def reject(self, ctx: RequestContext, id: Id, reason: str, *,
                     curator: str | None = None, org: str | None = None) -> Proposal:
        return self._decide(id, status=ProposalStatus.REJECTED, curator=curator or "fake",
                            reason=reason)

    async def sync(self, ctx: RequestContext, *, org: str | None = None
                   ) -> builtins.list[SyncReport]:
        """Nothing to sync in memory: one empty report for a named org, none otherwise."""
        self.calls.append("sync")
        return [] if org is None else [SyncReport(org, "postgresql://fake/groove")]

    async def team_status(self, ctx: RequestContext, *, org: str | None = None,
                          probe: bool = True) -> builtins.list[TeamStatus]:
        self.calls.append("team_status")
        return [] if org is None else [TeamStatus(org, "postgresql://fake/groove", "memory",
                                                  True)]

    async def params(self, ctx: RequestContext, name: str | None = None, *,
                     tier: Tier = Tier.USER) -> builtins.list[SystemParam]:
        found = [p for p in self.param_list if name is None or p.name == name]
        if name is not None and not found:
            raise NotFound(name, "param")
        return found

    async def stats(self, ctx: RequestContext) -> builtins.list[dict[str, Any]]:
        return [{"tier": t.value, "exists": True,
                 "learnings": sum(1 for x in self.learnings.values() if x.tier is t)}
                for t in Tier]

    async def doctor(self, ctx: RequestContext, *, check_model: bool = True) -> DoctorReport:
        return DoctorReport([Check("fake", True, "in memory")], [], "fake")

    async def compact(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                      drop_dangling: bool = False, progress: CompactProgress | None = None
                      ) -> builtins.list[CompactReport]:
        self.calls.append("compact")
        return [CompactReport(t.value, "memory", 0, 0, 0, 0, 0.0) for t in tiers or [Tier.USER]]

    async def close(self) -> None:
        self.calls.append("close")


class TranscriptBuilder:
    """Builds a transcript in Claude Code's record format, one JSON object per line."""

    def __init__(self, session: str = "5d7c2a9e-1111-4c2b-9d7e-0a1b2c3d4e5f"):
        self.session = session
        self.lines: list[str] = []
        self.n = 0

    def _record(self, kind: str, message: dict[str, Any], **extra: Any) -> None:
        self.n += 1
        self.lines.append(json.dumps({
            "parentUuid": None if self.n == 1 else f"u{self.n - 1}", "isSidechain": False,
            "userType": "external", "cwd": "/repo", "sessionId": self.session,
            "version": "2.0.14", "type": kind, "message": message, "uuid": f"u{self.n}",
            "timestamp": f"2026-11-20T10:{self.n:02d}:00.000Z", **extra}))

    def prompt(self, text: str) -> TranscriptBuilder:
        self._record("user", {"role": "user", "content": text})
        return self

    def say(self, text: str) -> TranscriptBuilder:
        self._record("assistant", {"role": "assistant", "model": "claude-sonnet-4-5",
                                   "content": [{"type": "text", "text": text}]})
        return self

    def tool(self, name: str, tool_input: dict[str, Any], result: str,
             error: bool = False) -> TranscriptBuilder:
        tid = f"toolu_{self.n:04d}"
        self._record("assistant", {"role": "assistant", "content": [
            {"type": "tool_use", "id": tid, "name": name, "input": tool_input}]})
        self._record("user", {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tid, "content": result, "is_error": error}]})
        return self

    def write(self, path: Path, tail: str = "") -> Path:
        path.write_text("\n".join(self.lines) + "\n" + tail, encoding="utf-8")
        return path
