"""The approximate index's build details that its users cannot see."""

import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

from groove.store import ann


def _clustered(rng: np.random.Generator, n: int, dim: int, clusters: int = 40) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    vecs = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, dim))
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)


def test_training_in_pieces_matches_faiss_training() -> None:
    """`ann._train` leaves the IVF in the state `index.train` does: the same centroids and
    the same 8-bit ranges."""
    import faiss

    train = _clustered(np.random.default_rng(3), 9000, 32)
    states = []
    for own in (False, True):
        quantizer = faiss.IndexFlatIP(32)
        index = faiss.IndexIVFScalarQuantizer(quantizer, 32, 50, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        index.cp.niter, index.cp.seed = 5, 0
        if own:
            ann._train(index, quantizer, train)
        else:
            index.train(train)
        assert index.is_trained
        states.append((quantizer.reconstruct_n(0, 50), faiss.vector_to_array(index.sq.trained)))
    assert np.array_equal(states[0][0], states[1][0])
    assert np.array_equal(states[0][1], states[1][1])


_PROBE = """
import ctypes, sys
from groove.store import ann

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "pin":
    ann.pin_mmap_threshold()
    ann.pin_mmap_threshold()
big = bytearray(20 << 20)
del big
before = mallinfo2().hblkhd
buf = bytearray(2 << 20)
print(mallinfo2().hblkhd - before >= 2 << 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_a_pinned_mmap_threshold_stays_put_after_a_large_free() -> None:
    """In a fresh process, a 2 MB allocation after a 20 MB block was freed comes from
    malloc's heap (glibc raised its threshold) unless the threshold was pinned, when it
    gets pages of its own; a threshold the process was started with is left alone."""
    try:
        ctypes.CDLL("libc.so.6").mallinfo2  # noqa: B018
    except (OSError, AttributeError):
        pytest.skip("not glibc >= 2.33")
    own = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
    out = {(mode, env is own): subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True,
        env=env).stdout.strip() for mode in ("pin", "dynamic") for env in (os.environ, own)}
    assert out == {("pin", False): "True", ("dynamic", False): "False",
                   ("pin", True): "False", ("dynamic", True): "False"}
