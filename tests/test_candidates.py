import numpy as np
import pytest

from pprl import Candidates, InputError


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
