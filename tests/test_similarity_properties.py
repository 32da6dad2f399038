"""Laws of the Dice coefficient, checked with hypothesis on both backends."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NATIVE
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pprl.linkage import similarity

BACKENDS = ["numpy"] + (["native"] if NATIVE else [])

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


@settings(max_examples=60, deadline=None)
@given(clk_pair())
def test_symmetric_bounded_and_backends_identical(pair):
    a, b = pair
    results = [similarity.dice_matrix(a, b, backend=be) for be in BACKENDS]
    ab = results[0]
    for other in results[1:]:
        np.testing.assert_array_equal(other, ab)  # C == numpy, bit for bit
    np.testing.assert_array_equal(similarity.dice_matrix(b, a, backend=BACKENDS[-1]), ab.T)
    assert np.all((ab >= 0.0) & (ab <= 1.0))


@settings(max_examples=60, deadline=None)
@given(clk_pair())
def test_self_similarity_is_one_for_nonempty_rows(pair):
    a, _ = pair
    for be in BACKENDS:
        d = np.diag(similarity.dice_matrix(a, a, backend=be))
        nonzero = a.any(axis=1)
        assert np.all(d[nonzero] == 1.0) and np.all(d[~nonzero] == 0.0)


@settings(max_examples=60, deadline=None)
@given(clk_pair(), st.sampled_from([0.0, 0.25, 0.5, 0.7, 0.9, 1.0]),
       st.one_of(st.none(), st.integers(1, 4)))
def test_candidates_are_the_thresholded_matrix(pair, threshold, k):
    a, b = pair
    m = similarity.dice_matrix(a, b, backend="numpy")
    for be in BACKENDS:
        c = similarity.candidate_pairs(a, b, threshold, k=k, backend=be)
        assert c.is_sorted()
        np.testing.assert_array_equal(c.score, m[c.a, c.b])
        assert np.all(c.score >= threshold)
        per_row = np.bincount(c.a, minlength=len(a))
        above = (m >= threshold).sum(axis=1) if len(b) else np.zeros(len(a), int)
        np.testing.assert_array_equal(per_row, above if k is None else np.minimum(above, k))


@pytest.mark.parametrize("be", BACKENDS)
@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(0, 8), widths)))
def test_popcounts_sum_the_bits(be, x):
    np.testing.assert_array_equal(similarity.popcounts(x, backend=be),
                                  np.unpackbits(x, axis=1).sum(axis=1))
