"""pprl.linkage.similarity: every backend and instruction-set path against a pure-Python
reference, against each other, and against anonlink (the oracle)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

import pprl
from pprl import Candidates, InputError, NativeKernelError, NativeKernelWarning
from pprl.bits import clks_to_bitarrays
from pprl.linkage import _plan, _scan, similarity
from pprl.linkage import backend as _backend
from pprl.linkage.candidates import PairPacking

# every 64-bit word boundary from 8 to 1032 bits: 8w - 1, 8w, 8w + 1 bytes
WIDTHS = sorted({1} | {n for w in range(1, 17) for n in (8 * w - 1, 8 * w, 8 * w + 1)})
THRESHOLDS = (0.0, 0.3, 0.5, 2 / 3, 0.8, 0.95, 1.0)


# --- helpers -------------------------------------------------------------------


def random_clks(rng, n, nbytes, density=0.5):
    return np.packbits(rng.random((n, nbytes * 8)) < density, axis=1)


def structured_clks(rng, n, nbytes):
    """Random rows plus all-zero, all-one, single-bit and duplicated rows."""
    x = random_clks(rng, n, nbytes, density=rng.uniform(0.05, 0.6))
    x[0] = 0
    x[1] = 255
    x[2] = 0
    x[2, -1] = 1  # the last bit only: exercises the tail word
    if n > 5:
        x[4] = x[3]  # duplicate rows: ties
        x[5] = x[3]
    return x


def reference_matrix(a, b):
    """Dice by Python integers: 2 * |x & y| / (|x| + |y|), 0.0 for two empty rows."""
    ai = [int.from_bytes(r.tobytes(), "big") for r in a]
    bi = [int.from_bytes(r.tobytes(), "big") for r in b]
    out = np.zeros((len(ai), len(bi)))
    for i, x in enumerate(ai):
        for j, y in enumerate(bi):
            s = x.bit_count() + y.bit_count()
            out[i, j] = 2 * (x & y).bit_count() / s if s else 0.0
    return out


def reference_pairs(matrix, threshold, k=None):
    rows = []
    for i, row in enumerate(matrix):
        cand = sorted((-s, j) for j, s in enumerate(row) if s >= threshold)
        rows += [(i, j, -ns) for ns, j in cand[:k]]
    if not rows:
        return Candidates.empty()
    a, b, s = zip(*rows, strict=True)
    return Candidates.from_unsorted(a, b, s)


def assert_same(got: Candidates, want: Candidates):
    assert got.is_sorted()
    np.testing.assert_array_equal(got.a, want.a)
    np.testing.assert_array_equal(got.b, want.b)
    np.testing.assert_array_equal(got.score, want.score)  # bit-identical, not approx


# --- hand-checked values -------------------------------------------------------


def test_dice_by_hand(backend):
    a = np.array([[0b11110000], [0b00000000], [0b11111111]], dtype=np.uint8)
    b = np.array([[0b11000000], [0b00000000], [0b00001111]], dtype=np.uint8)
    m = similarity.dice_matrix(a, b, backend=backend)
    # 2*2/(4+2), empty vs 2 bits, disjoint; empty vs empty is 0 (anonlink's convention)
    want = [[4 / 6, 0.0, 0.0], [0.0, 0.0, 0.0], [4 / 10, 0.0, 8 / 12]]
    np.testing.assert_array_equal(m, want)
    np.testing.assert_array_equal(similarity.popcounts(a, backend=backend), [4, 0, 8])


def test_threshold_is_inclusive(backend):
    a = np.array([[0b11000000]], dtype=np.uint8)
    b = np.array([[0b10000000]], dtype=np.uint8)  # Dice 2/3 exactly as computed
    assert len(similarity.candidate_pairs(a, b, 2 / 3, backend=backend)) == 1
    assert len(similarity.candidate_pairs(a, b, np.nextafter(2 / 3, 1), backend=backend)) == 0


def test_threshold_zero_keeps_every_pair_including_empty_rows(backend):
    a = np.zeros((2, 8), dtype=np.uint8)
    b = np.zeros((3, 8), dtype=np.uint8)
    b[1, 0] = 1
    c = similarity.candidate_pairs(a, b, 0.0, backend=backend)
    assert len(c) == 6 and np.all(c.score == 0.0)
    assert len(similarity.candidate_pairs(a, b, 1e-12, backend=backend)) == 0


def test_threshold_one_keeps_identical_nonempty_rows(backend, rng):
    a = random_clks(rng, 20, 16)
    b = np.concatenate([a[5:8], random_clks(rng, 10, 16), np.zeros((1, 16), np.uint8)])
    c = similarity.candidate_pairs(a, b, 1.0, backend=backend)
    assert list(zip(c.a, c.b, strict=True)) == [(5, 0), (6, 1), (7, 2)]
    assert np.all(c.score == 1.0)


# --- all backends and paths against the Python reference ------------------------


@pytest.mark.parametrize("nbytes", WIDTHS)
def test_matrix_and_pairs_match_reference(isa, rng, nbytes):
    a = structured_clks(rng, 9, nbytes)
    b = np.concatenate([structured_clks(rng, 11, nbytes), a[3:5]])
    want = reference_matrix(a, b)
    for be in ("numpy", "native"):
        np.testing.assert_array_equal(similarity.dice_matrix(a, b, backend=be), want)
        np.testing.assert_array_equal(similarity.popcounts(a, backend=be),
                                      np.unpackbits(a, axis=1).sum(axis=1))
        for t in (0.0, 0.5, 0.8, 1.0):
            for k in (None, 1, 3):
                got = similarity.candidate_pairs(a, b, t, k=k, backend=be)
                assert_same(got, reference_pairs(want, t, k))


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_backends_agree_on_larger_inputs(isa, rng, threshold):
    # realistic popcount spread, so the popcount window really prunes
    a = np.concatenate([random_clks(rng, 1, 128, d) for d in rng.uniform(0.05, 0.5, 150)])
    b = np.concatenate([a[::3] ^ (random_clks(rng, 50, 128, 0.02)),
                        random_clks(rng, 120, 128, 0.3), np.zeros((2, 128), np.uint8)])
    for k in (None, 2):
        want = similarity.candidate_pairs(a, b, threshold, k=k, backend="numpy")
        got = similarity.candidate_pairs(a, b, threshold, k=k, backend="native", threads=3)
        assert_same(got, want)
    assert_same(want, reference_pairs(reference_matrix(a, b), threshold, 2))


@pytest.mark.parametrize("split", [None, (0, 0), (1, 1), (1, 3), (1, 8), (1, 13),
                                   (2, 1), (2, 4), (2, 6), (2, 8), (2, 13)])
def test_early_exit_at_any_word_gives_the_same_pairs(isa, rng, monkeypatch, split):
    # None: the kernel's own choice; (mode, words): that bound after that many words
    if split is not None:
        monkeypatch.setattr(_plan, "early_exit", lambda *args: split)
    for nbytes in (40, 128):  # 5 words (generic code) and 16 words (unrolled cases)
        if split is not None and split[1] >= nbytes // 8:
            continue
        a = np.concatenate([random_clks(rng, 30, nbytes, d) for d in (0.2, 0.5)])
        b = np.concatenate([a ^ random_clks(rng, 60, nbytes, 0.03),
                            random_clks(rng, 30, nbytes, 0.3)])
        want = reference_matrix(a, b)
        for t in (0.0, 0.6, 0.8, 0.9):
            assert_same(similarity.candidate_pairs(a, b, t, backend="native"),
                        reference_pairs(want, t))
            assert_same(similarity.candidate_pairs(a, b, t, k=2, backend="native"),
                        reference_pairs(want, t, 2))


def exit_inputs(rng, density):
    """100 x 100 random 1,024-bit rows as words, their popcounts, cmin at 0.8 and at 0.1."""
    if not similarity.available_backends()["native"]:
        pytest.skip("native kernel not built")
    from pprl.linkage import _native as _dice_native

    aw = _scan.words(random_clks(rng, 100, 128, density))
    bw = _scan.words(random_clks(rng, 100, 128, density))
    pa, pb = _dice_native.popcounts(aw), _dice_native.popcounts(bw)
    high = _dice_native.threshold_tables(0.8, 1024)[0]
    low = _dice_native.threshold_tables(0.1, 1024)[0]
    return aw, bw, pa, pb, high, low


def test_early_exit_choice(rng):
    aw, bw, pa, pb, high, low = exit_inputs(rng, 0.5)
    mode, words = _plan.early_exit(aw, bw, pa, pb, high)
    assert mode in (1, 2) and words in _plan.UNROLLED[mode]
    assert _plan.early_exit(aw, bw, pa, pb, low) == (0, 0)  # nothing to gain
    assert _plan.early_exit(aw[:, :3], bw[:, :3], pa, pb, high) == (0, 0)  # too short


def test_output_buffer_overflow_resumes(rng, monkeypatch):
    if not similarity.available_backends()["native"]:
        pytest.skip("native kernel not built")
    monkeypatch.setattr(_plan, "SCAN_CAPACITY", 3)  # smaller than one row
    a = random_clks(rng, 23, 9)
    b = random_clks(rng, 17, 9)
    want = reference_pairs(reference_matrix(a, b), 0.0)
    assert_same(similarity.candidate_pairs(a, b, 0.0, backend="native", threads=2), want)
    want_k = reference_pairs(reference_matrix(a, b), 0.2, 5)
    assert_same(similarity.candidate_pairs(a, b, 0.2, k=5, backend="native"), want_k)


def test_grouped_scan_across_tiles_and_a_full_buffer(isa, rng, monkeypatch):
    # the kernel takes rows of A 128 at a time (PPRL_GROUP) over tiles of 128 rows of B; a
    # buffer that holds the first group but not the second makes it go on row by row, then
    # resume (on AVX2 and AVX-512, through the vertical kernel)
    monkeypatch.setattr(_plan, "tiles", lambda n, m, threads, *rest: [(0, n)])  # one call
    a = np.concatenate([random_clks(rng, 1, 128, d) for d in rng.uniform(0.1, 0.6, 150)])
    b = np.concatenate([a[::2] ^ random_clks(rng, 75, 128, 0.05),
                        random_clks(rng, 263, 128, 0.4)])
    want = reference_pairs(reference_matrix(a, b), 0.5)
    monkeypatch.setattr(_plan, "SCAN_CAPACITY", int((want.a < 136).sum()))
    assert 0 < (want.a < 128).sum() < (want.a < 136).sum() < len(want)
    assert_same(similarity.candidate_pairs(a, b, 0.5, backend="native", threads=1), want)


@pytest.mark.parametrize("vhw", [0, 1, 3, 5, 6, 8, 10, 12, 15, 16])
def test_vertical_exit_at_any_word_gives_the_same_pairs(isa, rng, monkeypatch, vhw):
    # AVX2 and AVX-512 scan B 8 rows at a time (other paths ignore it): popcount windows
    # that start and end inside a block, B not a whole number of blocks, every exit point
    # (unrolled or not), and rows of 5, 16 and 17 words
    monkeypatch.setattr(_plan, "vertical_exit", lambda *args: vhw)
    for nbytes in (40, 128, 136):
        if vhw > nbytes // 8:
            continue
        a = np.concatenate([random_clks(rng, 1, nbytes, d) for d in rng.uniform(0.1, 0.6, 40)])
        b = np.concatenate([a[::2] ^ random_clks(rng, 20, nbytes, 0.03),
                            np.concatenate([random_clks(rng, 1, nbytes, d)
                                            for d in rng.uniform(0.05, 0.7, 141)])])
        want = reference_matrix(a, b)
        for t in (0.0, 0.5, 0.8, 0.9, 1.0):
            for k in (None, 3):  # every pair (rows of A in groups), best k (row by row)
                assert_same(similarity.candidate_pairs(a, b, t, k=k, backend="native",
                                                       threads=2),
                            reference_pairs(want, t, k))


@pytest.mark.parametrize("heap_entries", [1 << 20, 1])  # rows in groups of 128; row by row
def test_top_k_in_groups_of_rows(isa, rng, monkeypatch, heap_entries):
    from pprl.linkage import _native as _dice_native

    monkeypatch.setattr(_dice_native, "HEAP_ENTRIES", heap_entries)
    a = np.concatenate([random_clks(rng, 1, 64, d) for d in rng.uniform(0.1, 0.6, 300)])
    b = np.concatenate([a[::3] ^ random_clks(rng, 100, 64, 0.05),
                        random_clks(rng, 150, 64, 0.35)])
    want = reference_matrix(a, b)
    for t, k in ((0.0, 1), (0.4, 3), (0.7, 2)):
        assert_same(similarity.candidate_pairs(a, b, t, k=k, backend="native", threads=1),
                    reference_pairs(want, t, k))


@pytest.mark.parametrize("step", [0.001, 0.01, 0.3])
def test_raised_thresholds_keep_the_best_k(isa, rng, monkeypatch, step):
    # a top-k row whose heap is full is scanned on at a raised threshold (dice.h, raise_cmin):
    # the best k, ties at the k-th place broken by the lower row of B, must not change, in
    # groups of rows and row by row, with the bit-sliced kernel and without
    from pprl.linkage import _native as _dice_native

    monkeypatch.setattr(_dice_native, "RAISE_STEP", step)
    _dice_native.raise_tables.cache_clear()
    monkeypatch.setattr(_plan, "BIT_SLICED_MIN_ROWS", 1)
    try:
        for nbytes in (2, 16):  # 16 bits: few distinct scores, ties at the k-th place
            a = np.concatenate([random_clks(rng, 1, nbytes, d)
                                for d in rng.uniform(0.2, 0.6, 140)])
            b = np.concatenate([a[::4] ^ random_clks(rng, 35, nbytes, 0.05),
                                random_clks(rng, 600, nbytes, 0.4)])  # batches of 256
            want = reference_matrix(a, b)
            for heap_entries, bits in ((1 << 20, True), (1 << 20, False), (1, True)):
                monkeypatch.setattr(_dice_native, "HEAP_ENTRIES", heap_entries)
                monkeypatch.setattr(_plan, "BIT_SLICED", bits)
                for t, k in ((0.0, 1), (0.0, 22), (0.45, 5), (0.7, 3)):
                    assert_same(similarity.candidate_pairs(a, b, t, k=k, backend="native",
                                                           threads=1),
                                reference_pairs(want, t, k))
    finally:
        _dice_native.raise_tables.cache_clear()


def test_raise_tables_are_the_threshold_tables_above(rng):
    if not similarity.available_backends()["native"]:
        pytest.skip("native kernel not built")
    from pprl.linkage import _native as _dice_native

    cmin, t = _dice_native.raise_tables(0.455, 64)
    assert t[0] == 0.46 and t[-1] == 1.0 and np.all(np.diff(t) > 0)
    for j in (0, 17, len(t) - 1):
        np.testing.assert_array_equal(cmin[j], _dice_native.threshold_tables(t[j], 64)[0])
    assert len(_dice_native.raise_tables(1.0, 64)[1]) == 0


def test_vertical_layout(rng):
    if not similarity.available_backends()["native"]:
        pytest.skip("native kernel not built")
    from pprl.linkage import _native as _dice_native

    for m in (1, 8, 13, 16):
        bw = _scan.words(random_clks(rng, m, 24))  # 3 words
        b_vert, b_vrest, hw = _dice_native.vertical(bw, 1)
        m8 = -(-m // 8) * 8
        assert b_vert.shape == (m8 // 8, 3, 8) and b_vrest.shape == (m8,) and hw == 1
        for j in range(m8):
            want = bw[j] if j < m else np.zeros(3, np.uint64)
            np.testing.assert_array_equal(b_vert[j // 8, :, j % 8], want)
            want_rest = np.bitwise_count(bw[j, 1:]).sum() if j < m else 0
            assert b_vrest[j] == want_rest


def test_vertical_exit_choice(rng):
    aw, bw, pa, pb, high, low = exit_inputs(rng, 0.4)  # skips without the native kernel
    from pprl.linkage import _native as _dice_native

    # strangers share about a fifth of their bits: a block of 8 is ruled out halfway
    assert _plan.vertical_exit(aw, bw, pa, pb, high) in _plan.VERTICAL_UNROLLED
    assert _plan.vertical_exit(aw, bw, pa, pb, low) == 0  # every pair goes on: no test
    nine = _scan.words(random_clks(rng, 100, 72, 0.4))  # 9 words: any point
    p9 = _dice_native.popcounts(nine)
    assert 0 < _plan.vertical_exit(nine, nine[::-1], p9, p9[::-1],
                                   _dice_native.threshold_tables(0.8, 576)[0]) < 9


@pytest.mark.parametrize("threads", [1, 2, 5])
def test_threads_do_not_change_results(backend, rng, threads):
    a = random_clks(rng, 61, 16, 0.3)
    b = random_clks(rng, 47, 16, 0.3)
    want = reference_pairs(reference_matrix(a, b), 0.35)
    got = similarity.candidate_pairs(a, b, 0.35, backend=backend, threads=threads)
    assert_same(got, want)


def test_ties_and_duplicates_are_ordered_by_a_then_b(backend):
    x = np.array([[0b11110000, 0]], dtype=np.uint8)
    a = np.repeat(x, 3, axis=0)
    b = np.repeat(x, 4, axis=0)
    c = similarity.candidate_pairs(a, b, 0.9, backend=backend)
    assert list(zip(c.a, c.b, strict=True)) == [(i, j) for i in range(3) for j in range(4)]
    top = similarity.candidate_pairs(a, b, 0.9, k=2, backend=backend)
    assert list(zip(top.a, top.b, strict=True)) == [(i, j) for i in range(3) for j in range(2)]


def test_k_larger_than_b_is_all_pairs(backend, rng):
    a, b = random_clks(rng, 5, 4), random_clks(rng, 6, 4)
    assert_same(similarity.candidate_pairs(a, b, 0.0, k=100, backend=backend),
                similarity.candidate_pairs(a, b, 0.0, backend=backend))


# --- empty and odd inputs -------------------------------------------------------


@pytest.mark.parametrize("shape_a, shape_b", [((0, 16), (5, 16)), ((5, 16), (0, 16)),
                                              ((0, 0), (5, 16)), ((5, 16), (0, 0)),
                                              ((0, 0), (0, 0))])
def test_empty_inputs(backend, shape_a, shape_b):
    a = np.zeros(shape_a, dtype=np.uint8)
    b = np.zeros(shape_b, dtype=np.uint8)
    c = similarity.candidate_pairs(a, b, 0.0, k=3, backend=backend)
    assert len(c) == 0 and c.a.dtype == np.int64 and c.score.dtype == np.float64
    m = similarity.dice_matrix(a, b, backend=backend)
    assert m.shape == (shape_a[0], shape_b[0]) and m.dtype == np.float64


@pytest.mark.parametrize("shape_a, shape_b", [((3, 0), (4, 0)), ((3, 0), (0, 0)),
                                              ((0, 0), (2, 0)), ((0, 0), (2, 0))])
def test_zero_width_clks_are_refused_alike(backend, shape_a, shape_b):
    a = np.zeros(shape_a, dtype=np.uint8)
    b = np.zeros(shape_b, dtype=np.uint8)
    with pytest.raises(InputError, match="zero width .* at least one byte"):
        similarity.candidate_pairs(a, b, 0.5, backend=backend)
    with pytest.raises(InputError, match="zero width"):
        similarity.dice_matrix(a, b, backend=backend)


def test_non_contiguous_input_is_accepted(backend, rng):
    a = random_clks(rng, 10, 24)
    b = random_clks(rng, 12, 24)
    want = similarity.dice_matrix(a[::2], b, backend="numpy")
    np.testing.assert_array_equal(similarity.dice_matrix(a[::2], b, backend=backend), want)
    unaligned = np.empty(10 * 24 + 1, np.uint8)[1:].reshape(10, 24)
    unaligned[:] = a
    np.testing.assert_array_equal(similarity.dice_matrix(unaligned, b, backend=backend),
                                  similarity.dice_matrix(a, b, backend="numpy"))


# --- validation and backend choice ----------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    ({"threshold": 1.5}, "'threshold' parameter of candidate_pairs"),
    ({"threshold": float("nan")}, "'threshold'"),
    ({"threshold": "0.8"}, "'threshold'"),
    ({"threshold": 0.8, "k": 0}, "'k' parameter"),
    ({"threshold": 0.8, "threads": 0}, "'threads' parameter"),
    ({"threshold": 0.8, "backend": "gpu"}, "'backend' parameter"),
    ({"threshold": 0.8, "progress": "yes"}, "'progress' parameter"),
])
def test_bad_parameters(rng, kwargs, match):
    a = random_clks(rng, 3, 8)
    with pytest.raises(InputError, match=match):
        similarity.candidate_pairs(a, a, **kwargs)


def test_bad_arrays(rng):
    a = random_clks(rng, 3, 8)
    with pytest.raises(InputError, match="differ in length: a has 64 bits per row, b has 72"):
        similarity.candidate_pairs(a, random_clks(rng, 3, 9), 0.5)
    with pytest.raises(InputError, match="uint8"):
        similarity.dice_matrix(a.astype(np.int64), a)
    with pytest.raises(InputError, match="2-D"):
        similarity.dice_matrix(a[0], a)


def test_missing_native_kernel(monkeypatch, rng, caplog):
    monkeypatch.setattr(_backend, "_dice_native", None)
    monkeypatch.setattr(_backend, "_NATIVE_IMPORT_ERROR", "ImportError: no _dice_cffi")
    monkeypatch.setattr(_backend, "_logged", set())
    a = random_clks(rng, 4, 8)
    with pytest.raises(ImportError, match="pip install -e . --no-build-isolation"):
        similarity.candidate_pairs(a, a, 0.5, backend="native")
    with caplog.at_level(logging.DEBUG, logger="pprl.linkage.similarity"), pytest.warns(
        NativeKernelWarning, match="Using the numpy backend"
    ) as seen:
        c = similarity.candidate_pairs(a, a, 0.5)  # auto falls back, and says so once
        similarity.dice_matrix(a, a)
    assert len(seen) == 1
    assert len(c) >= 4
    assert [r.getMessage() for r in caplog.records].count(
        "pprl.linkage.similarity: backend='auto' uses the numpy kernel "
        "(ImportError: no _dice_cffi)") == 1
    info = similarity.available_backends()
    assert info["native"] is False and info["isa"] is None and "no _dice_cffi" in info["error"]


def test_available_backends_names_the_path_in_use():
    info = pprl.available_backends()
    assert info["numpy"] is True
    if info["native"]:
        from pprl.linkage import _native as _dice_native

        assert info["isa"] == _dice_native.isa() and info["isa"] in info["isas"]
        assert info["isas"][-1] == "portable"


def test_set_isa_refuses_unknown_or_unsupported_paths():
    if not similarity.available_backends()["native"]:
        pytest.skip("native kernel not built")
    from pprl.linkage import _native as _dice_native

    with pytest.raises(ValueError, match="Unknown instruction-set path 'sse'"):
        _dice_native.set_isa("sse")
    missing = [x for x in ("avx512", "avx2", "popcnt") if x not in _dice_native.isas()]
    for name in missing:
        with pytest.raises(NativeKernelError, match=f"Cannot use the '{name}' Dice kernel"):
            _dice_native.set_isa(name)


def test_progress_bar(backend, rng, capsys):
    a = random_clks(rng, 20, 8)
    c = similarity.candidate_pairs(a, a, 0.9, backend=backend, progress=True)
    assert len(c) >= 20
    assert "candidate pairs" in capsys.readouterr().err


# --- anonlink as the oracle -----------------------------------------------------


def _anonlink_pairs(result):
    sims, (ia, ib) = result
    return Candidates(np.asarray(ia, np.int64), np.asarray(ib, np.int64), np.asarray(sims))


@pytest.mark.oracle
@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("k", [None, 1, 4])
def test_matches_anonlink_dice(backend, rng, threshold, k):
    anonlink = pytest.importorskip("anonlink")
    from anonlink.similarities import dice_coefficient_accelerated, dice_coefficient_python

    nbytes = 24 if k else 64
    a = np.concatenate([structured_clks(rng, 30, nbytes), random_clks(rng, 20, nbytes, 0.2)])
    b = np.concatenate([a[::2] ^ random_clks(rng, 25, nbytes, 0.05),
                        structured_clks(rng, 25, nbytes)])
    got = similarity.candidate_pairs(a, b, threshold, k=k, backend=backend)
    bits = (clks_to_bitarrays(a), clks_to_bitarrays(b))
    for fn in (dice_coefficient_accelerated, dice_coefficient_python):
        assert_same(got, _anonlink_pairs(fn(bits, threshold, k=k)))
    if k is None:
        sims, _, (ra, rb) = anonlink.candidate_generation.find_candidate_pairs(
            [clks_to_bitarrays(a), clks_to_bitarrays(b)], dice_coefficient_accelerated, threshold)
        assert_same(got, Candidates(np.asarray(ra, np.int64), np.asarray(rb, np.int64),
                                    np.asarray(sims)))


@pytest.mark.oracle
def test_k_differs_from_anonlink_find_candidate_pairs_only_by_its_cap_on_b(backend, rng):
    """anonlink's find_candidate_pairs also keeps at most k pairs per row of B.

    Applying that cap (in canonical order) to our per-row-of-A top k gives
    exactly its pairs: the only difference is the documented one.
    """
    anonlink = pytest.importorskip("anonlink")
    from anonlink.similarities import dice_coefficient_accelerated

    a = random_clks(rng, 40, 16, 0.3)
    b = np.concatenate([a ^ random_clks(rng, 40, 16, 0.05), random_clks(rng, 30, 16, 0.3)])
    k = 2
    ours = similarity.candidate_pairs(a, b, 0.3, k=k, backend=backend)
    seen: dict[int, int] = {}
    keep = []
    for bj in ours.b.tolist():
        seen[bj] = seen.get(bj, 0) + 1
        keep.append(seen[bj] <= k)
    keep = np.array(keep)
    capped = Candidates(ours.a[keep], ours.b[keep], ours.score[keep])
    sims, _, (ra, rb) = anonlink.candidate_generation.find_candidate_pairs(
        [clks_to_bitarrays(a), clks_to_bitarrays(b)], dice_coefficient_accelerated, 0.3, k=k)
    assert not keep.all()  # the example really exercises the difference
    assert_same(capped, Candidates(np.asarray(ra, np.int64), np.asarray(rb, np.int64),
                                   np.asarray(sims)))


@pytest.mark.parametrize("nbits", [8, 64, 1024, 4096])
def test_packed_sort_separates_every_pair_of_dice_fractions(rng, nbits):
    # scores 2c / (pa + pb) over popcounts of nbits-bit CLKs: many nearly equal
    # (neighbouring fractions), many exactly equal (2/4 = 1/2), some 0/0
    n_a, n_b, n = 300, 20_000, 20_000
    pa = rng.integers(0, nbits + 1, n_a)
    pb = rng.integers(0, nbits + 1, n_b)
    pa[:3] = 0
    pb[:3] = 0
    a = rng.integers(0, n_a, n)
    b = rng.permutation(n_b)[:n]
    c = (rng.random(n) * (np.minimum(pa[a], pb[b]) + 1)).astype(np.int64)
    total = pa[a] + pb[b]
    with np.errstate(invalid="ignore"):
        score = np.where(total > 0, 2.0 * c / total, 0.0)
    packing = PairPacking(nbits, n_a, n_b)
    assert packing.fits
    got = packing.unpack(packing.pack(a, b, score), pa.astype(np.int32), pb.astype(np.int32))
    assert_same(got, Candidates.from_unsorted(a, b, score))  # exact scores back, sorted


def test_packing_says_when_it_does_not_fit():
    assert PairPacking(1024, 2**20, 2**20).fits  # a million a side of 1,024-bit CLKs
    assert not PairPacking(1024, 2**21, 2**20).fits


# --- the self-check of the native kernel ------------------------------------------


@pytest.fixture
def fresh_self_check(monkeypatch):
    """Let a test run the once-per-process self-check again, and undo what it changed."""
    if _backend._dice_native is None:
        pytest.skip("native kernel not built")
    native = _backend._dice_native
    before = native.isa()
    monkeypatch.delenv("PPRL_DICE_ISA", raising=False)
    for name in ("_dice_native", "_NATIVE_IMPORT_ERROR", "_self_check_error", "_logged"):
        monkeypatch.setattr(_backend, name, getattr(_backend, name))
    monkeypatch.setattr(_backend, "_self_checked", False)
    monkeypatch.setattr(_backend, "_logged", set())
    yield native
    native.set_isa(before)


def test_self_check_passes_on_every_path_here(fresh_self_check):
    native = fresh_self_check
    for path in native.isas():
        native.set_isa(path)
        assert _backend._agrees_with_numpy(native, path), path


def test_self_check_detects_a_wrong_kernel(fresh_self_check, monkeypatch):
    native = fresh_self_check
    real = native.dice_matrix
    monkeypatch.setattr(native, "dice_matrix", lambda *args: real(*args) * 0.999)
    assert not _backend._agrees_with_numpy(native, native.isa())


def test_self_check_detects_a_wrong_scan_path(fresh_self_check, monkeypatch):
    native = fresh_self_check
    real = native.scan

    def off_by_one(*args, isa=None, **kwargs):
        for a, b, s in real(*args, isa=isa, **kwargs):
            yield a, b, (s * 0.999 if isa == "portable" else s)

    monkeypatch.setattr(native, "scan", off_by_one)
    assert _backend._agrees_with_numpy(native, native.isas()[0])
    assert not _backend._agrees_with_numpy(native, "portable")


def test_self_check_swaps_a_failing_path(fresh_self_check, monkeypatch):
    native = fresh_self_check
    if len(native.isas()) < 2:
        pytest.skip("only one instruction-set path here")
    bad = native.isa()
    monkeypatch.setattr(_backend, "_agrees_with_numpy", lambda nat, path: path != bad)
    a = random_clks(np.random.default_rng(1), 5, 16)
    with pytest.warns(NativeKernelWarning, match=f"wrong results on the '{bad}'"):
        similarity.candidate_pairs(a, a, 0.5)
    assert native.isa() == native.isas()[1]
    assert similarity.available_backends()["isa"] == native.isas()[1]


def test_self_check_gives_up_on_native_when_every_path_fails(fresh_self_check, monkeypatch):
    monkeypatch.setattr(_backend, "_agrees_with_numpy", lambda nat, path: False)
    a = random_clks(np.random.default_rng(2), 5, 16)
    with pytest.warns(NativeKernelWarning, match="self-check failed on every path"):
        c = similarity.candidate_pairs(a, a, 0.5)
    assert np.array_equal(c.score, similarity.candidate_pairs(a, a, 0.5, backend="numpy").score)
    info = similarity.available_backends()
    assert info["native"] is False and "self-check failed" in info["error"]
    with pytest.raises(ImportError, match="self-check failed"):
        similarity.candidate_pairs(a, a, 0.5, backend="native")


def test_self_check_never_swaps_a_path_asked_for_by_name(fresh_self_check, monkeypatch):
    monkeypatch.setenv("PPRL_DICE_ISA", fresh_self_check.isa())
    monkeypatch.setattr(_backend, "_agrees_with_numpy", lambda nat, path: False)
    a = random_clks(np.random.default_rng(3), 5, 16)
    with pytest.raises(NativeKernelError, match="wrong results in its self-check"):
        similarity.candidate_pairs(a, a, 0.5)
    assert "self-check" in similarity.available_backends()["error"]


def test_self_check_runs_once_when_two_threads_call_at_once(fresh_self_check, monkeypatch):
    # both threads wait at the barrier, then call the kernel at the same moment right
    # after a reset: the check runs once, under the lock, and both get the right pairs
    import threading

    calls = []
    real = _backend._agrees_with_numpy

    def slow_check(nat, path):
        calls.append(path)
        threading.Event().wait(0.05)  # widen the window a second thread could slip through
        return real(nat, path)

    monkeypatch.setattr(_backend, "_agrees_with_numpy", slow_check)
    a = random_clks(np.random.default_rng(4), 200, 16, 0.3)
    want = similarity.candidate_pairs(a, a, 0.4, backend="numpy")
    barrier = threading.Barrier(2)
    results, errors = [None, None], []

    def work(i):
        try:
            barrier.wait()
            results[i] = similarity.candidate_pairs(a, a, 0.4, threads=2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert calls == [fresh_self_check.isa()]  # once, on the default path
    for got in results:
        assert_same(got, want)


def test_no_thread_uses_the_kernel_while_its_self_check_runs(fresh_self_check, monkeypatch):
    # the check fails on every path (slowly); a second thread arriving meanwhile must
    # wait for that verdict and get numpy, never the kernel being given up on
    import threading

    native = fresh_self_check
    used = []
    real_scan = native.scan
    monkeypatch.setattr(native, "scan", lambda *a, **kw: used.append(1) or real_scan(*a, **kw))

    def failing_check(nat, path):
        threading.Event().wait(0.05)
        return False

    monkeypatch.setattr(_backend, "_agrees_with_numpy", failing_check)
    a = random_clks(np.random.default_rng(5), 50, 16, 0.3)
    want = similarity.candidate_pairs(a, a, 0.4, backend="numpy")
    barrier = threading.Barrier(2)
    results = [None, None]

    def work(i):
        barrier.wait()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NativeKernelWarning)
            results[i] = similarity.candidate_pairs(a, a, 0.4, threads=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not used
    for got in results:
        assert_same(got, want)
