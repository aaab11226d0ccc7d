"""Schema versions: fresh stores are current; older stores migrate, backed up, without loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from groove import CURRENT_SCHEMA_VERSION, CozoStore, MigrationError
from groove.store import MIGRATIONS, Migration
from groove.store.engine import Engine
from groove.store.schema import RECORD_VERSION


async def test_fresh_store_is_current(tmp_path: Path) -> None:
    """A new database records the current schema version."""
    async with await CozoStore.open(tmp_path / "db") as s:
        assert await s.get_schema_version() == CURRENT_SCHEMA_VERSION
    async with await CozoStore.open(tmp_path / "db") as s:
        assert await s.get_schema_version() == CURRENT_SCHEMA_VERSION
    assert not (tmp_path / "db" / "backups").exists()


T0 = 1_700_000_000_000_000


def _build_v1(path: Path, n: int) -> list[str]:
    """A store at schema version 1, written the way v1 wrote rows."""
    engine = Engine.open(path)
    m = MIGRATIONS[0]
    engine.mutate(m.script + RECORD_VERSION,
                  {"version": 1, "applied_at": 0, "description": m.description})
    ids = [f"0190{i:04d}-0000-7000-8000-000000000000" for i in range(n)]
    engine.mutate(
        "{?[id, scope, category, description, pattern_json, insight, confidence, created_at,"
        " updated_at, source_type, source_json] <- $rows :put learning {id => scope, category,"
        " description, pattern_json, insight, confidence, created_at, updated_at, source_type,"
        " source_json}}"
        "{?[learning_id, times_injected, times_helpful, times_ignored, times_contradicted,"
        " last_used, confidence_alpha, confidence_beta] <- $usage :put usage_stats {learning_id"
        " => times_injected, times_helpful, times_ignored, times_contradicted, last_used,"
        " confidence_alpha, confidence_beta}}"
        "{?[learning_id, embedding] <- $emb :put learning_embeddings {learning_id => embedding}}",
        {"rows": [[i, "global", "solution", f"v1 learning {k}", None, "ins", 0.5,
                   T0 + k, T0 + k, "user_created", '{"type": "user_created"}']
                  for k, i in enumerate(ids)],
         "usage": [[i, 0, 0, 0, 0, None, 1.0, 1.0] for i in ids],
         "emb": [[i, bytes(4 * 384)[:-4] + b"\x00\x00\x80\x3f"] for i in ids]})
    engine.close()
    return ids


async def test_v1_store_migrates_without_loss(tmp_path: Path) -> None:
    """A v1 store opens under current code, is backed up first, and keeps every row."""
    path = tmp_path / "db"
    ids = _build_v1(path, 50)
    async with await CozoStore.open(path) as s:
        assert await s.get_schema_version() == CURRENT_SCHEMA_VERSION
        assert await s.count() == 50
        assert await s.embedding_models() == {"sentence-transformers/all-MiniLM-L6-v2": 50}
        got = await s.get_many([__import__("uuid").UUID(i) for i in ids])
        assert [x.content.description for x in got] == [f"v1 learning {k}" for k in range(50)]
        assert await s.check_integrity() == []
    backups = list((path / "backups").glob("schema-v1-*.db"))
    assert len(backups) == 1 and backups[0].stat().st_size > 0


async def test_failed_migration_leaves_old_version(tmp_path: Path) -> None:
    """A migration failing halfway leaves the store at its old version, intact, naming the
    backup."""
    path = tmp_path / "db"
    _build_v1(path, 5)
    broken = Migration(2, "broken", "{:create half_done {x: Int}}"
                                    "{?[x] <- [[1]] :put no_such_relation {x}}")
    with pytest.raises(MigrationError, match=r"backup taken before the migration is at .*"
                                             r"schema-v1-") as info:
        await CozoStore.open(path, migrations=[MIGRATIONS[0], broken])
    assert info.value.backup is not None and info.value.backup.exists()
    engine = Engine.open(path)
    try:
        assert "half_done" not in engine.relations()
        assert engine.query("?[max(v)] := *schema_version{version: v}") == [[1]]
        assert engine.query("?[count(id)] := *learning{id}") == [[5]]
    finally:
        engine.close()
    async with await CozoStore.open(path) as s:
        assert await s.count() == 5


async def test_newer_schema_refused(tmp_path: Path) -> None:
    """A database from a newer groove is refused with advice to upgrade."""
    path = tmp_path / "db"
    extra = Migration(CURRENT_SCHEMA_VERSION + 1, "future", "{:create future {x: Int}}")
    (await CozoStore.open(path, migrations=[*MIGRATIONS, extra])).close_sync()
    with pytest.raises(MigrationError, match="upgrade groove"):
        await CozoStore.open(path)


async def test_foreign_database_refused(tmp_path: Path) -> None:
    """A Cozo database that is not a groove store is refused, untouched."""
    engine = Engine.open(tmp_path / "db")
    engine.mutate(":create other {x: Int}")
    engine.close()
    with pytest.raises(MigrationError, match="not a groove store"):
        await CozoStore.open(tmp_path / "db")
