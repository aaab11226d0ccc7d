"""The vector side file: reused when current, rebuilt (never trusted) when not."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from groove import CozoStore, Learning, LearningCategory, LearningContent, Scope
from groove.store import sidecar
from groove.store import vector_index as vi
from groove.store import vectors as vc
from groove.store.queries import PUT_EMBEDDINGS

DIM = 16


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = rng.standard_normal((8, DIM))
    v = centres[rng.integers(0, 8, n)] + 0.5 * rng.standard_normal((n, DIM))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _learnings(n: int) -> list[Learning]:
    cats = list(LearningCategory)
    return [Learning.new(Scope.project(f"/repo/{i % 4}"), cats[i % len(cats)],
                         LearningContent(f"learning {i}")) for i in range(n)]


async def _filled(path: Path, n: int = 300, seed: int = 1) -> tuple[list[Learning], np.ndarray]:
    xs, vs = _learnings(n), _unit(np.random.default_rng(seed), n)
    async with await CozoStore.open(path, dim=DIM) as s:
        await s.store_many(xs, list(vs))
    return xs, vs


def _exact(xs: list[Learning], vs: np.ndarray, q: np.ndarray, k: int = 10,
           scope: str | None = None) -> list[str]:
    keep = [i for i, x in enumerate(xs) if scope is None or x.scope.to_db_string() == scope]
    scores = vs[keep] @ q
    return [str(xs[keep[j]].id) for j in np.argsort(-scores)[:k]]


async def _search(s: CozoStore, q: np.ndarray, k: int = 10, scope: Scope | None = None
                  ) -> list[str]:
    return [str(x.id) for x, _ in await s.semantic_search(q, k, scope=scope)]


async def test_reopen_reads_the_side_file(tmp_path: Path) -> None:
    """A closed store leaves a side file; the next open searches from it, not from Cozo."""
    xs, vs = await _filled(tmp_path / "db")
    assert (tmp_path / "db" / "vectors" / "manifest.json").exists()
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(tmp_path / "db", dim=DIM) as s:
        assert await _search(s, q) == _exact(xs, vs, q)
        assert (await s.vector_status())["source"] == "side file"


def _vectors_file(db: Path) -> Path:
    return next((db / "vectors").glob("vectors.*.f32"))


@pytest.mark.parametrize("damage", ["delete", "truncate", "corrupt", "manifest", "codes", "ids"])
async def test_damaged_side_file_is_rebuilt(tmp_path: Path, damage: str) -> None:
    """A missing, truncated or corrupted side file is detected and rebuilt from Cozo."""
    db = tmp_path / "db"
    xs, vs = await _filled(db)
    root = db / "vectors"
    if damage == "delete":
        shutil.rmtree(root)
    elif damage == "truncate":
        f = _vectors_file(db)
        with f.open("r+b") as fh:
            fh.truncate((len(xs) - 3) * DIM * 4)
    elif damage == "corrupt":
        f = _vectors_file(db)
        with f.open("r+b") as fh:
            fh.seek(len(xs) * DIM * 2)
            byte = fh.read(1)[0]
            fh.seek(len(xs) * DIM * 2)
            fh.write(bytes([byte ^ 0x40]))
    elif damage == "manifest":
        (root / "manifest.json").write_text("{not json")
    elif damage == "codes":
        f = next(root.glob("codes.*.npy"))
        raw = bytearray(f.read_bytes())
        raw[-1] ^= 0x01
        f.write_bytes(bytes(raw))
    else:
        next(root.glob("ids.*.txt")).write_text("")
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(db, dim=DIM) as s:
        assert await _search(s, q) == _exact(xs, vs, q)
        status = await s.vector_status()
        assert status["source"] == "rebuilt from the database", status
    async with await CozoStore.open(db, dim=DIM) as s:  # and the rebuilt one was saved
        assert await _search(s, q) == _exact(xs, vs, q)
        assert (await s.vector_status())["source"] == "side file"


async def test_stale_side_file_is_rebuilt(tmp_path: Path) -> None:
    """A vector written behind the side file's back (another epoch) forces a rebuild."""
    db = tmp_path / "db"
    xs, _vs = await _filled(db)
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(db, dim=DIM) as s:
        # a raw write, as a process killed before saving its side file would leave it
        s._engine.mutate(PUT_EMBEDDINGS, {"embeddings": [[str(xs[0].id), "unspecified",
                                                         q.tobytes()]]})
    # the close above saved nothing new: the index was never loaded, the file is stale
    async with await CozoStore.open(db, dim=DIM) as s:
        hits = await s.semantic_search(q, 1)
        assert str(hits[0][0].id) == str(xs[0].id) and hits[0][1] == pytest.approx(1.0)
        status = await s.vector_status()
        assert status["source"] == "rebuilt from the database"
        assert "stale" in status["reason"]


async def test_side_file_of_another_database_is_not_trusted(tmp_path: Path) -> None:
    """A side file copied from another store (same epoch number) fails the token check."""
    await _filled(tmp_path / "a", seed=1)
    xs, vs = await _filled(tmp_path / "b", seed=2)
    shutil.rmtree(tmp_path / "b" / "vectors")
    shutil.copytree(tmp_path / "a" / "vectors", tmp_path / "b" / "vectors")
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(tmp_path / "b", dim=DIM) as s:
        assert await _search(s, q) == _exact(xs, vs, q)
        assert (await s.vector_status())["source"] == "rebuilt from the database"


async def test_every_vector_write_moves_the_epoch(tmp_path: Path) -> None:
    """store, update, store_embedding and delete move the epoch; an outcome does not."""
    from groove import Outcome

    async with await CozoStore.open(tmp_path / "db", dim=DIM) as s:
        epoch = s._vectors.epoch
        x = _learnings(1)[0]
        v = _unit(np.random.default_rng(3), 2)
        seen = [epoch()]
        await s.store(x, v[0])
        seen.append(epoch())
        await s.store_embedding(x.id, v[1])
        seen.append(epoch())
        x2 = await s.update(Learning(x.id, Scope.GLOBAL, x.category, x.content, 0.5,
                                     x.created_at, x.updated_at, x.source))
        seen.append(epoch())
        await s.record_outcome(x2.id, Outcome.HELPFUL)
        assert epoch() == seen[-1]
        await s.delete(x.id)
        seen.append(epoch())
        assert [e for e, _ in seen] == sorted({e for e, _ in seen})
        assert len({t for _, t in seen}) == len(seen)


async def test_writes_after_reopen_are_saved(tmp_path: Path) -> None:
    """Adds, updates and deletes after a reopen land in the side file (appended rows,
    tombstones) and the next open still searches exactly."""
    db = tmp_path / "db"
    xs, vs = await _filled(db)
    rng = np.random.default_rng(4)
    extra, ev = _learnings(20), _unit(rng, 20)
    async with await CozoStore.open(db, dim=DIM) as s:
        await s.store_many(extra, list(ev))
        for x in xs[:30]:
            await s.delete(x.id)
        new = _unit(rng, 1)[0]
        await s.store_embedding(xs[40].id, new)
    xs2 = xs[30:] + extra
    vs2 = np.concatenate([vs[30:], ev])
    vs2[10] = new  # xs[40] is at 10 in xs[30:]
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(db, dim=DIM) as s:
        assert await _search(s, q, 15) == _exact(xs2, vs2, q, 15)
        status = await s.vector_status()
        assert status["source"] == "side file" and status["dead"] == 31  # 30 deleted, 1 replaced


def test_a_save_killed_before_its_manifest_leaves_the_old_one_valid(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch
                                                                     ) -> None:
    """Appended bytes past the committed length are ignored: the old manifest still loads."""
    rng = np.random.default_rng(5)
    index = vi.VectorIndex(DIM)
    v = _unit(rng, 50)
    index.bulk_load([f"id{i}" for i in range(50)], v, ["global"] * 50, ["solution"] * 50)
    state = sidecar.save(tmp_path, index, (7, "t"), None)
    index.bulk_load(["late"], _unit(rng, 1), ["global"], ["solution"])
    index.remove("id3")

    def killed(path: Path, data: bytes) -> None:
        if path.name == sidecar.MANIFEST:
            raise KeyboardInterrupt("killed")
        original(path, data)

    original = sidecar._write_atomic
    monkeypatch.setattr(sidecar, "_write_atomic", killed)
    with pytest.raises(KeyboardInterrupt):
        sidecar.save(tmp_path, index, (8, "u"), state)
    monkeypatch.setattr(sidecar, "_write_atomic", original)
    loaded, _ = sidecar.load(tmp_path, DIM, (7, "t"))
    assert len(loaded) == 50 and "id3" in loaded and "late" not in loaded
    assert np.array_equal(loaded.vector("id7"), v[7])
    with pytest.raises(sidecar.SidecarInvalid, match="stale"):
        sidecar.load(tmp_path, DIM, (8, "u"))


async def test_approximate_index_keeps_recall_and_filters(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Past the size limit an IVF answers; unfiltered and filtered recall@10 stay >= 0.9,
    every filtered hit passes its filter, and the index survives a reopen."""
    monkeypatch.setattr(vc, "ANN_MIN_ROWS", 1000)
    monkeypatch.setattr(vi, "EXACT_SUBSET_ROWS", 100)
    db = tmp_path / "db"
    xs, vs = await _filled(db, n=3000)
    qs = _unit(np.random.default_rng(11), 30)
    for reopen in range(2):
        async with await CozoStore.open(db, dim=DIM) as s:
            if reopen == 0:
                status = await s.build_vector_index()
            else:
                await s.semantic_search(qs[0], 1)
                status = await s.vector_status()
                assert status["source"] == "side file"
            assert status["ann"], status
            hits = found = fhits = 0
            scope = Scope.project("/repo/1")
            for q in qs:
                got = await _search(s, q)
                hits += len(set(got) & set(_exact(xs, vs, q)))
                fgot = await s.semantic_search(q, 10, scope=scope)
                assert all(x.scope == scope for x, _ in fgot)
                fhits += len({str(x.id) for x, _ in fgot}
                             & set(_exact(xs, vs, q, scope=scope.to_db_string())))
                found += len(fgot)
            assert hits / (10 * len(qs)) >= 0.9
            assert fhits / (10 * len(qs)) >= 0.9 and found == 10 * len(qs)


async def test_damaged_approximate_index_is_rebuilt(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A corrupted index file is caught by its checksum; search stays correct."""
    monkeypatch.setattr(vc, "ANN_MIN_ROWS", 1000)
    db = tmp_path / "db"
    xs, vs = await _filled(db, n=1500)
    async with await CozoStore.open(db, dim=DIM) as s:
        await s.build_vector_index()
    f = next((db / "vectors").glob("ann.*.faiss"))
    raw = bytearray(f.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    f.write_bytes(bytes(raw))
    q = _unit(np.random.default_rng(9), 1)[0]
    async with await CozoStore.open(db, dim=DIM) as s:
        assert (await _search(s, q, 1)) == _exact(xs, vs, q, 1)
        status = await s.vector_status()
        assert status["source"] == "rebuilt from the database"
        assert "ann." in status["reason"]


async def test_filter_that_keeps_few_rows_is_exact(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A selective filter scans its rows exactly: every match, best first."""
    monkeypatch.setattr(vc, "ANN_MIN_ROWS", 1000)
    db = tmp_path / "db"
    _xs, _vs = await _filled(db, n=1500)
    rare = Learning.new(Scope.user("rare"), LearningCategory.SOLUTION, LearningContent("rare"))
    rv = _unit(np.random.default_rng(13), 3)
    async with await CozoStore.open(db, dim=DIM) as s:
        await s.build_vector_index()
        await s.store(rare, rv[0])
        got = await s.semantic_search(rv[1], 10, scope=Scope.user("rare"))
        assert [x.id for x, _ in got] == [rare.id]
        assert got[0][1] == pytest.approx(float(rv[0] @ rv[1]), abs=1e-5)
