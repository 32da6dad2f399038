import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pprl import Candidates, InputError
from pprl.linkage.candidates import PairPacking


def test_from_unsorted_gives_canonical_order():
    c = Candidates.from_unsorted([2, 0, 1, 0], [0, 3, 1, 1], [0.5, 0.9, 0.9, 0.9])
    assert c.score.tolist() == [0.9, 0.9, 0.9, 0.5]
    assert list(zip(c.a.tolist(), c.b.tolist(), strict=False)) == [(0, 1), (0, 3), (1, 1), (2, 0)]
    assert c.is_sorted()


def test_is_sorted_detects_disorder():
    assert not Candidates([0, 1], [0, 0], [0.5, 0.9]).is_sorted()
    assert not Candidates([1, 0], [0, 0], [0.9, 0.9]).is_sorted()
    assert not Candidates([0, 0], [1, 0], [0.9, 0.9]).is_sorted()
    assert Candidates.empty().is_sorted()


def test_dtypes_and_shape_check():
    c = Candidates([0], [1], [1])
    assert c.a.dtype == np.int64 and c.b.dtype == np.int64 and c.score.dtype == np.float64
    with pytest.raises(InputError, match="equal length"):
        Candidates([0, 1], [0], [0.5])


def test_above_and_frame():
    c = Candidates.from_unsorted([0, 1, 2], [0, 1, 2], [0.9, 0.7, 0.8])
    assert c.above(0.8).a.tolist() == [0, 2]
    df = c.to_frame()
    assert list(df.columns) == ["a", "b", "score"] and len(df) == 3

@pytest.mark.parametrize("bad", [float("nan"), np.nan, 1.5, -0.01, "0.8", None, True])
def test_above_refuses_nan_and_out_of_range_thresholds(bad):
    c = Candidates([0, 1], [0, 1], [0.9, 0.5])
    with pytest.raises(InputError, match=r"'threshold' parameter of Candidates.above must be "
                                         r"a float in \[0, 1\]"):
        c.above(bad)
    assert len(c.above(np.float64(0.5))) == 2 and len(c.above(1)) == 0



@st.composite
def scored_pairs(draw):
    """Distinct (a, b) pairs of CLKs of nbits bits, with the scores the kernels would give."""
    nbits = draw(st.sampled_from([8, 64, 1000, 1024, 4096]))
    n_a, n_b = draw(st.integers(1, 50)), draw(st.integers(1, 50))
    pa = draw(arrays(np.int32, n_a, elements=st.integers(0, nbits)))
    pb = draw(arrays(np.int32, n_b, elements=st.integers(0, nbits)))
    cells = draw(st.sets(st.integers(0, n_a * n_b - 1), max_size=200))
    idx = np.array(sorted(cells), dtype=np.int64)
    a, b = idx // n_b, idx % n_b
    frac = draw(arrays(np.float64, len(idx), elements=st.floats(0, 1)))
    c = np.floor(frac * np.minimum(pa[a], pb[b])).astype(np.int64)
    total = pa[a].astype(np.int64) + pb[b]
    with np.errstate(invalid="ignore"):
        score = np.where(total > 0, 2.0 * c / np.maximum(total, 1), 0.0)
    return nbits, n_a, n_b, pa, pb, a, b, score


@settings(max_examples=80, deadline=None)
@given(scored_pairs())
def test_packed_sort_is_the_canonical_order_with_exact_scores(case):
    nbits, n_a, n_b, pa, pb, a, b, score = case
    packing = PairPacking(nbits, n_a, n_b)
    got = packing.unpack(packing.pack(a, b, score), pa, pb)
    want = Candidates.from_unsorted(a, b, score)
    np.testing.assert_array_equal(got.a, want.a)
    np.testing.assert_array_equal(got.b, want.b)
    np.testing.assert_array_equal(got.score, want.score)  # bit for bit
