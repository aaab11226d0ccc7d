from pathlib import Path

import numpy as np
import pytest

from groove.store.vector_index import VectorIndex


def _unit(rng: np.random.Generator, n: int, dim: int = 8) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_matches_brute_force_after_churn() -> None:
    """After adds, removes and moves, search equals an exact brute-force ranking."""
    rng = np.random.default_rng(1)
    idx = VectorIndex(8)
    vecs = _unit(rng, 3000)
    truth = {}
    for i, v in enumerate(vecs):
        idx.upsert(str(i), v, f"s{i % 3}", "c")
        truth[str(i)] = (v, f"s{i % 3}")
    for i in range(0, 3000, 7):
        idx.remove(str(i))
        del truth[str(i)]
    idx.set_meta("1", "s9", "c")
    truth["1"] = (truth["1"][0], "s9")
    q = _unit(rng, 1)[0]
    for scopes in (None, ["s1"], ["s9", "s2"]):
        got = idx.search(q, 15, scopes=scopes)
        cands = [(k, float(v @ q)) for k, (v, s) in truth.items() if scopes is None or s in scopes]
        want = sorted(cands, key=lambda kv: -kv[1])[:15]
        assert [k for k, _ in got] == [k for k, _ in want]
    assert len(idx) == len(truth)


def test_threshold_and_empty() -> None:
    """Threshold filters by score; an empty index returns nothing."""
    idx = VectorIndex(2)
    assert idx.search(np.array([1, 0], dtype=np.float32), 3) == []
    idx.upsert("a", np.array([1, 0], dtype=np.float32), "g", "c")
    idx.upsert("b", np.array([0, 1], dtype=np.float32), "g", "c")
    assert [k for k, _ in idx.search(np.array([1, 0], dtype=np.float32), 5, threshold=0.5)] == ["a"]


def test_a_small_tiers_approximate_index_finds_the_exact_top_ten() -> None:
    """Between 5,000 and 20,000 rows the IVF holds float16 codes and is calibrated for
    recall 0.995: on clustered 384-d vectors it returns the exact scan's top 10."""
    import faiss

    from groove.store.ann import Ann

    rng = np.random.default_rng(7)
    centres = _unit(rng, 40, 384)
    vecs = centres[rng.integers(0, 40, 6000)] + 0.35 * _unit(rng, 6000, 384)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = VectorIndex(384)
    idx.put_many([str(i) for i in range(6000)], list(vecs), ["g"] * 6000, ["c"] * 6000)
    idx.ann = Ann.build(list(idx.iter_blocks()), np.ones(6000, dtype=bool), threads=1)
    assert idx.ann.index.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    queries = vecs[:50] + 0.05 * _unit(rng, 50, 384)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = sum(len({k for k, _ in idx.search(q, 10)}
                    & {k for k, _ in idx.search(q, 10, exact=True)}) for q in queries)
    assert found / 500 >= 0.99


def _clustered(rng: np.random.Generator, n: int, dim: int, clusters: int = 40) -> np.ndarray:
    centres = _unit(rng, clusters, dim)
    vecs = centres[rng.integers(0, clusters, n)] + 0.35 * _unit(rng, n, dim)
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def test_an_8bit_build_reads_in_pieces_and_keeps_recall() -> None:
    """A build over 8-bit codes releases what it read a piece at a time (never more than
    `PIECE_ROWS` rows, every row covered), finds >= 0.95 of the exact top 10 at its
    calibrated nprobe, and rows fed to it afterwards are searched too."""
    from groove.store.ann import FINE_BELOW, PIECE_ROWS, Ann
    from groove.store.vector_index import BLOCK_ROWS

    rng = np.random.default_rng(5)
    n, extra = FINE_BELOW + 1000, 2000
    vecs = _clustered(rng, n + extra, 64)
    idx = VectorIndex(64)
    idx.put_many([str(i) for i in range(n)], list(vecs[:n]), ["g"] * n, ["c"] * n)
    released: list[tuple[int, int, int]] = []
    idx.ann = Ann.build(list(idx.iter_blocks()), np.ones(n, dtype=bool), threads=1,
                        release=lambda b, lo, hi: released.append((b, lo, hi)))
    assert all(0 < hi - lo <= PIECE_ROWS for _, lo, hi in released)
    covered = np.zeros(n, dtype=np.int64)
    for b, lo, hi in released:
        covered[b * BLOCK_ROWS + lo:min(n, b * BLOCK_ROWS + hi)] += 1
    assert covered.min() >= 2  # both passes
    idx.put_many([str(i) for i in range(n, n + extra)], list(vecs[n:]), ["g"] * extra,
                 ["c"] * extra)
    assert len(idx.ann) == n + extra
    queries = vecs[::500] + 0.05 * _unit(rng, len(vecs[::500]), 64)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = sum(len({k for k, _ in idx.search(q, 10)}
                    & {k for k, _ in idx.search(q, 10, exact=True)}) for q in queries)
    assert found / (10 * len(queries)) >= 0.95


def test_rows_read_from_the_file_equal_the_mapped_rows(tmp_path: Path) -> None:
    """A file-backed index reads a few rows with pread: the same values as its maps, also
    after pages were dropped and after the file was closed; `feed` adds every row."""
    from groove.store.ann import Ann
    from groove.store.vector_index import RowFile

    rng = np.random.default_rng(9)
    n = 6000
    vecs = _clustered(rng, n, 16)
    idx = VectorIndex(16, RowFile(tmp_path / "v.f32", 16))
    idx.put_many([str(i) for i in range(n)], list(vecs), ["g"] * n, ["c"] * n)
    rows = np.array([5999, 3, 4096, 17], dtype=np.int64)
    assert np.array_equal(idx.vectors_of_rows(rows), vecs[rows])
    idx.drop_pages(0, 100, 5000)
    assert np.array_equal(idx.vector("4096"), vecs[4096])
    ann = Ann.build(list(idx.iter_blocks(4000)), np.ones(4000, dtype=bool), threads=1,
                    release=idx.drop_pages)
    idx.feed(ann, np.arange(4000, n, dtype=np.int64))
    assert len(ann) == n
    assert idx.file is not None
    idx.file.close()
    assert np.array_equal(idx.vectors_of_rows(rows), vecs[rows])


def test_cosines_of_named_ids_read_at_once(tmp_path: Path) -> None:
    """`cosines` gives the query's product with each known id's stored vector (file-backed
    or in memory) and leaves out ids without one."""
    from groove.store.vector_index import RowFile

    rng = np.random.default_rng(4)
    vecs = _clustered(rng, 300, 16)
    query = vecs[7]
    for idx in (VectorIndex(16), VectorIndex(16, RowFile(tmp_path / "v.f32", 16))):
        idx.put_many([str(i) for i in range(300)], list(vecs), ["g"] * 300, ["c"] * 300)
        idx.remove("12")
        got = idx.cosines(query, ["299", "12", "nope", "7"])
        assert list(got) == ["299", "7"]
        assert got["299"] == pytest.approx(float(vecs[299] @ query), abs=1e-6)
        assert got["7"] == pytest.approx(1.0, abs=1e-5)
        assert idx.cosines(query, []) == {}
