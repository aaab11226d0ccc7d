"""The real default model (all-MiniLM-L6-v2, loaded offline from its PyPI package)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from groove import DEFAULT_MODEL_ID, DefaultEmbedder, Embedder
from tests.conftest import make_learning, open_embedded

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real() -> DefaultEmbedder:
    e = DefaultEmbedder()
    e.load()
    return e


def test_unit_vectors_of_384(real: DefaultEmbedder) -> None:
    """The default embedder gives 384-dim unit vectors and satisfies the protocol."""
    assert isinstance(real, Embedder)
    out = real.embed(["use pytest fixtures", "a second text"])
    assert out.shape == (2, 384) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert real.model_id == DEFAULT_MODEL_ID


async def test_real_model_search_end_to_end(tmp_path: Path, real: DefaultEmbedder) -> None:
    """With the real model: a text finds itself at ~1.0 and related texts outrank unrelated."""
    texts = {
        "pytest": ("Use pytest fixtures instead of unittest setUp methods",
                   "Fixtures compose and scope better than setUp"),
        "pytest2": ("Parametrize pytest tests to cover many inputs",
                    "pytest.mark.parametrize keeps test cases declarative"),
        "cooking": ("Sear the steak in a very hot cast iron pan",
                    "Let the meat rest before slicing"),
        "garden": ("Water tomato plants early in the morning",
                   "Mulch keeps the soil moist in summer"),
    }
    async with await open_embedded(tmp_path / "db", real) as store:
        ids = {}
        for key, (d, i) in texts.items():
            learning = make_learning(d, i)
            ids[key] = await store.store(learning)
        assert await store.embedding_model() == DEFAULT_MODEL_ID
        d, i = texts["cooking"]
        self_hit = await store.semantic_search(real.embed([f"{d}\n{i}"])[0], 1)
        assert self_hit[0][0].id == ids["cooking"]
        assert self_hit[0][1] == pytest.approx(1.0, abs=1e-4)
        query = real.embed(["how should I write my python tests?"])[0]
        hits = await store.semantic_search(query, 4)
        order = [h[0].id for h in hits]
        assert set(order[:2]) == {ids["pytest"], ids["pytest2"]}
        assert hits[1][1] > hits[2][1] + 0.1


TEXTS = ["how do we write pytest fixtures", "Money amounts use Decimal, never float",
         "ünïcödé 日本語 and emoji 🎉 text", "x", "word " * 600,
         "  leading and trailing spaces  ", "`ruff check --fix` before committing",
         "line one\nline two\ttabbed"]


def test_onnx_gives_the_torch_vectors(real: DefaultEmbedder) -> None:
    """The ONNX path (the default) and the torch reference agree within 1e-4 cosine on
    short, long (truncated), unicode and code-like texts, one at a time and in bulk."""
    from groove.embedder import OnnxEmbedder, TorchEmbedder

    assert real.backend == "onnx"
    onnx, torch = OnnxEmbedder(), TorchEmbedder()
    for batch in ([t] for t in TEXTS):
        assert float(np.min(np.sum(onnx.embed(batch) * torch.embed(batch), axis=1))) > 1 - 1e-4
    bulk = TEXTS * 5
    cos = np.sum(onnx.embed(bulk) * torch.embed(bulk), axis=1)
    assert float(cos.min()) > 1 - 1e-4


def test_export_is_made_once_and_whole(tmp_path: Path) -> None:
    """The ONNX export appears whole at its path (no temporary file left) and a second
    call reuses it."""
    from groove.embedder import export_onnx

    target = tmp_path / "m.onnx"
    assert export_onnx(target) == target and target.stat().st_size > 10_000_000
    mtime = target.stat().st_mtime_ns
    export_onnx(target)
    assert target.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.lock", "m.onnx"]


def test_embedding_leaves_no_onnxruntime_telemetry_behind(tmp_path: Path) -> None:
    """A process that embeds with onnxruntime writes no telemetry store or device id
    under its home (the wheel's default) and says nothing on stderr."""
    import os
    import subprocess
    import sys

    from groove.embedder import onnx_path

    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / ".cache"),
               GROOVE_CACHE_DIR=str(onnx_path().parent.parent))  # the shared export
    done = subprocess.run(
        [sys.executable, "-c", "from groove.embedder import DefaultEmbedder as E\n"
         "e = E(); assert e.backend == 'onnx'; print(e.embed(['hello']).shape)"],
        env=env, capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.strip() == "(1, 384)" and done.stderr == ""
    assert [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")] == []
