import numpy as np

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
