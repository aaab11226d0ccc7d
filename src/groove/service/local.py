"""`LocalGroove`: the use cases run in this process, over the databases it opens itself.

One per process: it owns the store pool (one handle per database path) and the
embedding lanes, and makes a cheap tier view per request from its context.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from groove.config import EnterpriseConfig, GrooveConfig
from groove.domain import (
    Embedder,
    GrooveExport,
    ImportStats,
    Learning,
    LearningCategory,
    LearningContent,
    LearningRelation,
    LearningSource,
    Outcome,
    PromotedSource,
    RelationType,
    Scope,
    SystemParam,
    TranscriptSource,
    UsageStats,
    UserCreatedSource,
    utcnow,
)
from groove.domain.injection import (
    BUDGET_PRIOR,
    CAPTURE_PRIOR,
    INJECTION_BUDGET,
    INJECTION_THRESHOLD,
    THRESHOLD_PRIOR,
    CaptureRecord,
    CaptureStatus,
    InjectedVia,
    Injection,
    OutcomeSource,
    budget_evidence,
    injection_budget,
    threshold_evidence,
)
from groove.domain.proposal import Proposal, ProposalStatus
from groove.domain.tiered import Tier, TieredLearning
from groove.embedder import EmbeddingLanes
from groove.errors import (
    DatabaseLocked,
    GrooveError,
    NoEnterpriseContext,
    NotFound,
    ValidationError,
)
from groove.learn import Capture, Rules, SessionReader, session_id_of
from groove.learn.transcript import PromptCounter, last_prompt_is
from groove.locations import ensure_gitignored, project_db_path
from groove.plugin import Capability, Harness, PluginContext
from groove.service.context import RequestContext
from groove.service.protocol import (
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
)
from groove.store import CURRENT_SCHEMA_VERSION
from groove.store.pool import StorePool
from groove.team import SyncReport, TeamStatus, sync_replica, team_status
from groove.team.sync import Progress, sync_url
from groove.tiers import GrooveStorage

MIN_ID_PREFIX = 4
CAPTURE_DUPLICATE = 0.9
"""A capture at least this similar to an existing learning reinforces it instead."""


def parse_id(value: Id) -> Id:
    """A full UUID, or an abbreviation (at least 4 characters): a prefix resolved like
    git's, or a short handle (the id's last 8+ hex digits, as tables show it; see
    `groove.domain.short_id`). Two learnings that match are an `AmbiguousId`."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        cleaned = value.strip().lower()
        if len(cleaned) < MIN_ID_PREFIX:
            raise ValidationError(f"give at least {MIN_ID_PREFIX} characters of the id",
                                  field="id") from None
        return cleaned


class LocalGroove:
    """`GrooveAPI` in this process. Close it once when done."""

    def __init__(self, config: GrooveConfig, *, embedder: Embedder | None = None,
                 rng: random.Random | None = None):
        self.config = config
        self._rng = rng or random.Random()
        self._prompts = PromptCounter()
        self._tuning = asyncio.Lock()
        self.pool = StorePool(engine=config.engine, lock_timeout=config.lock_timeout)
        self.embedder = embedder
        self.embeddings = None if embedder is None else EmbeddingLanes(embedder)

    def view(self, ctx: RequestContext) -> GrooveStorage:
        """The tiers as seen from `ctx` (cheap; shares this process's stores)."""
        return GrooveStorage(self.config, self.pool, ctx.project_root, self.embeddings)

    async def warm(self, ctx: RequestContext, *, keywords: bool = True) -> None:
        """Open the tiers `ctx` reads and load their indexes (never creating a tier);
        without `keywords`, return once they can rank, their keyword indexes still
        building (`CozoStore.warm`)."""
        for _tier, store in await self.view(ctx).read_stores():
            await store.warm(keywords=keywords)

    async def close_project(self, root: Path) -> None:
        """Close a project's tier database (the server does so once it sits unused)."""
        await self.pool.close(project_db_path(root.resolve()))

    @property
    def model_loaded(self) -> bool:
        is_loaded = getattr(self.embedder, "is_loaded", None)
        return self.embedder is not None and (is_loaded is None or bool(is_loaded()))

    async def close(self) -> None:
        try:
            await self.pool.close_all()
        finally:
            if self.embeddings is not None:
                self.embeddings.close()

    async def __aenter__(self) -> LocalGroove:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- set-up --------------------------------------------------------------------

    async def init(self, ctx: RequestContext) -> InitReport:
        if ctx.project_root is None:
            raise ValidationError("name the project root to initialise", field="path")
        root = ctx.project_root.resolve()
        (root / ".vibes").mkdir(parents=True, exist_ok=True)
        tiers = self.view(RequestContext(root))
        await tiers.store_for(Tier.PROJECT)
        await tiers.store_for(Tier.USER)
        paths = {t.value: str(tiers.tier_path(t)) for t in tiers.get_read_tiers()}
        return InitReport(root, paths, ensure_gitignored(root))

    # -- learnings -----------------------------------------------------------------

    async def add(self, ctx: RequestContext, description: str, *, insight: str = "",
                  category: LearningCategory = LearningCategory.PREFERENCE,
                  pattern: Any = None, tier: Tier | None = None,
                  source: LearningSource | None = None) -> TieredLearning:
        if not description.strip():
            raise ValidationError("is blank; a learning needs words", field="description")
        tiers = self.view(ctx)
        where = tier or tiers.default_write_tier()
        learning = Learning.new(tiers.default_scope(where), LearningCategory.parse(str(category)),
                                LearningContent(description, insight, pattern),
                                source or UserCreatedSource())
        return await tiers.add(learning, where)

    async def get(self, ctx: RequestContext, id: Id) -> LearningDetail:
        tiers = self.view(ctx)
        found = await tiers.locate(parse_id(id))
        history = await (await tiers.store_for(found.tier)).learning_injections(found.learning.id)
        return LearningDetail(found, await tiers.usage(found), await tiers.relations(found),
                              history)

    async def list(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                   scope: Scope | None = None, category: LearningCategory | None = None,
                   sort: str = "confidence", limit: int | None = 50
                   ) -> builtins.list[TieredLearning]:
        return await self.view(ctx).list(list(tiers) or None, scope, category, sort, limit)

    async def search(self, ctx: RequestContext, query: str, *, limit: int = 10,
                     tiers: Sequence[Tier] = (), category: LearningCategory | None = None,
                     session_id: str | None = None) -> builtins.list[TieredLearning]:
        if not query.strip():
            raise ValidationError("is blank; say what to search for", field="query")
        view = self.view(ctx)
        hits = await view.search(query, limit, list(tiers) or None, category)
        if session_id is not None:
            await view.record_injections(session_id, hits, InjectedVia.SEARCH)
        return hits

    async def find_for_injection(self, ctx: RequestContext, query: str | None = None, *,
                                 limit: int | None = None, session_id: str | None = None,
                                 prompt_index: int | None = None,
                                 transcript: Path | None = None,
                                 min_confidence: float = 0.0
                                 ) -> builtins.list[TieredLearning]:
        view = self.view(ctx)
        threshold, budget = await self._injection_params(view)
        seen = set() if session_id is None else {
            i.learning_id for i in await view.session_injections(session_id)}
        hits = await view.find_for_injection(
            limit or injection_budget(budget.param.value), query, rng=self._rng,
            min_similarity=None if query is None else threshold.param.value, exclude=seen,
            min_confidence=min_confidence)
        if session_id is not None and hits:
            if prompt_index is None:
                prompt_index = 0 if query is None else await self._prompt_index(transcript,
                                                                                query)
            await view.record_injections(
                session_id, hits,
                InjectedVia.SESSION_START if query is None else InjectedVia.PROMPT, prompt_index)
        return hits

    async def _prompt_index(self, transcript: Path | None, prompt: str) -> int:
        """The number of this prompt in its session: the prompts in the transcript, plus
        this one if Claude Code has not written it there yet."""
        if transcript is None:
            return 1
        counted = await asyncio.to_thread(self._prompts.count, transcript)
        return counted if counted and await asyncio.to_thread(
            last_prompt_is, transcript, prompt) else counted + 1

    async def record_outcome(self, ctx: RequestContext, id: Id, outcome: Outcome, *,
                             session_id: str | None = None,
                             source: OutcomeSource = OutcomeSource.EXPLICIT,
                             evidence: str | None = None) -> OutcomeReport:
        view = self.view(ctx)
        outcome = Outcome.parse(str(outcome))
        found = await view.locate(parse_id(id))
        before = found.learning.confidence
        if session_id is None:
            _, stats = await view.record_outcome(found.learning.id, outcome)
            return OutcomeReport(found, outcome, before, stats)
        _, stats, injection, applied = await view.credit_outcome(
            session_id, found.learning.id, outcome, OutcomeSource.parse(str(source)), evidence)
        if applied:
            await self._tune(view, injection.similarity, outcome)
        return OutcomeReport(found, outcome, before, stats, applied, injection)

    async def session(self, ctx: RequestContext, session_id: str) -> builtins.list[Injection]:
        return await self.view(ctx).session_injections(session_id)

    # -- learning from sessions ----------------------------------------------------

    def reader(self) -> SessionReader:
        embedder = self.embedder
        return Rules(None if embedder is None else embedder.embed)

    async def learn(self, ctx: RequestContext, transcript: Path, *,
                    session_id: str | None = None) -> LearnReport:
        view = self.view(ctx)
        session_id = session_id or await asyncio.to_thread(session_id_of, transcript)
        if session_id is None:
            raise ValidationError(f"{transcript} names no session; pass its session id",
                                  field="session_id")
        shown = []
        for injection in await view.session_injections(session_id):
            found = await view.read_store(Tier(injection.tier))
            learning = None if found is None else await found.get(injection.learning_id)
            if learning is not None:
                shown.append((injection, learning))
        reader = self.reader()
        report = LearnReport(session_id)
        for a in await asyncio.to_thread(reader.attribute, transcript, shown):
            source = OutcomeSource.EXPLICIT if a.explicit else OutcomeSource.TRANSCRIPT
            done = await self.record_outcome(ctx, a.learning_id, a.outcome,
                                             session_id=session_id, source=source,
                                             evidence=a.evidence.to_json())
            report.outcomes.append(CreditedOutcome(a.learning_id, a.outcome,
                                                   a.evidence.to_json(), done.applied))
        for c in await asyncio.to_thread(reader.capture, transcript):
            await self._capture(view, session_id, c, report)
        if isinstance(reader, Rules):
            report.records = reader.stats.records
            report.skipped = reader.stats.skipped_malformed + reader.stats.skipped_unknown
        return report

    async def _capture(self, view: GrooveStorage, session_id: str, c: Capture,
                       report: LearnReport) -> None:
        """Store one capture, unless this session's turn was captured before (nothing) or
        a near-identical learning exists (reinforced by a helpful outcome instead)."""
        where = view.default_write_tier()
        store = await view.store_for(where)
        if await store.has_capture(session_id, c.turn, c.key):
            return
        learning = Learning.new(view.default_scope(where), c.category,
                                LearningContent(c.description, c.insight),
                                TranscriptSource(session_id, c.turn))
        if self.embeddings is not None:
            for hit in await view.search(learning.content.embedding_text(), 1):
                if (hit.similarity or 0.0) >= CAPTURE_DUPLICATE:
                    await view.record_outcome(hit.learning.id, Outcome.HELPFUL)
                    report.reinforced.append((hit.learning.id, hit.similarity or 0.0))
                    return
        vector, model = await view.vector_of(learning)
        record = CaptureRecord(session_id, c.turn, c.key, learning.id, c.quote,
                               CaptureStatus.PENDING, utcnow())
        usage = UsageStats(confidence_alpha=CAPTURE_PRIOR[0], confidence_beta=CAPTURE_PRIOR[1])
        if await store.store_capture(learning, vector, model, usage, record):
            stored = replace(learning, confidence=usage.confidence())
            report.captured.append(CapturedLearning(TieredLearning(stored, where,
                                                                   stored.confidence), record))

    async def captures(self, ctx: RequestContext, *,
                       status: CaptureStatus | None = CaptureStatus.PENDING
                       ) -> builtins.list[CapturedLearning]:
        view = self.view(ctx)
        out = []
        for tier, store in await view.read_stores():
            for record in await store.captures(status):
                learning = await store.get(record.learning_id)
                if learning is not None:
                    out.append(CapturedLearning(TieredLearning(learning, tier,
                                                               learning.confidence), record))
        return out

    async def review(self, ctx: RequestContext, id: Id, decision: CaptureStatus, *,
                     description: str | None = None, insight: str | None = None
                     ) -> CapturedLearning:
        view = self.view(ctx)
        found = await view.locate(parse_id(id))
        store = await view.store_for(found.tier)
        decision = CaptureStatus.parse(str(decision))
        if decision is CaptureStatus.DROPPED:
            [record, *_] = await store.review_capture(found.learning.id, decision)
            await store.delete(found.learning.id)
            return CapturedLearning(found, record)
        if description is not None or insight is not None:
            content = found.learning.content
            edited = replace(found.learning, content=LearningContent(
                description if description is not None else content.description,
                insight if insight is not None else content.insight, content.pattern))
            vector, model = await view.vector_of(edited)
            found = replace(found, learning=await store.update(edited, vector, model))
        usage = await store.get_usage(found.learning.id) or UsageStats()
        records = await store.captures(None)
        if any(r.learning_id == found.learning.id and r.status is CaptureStatus.PENDING
               for r in records):
            usage.confidence_beta = max(1.0, usage.confidence_beta - (CAPTURE_PRIOR[1] - 1.0))
        [record, *_] = await store.review_capture(found.learning.id, decision, usage)
        learning = await store.get(found.learning.id)
        assert learning is not None
        return CapturedLearning(TieredLearning(learning, found.tier, learning.confidence),
                                record)

    async def _injection_params(self, view: GrooveStorage) -> tuple[SystemParam, SystemParam]:
        """The tuned threshold and budget (their priors until outcomes moved them)."""
        store = await view.read_store(Tier.USER)
        threshold = None if store is None else await store.get_param(INJECTION_THRESHOLD)
        budget = None if store is None else await store.get_param(INJECTION_BUDGET)
        return (threshold or SystemParam.with_prior(INJECTION_THRESHOLD, *THRESHOLD_PRIOR),
                budget or SystemParam.with_prior(INJECTION_BUDGET, *BUDGET_PRIOR))

    async def _tune(self, view: GrooveStorage, similarity: float | None,
                    outcome: Outcome) -> None:
        """Let a credited outcome move the injection threshold and budget."""
        async with self._tuning:  # read-modify-write: one tuning at a time
            threshold, budget = await self._injection_params(view)
            evidence = threshold_evidence(similarity, outcome, threshold.param.value)
            if evidence is not None:
                threshold.param.update(*evidence)
            budget.param.update(budget_evidence(outcome))
            store = await view.store_for(Tier.USER)
            for p in (threshold, budget):
                p.updated_at = utcnow()
                await store.store_param(p)

    async def relate(self, ctx: RequestContext, from_id: Id, relation: RelationType,
                     to_id: Id) -> LearningRelation:
        return await self.view(ctx).relate(parse_id(from_id), relation, parse_id(to_id))

    async def delete(self, ctx: RequestContext, id: Id) -> TieredLearning:
        return await self.view(ctx).delete(parse_id(id))

    # -- files -----------------------------------------------------------------------

    async def export(self, ctx: RequestContext, path: Path | None = None, *,
                     tiers: Sequence[Tier] = (), scope: Scope | None = None) -> GrooveExport:
        return await self.view(ctx).export(path, list(tiers) or None, scope)

    async def import_(self, ctx: RequestContext, path: Path, *, tier: Tier | None = None,
                      progress: Callable[[int, int], None] | None = None) -> ImportStats:
        return await self.view(ctx).import_(path, tier, progress=progress)

    # -- promotion -----------------------------------------------------------------

    async def promote(self, ctx: RequestContext, id: Id) -> TieredLearning:
        return await self.view(ctx).promote(parse_id(id))

    async def propose(self, ctx: RequestContext, id: Id, *, org: str | None = None
                      ) -> Proposal:
        return await self.view(ctx).propose(parse_id(id), org)

    async def proposals(self, ctx: RequestContext, *, org: str | None = None,
                        status: ProposalStatus | None = None) -> builtins.list[Proposal]:
        return await self.view(ctx).proposals(org, status)

    async def accept(self, ctx: RequestContext, id: Id, *, curator: str | None = None,
                     org: str | None = None) -> tuple[Proposal, Learning]:
        return await self.view(ctx).accept(parse_id(id), curator, org)

    async def reject(self, ctx: RequestContext, id: Id, reason: str, *,
                     curator: str | None = None, org: str | None = None) -> Proposal:
        return await self.view(ctx).reject(parse_id(id), reason, curator, org)

    # -- team sync -------------------------------------------------------------------

    async def sync(self, ctx: RequestContext, *, org: str | None = None,
                   progress: Progress | None = None) -> builtins.list[SyncReport]:
        """Sync the replica of `org` with its team server (default: every org that has a
        sync_url), one org after another; the first failure raises `SyncError`. The groove
        server calls this periodically (see `groove.team.background_sync`)."""
        orgs = self._synced_orgs(org)
        if not orgs:
            raise ValidationError("no [enterprises.<org>] in the user config has a "
                                  "sync_url; add sync_url = \"postgresql://USER@HOST/DB\"",
                                  field="sync_url")
        reports = []
        for entry in orgs:
            sync_url(entry)  # an org without a sync_url fails before its replica is made
            store = await self.pool.open(entry.db_path)
            reports.append(await sync_replica(store, entry, self.config.user_id,
                                              progress=progress))
        return reports

    async def team_status(self, ctx: RequestContext, *, org: str | None = None,
                          probe: bool = True) -> builtins.list[TeamStatus]:
        """Per org (default: every org with a sync_url): what waits to be pushed, the last
        sync, and (with `probe`) whether the server answers. Creates no replica."""
        return [await team_status(await self.pool.get(e.db_path, create=False), e,
                                  probe=probe) for e in self._synced_orgs(org)]

    def _synced_orgs(self, org: str | None) -> builtins.list[EnterpriseConfig]:
        if org is None:
            return [e for e in self.config.enterprises.values() if e.sync_url]
        if org not in self.config.enterprises:
            raise NoEnterpriseContext(org, sorted(self.config.enterprises))
        return [self.config.enterprises[org]]

    # -- the system ----------------------------------------------------------------

    async def params(self, ctx: RequestContext, name: str | None = None, *,
                     tier: Tier = Tier.USER) -> builtins.list[SystemParam]:
        """The adaptive parameters of `tier`. groove's built-in ones (the injection threshold
        and budget) are there from the start, at their documented priors, even before an
        outcome has moved (and stored) them."""
        store = await self.view(ctx).read_store(tier)
        stored = {} if store is None else {p.name: p for p in await store.all_params()}
        if tier is Tier.USER:
            for builtin in (SystemParam.with_prior(INJECTION_THRESHOLD, *THRESHOLD_PRIOR),
                            SystemParam.with_prior(INJECTION_BUDGET, *BUDGET_PRIOR)):
                stored.setdefault(builtin.name, builtin)
        if name is None:
            return sorted(stored.values(), key=lambda p: p.name)
        if name not in stored:
            raise NotFound(name, "param")
        return [stored[name]]

    async def stats(self, ctx: RequestContext) -> builtins.list[dict[str, Any]]:
        tiers = self.view(ctx)
        out: builtins.list[dict[str, Any]] = []
        for tier in tiers.get_read_tiers():
            path = tiers.tier_path(tier)
            store = await tiers.read_store(tier)
            if store is None:
                out.append({"tier": tier.value, "path": str(path), "exists": False})
                continue
            out.append({
                "tier": tier.value, "path": str(path), "exists": True,
                "size_bytes": _dir_size(path), "learnings": await store.count(),
                "by_category": {k.value: v for k, v in (await store.count_by_category()).items()},
                "by_scope": await store.count_by_scope(),
                "schema_version": await store.get_schema_version(),
                "embedding_models": await store.embedding_models(),
                "engine": store.engine_name, "durable_writes": store.durable,
                **await store.storage_stats(),
            })
        return out

    async def doctor(self, ctx: RequestContext, *, check_model: bool = True) -> DoctorReport:
        """Config, every tier (opens, schema, integrity) and the embedder, each with a fix."""
        report = DoctorReport()
        checks = report.checks
        where = self.config.path
        checks.append(Check("config", True, f"{where}" if where is not None and where.exists()
                            else f"{where} does not exist: defaults apply (groove config set "
                            "creates it)"))
        tiers = self.view(ctx)
        storage: GrooveStorage | None = tiers
        for tier in tiers.get_read_tiers():
            path = tiers.tier_path(tier)
            try:
                store = await tiers.read_store(tier)
                if store is None:
                    checks.append(Check(f"{tier.value} tier", True, f"{path} not created yet"))
                    continue
                version = await store.get_schema_version()
                problems = await store.check_integrity()
                checks.append(Check(
                    f"{tier.value} tier", not problems and version == CURRENT_SCHEMA_VERSION,
                    f"{path}: schema v{version}, {await store.count()} learnings"
                    + (f"; {len(problems)} problems: " + "; ".join(problems[:5])
                       if problems else ", integrity ok"),
                    "export what is readable (groove export), then re-import it into a "
                    "fresh store" if problems else ""))
                checks.append(_log_check(tier, await store.storage_stats()))
            except DatabaseLocked as e:
                holder = f"process {e.holder_pid}" if e.holder_pid else "the other process"
                checks.append(Check(
                    f"{tier.value} tier", False, str(e),
                    f"stop {holder} (if it is a groove server: groove server stop), or wait "
                    "for it: groove --lock-timeout 30 doctor"))
                if tier is Tier.USER:
                    storage = None
            except GrooveError as e:
                checks.append(Check(f"{tier.value} tier", False, str(e), "see the message"))
                if tier is Tier.USER:
                    storage = None
        if storage is not None:
            with contextlib.suppress(GrooveError):
                dangling = await self._dangling(tiers)
                checks.append(Check(
                    "relations", not dangling,
                    "every cross-tier edge reaches a learning" if not dangling else
                    f"{len(dangling)} edges point at learnings in no tier of this home: "
                    + "; ".join(f"{r.from_id} {r.relation_type} {r.to_id}"
                                for _, r in dangling[:5]),
                    "if those learnings were deleted, drop the edges: groove compact "
                    "--drop-dangling (an edge into a tier not opened here, e.g. another "
                    "project's, is only checked from that project)" if dangling else ""))
        embedder = self.embedder if check_model else None
        plugin = PluginContext(Harness.detect(), storage, embedder)
        if check_model:
            why = plugin.missing().get(Capability.SEMANTIC_SEARCH)
            checks.append(Check("embedder", why is None, why or "the model loads and embeds",
                                "reinstall groove: pip install -e ." if why else ""))
        report.capabilities = sorted(c.value for c in plugin.capabilities())
        report.harness = plugin.harness().name
        return report


    async def _dangling(self, tiers: GrooveStorage
                        ) -> builtins.list[tuple[Tier, LearningRelation]]:
        """Cross-tier edges whose far end is in no tier of this home: not in a tier read
        from here, nor in the project a promoted copy names as its origin."""
        stores = await tiers.read_stores()
        candidates: dict[str, builtins.list[tuple[Tier, LearningRelation]]] = {}
        for tier, store in stores:
            for far, edges in (await store.cross_tier_targets()).items():
                candidates.setdefault(far, []).extend((tier, r) for r in edges)
        missing = set(candidates)
        for _, store in stores:
            if missing:
                missing -= await store.existing_ids(missing)
        by_tier = dict(stores)
        for far in sorted(missing):
            for tier, r in candidates[far]:
                learning = await by_tier[tier].get(r.from_id)
                origin = None if learning is None else learning.source
                if isinstance(origin, PromotedSource) and origin.original_id == r.to_id \
                        and origin.from_scope.kind == "project":
                    project = self.view(RequestContext(Path(origin.from_scope.value)))
                    other = await project.read_store(Tier.PROJECT)
                    if other is not None and await other.existing_ids([far]):
                        missing.discard(far)
        return [e for far in sorted(missing) for e in candidates[far]]

    async def compact(self, ctx: RequestContext, *, tiers: Sequence[Tier] = (),
                      drop_dangling: bool = False, progress: CompactProgress | None = None
                      ) -> builtins.list[CompactReport]:
        """Per existing tier: save and, when tombstones pile up, rebuild the vector side
        file; optionally drop dangling cross-tier edges; rewrite the database."""
        view = self.view(ctx)
        dangling = await self._dangling(view) if drop_dangling else []
        reports = []
        for tier, store in await view.read_stores(list(tiers) or None):
            def step(stage: str, done: int, total: int, tier: Tier = tier) -> None:
                if progress is not None:
                    progress(tier.value, stage, done, total)

            dropped = await store.remove_relations([r for t, r in dangling if t is tier])
            status = await store.vector_status()
            if status.get("dead", 0) > VECTOR_REBUILD_DEAD_SHARE * max(1, status.get("rows", 0)):
                step("vectors", 0, 1)
                await store.rebuild_vectors()
            done = await store.compact(step)
            reports.append(CompactReport(
                tier.value, str(store.path), done["before"]["log_files"],
                done["before"]["log_bytes"], done["after"]["log_files"],
                done["after"]["log_bytes"], done["seconds"], await store.vector_status(),
                dropped))
        return reports


VECTOR_REBUILD_DEAD_SHARE = 0.1
"""`compact` rebuilds the vector side file when this share of its rows are tombstones."""


def _log_check(tier: Tier, stats: dict[str, Any]) -> Check:
    """The tier's write-ahead logs against the bound that triggers a rewrite."""
    from groove.store.compaction import AUTO_COMPACT_LOG_BYTES, AUTO_COMPACT_LOGS

    files, size = stats["log_files"], stats["log_bytes"]
    ok = files < AUTO_COMPACT_LOGS and size < AUTO_COMPACT_LOG_BYTES
    vectors, keywords = stats["vector_index"], stats.get("keyword_side_file_bytes", 0)
    return Check(
        f"{tier.value} logs", ok,
        f"{files} write-ahead log files, {size / 1e6:.1f} MB (replayed on every open; "
        f"bound {AUTO_COMPACT_LOGS} files / {AUTO_COMPACT_LOG_BYTES >> 20} MB); vector side "
        f"file {vectors.get('side_file_bytes', 0) / 1e6:.1f} MB; keyword side file "
        + (f"{keywords / 1e6:.1f} MB" if keywords else
           "none (the next start builds the index from the texts and saves it)"),
        "" if ok else "groove compact")


def _dir_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / f).stat().st_size
    return total


__all__ = ["LocalGroove", "parse_id"]
