"""Hostile text is stored byte-for-byte and never becomes part of a query."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from groove import (
    LearningCategory,
    LearningContent,
    LearningRelation,
    Outcome,
    RelationType,
    Scope,
    SystemParam,
)
from groove.store.engine import Engine
from groove.testing import HashEmbedder
from tests.cli.conftest import Invoke, as_json
from tests.conftest import make_learning, open_embedded

MARK = "ZQXJ"
HOSTILE = [
    f"{MARK} it's \"quoted\" 'twice'",
    f"{MARK} back\\slash \\\\ \\' \\\" end\\",
    f"{MARK} $id $scope $learnings $limit",
    f"{MARK} :rm learning {{id}} ::remove learning :replace :put",
    f"{MARK} {{?[x] <- [[1]] :put learning {{id => scope}}}} }}}} {{{{",
    f"{MARK} line one\nline two\r\nline three\n\n",
    f"{MARK} ;; % # // -- /* */ ` \t \x0b \x0c",
    f"{MARK} 日本語 ünïcödé 🎸 \u200b zero-width \u0000 nul",
]


async def test_no_query_text_contains_user_values(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Across every operation, no script sent to Cozo contains any user-supplied text."""
    scripts: list[str] = []
    real_run = Engine._run

    def spy(self: Engine, script: str, params: Any, *, immutable: bool) -> Any:
        scripts.append(script)
        return real_run(self, script, params, immutable=immutable)

    monkeypatch.setattr(Engine, "_run", spy)
    emb = HashEmbedder()
    async with await open_embedded(tmp_path / "db", emb) as s:
        ids = []
        for i, text in enumerate(HOSTILE):
            printable = "".join(ch for ch in text if ch.isprintable())  # scopes refuse controls
            scope = Scope.project(f"/{MARK}/{printable[:20]}") if i % 2 \
                else Scope.user(MARK + printable)
            x = make_learning(text, text[::-1], scope=scope)
            x.content.pattern = {MARK: text}
            await s.store(x)
            ids.append(x.id)
            got = await s.get(x.id)
            assert got is not None and got == x
            await s.find_by_scope(scope)
            await s.list_learnings(scope=scope, category=LearningCategory.PREFERENCE)
        await s.record_outcome(ids[0], Outcome.HELPFUL)
        await s.store_relation(LearningRelation.new(ids[0], RelationType.RELATED_TO, ids[1]))
        await s.store_param(SystemParam.new(MARK + HOSTILE[4]))
        await s.get_param(MARK + HOSTILE[3])
        await s.semantic_search(emb.embed([HOSTILE[2]])[0], 5, scope=Scope.user(MARK))
        await s.resolve_prefix(MARK)
        doc = await s.export()
        x = await s.get(ids[3])
        assert x is not None
        x.content = LearningContent(HOSTILE[5] + MARK, HOSTILE[6])
        await s.update(x)
        await s.delete(ids[2])
        async with await open_embedded(tmp_path / "other", emb) as other:
            await other.import_(doc)
            assert (await other.export()).learnings == doc.learnings
    assert len(scripts) > 40
    assert not [q for q in scripts if MARK in q]


@pytest.mark.usefixtures("fast_model")
def test_cli_round_trips_hostile_text(invoke: Invoke, project: Path) -> None:
    """Through the CLI too, hostile descriptions and insights come back byte-for-byte."""
    for text in HOSTILE:
        text = text.replace("\u0000", "")  # argv cannot carry NUL
        added = as_json(invoke("add", text, "--insight", text[::-1], "--json"))
        shown = as_json(invoke("show", added["id"], "--json"))
        assert shown["content"]["description"] == text
        assert shown["content"]["insight"] == text[::-1]
