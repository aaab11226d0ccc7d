"""Does groove learn? A simulation of the inject -> outcome loop.

    python -m bench loop [--sessions 500] [--seed 7] [--out loop.json]

300 learnings in 20 topics, each with a hidden quality the policies cannot see:
helpful (an agent that follows it is helped 85% of the time), neutral (helped 20%),
harmful (contradicted 80% of the time). Each session is a prompt about one topic;
a policy injects up to 3 learnings; outcomes are drawn from the hidden truth and
recorded through groove. Three policies see the same sessions:

- similarity: today's ranking, cosine similarity alone (outcomes change nothing);
- groove: the service's `find_for_injection` per session (relevance x Thompson-sampled
  trust, above the tuned threshold), outcomes credited per session so they also tune
  the injection threshold;
- oracle: among the same relevant candidates, the ones with the best hidden quality.

Reported: the helpful share of injections per 50-session window, and how often a
harmful learning is injected into a session of its topic after its first, second and
third contradiction. Texts are embedded with the real all-MiniLM-L6-v2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from groove import DefaultEmbedder, GrooveConfig, LearningId, Outcome
from groove.domain.injection import OutcomeSource
from groove.service import LocalGroove, RequestContext
from groove.tiers import Tier

TOPICS = [
    "pytest fixtures", "docker compose services", "git rebase onto main", "database migrations",
    "ruff lint errors", "mypy type errors", "npm package installs", "the CI pipeline",
    "environment variables and secrets", "logging configuration", "HTTP retries and timeouts",
    "the release process", "shell scripts in ops/", "JSON schema validation",
    "async tasks and event loops", "caching API responses", "feature flags",
    "SQL query performance", "the docs site build", "code review comments",
]
TIPS = [
    "run the project's make target instead of calling the tool directly",
    "pin the exact version in the lock file",
    "keep the configuration in pyproject.toml",
    "always pass the verbose flag when it fails",
    "check the previous job's logs before retrying",
    "prefer the helper in the shared utils module",
    "never edit the generated files by hand",
    "write a regression test first",
    "use the staging environment to try it",
    "clear the local cache directory and rerun",
    "ask the platform team before changing it",
    "follow the naming convention in CONTRIBUTING.md",
    "use the wrapper script that sets the right profile",
    "split the change into two small commits",
    "read the error from the bottom of the traceback up",
]
PROMPTS = [
    "how should I deal with {t} here?", "{t} are failing again, what do we usually do?",
    "I need to change something about {t}", "any conventions for {t} in this repo?",
    "help me fix a problem with {t}",
]
QUALITY = {"helpful": (0.85, 0.02), "neutral": (0.20, 0.05), "harmful": (0.05, 0.80)}
BUDGET = 3
MIN_SIMILARITY = 0.3
WINDOW = 50


@dataclass
class Truth:
    topic: int
    quality: str


def outcome_for(truth: Truth, topic: int, rng: random.Random) -> Outcome:
    if truth.topic != topic:
        return Outcome.IGNORED
    p_help, p_contra = QUALITY[truth.quality]
    x = rng.random()
    return Outcome.HELPFUL if x < p_help else (
        Outcome.CONTRADICTED if x < p_help + p_contra else Outcome.IGNORED)


async def run_policy(policy: str, sessions: Sequence[tuple[int, str]],
                     truth: dict[str, Truth], texts: dict[str, str], seed: int,
                     embedder: DefaultEmbedder, root: Path) -> dict[str, object]:
    config = GrooveConfig(root / policy / "user")
    rng = random.Random(seed)  # the same outcome draws for every policy
    sampler = random.Random(seed + 1)
    helpful: list[int] = []
    injected: list[int] = []
    contradictions: dict[str, int] = {}
    # after its 1st, 2nd, 3rd contradiction: [sessions it was injected into, relevant
    # sessions] (the issue asks about the 3rd; under groove few harmful ones get there)
    late_harm = {k: [0, 0] for k in (1, 2, 3)}
    ctx = RequestContext()
    async with LocalGroove(config, embedder=embedder, rng=sampler) as api:
        s = api.view(ctx)
        ids: dict[str, LearningId] = {}
        for key, text in texts.items():
            description, insight = text.split(": ", 1)
            added = await api.add(ctx, description, insight=insight, tier=Tier.USER)
            ids[key] = added.learning.id
        key_of = {v: k for k, v in ids.items()}
        for n, (topic, prompt) in enumerate(sessions):
            session = f"session-{n}"
            if policy == "groove":
                hits = await api.find_for_injection(ctx, prompt, limit=BUDGET,
                                                    session_id=session)
                chosen = [key_of[h.learning.id] for h in hits]
            else:
                vector = (await s.embeddings.query([prompt]))[0]  # type: ignore[union-attr]
                found = await s.store_for(Tier.USER)
                hits2 = await found.semantic_search(vector, 30)
                relevant = [(key_of[x.id], sim) for x, sim in hits2 if sim >= MIN_SIMILARITY]
                if policy == "oracle":
                    relevant.sort(key=lambda ks: (truth[ks[0]].topic == topic,
                                                  -list(QUALITY).index(truth[ks[0]].quality),
                                                  ks[1]), reverse=True)
                chosen = [k for k, _ in relevant[:BUDGET]]
            n_help = 0
            for after, counts in late_harm.items():
                for key in [k for k, t in truth.items() if t.quality == "harmful"
                            and t.topic == topic and contradictions.get(k, 0) >= after]:
                    counts[1] += 1
                    counts[0] += key in chosen
            for key in chosen:
                o = outcome_for(truth[key], topic, rng)
                n_help += o is Outcome.HELPFUL
                contradictions[key] = contradictions.get(key, 0) + (o is Outcome.CONTRADICTED)
                if policy == "groove":
                    await api.record_outcome(ctx, ids[key], o, session_id=session,
                                             source=OutcomeSource.TRANSCRIPT)
                else:
                    await api.record_outcome(ctx, ids[key], o)
            helpful.append(n_help)
            injected.append(len(chosen))
    windows = []
    for start in range(0, len(sessions), WINDOW):
        h, n = sum(helpful[start:start + WINDOW]), sum(injected[start:start + WINDOW])
        windows.append(round(h / n, 4) if n else 0.0)
    nth = {1: "1st", 2: "2nd", 3: "3rd"}
    return {"helpful_share_per_window": windows, **{
        f"harmful_after_{nth[after]}_contradiction": {
            "injected": done, "relevant_sessions": relevant,
            "rate": round(done / relevant, 4) if relevant else None}
        for after, (done, relevant) in late_harm.items()}}


async def main(argv: Sequence[str]) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="python -m bench loop")
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    truth: dict[str, Truth] = {}
    texts: dict[str, str] = {}
    for t, topic in enumerate(TOPICS):
        qualities = ["helpful"] * 6 + ["neutral"] * 6 + ["harmful"] * 3
        rng.shuffle(qualities)
        for n, tip in enumerate(TIPS):
            key = f"{t}-{n}"
            truth[key] = Truth(t, qualities[n])
            texts[key] = f"For {topic}: {tip}"
    sessions = []
    for _ in range(args.sessions):
        t = rng.randrange(len(TOPICS))
        sessions.append((t, rng.choice(PROMPTS).format(t=TOPICS[t])))
    embedder = DefaultEmbedder()
    embedder.load()
    result: dict[str, object] = {"learnings": len(texts), "sessions": len(sessions),
                                 "budget": BUDGET, "min_similarity_of_baselines": MIN_SIMILARITY,
                                 "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        for policy in ("similarity", "groove", "oracle"):
            result[policy] = await run_policy(policy, sessions, truth, texts, args.seed,
                                              embedder, Path(tmp))
            print(f"{policy}: {json.dumps(result[policy])}", file=sys.stderr)
    last = {p: result[p]["helpful_share_per_window"][-1]  # type: ignore[index]
            for p in ("similarity", "groove", "oracle")}
    result["last_window"] = last
    result["groove_vs_oracle"] = round(last["groove"] / last["oracle"], 4) if last["oracle"] \
        else None
    result["groove_vs_similarity"] = round(last["groove"] / last["similarity"], 4) \
        if last["similarity"] else None
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


def cli(argv: Sequence[str]) -> None:
    asyncio.run(main(argv))
