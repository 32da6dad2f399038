"""Reading pairs files: the C parser's fast path and the text path agree, and bad rows are named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pprl.cli import _pairs_csv
from pprl.errors import FileFormatError


def _text_path(path, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(_pairs_csv, "_read_numeric", lambda p: None)
        return _pairs_csv.read_pairs_csv(path, **kw)


def test_fast_path_equals_the_text_path(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    n = 2000
    frame = pd.DataFrame({"a": rng.permutation(n), "b": rng.permutation(n),
                          "score": np.r_[[1.0, 0.0, 1 / 3], rng.random(n - 3)],
                          "a_id": [f"x,{i}" for i in range(n)],
                          "b_id": [f"y{i}" for i in range(n)]})
    path = tmp_path / "m.csv"
    frame.to_csv(path, index=False)
    assert _pairs_csv._read_numeric(path) is not None
    fast = _pairs_csv.read_pairs_csv(path, want_score=True)
    pd.testing.assert_frame_equal(fast, _text_path(path, monkeypatch, want_score=True))
    assert fast["a"].dtype == np.int64 and fast["score"].dtype == np.float64


@pytest.mark.parametrize("body, where", [
    ("a,b,score\n0,1,0.5\n1,x,0.5\n", "row 1 (line 3), column 'b'"),
    ("a,b,score\n0,1,0.5\n1,2,1.5\n", "row 1 (line 3), column 'score'"),
    ("a,b,score\n0,1,0.5\n-1,2,0.5\n", "row 1 (line 3), column 'a'"),
    ("a,b\n0,1\n1,2.5\n", "row 1 (line 3), column 'b'"),
])
def test_a_bad_value_falls_back_and_names_the_row(tmp_path, body, where):
    path = tmp_path / "m.csv"
    path.write_text(body)
    assert _pairs_csv._read_numeric(path) is None
    with pytest.raises(FileFormatError, match=where.replace("(", r"\(").replace(")", r"\)")):
        _pairs_csv.read_pairs_csv(path)


def test_spaces_and_integer_valued_floats_read_alike(tmp_path, monkeypatch):
    path = tmp_path / "m.csv"
    path.write_text("a,b,score\n 0 ,1.0,0.5\n1,2,1\n")
    got = _pairs_csv.read_pairs_csv(path)
    assert got["a"].tolist() == [0, 1] and got["b"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(got, _text_path(path, monkeypatch))
