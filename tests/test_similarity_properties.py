"""Laws of the Dice coefficient, checked with hypothesis on numpy and on every native path.

Each test runs once per kernel: numpy, then the native kernel switched to each
instruction-set path this CPU can run (the previous path is restored after).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from conftest import NATIVE
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pprl.linkage import backend, similarity

if NATIVE:
    from pprl.linkage import _native

    KERNELS = ["numpy"] + [f"native/{isa}" for isa in _native.isas()]
else:
    KERNELS = ["numpy"]


@contextlib.contextmanager
def kernel(name: str):
    """``(backend, path)`` with the native kernel switched to ``path`` for the block."""
    if name == "numpy":
        yield "numpy"
        return
    before = _native.isa()
    backend.set_isa(name.split("/")[1])
    try:
        yield "native"
    finally:
        backend.set_isa(before)


def test_every_path_is_covered():
    if NATIVE:
        assert {k.split("/")[1] for k in KERNELS[1:]} == set(_native.isas())


# widths around the 8-byte word boundaries, up to 1032 bits
widths = st.sampled_from([1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129])


@st.composite
def clk_pair(draw):
    nbytes = draw(widths)
    n = draw(st.integers(0, 6))
    m = draw(st.integers(0, 6))
    elems = st.sampled_from([0, 255, 1, 128]) | st.integers(0, 255)
    a = draw(arrays(np.uint8, (n, nbytes), elements=elems))
    b = draw(arrays(np.uint8, (m, nbytes), elements=elems))
    return a, b


@pytest.mark.parametrize("name", KERNELS)
@settings(max_examples=40, deadline=None)
@given(pair=clk_pair())
def test_symmetric_bounded_and_identical_to_numpy(name, pair):
    a, b = pair
    want = similarity.dice_matrix(a, b, backend="numpy")
    with kernel(name) as be:
        ab = similarity.dice_matrix(a, b, backend=be)
        ba = similarity.dice_matrix(b, a, backend=be)
    np.testing.assert_array_equal(ab, want)  # C == numpy, bit for bit
    np.testing.assert_array_equal(ba, ab.T)
    assert np.all((ab >= 0.0) & (ab <= 1.0))


@pytest.mark.parametrize("name", KERNELS)
@settings(max_examples=40, deadline=None)
@given(pair=clk_pair())
def test_self_similarity_is_one_for_nonempty_rows(name, pair):
    a, _ = pair
    with kernel(name) as be:
        d = np.diag(similarity.dice_matrix(a, a, backend=be))
    nonzero = a.any(axis=1)
    assert np.all(d[nonzero] == 1.0) and np.all(d[~nonzero] == 0.0)


@pytest.mark.parametrize("name", KERNELS)
@settings(max_examples=40, deadline=None)
@given(pair=clk_pair(), threshold=st.sampled_from([0.0, 0.25, 0.5, 0.7, 0.9, 1.0]),
       k=st.one_of(st.none(), st.integers(1, 4)))
def test_candidates_are_the_thresholded_matrix(name, pair, threshold, k):
    a, b = pair
    m = similarity.dice_matrix(a, b, backend="numpy")
    with kernel(name) as be:
        c = similarity.candidate_pairs(a, b, threshold, k=k, backend=be)
    assert c.is_sorted()
    np.testing.assert_array_equal(c.score, m[c.a, c.b])
    assert np.all(c.score >= threshold)
    per_row = np.bincount(c.a, minlength=len(a))
    above = (m >= threshold).sum(axis=1) if len(b) else np.zeros(len(a), int)
    np.testing.assert_array_equal(per_row, above if k is None else np.minimum(above, k))


@pytest.mark.parametrize("name", KERNELS)
@settings(max_examples=30, deadline=None)
@given(x=arrays(np.uint8, st.tuples(st.integers(0, 8), widths)))
def test_popcounts_sum_the_bits(name, x):
    with kernel(name) as be:
        got = similarity.popcounts(x, backend=be)
    np.testing.assert_array_equal(got, np.unpackbits(x, axis=1).sum(axis=1))
