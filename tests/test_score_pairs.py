"""Scoring given pairs (LSH blocking's inner loop): native on every instruction-set
path == numpy == :func:`pprl.candidate_pairs` restricted to those pairs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NATIVE, NATIVE_REASON
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pprl import candidate_pairs
from pprl.errors import NativeKernelError
from pprl.linkage import backend
from pprl.linkage._lsh import words
from pprl.linkage._numpy import popcounts

if NATIVE:
    from pprl.linkage import _native

    PATHS = _native.isas()
else:
    PATHS = []

needs_native = pytest.mark.skipif(not NATIVE, reason=NATIVE_REASON)


@st.composite
def rows_and_pairs(draw):
    nbytes = draw(st.integers(1, 200))
    n, m = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    elems = st.sampled_from([0, 255, 1, 128]) | st.integers(0, 255)
    a = draw(arrays(np.uint8, (n, nbytes), elements=elems))
    b = draw(arrays(np.uint8, (m, nbytes), elements=elems))
    if draw(st.booleans()):  # near copies: pairs at high scores
        k = min(n, m)
        b[:k] = a[:k] ^ draw(arrays(np.uint8, (k, nbytes), elements=st.sampled_from([0, 0, 1])))
    if draw(st.booleans()):  # empty rows on both sides
        a[0] = 0
        b[-1] = 0
    npairs = draw(st.integers(0, 40))
    ia = np.array(draw(st.lists(st.integers(0, n - 1), min_size=npairs, max_size=npairs)),
                  dtype=np.int64)
    ib = np.array(draw(st.lists(st.integers(0, m - 1), min_size=npairs, max_size=npairs)),
                  dtype=np.int64)
    threshold = draw(st.sampled_from([0.0, 1.0, 0.5, 0.8]) | st.floats(0.0, 1.0))
    return a, b, ia, ib, threshold


def _expected(a, b, ia, ib, threshold):
    """candidate_pairs's pairs and scores, looked up for the given pairs in their order."""
    c = candidate_pairs(a, b, threshold, backend="numpy")
    found = dict(zip(zip(c.a.tolist(), c.b.tolist(), strict=True), c.score.tolist(),
                     strict=True))
    keep = [(i, j) in found for i, j in zip(ia.tolist(), ib.tolist(), strict=True)]
    keep = np.array(keep, dtype=bool)
    scores = [found[(i, j)] for i, j in zip(ia[keep].tolist(), ib[keep].tolist(), strict=True)]
    return ia[keep], ib[keep], np.array(scores, dtype=np.float64)


def _check(got, want):
    for x, y in zip(got[:3], want[:3], strict=True):
        np.testing.assert_array_equal(x, y)


@settings(max_examples=150, deadline=None)
@given(rows_and_pairs())
def test_every_kernel_scores_given_pairs_as_candidate_pairs_does(case):
    a, b, ia, ib, threshold = case
    aw, bw = words(a), words(b)
    pa, pb = popcounts(aw), popcounts(bw)
    want = _expected(a, b, ia, ib, threshold)
    ref = backend.score_pairs(aw, bw, pa, pb, ia, ib, threshold, backend="numpy")
    _check(ref, want)
    assert want[0].size <= ref[3] <= len(ia)
    for path in PATHS:  # each path per call: the process-wide one is left alone
        got = backend.score_pairs(aw, bw, pa, pb, ia, ib, threshold, backend="native", isa=path)
        _check(got, want)
        assert got[3] == ref[3], path  # the same pairs ruled out by popcounts alone
        # rows as whole words only (no padding to 8 words): the same answer
        nw = -(-a.shape[1] // 8)
        got = backend.score_pairs(aw[:, :nw].copy(), bw[:, :nw].copy(), pa, pb, ia, ib,
                                  threshold, backend="native", isa=path)
        _check(got, want)


def test_popcounts_rule_out_pairs_before_their_bits_are_read():
    a = np.array([[0xFF, 0xFF], [0x01, 0x00]], dtype=np.uint8)
    b = np.array([[0xFF, 0xFF], [0x00, 0x00]], dtype=np.uint8)
    aw, bw = words(a), words(b)
    pa, pb = popcounts(aw), popcounts(bw)
    ia, ib = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    for be in ["numpy"] + (["native"] if NATIVE else []):
        ra, rb, s, compared = backend.score_pairs(aw, bw, pa, pb, ia, ib, 0.5, backend=be)
        # (0, 0) kept; (0, 1), (1, 0) and (1, 1) fail on popcounts (16/0, 1/16, 1/0)
        assert (ra.tolist(), rb.tolist(), s.tolist(), compared) == ([0], [0], [1.0], 1), be
        # at threshold 0 every pair is kept; two empty rows score 0.0
        ra, rb, s, compared = backend.score_pairs(aw, bw, pa, pb, ia, ib, 0.0, backend=be)
        assert (s.tolist(), compared) == ([1.0, 0.0, 2 / 17, 0.0], 4), be


@needs_native
@pytest.mark.parametrize("path", PATHS)
def test_bad_rows_and_popcounts_are_errors_not_reads_out_of_bounds(path):
    a = np.full((3, 8), 0x0F, dtype=np.uint8)
    aw = words(a)
    pa = popcounts(aw)
    for ia, ib in (([0, 3], [0, 0]), ([0, 0], [0, -1])):
        with pytest.raises(NativeKernelError, match="out of range"):
            backend.score_pairs(aw, aw, pa, pa, np.array(ia), np.array(ib), 0.5,
                                backend="native", isa=path)
    bad = pa.copy()
    bad[1] = aw.shape[1] * 64 + 1
    with pytest.raises(NativeKernelError, match="invalid"):
        backend.score_pairs(aw, aw, bad, pa, np.array([1]), np.array([0]), 0.5,
                            backend="native", isa=path)


def test_large_batch_agrees_with_numpy():
    """Thousands of pairs with repeats (the prefetching loop's steady state)."""
    rng = np.random.default_rng(5)
    a = np.packbits(rng.random((300, 1024)) < 0.3, axis=1)
    b = a ^ np.packbits(rng.random((300, 1024)) < 0.03, axis=1)
    aw, bw = words(a), words(b)
    pa, pb = popcounts(aw), popcounts(bw)
    ia = np.concatenate([np.arange(300), rng.integers(0, 300, 20000)])
    ib = np.concatenate([np.arange(300), rng.integers(0, 300, 20000)])
    ref = backend.score_pairs(aw, bw, pa, pb, ia, ib, 0.8, backend="numpy")
    assert len(ref[0]) >= 300
    for path in PATHS:
        got = backend.score_pairs(aw, bw, pa, pb, ia, ib, 0.8, backend="native", isa=path)
        _check(got, ref)
        assert got[3] == ref[3]


@needs_native
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.integers(0, 40), st.integers(1, 64), st.integers(0, 2**32))
def test_native_lsh_keys_are_the_numpy_keys(nbytes, n, bits, seed):
    from pprl.linkage._lsh import table_keys, table_positions

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, nbytes), dtype=np.uint8)
    pos = table_positions(seed, 3, min(bits, nbytes * 8), nbytes * 8)
    want = table_keys(np.ascontiguousarray(x.T), pos)
    np.testing.assert_array_equal(_native.lsh_keys(x, pos), want)
    np.testing.assert_array_equal(_native.lsh_keys(words(x).view(np.uint8), pos), want)


@needs_native
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("cap", [1, 3, 1 << 16])
def test_buckets_score_as_their_pairs_and_resume_when_the_output_fills(path, cap):
    """Every pair of every bucket, scored in place == the pairs written out and scored."""
    from pprl.linkage._lsh import bucket_pairs, buckets

    rng = np.random.default_rng(11)
    a = np.packbits(rng.random((200, 256)) < 0.3, axis=1)
    b = a ^ np.packbits(rng.random((200, 256)) < 0.04, axis=1)
    a[:3] = 0  # empty rows: their bucket scores 0.0
    b[:3] = 0
    aw, bw = words(a), words(b)
    pa, pb = popcounts(aw), popcounts(bw)
    ka = (a[:, 0] >> 4).astype(np.uint64)  # 16 buckets
    kb = (b[:, 0] >> 4).astype(np.uint64)
    oa, ob, bks, skipped = buckets(ka, kb, 10**9)
    assert skipped[0] == 0 and len(bks[0]) >= 8 and int((bks[1] * bks[3]).sum()) > 1000
    rows_a, rows_b = (np.concatenate(x) for x in zip(*bucket_pairs(oa, ob, bks), strict=True))
    for threshold in (0.0, 0.7, 1.0):
        cmin = _native.threshold_tables(threshold, aw.shape[1] * 64)[0]
        want = backend.score_pairs(aw, bw, pa, pb, rows_a, rows_b, threshold, backend="numpy")
        got = _native.score_buckets(aw, pa, bw, pb, aw.shape[1] * 64, cmin, oa, ob, bks,
                                    isa=path, cap=cap)
        _check(got, want)
        assert got[3] == want[3]
    bad = (bks[0], bks[1] + 10**6, bks[2], bks[3])
    with pytest.raises(NativeKernelError, match="out of range"):
        _native.score_buckets(aw, pa, bw, pb, aw.shape[1] * 64, cmin, oa, ob, bad, isa=path)
