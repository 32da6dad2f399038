"""Tokenisers: hand-checked examples, the vectorised batch equals the scalar rules, clkhash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.encoding.schema import ExactComparison, NgramComparison, NumericComparison
from pprl.encoding.tokenize import exact_tokens, ngrams, numeric_tokens, tokenize_batch, tokens_for

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=90)


def test_ngrams_by_hand():
    assert ngrams("clkhash", 2) == [" c", "cl", "lk", "kh", "ha", "as", "sh", "h "]
    assert ngrams("ab", 3) == ["  a", " ab", "ab ", "b  "]
    assert ngrams("ab", 2, positional=True) == ["1  a", "2 ab", "3 b "]
    assert ngrams("abc", 1) == ["a", "b", "c"]
    assert ngrams("", 2) == []


def test_exact_by_hand():
    assert exact_tokens("x y") == ["x y"]
    assert exact_tokens("") == []


def test_numeric_by_hand():
    # the example of Vatsalan & Christen: distance 8, resolution 2 -> grid of 2
    c = NumericComparison(threshold_distance=8, resolution=2)
    assert numeric_tokens("25", c) == ["88", "96", "104", "112", "120"]
    assert numeric_tokens("", c) == []
    c2 = NumericComparison(threshold_distance=0.5, resolution=1, fractional_precision=1)
    assert numeric_tokens("1.25", c2) == ["20", "25", "30"]
    with pytest.raises(ValueError, match="finite number"):
        numeric_tokens("abc", c)
    with pytest.raises(ValueError):
        numeric_tokens("inf", c)


def _flatten(batch, m):
    out = [[] for _ in range(m)]
    ids, rows, pos = batch.token_id.tolist(), batch.row.tolist(), batch.pos.tolist()
    for t, r, p in zip(ids, rows, pos, strict=True):
        out[r].append((p, batch.tokens[t]))
    return [[t for _, t in sorted(ts)] for ts in out]


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=12), st.integers(1, 5), st.booleans())
def test_batch_equals_scalar_ngrams(values, n, positional):
    comp = NgramComparison(n=n, positional=positional)
    batch = tokenize_batch(values, comp)
    expected = [tokens_for(v, comp) for v in values]
    assert _flatten(batch, len(values)) == expected
    assert batch.count.tolist() == [len(e) for e in expected]


def test_batch_handles_nul_and_astral_characters():
    values = ["a\x00", "\x00", "😀b", "x" * 70, ""]
    for n in (1, 2, 3):
        comp = NgramComparison(n=n, positional=True)
        assert _flatten(tokenize_batch(values, comp), 5) == [tokens_for(v, comp) for v in values]


def test_batch_exact_and_numeric():
    vals = ["1", "", "22", "1"]
    assert _flatten(tokenize_batch(vals, ExactComparison()), 4) == [["1"], [], ["22"], ["1"]]
    c = NumericComparison(5, 1)
    assert _flatten(tokenize_batch(vals, c), 4) == [numeric_tokens(v, c) for v in vals]


comparators = pytest.importorskip("clkhash.comparators")


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(1, 5), st.booleans())
def test_ngrams_match_clkhash(word, n, positional):
    ref = list(comparators.NgramComparison(n, positional).tokenize(word))
    assert ngrams(word, n, positional) == ref


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.integers(-10**9, 10**9).map(str),
              st.floats(-1e6, 1e6, allow_nan=False).map(repr),
              st.decimals(-1000, 1000, places=4).map(str)),
    st.one_of(st.integers(1, 100), st.floats(0.01, 100)),
    st.integers(1, 8),
    st.integers(0, 4),
)
def test_numeric_matches_clkhash(word, distance, resolution, precision):
    try:
        ref = comparators.NumericComparison(distance, resolution, precision)
    except ValueError:
        return  # not enough precision for the distance: both refuse (see test_schema)
    ours = NumericComparison(distance, resolution, precision)
    assert numeric_tokens(word, ours) == list(ref.tokenize(word))
