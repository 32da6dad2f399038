"""The command line's fast CSV rows are byte for byte what ``DataFrame.to_csv`` writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.cli._csv import csv_rows

SPECIAL = [0.0, 1.0, 0.5, 1 / 3, 2 / 3, 1e-4, 9.5e-5, 2 / 8192, 5e-5, 0.1, 1e16, 123.0]


def _pandas(cols) -> str:
    frame = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    return frame.to_csv(index=False, header=False, lineterminator="\n")


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(
    st.integers(0, 2**40),
    st.one_of(st.sampled_from(SPECIAL), st.floats(0, 1), st.integers(0, 4096).map(
        lambda k: 2 * k / 4096)),
    st.text(alphabet=st.sampled_from(list('ab,"\n\r x1é')), max_size=6)),
    min_size=1, max_size=80))
def test_rows_match_pandas(rows):
    ints = np.array([r[0] for r in rows], dtype=np.int64)
    floats = np.array([r[1] for r in rows], dtype=np.float64)
    strs = np.array([r[2] for r in rows], dtype=object)
    assert csv_rows([ints, floats, strs]) == _pandas([ints, floats, strs])


def test_large_batches_match_pandas():
    """Past the small-array path: the rows are read from the joined array's buffer."""
    rng = np.random.default_rng(5)
    n = 50_000
    a, b = rng.integers(0, 10**6, n), rng.integers(0, 10**6, n)
    score = rng.integers(0, 1000, n) / rng.integers(1000, 2000, n)
    score[:len(SPECIAL)] = SPECIAL
    ids = np.array([f"rec,{i}" if i % 7 == 0 else f"rec-{i}" for i in range(n)], dtype=object)
    assert csv_rows([a, b, score, ids]) == _pandas([a, b, score, ids])
    assert csv_rows([a, b, score]) == _pandas([a, b, score])


def test_other_float_widths_and_empty():
    x = np.array([0.8, 1.0, 1e-5], dtype=np.float32)
    assert csv_rows([np.arange(3), x]) == _pandas([np.arange(3), x])
    assert csv_rows([np.zeros(0, np.int64), np.zeros(0)]) == ""
