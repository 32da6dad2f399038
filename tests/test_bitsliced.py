"""The bit-sliced scan kernel (dice.c section 1f) against the other kernels and numpy.

The kernel counts common bits for 256 rows of B at once from B's bit planes
and drops a batch early with an exact bound, so every candidate set it gives
must equal the other native kernels' (row kernels, vertical kernel) and
numpy's thresholded Dice matrix, on every path that has it, at batch edges,
widths off the word size, empty rows and every threshold and k.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NATIVE
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.linkage import _plan, backend, similarity

pytestmark = pytest.mark.skipif(not NATIVE, reason="the native kernel is not built")

if NATIVE:
    from pprl.linkage import _native
    from pprl.linkage._scan import BIT_SLICED_PATHS

    PATHS = [p for p in _native.isas() if p in BIT_SLICED_PATHS]
else:
    PATHS = []


def _candidates(a, b, threshold, k, *, path, bits, monkeypatch):
    monkeypatch.setattr(_plan, "BIT_SLICED", bits)
    monkeypatch.setattr(_plan, "BIT_SLICED_MIN_ROWS", 1)
    before = _native.isa()
    backend.set_isa(path)
    try:
        return similarity.candidate_pairs(a, b, threshold, k=k, backend="native", threads=1)
    finally:
        backend.set_isa(before)


def _same(x, y) -> bool:
    return (np.array_equal(x.a, y.a) and np.array_equal(x.b, y.b)
            and np.array_equal(x.score, y.score))


@st.composite
def clk_sets(draw):
    """A and B with near-copies of A's rows in B (pairs near any threshold)."""
    nbytes = draw(st.sampled_from([1, 7, 8, 9, 64, 65, 128, 129, 256]))
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 600))  # across batches of 256 rows
    density = draw(st.sampled_from([0.0, 0.05, 0.3, 0.5, 0.9, 1.0]))
    noise = draw(st.sampled_from([0.0, 0.02, 0.1, 0.3]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.random((n, nbytes * 8)) < density
    b = rng.random((m, nbytes * 8)) < density
    k = min(n, m)
    b[:k] = a[:k] ^ (rng.random((k, nbytes * 8)) < noise)
    b = b[rng.permutation(m)]
    pack = lambda x: np.packbits(x, axis=1, bitorder="little")  # noqa: E731
    return pack(a), pack(b)


@pytest.mark.parametrize("path", PATHS)
@settings(max_examples=40, deadline=None)
@given(sets=clk_sets(), threshold=st.sampled_from([0.0, 0.3, 0.6, 0.8, 0.9, 1.0]),
       k=st.one_of(st.none(), st.integers(1, 3)))
def test_bit_sliced_equals_the_other_kernels_and_numpy(path, sets, threshold, k):
    a, b = sets
    with pytest.MonkeyPatch.context() as mp:
        got = _candidates(a, b, threshold, k, path=path, bits=True, monkeypatch=mp)
        other = _candidates(a, b, threshold, k, path=path, bits=False, monkeypatch=mp)
    assert _same(got, other)
    m = similarity.dice_matrix(a, b, backend="numpy")
    np.testing.assert_array_equal(got.score, m[got.a, got.b])
    above = (m >= threshold).sum(axis=1) if len(b) else np.zeros(len(a), int)
    per_row = np.bincount(got.a, minlength=len(a))
    np.testing.assert_array_equal(per_row, above if k is None else np.minimum(above, k))


def test_person_like_clks_at_scale_on_every_path(monkeypatch):
    """Thousands of rows (many batches, the early exit at work), threads, every path."""
    rng = np.random.default_rng(7)
    bits = rng.random((1500, 1024)) < rng.uniform(0.2, 0.9, 1024)  # uneven bit frequencies
    a = np.packbits(bits, axis=1, bitorder="little")
    b = np.packbits(bits ^ (rng.random(bits.shape) < 0.06), axis=1, bitorder="little")
    b = np.concatenate([b, np.packbits(rng.random((900, 1024)) < 0.5, axis=1,
                                       bitorder="little")])
    want = similarity.candidate_pairs(a, b, 0.8, backend="numpy")
    assert len(want) > 1000  # the test means something: many pairs at the threshold
    for path in PATHS:
        got = _candidates(a, b, 0.8, None, path=path, bits=True, monkeypatch=monkeypatch)
        assert _same(got, want), path
    monkeypatch.setattr(_plan, "BIT_SLICED", True)
    got = similarity.candidate_pairs(a, b, 0.8, backend="native", threads=2)
    assert _same(got, want)


def test_the_scan_uses_the_bit_planes(monkeypatch):
    """A scan past BIT_SLICED_MIN_ROWS builds B's bit planes (the kernel is really used)."""
    calls = []
    real = _native.bit_planes

    def spy(b, nbits, rank):
        calls.append(b.shape)
        return real(b, nbits, rank)

    monkeypatch.setattr(_native, "bit_planes", spy)
    monkeypatch.setattr(_plan, "BIT_SLICED", True)
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (_plan.BIT_SLICED_MIN_ROWS, 16), dtype=np.uint8)
    similarity.candidate_pairs(a, a, 0.9, backend="native", threads=1)
    assert calls == [(len(a), 2)]
    calls.clear()
    similarity.candidate_pairs(a[:3], a, 0.9, backend="native", threads=1)
    assert calls == []  # too few rows of A to pay for the planes


def test_bit_planes_layout():
    """Bit k of row j sits in plane rank[k] of batch j // 256, lane j % 256."""
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 256, (300, 2), dtype=np.uint8)  # 16 bits, two batches
    words = np.zeros((300, 1), dtype=np.uint64)
    words.view(np.uint8)[:, :2] = rows
    rank = rng.permutation(16).astype(np.int32)
    planes = _native.bit_planes(words, 16, rank)
    assert planes.shape == (2, 17, 4) and not planes[:, 16].any()
    bits = np.unpackbits(rows, axis=1, bitorder="little")
    for j in (0, 63, 64, 255, 256, 299):
        lane = j % 256
        for k in range(16):
            got = (int(planes[j // 256, rank[k], lane // 64]) >> (lane % 64)) & 1
            assert got == bits[j, k]
    assert not planes[1, :, :].view(np.uint8).reshape(17, 32)[:, 6:].any()  # lanes 44.. empty


def test_bit_rank_puts_rare_bits_first():
    rng = np.random.default_rng(5)
    freq = np.linspace(0.05, 0.95, 64)
    rows = np.packbits(rng.random((2000, 64)) < freq[::-1], axis=1, bitorder="little")
    rank = _plan.bit_rank(rows, 64)
    assert sorted(rank.tolist()) == list(range(64))
    assert rank[63] < 8 and rank[0] > 55  # bit 63 is set least often, bit 0 most


def test_bad_rank_is_refused():
    words = np.zeros((4, 1), dtype=np.uint64)
    with pytest.raises(Exception, match="pprl_bit_planes"):
        _native.bit_planes(words, 8, np.array([0, 1, 2, 3, 4, 5, 6, 8], dtype=np.int32))


@pytest.mark.parametrize("k", [None, 2])
def test_row_by_row_when_a_group_does_not_fit(monkeypatch, k):
    """A tiny output buffer sends the scan row by row (resumable rows), still bit-sliced."""
    rng = np.random.default_rng(11)
    bits = rng.random((300, 256)) < 0.4
    a = np.packbits(bits, axis=1, bitorder="little")
    b = np.packbits(np.concatenate([bits ^ (rng.random(bits.shape) < 0.1),
                                    rng.random((400, 256)) < 0.4]), axis=1, bitorder="little")
    want = similarity.candidate_pairs(a, b, 0.5, k=k, backend="numpy")
    monkeypatch.setattr(_plan, "SCAN_CAPACITY", 4)
    for path in PATHS:
        got = _candidates(a, b, 0.5, k, path=path, bits=True, monkeypatch=monkeypatch)
        assert _same(got, want), path
    if k is None:
        assert len(want) > 1000  # many groups overflow the 4-pair buffer
