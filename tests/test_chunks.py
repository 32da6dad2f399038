"""Bounded memory: candidate_pairs' max_bytes, and sorted chunks on disk (out_dir) that
greedy_match and threshold_curve read batch by batch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pprl import Candidates, InputError, greedy_match, threshold_curve
from pprl.linkage import _plan, chunks, similarity
from pprl.linkage.chunks import CandidateChunks


def random_clks(rng, n, nbytes, density=0.3):
    return np.packbits(rng.random((n, nbytes * 8)) < density, axis=1)


@pytest.fixture
def small_tiles(monkeypatch):
    """Tiles of 64 pairs, so that a bound of a few kB is legal and chunks are many."""
    monkeypatch.setattr(_plan, "SCAN_CAPACITY", 64)
    return 64 * 24  # the least max_bytes


@pytest.fixture
def data(rng):
    a = random_clks(rng, 70, 16)
    # ties: duplicated rows give equal scores across chunks
    b = np.concatenate([a[::3] ^ random_clks(rng, 24, 16, 0.03), random_clks(rng, 40, 16), a[:6]])
    return a, b


def assert_same(got: Candidates, want: Candidates):
    assert got.is_sorted()
    np.testing.assert_array_equal(got.a, want.a)
    np.testing.assert_array_equal(got.b, want.b)
    np.testing.assert_array_equal(got.score, want.score)


def test_chunks_hold_exactly_the_in_memory_pairs(backend, data, small_tiles, tmp_path):
    a, b = data
    want = similarity.candidate_pairs(a, b, 0.25, backend=backend)
    got = similarity.candidate_pairs(a, b, 0.25, backend=backend, out_dir=tmp_path / "c",
                                     max_bytes=small_tiles * 4)
    assert isinstance(got, CandidateChunks)
    assert got.n_chunks > 3 and len(got) == len(want) > 500
    for i in range(got.n_chunks):
        assert got.chunk(i).is_sorted()
        assert len(got.chunk(i)) <= 4 * 64  # max_bytes / 24 bytes per pair
    assert_same(got.load(), want)
    sizes = [len(c) for c in got.batches(size=100)]
    assert max(sizes) <= 200 and sum(sizes) == len(want)
    assert_same(Candidates(*(np.concatenate([getattr(c, x) for c in got.batches(size=100)])
                             for x in ("a", "b", "score"))), want)
    reopened = CandidateChunks(tmp_path / "c")
    assert (reopened.n_a, reopened.n_b, len(reopened)) == (len(a), len(b), len(want))


def test_greedy_and_curves_read_chunks_like_candidates(data, small_tiles, tmp_path, rng):
    a, b = data
    want = similarity.candidate_pairs(a, b, 0.2)
    got = similarity.candidate_pairs(a, b, 0.2, out_dir=tmp_path, max_bytes=small_tiles * 3)
    assert got.n_chunks > 3
    for be in ("numpy", "native"):
        assert_same(greedy_match(got, backend=be), greedy_match(want, backend=be))
    truth = np.c_[np.arange(0, 70, 3), np.arange(24)]
    for solver in ("none", "greedy"):
        for t in (truth, None):
            c1, c2 = threshold_curve(got, t, solver=solver), threshold_curve(want, t, solver=solver)
            np.testing.assert_array_equal(c1.thresholds, c2.thresholds)
            np.testing.assert_array_equal(c1.n_pairs, c2.n_pairs)
            if t is not None:
                np.testing.assert_array_equal(c1.tp, c2.tp)
                assert c1.n_true == c2.n_true


def test_empty_result_and_empty_input_make_a_readable_folder(rng, tmp_path):
    a = random_clks(rng, 5, 8)
    got = similarity.candidate_pairs(a, a[:0], 0.5, out_dir=tmp_path / "e")
    assert len(got) == 0 and got.n_chunks == 0 and len(got.load()) == 0
    assert len(greedy_match(got)) == 0
    none = similarity.candidate_pairs(a, np.zeros_like(a), 0.5, out_dir=tmp_path / "z")
    assert len(none) == 0 and len(threshold_curve(none).thresholds) == 0


def test_out_dir_with_chunks_is_refused(data, tmp_path):
    a, b = data
    similarity.candidate_pairs(a, b, 0.5, out_dir=tmp_path)
    with pytest.raises(InputError, match="already holds candidate chunks"):
        similarity.candidate_pairs(a, b, 0.5, out_dir=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        similarity.candidate_pairs(a, b, 0.5, out_dir=tmp_path / "file")


def test_a_failed_scan_leaves_no_chunks(data, small_tiles, tmp_path, monkeypatch):
    a, b = data
    real, calls = np.save, []

    def failing_save(fh, arr):
        calls.append(1)
        if len(calls) == 7:  # the third chunk's first column
            raise OSError("disk full")
        real(fh, arr)

    monkeypatch.setattr(chunks.np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        similarity.candidate_pairs(a, b, 0.2, out_dir=tmp_path, max_bytes=small_tiles)
    assert list(tmp_path.iterdir()) == []
    calls.clear()
    with pytest.raises(OSError, match="disk full"):
        similarity.candidate_pairs(a, b, 0.2, out_dir=tmp_path / "new", max_bytes=small_tiles)
    assert list(tmp_path.iterdir()) == []  # the folder it made is gone too


def test_a_folder_without_manifest_is_refused(tmp_path):
    with pytest.raises(InputError, match="candidates.json is missing"):
        CandidateChunks(tmp_path)
    (tmp_path / chunks.MANIFEST).write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="expected a 'pprl-candidate-chunks' manifest"):
        CandidateChunks(tmp_path)


# --- max_bytes -------------------------------------------------------------------


def test_a_bound_below_one_tile_is_refused(data):
    a, b = data
    for bad in (1000, -1, 2.5e9, True, "1GB"):
        with pytest.raises(InputError, match="'max_bytes' parameter of candidate_pairs must be "
                                             "None or an integer >= 1572864 .one tile"):
            similarity.candidate_pairs(a, b, 0.5, max_bytes=bad)


def test_a_result_over_the_bound_stops_with_advice(backend, data, small_tiles):
    a, b = data
    n = len(similarity.candidate_pairs(a, b, 0.1, backend=backend))
    assert n * 24 > small_tiles * 4
    with pytest.raises(InputError, match=r"stopped early: the result passed [\d,]+ pairs .*"
                                         r"max_bytes=6,144 allows\. Keep fewer pairs with k=.*"
                                         r"higher threshold \(now 0.1\), blocking, .*out_dir="):
        similarity.candidate_pairs(a, b, 0.1, backend=backend, max_bytes=small_tiles * 4)
    fits = similarity.candidate_pairs(a, b, 0.1, backend=backend, max_bytes=n * 24)
    assert len(fits) == n


def test_a_sample_predicts_an_oversized_result_before_the_scan(data, small_tiles, monkeypatch):
    a, b = data
    monkeypatch.setattr(_plan, "TIME_PATHS_ABOVE", 0)  # explore even small inputs
    monkeypatch.setattr(_plan, "EXPLORE_FRACTION", 0.2)
    tiles = []
    real = _plan.tiles
    monkeypatch.setattr(_plan, "tiles", lambda *args: tiles.append(1) or real(*args))
    for be in ("numpy", "native"):  # 3 or 9 blocks of 20% of A in all: ~900 of 7,000 pairs
        with pytest.raises(InputError, match="would hold about"):
            similarity.candidate_pairs(a, b, 0.0, backend=be, max_bytes=2000 * 24)
    assert not tiles  # the scan stopped after the explored blocks


def test_without_packing_the_three_arrays_are_sorted_alike(backend, data, monkeypatch):
    # past ~2**20 rows a side of 1,024-bit CLKs the key does not fit in 63 bits
    from pprl.linkage import candidates

    a, b = data
    want = similarity.candidate_pairs(a, b, 0.2, backend=backend)
    real = candidates.PairPacking.__init__

    def too_wide(self, *args):
        real(self, *args)
        self.fits = False

    monkeypatch.setattr(candidates.PairPacking, "__init__", too_wide)
    assert_same(similarity.candidate_pairs(a, b, 0.2, backend=backend), want)
