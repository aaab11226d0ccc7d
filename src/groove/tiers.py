"""`GrooveStorage`: the three tiers, which are read where, where writes go, promotion.

- user tier: opened eagerly (a broken user DB fails at open);
- project tier (`<project>/.vibes/groove/`): opened on first use, created only then;
- enterprise tier (the org's `db_path` from the user config): opened on first use,
  and only in a project whose `.vibes/config.toml` names the org.

Reads merge the tiers in precedence order project > user > enterprise.
"""

from __future__ import annotations

import asyncio
import builtins
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from groove.config import EnterpriseConfig, GrooveConfig, ProjectContext, read_project_context
from groove.domain import (
    Direction,
    Embedder,
    EnterpriseCuratedSource,
    GrooveExport,
    ImportStats,
    Learning,
    LearningCategory,
    LearningId,
    LearningRelation,
    Outcome,
    PromotedSource,
    RelationType,
    Scope,
    UsageStats,
    Vector,
    utcnow,
    uuid7,
)
from groove.domain.explanation import Explanation
from groove.domain.injection import InjectedVia, Injection, OutcomeSource
from groove.domain.learning import lineage
from groove.domain.proposal import Proposal, ProposalStatus
from groove.domain.ranking import Candidate, rank
from groove.domain.relations import CROSS_TIER
from groove.domain.tiered import PRECEDENCE, Tier, TieredLearning
from groove.embedder import EmbeddingLanes
from groove.errors import (
    AmbiguousId,
    CapabilityMissing,
    EmbeddingError,
    NoEnterpriseContext,
    NoProjectContext,
    NotFound,
    ValidationError,
)
from groove.locations import ignore_in_git, project_db_path
from groove.store import CozoStore
from groove.store.cozo import Retrieval
from groove.store.pool import StorePool
from groove.store.replica import Counts, PulledLearning
from groove.team.sync import pending_proposal, record_decision
from groove.transfer import read_export, write_export

SEARCH_SPARE = 5
"""Candidates each retriever brings beyond a search's limit, for trust and the merge of
tiers to reorder. Measured (bench/rankset, bench search at 10,000): 2 x limit + 5, limit
+ 10 and limit + 5 gave the same dev-set figures, and each candidate costs its share of
the ranking: with candidates ranked from memory, p50 1.54-1.62 ms with limit + 5, 1.68-
1.78 ms with limit + 10 (model vectors)."""


@dataclass(slots=True)
class Retrieved:
    """One tier's candidates for a ranked read."""

    tier: Tier
    found: Retrieval


@dataclass(slots=True)
class _Entry:
    """A learning as the merge of tiers sees it (`GrooveStorage._merge`)."""

    id: str
    tier: Tier
    score: float
    original: str | None
    """The learning it was promoted from."""
    copy: bool
    """A promoted or curated copy."""
    item: Any = None
    """What the caller merges: a `TieredLearning`, or a candidate's features."""

    @classmethod
    def of(cls, t: TieredLearning) -> _Entry:
        return cls(str(t.learning.id), t.tier, t.score, *lineage(t.learning.source), t)


_TIER_NAME = {t: t.value for t in Tier}
"""Enum `.value` is a descriptor call; a search asks it of every candidate."""


@dataclass(slots=True)
class _Ranked:
    """A ranked candidate before its row is read."""

    id: str
    tier: Tier
    why: Explanation


PROMOTION_DISCOUNT = 0.5
"""How much of a learning's evidence its copy in another tier keeps."""


def carried_trust(usage: UsageStats | None) -> UsageStats:
    """The usage a promoted copy starts with: the original's Beta posterior pulled halfway
    back to the prior. What helped in one project is likely, not certain, to help in the
    user's others: a learning at 0.80 (Beta(5, 1.25)) starts its copy at 0.73, a
    contradicted one stays below the prior, an untested one at 0.5. The copy's counts
    start at zero: they are the copy's own history."""
    if usage is None:
        return UsageStats()
    prior = UsageStats()

    def pull(value: float, base: float) -> float:
        return base + max(0.0, value - base) * PROMOTION_DISCOUNT

    return UsageStats(confidence_alpha=pull(usage.confidence_alpha, prior.confidence_alpha),
                      confidence_beta=pull(usage.confidence_beta, prior.confidence_beta))


class GrooveStorage:
    """The tiers as seen from one context: a user, optionally inside one project.

    A view is cheap and immutable: the open stores live in a `StorePool` shared by
    every view of the process (one handle per database), so a long-lived process serves
    many projects at once by making one view per request.
    """

    def __init__(self, config: GrooveConfig, pool: StorePool, project_root: Path | None,
                 embeddings: EmbeddingLanes | None = None, *, owns_pool: bool = False):
        self.config = config
        self.pool = pool
        self.project_root = None if project_root is None else Path(project_root).resolve()
        self.declared_org: str | None = None
        self.context = ProjectContext.personal()
        if self.project_root is not None:
            declared = read_project_context(self.project_root)
            self.declared_org = declared.org_id
            if declared.org_id is not None and declared.org_id in config.enterprises:
                self.context = declared
        self.embeddings = embeddings
        self._owns_pool = owns_pool

    @property
    def embedder(self) -> Embedder | None:
        return None if self.embeddings is None else self.embeddings.embedder

    @classmethod
    async def open(cls, config: GrooveConfig, project_root: Path | str | None = None, *,
                   embedder: Embedder | None = None) -> GrooveStorage:
        """A storage with a pool of its own (closed with it); the user tier opens now, so a
        broken user database fails here."""
        pool = StorePool(engine=config.engine, lock_timeout=config.lock_timeout)
        lanes = None if embedder is None else EmbeddingLanes(embedder)
        storage = cls(config, pool, None if project_root is None else Path(project_root),
                      lanes, owns_pool=True)
        try:
            await storage.store_for(Tier.USER)
        except BaseException:
            await storage.close()
            raise
        return storage

    def with_project(self, project_root: Path | str | None) -> GrooveStorage:
        """The same stores seen from another project (None: from no project)."""
        return GrooveStorage(self.config, self.pool,
                             None if project_root is None else Path(project_root),
                             self.embeddings)

    def get_read_tiers(self) -> list[Tier]:
        """The tiers reads consult, in precedence order."""
        tiers = [Tier.USER]
        if self.project_root is not None:
            tiers.insert(0, Tier.PROJECT)
        if self.context.is_enterprise:
            tiers.append(Tier.ENTERPRISE)
        return tiers

    def default_write_tier(self) -> Tier:
        return Tier.PROJECT if self.project_root is not None else Tier.USER

    def tier_path(self, tier: Tier) -> Path:
        if tier is Tier.USER:
            return self.config.user_db_path
        if tier is Tier.PROJECT:
            if self.project_root is None:
                raise NoProjectContext()
            return project_db_path(self.project_root)
        return self._org_path(None)

    def _org_path(self, org: str | None) -> Path:
        org = org or self.context.org_id or self.declared_org
        if org is None or org not in self.config.enterprises:
            raise NoEnterpriseContext(org, sorted(self.config.enterprises))
        return self.config.enterprises[org].db_path

    def is_open(self, tier: Tier) -> bool:
        return self.pool.is_open(self.tier_path(tier))

    async def store_for(self, tier: Tier) -> CozoStore:
        """The tier's store, opened (and created) on first use: for writes."""
        path = self.tier_path(tier)
        store = await self.pool.open(path)
        if tier is Tier.PROJECT:
            ignore_in_git(path)
        return store

    async def read_store(self, tier: Tier) -> CozoStore | None:
        """The tier's store if its database exists: reads never create a tier."""
        return await self.pool.get(self.tier_path(tier), create=False)

    async def read_stores(self, tiers: Sequence[Tier] | None = None
                           ) -> builtins.list[tuple[Tier, CozoStore]]:
        out = []
        for tier in tiers or self.get_read_tiers():
            store = await self.read_store(tier)
            if store is not None:
                out.append((tier, store))
        return out

    async def _org_store(self, org: str | None, *, create: bool = True) -> CozoStore | None:
        """The enterprise tier of `org` (default: this project's), from the shared pool."""
        return await self.pool.get(self._org_path(org), create=create)

    async def close(self) -> None:
        """Close the pool if this storage made it; a view of a shared pool closes nothing."""
        if self._owns_pool:
            await self.pool.close_all()
            if self.embeddings is not None:
                self.embeddings.close()

    async def __aenter__(self) -> GrooveStorage:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- embeddings ------------------------------------------------------------------

    async def vector_of(self, learning: Learning) -> tuple[Vector | None, str | None]:
        """The vector of a learning's text and its model (none without an embedder)."""
        if self.embeddings is None:
            return None, None
        vectors = await self.embeddings.query([learning.content.embedding_text()])
        return vectors[0], self.embeddings.model_id

    async def _query_vector(self, query: str | Sequence[float]) -> Any:
        """Embed a text query; an embedder that cannot run means no SemanticSearch."""
        if not isinstance(query, str):
            return query
        if self.embeddings is None:
            raise CapabilityMissing("SemanticSearch", "no embedder is configured")
        try:
            return (await self.embeddings.query([query]))[0]
        except EmbeddingError as e:
            raise CapabilityMissing("SemanticSearch", str(e)) from e

    # -- scopes --------------------------------------------------------------------

    def default_scope(self, tier: Tier) -> Scope:
        if tier is Tier.PROJECT:
            assert self.project_root is not None
            return Scope.project(str(self.project_root))
        if tier is Tier.USER:
            return Scope.user(self.config.user_id)
        return Scope.GLOBAL

    def _injection_scopes(self, tier: Tier) -> list[Scope] | None:
        """In the user tier, skip learnings scoped to other projects."""
        if tier is not Tier.USER:
            return None
        scopes = [Scope.GLOBAL, Scope.user(self.config.user_id)]
        if self.project_root is not None:
            scopes.append(Scope.project(str(self.project_root)))
        return scopes

    # -- writes --------------------------------------------------------------------

    async def add(self, learning: Learning, tier: Tier | None = None,
                  usage: UsageStats | None = None) -> TieredLearning:
        """Store a new learning in `tier` (default: the project tier, else the user tier),
        embedded first; its confidence is `usage`'s mean (default: the prior's)."""
        tier = tier or self.default_write_tier()
        usage = usage or UsageStats()
        vector, model = await self.vector_of(learning)
        store = await self.store_for(tier)
        await store.store(learning, vector, model, usage=usage)
        stored = replace(learning, confidence=usage.confidence())
        return TieredLearning(stored, tier, stored.confidence)

    async def locate(self, id: LearningId | str) -> TieredLearning:
        """Find a learning by id or unique id prefix in the read tiers."""
        matches: list[tuple[LearningId, Tier]] = []
        for tier, store in await self.read_stores():
            if isinstance(id, LearningId):
                found = await store.get(id)
                if found is not None:
                    return TieredLearning(found, tier, found.confidence)
                continue
            matches += [(i, tier) for i in await store.resolve_prefix(id)]
        if isinstance(id, LearningId) or not matches:
            raise NotFound(id)
        distinct = {i for i, _ in matches}
        if len(distinct) > 1:
            raise AmbiguousId(str(id), sorted(str(i) for i in distinct))
        lid, tier = matches[0]
        learning = await (await self.store_for(tier)).get(lid)
        if learning is None:
            raise NotFound(id)
        return TieredLearning(learning, tier, learning.confidence)

    async def record_outcome(self, id: LearningId | str, outcome: Outcome
                             ) -> tuple[TieredLearning, UsageStats]:
        found = await self.locate(id)
        stats = await (await self.store_for(found.tier)).record_outcome(
            found.learning.id, outcome, log_event=self._logs_events(found.tier))
        return found, stats

    def _team(self, org: str | None = None) -> EnterpriseConfig | None:
        """The org's config if it syncs with a team server (`sync_url`), else None."""
        org = org or self.context.org_id or self.declared_org
        entry = None if org is None else self.config.enterprises.get(org)
        return entry if entry is not None and entry.sync_url else None

    def _logs_events(self, tier: Tier) -> bool:
        """Outcomes on a synced org's learnings are also queued as events to push."""
        return tier is Tier.ENTERPRISE and self._team() is not None

    async def delete(self, id: LearningId | str) -> TieredLearning:
        found = await self.locate(id)
        await (await self.store_for(found.tier)).delete(found.learning.id)
        return found

    async def relate(self, from_id: LearningId | str, relation_type: RelationType,
                     to_id: LearningId | str) -> LearningRelation:
        """Link two learnings; the edge is stored in the `from` learning's tier. Only
        derived_from, supersedes and contradicts may cross tiers."""
        relation_type = RelationType.parse(str(relation_type))
        a, b = await self.locate(from_id), await self.locate(to_id)
        if a.tier != b.tier and relation_type not in CROSS_TIER:
            raise ValidationError(
                f"{a.learning.id} is in the {a.tier} tier and {b.learning.id} in the {b.tier} "
                f"tier; {relation_type} links learnings of one tier (promote one first)",
                field="to_id")
        relation = LearningRelation.new(a.learning.id, relation_type, b.learning.id)
        await (await self.store_for(a.tier)).store_relation(relation)
        return relation

    # -- promotion -----------------------------------------------------------------

    def _copy(self, original: Learning, scope: Scope, source: Any) -> Learning:
        now = utcnow()
        return replace(original, id=uuid7(), scope=scope, source=source, created_at=now,
                       updated_at=now, confidence=UsageStats().confidence())

    async def _store_copy(self, tier: Tier, copy: Learning, original: TieredLearning
                          ) -> TieredLearning:
        """Store a copy and its provenance edge in one transaction, with the original's
        vector (same text: no need to embed again) and its trust carried over discounted
        (`carried_trust`)."""
        source = await self.store_for(original.tier)
        stored = await source.get_embedding(original.learning.id)
        usage = carried_trust(await source.get_usage(original.learning.id))
        copy = replace(copy, confidence=usage.confidence())
        edge = LearningRelation.new(copy.id, RelationType.DERIVED_FROM, original.learning.id)
        store = await self.store_for(tier)
        if stored is not None:
            await store.store(copy, stored[0], model_id=stored[1], relations=[edge], usage=usage)
        else:
            vector, model = await self.vector_of(copy)
            await store.store(copy, vector, model, relations=[edge], usage=usage)
        return TieredLearning(copy, tier, copy.confidence)

    async def _existing_copy(self, tier: Tier, original: LearningId) -> TieredLearning | None:
        """A copy of `original` already in `tier` (promoting twice returns it)."""
        store = await self.read_store(tier)
        if store is None:
            return None
        for edge in await store.get_relations(original, Direction.INCOMING):
            if edge.relation_type is RelationType.DERIVED_FROM and edge.to_id == original:
                copy = await store.get(edge.from_id)
                if copy is not None:
                    return TieredLearning(copy, tier, copy.confidence)
        return None

    async def promote(self, id: LearningId | str) -> TieredLearning:
        """Copy a project learning to the user tier, at once; promoting it again returns
        the copy made before."""
        found = await self.locate(id)
        if found.tier is not Tier.PROJECT:
            raise ValidationError(f"learning {found.learning.id} is in the {found.tier} tier; "
                                  "only project learnings are promoted to the user tier",
                                  field="id")
        existing = await self._existing_copy(Tier.USER, found.learning.id)
        if existing is not None:
            return existing
        copy = self._copy(found.learning, self.default_scope(Tier.USER),
                          PromotedSource(found.learning.scope, found.learning.id))
        return await self._store_copy(Tier.USER, copy, found)

    async def copy_to_personal(self, id: LearningId | str) -> TieredLearning:
        """Copy an enterprise learning into the user tier."""
        found = await self.locate(id)
        if found.tier is not Tier.ENTERPRISE:
            raise ValidationError(f"learning {found.learning.id} is in the {found.tier} tier, "
                                  "not the enterprise tier", field="id")
        copy = self._copy(found.learning, self.default_scope(Tier.USER),
                          PromotedSource(found.learning.scope, found.learning.id))
        return await self._store_copy(Tier.USER, copy, found)

    async def propose(self, id: LearningId | str, org: str | None = None) -> Proposal:
        """Propose a user or project learning to an org; a curator settles it."""
        found = await self.locate(id)
        if found.tier is Tier.ENTERPRISE:
            raise ValidationError("this learning is already in the enterprise tier", field="id")
        store = await self._org_store(org)
        assert store is not None
        for pending in await store.list_proposals(ProposalStatus.PENDING):
            if pending.learning.id == found.learning.id:
                return pending  # proposing twice: the proposal that waits already
        proposal = Proposal(found.learning, org or str(self.context.org_id),
                            self.config.user_id, found.tier.value)
        await store.store_proposal(proposal, log_event=self._team(org) is not None)
        return proposal

    async def proposals(self, org: str | None = None,
                        status: ProposalStatus | None = None) -> list[Proposal]:
        store = await self._org_store(org, create=False)
        return [] if store is None else await store.list_proposals(status)

    async def _pending_proposal(self, store: CozoStore, id: LearningId | str) -> Proposal:
        """The proposal with this id (or unique prefix), which must still be pending."""
        if isinstance(id, LearningId):
            found = await store.get_proposal(id)
            matches = [] if found is None else [found]
        else:
            matches = [p for p in await store.list_proposals()
                       if str(p.id).startswith(id.lower())]
        if not matches:
            raise NotFound(id, "proposal")
        if len(matches) > 1:
            raise AmbiguousId(str(id), [str(p.id) for p in matches])
        proposal = matches[0]
        if proposal.status is not ProposalStatus.PENDING:
            raise ValidationError(f"proposal {proposal.id} is already {proposal.status}",
                                  field="proposal")
        return proposal

    async def accept(self, id: LearningId | str, curator: str | None = None,
                     org: str | None = None) -> tuple[Proposal, Learning]:
        """Accept a pending proposal: the org gets a curated copy with provenance. An org
        with a team server decides there (see `groove.team.sync.record_decision`)."""
        curator = curator or self.config.user_id
        team = self._team(org)
        if team is not None:
            return await self._accept_on_server(team, id, curator)
        store = await self._org_store(org, create=False)
        if store is None:
            raise NotFound(id, "proposal")
        proposal = await self._pending_proposal(store, id)
        original = proposal.learning
        copy = self._copy(original, Scope.GLOBAL, EnterpriseCuratedSource(curator))
        decided = replace(proposal, status=ProposalStatus.ACCEPTED, curator=curator,
                          decided_at=utcnow(), accepted_id=copy.id)
        vector, model = await self.vector_of(copy)
        await store.accept_proposal(
            decided, copy, LearningRelation.new(copy.id, RelationType.DERIVED_FROM, original.id),
            vector, model)
        return decided, copy

    async def reject(self, id: LearningId | str, reason: str, curator: str | None = None,
                     org: str | None = None) -> Proposal:
        """Reject a pending proposal; the reason and the curator are kept with it."""
        if not reason.strip():
            raise ValidationError("give a reason for the rejection", field="reason")
        team = self._team(org)
        if team is not None:
            proposal = await pending_proposal(team, id)
            return await record_decision(
                await self._team_store(team), team,
                replace(proposal, status=ProposalStatus.REJECTED,
                        curator=curator or self.config.user_id, decided_at=utcnow(),
                        reason=reason))
        store = await self._org_store(org, create=False)
        if store is None:
            raise NotFound(id, "proposal")
        proposal = await self._pending_proposal(store, id)
        decided = replace(proposal, status=ProposalStatus.REJECTED,
                          curator=curator or self.config.user_id, decided_at=utcnow(),
                          reason=reason)
        await store.reject_proposal(decided)
        return decided

    async def _team_store(self, team: EnterpriseConfig) -> CozoStore:
        store = await self._org_store(team.org_id)
        assert store is not None
        return store

    async def _accept_on_server(self, team: EnterpriseConfig, id: LearningId | str,
                                curator: str) -> tuple[Proposal, Learning]:
        proposal = await pending_proposal(team, id)
        original = proposal.learning
        copy = self._copy(original, Scope.GLOBAL, EnterpriseCuratedSource(curator))
        vector, model = await self.vector_of(copy)
        decided = await record_decision(
            await self._team_store(team), team,
            replace(proposal, status=ProposalStatus.ACCEPTED, curator=curator,
                    decided_at=utcnow(), accepted_id=copy.id),
            PulledLearning(copy, Counts(), vector, model),
            LearningRelation.new(copy.id, RelationType.DERIVED_FROM, original.id))
        return decided, copy

    # -- reads across tiers ----------------------------------------------------------

    async def search(self, query: str | Sequence[float], limit: int = 10,
                     tiers: Sequence[Tier] | None = None,
                     category: LearningCategory | None = None) -> list[TieredLearning]:
        """Search the read tiers, ranked by relevance and trust (see `domain.ranking`),
        merged and de-duplicated, best first; each hit says why in `why`."""
        vector = await self._query_vector(query)
        retrieved = await self._retrieve(query if isinstance(query, str) else None, vector,
                                         limit + SEARCH_SPARE, tiers, category=category)
        return await self._read_ranked((await self._rank(retrieved))[:limit])

    async def find_for_injection(self, limit: int = 5, query: str | None = None, *,
                                 rng: random.Random | None = None,
                                 min_similarity: float | None = None,
                                 exclude: Collection[LearningId] = (),
                                 min_confidence: float = 0.0) -> list[TieredLearning]:
        """What to inject into a session. With a `query`: the relevant ones (cosine at
        least `min_similarity`), ranked with trust drawn from each posterior by `rng`
        (Thompson sampling: new learnings get their chances, contradicted ones fade);
        without: the most trusted, at least `min_confidence`."""
        fetch = limit * 3 + 10 + len(exclude)
        if query is None:
            found: list[TieredLearning] = []
            for tier, store in await self.read_stores():
                hits = await store.find_for_injection(self._injection_scopes(tier), None, fetch)
                found += [TieredLearning(x, tier, s) for x, s in hits
                          if x.confidence >= min_confidence]
            ranked = await self._resolve(found)
        else:
            vector = await self._query_vector(query)
            retrieved = await self._retrieve(query, vector, fetch, None, injection=True)
            skip = {str(i) for i in exclude}
            low = -2.0 if min_similarity is None else min_similarity
            return await self._read_ranked([
                r for r in await self._rank(retrieved, rng=rng or random.Random())
                if not r.why.faded and (r.why.similarity or -1.0) >= low
                and r.id not in skip][:limit])
        return [t for t in ranked if t.learning.id not in exclude][:limit]

    # -- sessions ----------------------------------------------------------------------

    async def record_injections(self, session_id: str, hits: Sequence[TieredLearning],
                                via: InjectedVia, prompt_index: int = 0) -> None:
        """Remember what a session was shown, in each learning's own tier (so crediting an
        outcome later is one transaction with its usage stats)."""
        now = utcnow()
        for tier in {h.tier for h in hits}:
            await (await self.store_for(tier)).record_injections([
                Injection(session_id, h.learning.id, via, prompt_index, tier.value, h.score,
                          h.similarity, now) for h in hits if h.tier is tier])

    async def session_injections(self, session_id: str) -> builtins.list[Injection]:
        """Everything a session was shown, across the read tiers, oldest first."""
        out: builtins.list[Injection] = []
        for _tier, store in await self.read_stores():
            out += await store.session_injections(session_id)
        return sorted(out, key=lambda i: i.injected_at)

    async def credit_outcome(self, session_id: str, id: LearningId | str, outcome: Outcome,
                             source: OutcomeSource, evidence: str | None = None
                             ) -> tuple[TieredLearning, UsageStats, Injection, bool]:
        """Credit an outcome once per learning per session (see `CozoStore.credit_outcome`)."""
        found = await self.locate(id)
        stats, injection, applied = await (await self.store_for(found.tier)).credit_outcome(
            session_id, found.learning.id, outcome, source, evidence,
            log_event=self._logs_events(found.tier))
        return found, stats, injection, applied

    async def _retrieve(self, text: str | None, vector: Any, fetch: int,
                        tiers: Sequence[Tier] | None, *,
                        category: LearningCategory | None = None, injection: bool = False
                        ) -> builtins.list[Retrieved]:
        """Candidates from every read tier, by vector and (given the query's `text`) by
        keywords, filters applied before each cut, one store call per tier. An injection
        does not wait for a keyword index a server is still building (a hook has a
        deadline): it ranks that tier's candidates by vector alone, and says so."""
        out = []
        for tier, store in await self.read_stores(tiers):
            scopes = self._injection_scopes(tier) if injection else None
            out.append(Retrieved(tier, await store.retrieve(
                vector, text, fetch, scope=scopes, category=category, wait=not injection)))
        return out

    async def _rank(self, retrieved: builtins.list[Retrieved],
                    rng: random.Random | None = None) -> builtins.list[_Ranked]:
        """Merge the tiers' candidates, then order them by relevance and trust (keyword
        scores count relative to the best one of this query); superseded ones leave."""
        best = max((k for r in retrieved for _, _, k, _ in r.found.hits if k), default=1.0)
        found = [_Entry(i, r.tier, s, f.original, f.copy, (k, f))
                 for r in retrieved for i, s, k, f in r.found.hits]
        edges = [e for r in retrieved for e in r.found.relations]
        merged, relations = await self._merge(found, edges)
        tier_of = {e.id: e.tier for e in merged}
        candidates = []
        for e in merged:
            k, f = e.item
            candidates.append(Candidate(e.id, _TIER_NAME[e.tier], max(f.updated, f.used),
                                        f.alpha, f.beta, similarity=e.score,
                                        keyword=k / best if k else None))
        unsearched = {r.tier for r in retrieved if not r.found.keywords}
        out = []
        for r in rank(candidates, relations, utcnow(), rng=rng):
            if not r.dropped:
                tier = tier_of[r.candidate.id]
                if tier in unsearched:
                    r.why.notes.append(f"keywords not searched: the {tier.value} tier's "
                                       "keyword index was still being built")
                out.append(_Ranked(r.candidate.id, tier, r.why))
        return out

    async def _read_ranked(self, ranked: builtins.list[_Ranked]
                           ) -> builtins.list[TieredLearning]:
        """The learnings of ranked candidates, read from their tiers (one call per tier),
        in rank order; one deleted since it was ranked is left out."""
        found: dict[str, Learning] = {}
        for tier in dict.fromkeys(r.tier for r in ranked):
            store = await self.read_store(tier)
            if store is not None:
                found.update((str(x.id), x) for x in await store.get_many(
                    [LearningId(r.id) for r in ranked if r.tier is tier]))
        return [TieredLearning(found[r.id], r.tier, r.why.score, r.why)
                for r in ranked if r.id in found]

    async def list(self, tiers: Sequence[Tier] | None = None, scope: Scope | None = None,
                   category: LearningCategory | None = None, sort: str = "confidence",
                   limit: int | None = None) -> builtins.list[TieredLearning]:
        """Learnings of the read tiers (or `tiers`), filtered, sorted by confidence or recency."""
        fetch = None if limit is None else limit * 2 + 5  # room for what merging drops
        found: builtins.list[TieredLearning] = []
        for tier, store in await self.read_stores(tiers):
            rows = await store.list_learnings(scope, category, sort, fetch)
            found += [TieredLearning(x, tier, x.confidence) for x in rows]
        if sort == "recent":
            found.sort(key=lambda t: t.learning.updated_at, reverse=True)
        else:
            found.sort(key=lambda t: (t.learning.confidence, t.learning.updated_at), reverse=True)
        resolved = await self._resolve(found, keep_order=True)
        return resolved if limit is None else resolved[:limit]

    async def _resolve(self, found: builtins.list[TieredLearning], keep_order: bool = False
                       ) -> builtins.list[TieredLearning]:
        merged, _ = await self._merge([_Entry.of(t) for t in found])
        out = [e.item if e.item.score == e.score else replace(e.item, score=e.score)
               for e in merged]
        if not keep_order:
            out.sort(key=lambda t: t.score, reverse=True)
        return out

    async def _merge(self, found: builtins.list[_Entry],
                     relations: builtins.list[LearningRelation] | None = None
                     ) -> tuple[builtins.list[_Entry], builtins.list[LearningRelation]]:
        """Merge rules: copies of one learning appear once (the higher-precedence tier's,
        with the best score among them); a superseded learning is dropped when its
        successor is present; in a project, the project-tier side of a contradiction
        wins."""
        if not found:
            return [], []
        precedence = {t: i for i, t in enumerate(PRECEDENCE)}
        by_id = {f.id: f for f in found}
        if relations is None:
            relations = []
            for tier in {f.tier for f in found}:
                ids = [LearningId(f.id) for f in found if f.tier is tier]
                relations += await (await self.store_for(tier)).relations_among(ids)
        if not relations and len(by_id) == len(found) \
                and not any(f.copy or f.original for f in found):
            return found, relations  # nothing to merge: the common case, ~25 us saved
        edges = [(str(r.from_id), r.relation_type, str(r.to_id)) for r in relations]
        # copies: union the promoted/curated copy with its original
        parent: dict[str, str] = {}

        def root(x: str) -> str:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for f in found:
            if f.original is not None and f.original in by_id:
                parent[root(f.id)] = root(f.original)
        for a, kind, b in edges:
            if kind is RelationType.DERIVED_FROM and a in by_id and b in by_id \
                    and by_id[a].copy:
                parent[root(a)] = root(b)
        groups: dict[str, builtins.list[_Entry]] = {}
        for f in found:
            groups.setdefault(root(f.id), []).append(f)
        chosen = []
        for members in groups.values():  # first-appearance order
            if len(members) == 1:
                chosen.append(members[0])
                continue
            top = min(members, key=lambda m: (precedence[m.tier], -m.score))
            chosen.append(replace(top, score=max(m.score for m in members)))
        kept = {c.id for c in chosen}
        dropped: set[str] = set()
        for a, kind, b in edges:
            if a not in kept or b not in kept:
                continue
            if kind is RelationType.SUPERSEDES:
                dropped.add(b)
            elif kind is RelationType.CONTRADICTS:
                x, y = by_id[a], by_id[b]
                if (x.tier is Tier.PROJECT) != (y.tier is Tier.PROJECT):
                    dropped.add(y.id if x.tier is Tier.PROJECT else x.id)
        return [c for c in chosen if c.id not in dropped], relations

    # -- export / import files ---------------------------------------------------------

    async def export(self, path: Path | None, tiers: Sequence[Tier] | None = None,
                     scope: Scope | None = None) -> GrooveExport:
        """Export the tiers (default: the read tiers) to `path` atomically (None: no file).

        The document imports back into an empty home and into this one: a learning held
        by two tiers appears once (the higher tier's), and it is checked before writing.
        """
        doc = GrooveExport()
        for _tier, store in await self.read_stores(tiers):
            doc.merge(await store.export(scope))
        doc.prune_relations()
        doc.check_self_contained()
        if path is not None:
            await asyncio.to_thread(write_export, doc, path)
        return doc

    async def import_(self, path: Path, tier: Tier | None = None, *,
                      progress: Callable[[int, int], None] | None = None) -> ImportStats:
        """Validate the whole file, then add what the tier lacks, re-embedding as it goes
        (in the bulk lane: searches meanwhile do not wait for it)."""
        doc = await asyncio.to_thread(read_export, path)
        target = tier or self.default_write_tier()
        store = await self.store_for(target)
        # a cross-tier edge may point at a learning in another tier of this home
        far = {str(r.to_id) for r in doc.relations if r.relation_type in CROSS_TIER}
        elsewhere: set[str] = set()
        for t, other in await self.read_stores():
            if t is not target and far - elsewhere:
                elsewhere |= await other.existing_ids(far - elsewhere)
        lanes = self.embeddings
        return await store.import_(doc, embed=None if lanes is None else lanes.bulk,
                                   model_id=None if lanes is None else lanes.model_id,
                                   progress=progress, known_elsewhere=elsewhere)

    async def usage(self, found: TieredLearning) -> UsageStats:
        stats = await (await self.store_for(found.tier)).get_usage(found.learning.id)
        return stats or UsageStats()

    async def relations(self, found: TieredLearning) -> builtins.list[LearningRelation]:
        store = await self.store_for(found.tier)
        return await store.get_relations(found.learning.id, Direction.BOTH)
