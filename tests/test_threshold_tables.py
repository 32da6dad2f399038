"""The native scan's threshold tables against their definition, computed the slow way in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# the compiled module itself, not the checked backend: a wrong table fails here, it is not
# skipped because the backend's self-check gave up on the kernel
_native = pytest.importorskip("pprl.linkage._native", reason="native Dice kernel not built")


def reference_tables(threshold: float, nbits: int):
    """cmin by its definition and the windows by testing every (pa, pb): O(nbits^2)."""
    cmin = np.empty(2 * nbits + 1, dtype=np.int64)
    for s in range(2 * nbits + 1):
        c = np.arange(s // 2 + 1)
        ok = (2.0 * c / s >= threshold) if s else np.array([0.0 >= threshold])
        cmin[s] = int(np.argmax(ok)) if ok.any() else s // 2 + 1
    pa = np.arange(nbits + 1)[:, None]
    pb = np.arange(nbits + 1)[None, :]
    passes = np.minimum(pa, pb) >= cmin[pa + pb]
    any_ = passes.any(axis=1)
    lo = np.where(any_, np.argmax(passes, axis=1), 0)
    hi = np.where(any_, nbits - np.argmax(passes[:, ::-1], axis=1), -1)
    return cmin, lo, hi


def check(threshold: float, nbits: int) -> None:
    got = _native.threshold_tables(threshold, nbits)
    want = reference_tables(threshold, nbits)
    for name, g, w in zip(("cmin", "pb_lo", "pb_hi"), got, want, strict=True):
        assert np.array_equal(g, w), (name, threshold, nbits, np.flatnonzero(g != w)[:5])


@pytest.mark.parametrize("nbits", [0, 1, 2, 3, 8, 63, 64, 65, 500, 1024])
@pytest.mark.parametrize("threshold", [0.0, 1e-12, 0.1, 1 / 3, 0.5, 2 / 3, 0.7, 0.8,
                                       0.8000000000000002, 0.9, 0.95, 0.999, 1 - 1e-15, 1.0])
def test_tables_match_their_definition(threshold, nbits):
    check(threshold, nbits)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(1, 300))
def test_tables_match_their_definition_anywhere(threshold, nbits):
    check(threshold, nbits)
