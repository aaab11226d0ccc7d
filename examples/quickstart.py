"""A first taste of groove: the loop an agent runs, in one process.

Stores a few learnings, injects the relevant ones for a prompt into a session, reads
that session's transcript (Claude Code's JSONL format) to credit outcomes and capture
a new learning, and shows how confidence moved and why. Real RocksDB stores in a
temporary home (or the folder given), the real all-MiniLM-L6-v2 model.

    python examples/quickstart.py [HOME_DIR]
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from groove import DefaultEmbedder, GrooveConfig, LearningCategory
from groove.service import LocalGroove, RequestContext
from groove.testing import TranscriptBuilder

LEARNINGS = [
    (LearningCategory.PREFERENCE, "Use pytest fixtures, not unittest setUp",
     "Fixtures compose and can be scoped per module or session"),
    (LearningCategory.TOOL_USAGE, "Lint with `ruff check --fix` before committing",
     "It sorts imports and fixes most findings automatically"),
    (LearningCategory.ERROR_RECOVERY, "RocksDB LOCK error means another process holds the DB",
     "Close the other process or wait for it; never delete the LOCK file"),
]
SESSION = "0196f3a2-7d1e-7c00-9a00-5e55a0000001"


async def main(home: Path) -> None:
    ctx = RequestContext()  # outside any project: everything goes to the user tier
    async with LocalGroove(GrooveConfig(home / "user"), embedder=DefaultEmbedder()) as api:
        for category, description, insight in LEARNINGS:
            await api.add(ctx, description, insight=insight, category=category)
        print(f"stored {len(LEARNINGS)} learnings under {home}")

        prompt = "clean up the lint errors before I commit"
        shown = await api.find_for_injection(ctx, prompt, session_id=SESSION, limit=2)
        print(f"\nprompt: {prompt!r}\ninjected into the session:")
        for t in shown:
            w = t.why
            assert w is not None
            print(f"  [{t.learning.category.value}, confidence {t.learning.confidence:.2f}] "
                  f"{t.learning.content.description}  (cosine {w.similarity:+.2f}, "
                  f"relevance {w.relevance:.2f} x sampled trust {w.trust:.2f})")

        transcript = (TranscriptBuilder(SESSION)
                      .prompt(prompt)
                      .tool("Bash", {"command": "ruff check --fix src/"},
                            "Found 3 errors (3 fixed)")
                      .prompt("thanks. From now on run the tests with make test before committing")
                      .write(home / "session.jsonl"))
        report = await api.learn(ctx, transcript)
        print("\nat session end, from the transcript:")
        for o in report.outcomes:
            rule = json.loads(o.evidence)["rule"]
            print(f"  {o.outcome.value:<12} {str(o.learning_id)[:13]}  ({rule})")
        for c in report.captured:
            print(f"  captured     {c.found.learning.content.description!r} "
                  f"(rule: {c.record.rule}; confidence {c.found.learning.confidence:.2f}, "
                  "waiting for groove review)")

        query = "how should I share setup code between python tests?"
        print(f"\nsearch {query!r}:")
        for hit in await api.search(ctx, query, limit=2):
            print(f"  score {hit.score:.3f}  cosine {hit.similarity:+.3f}  "
                  f"{hit.learning.content.description}")
        print("\nthe same from a terminal: groove add/search --explain/learn/review "
              "(groove --help)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(Path(sys.argv[1])))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(main(Path(tmp)))
