"""Hamming LSH blocking on CLKs: the theory against enumeration and data, and
blocked results against the exhaustive scan."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from pprl import candidate_pairs
from pprl.errors import InputError
from pprl.linkage.blocking import (
    LSHParams,
    choose_lsh,
    collision_probability,
    expected_pair_completeness,
    lsh_candidate_pairs,
    pairs_blocked,
    worst_case_distance,
)


def _clks(rng, n, nbytes=64, fill=0.4, flip=0.06):
    """Party A's random CLKs and B: noisy copies of the first half, then strangers."""
    a = np.packbits(rng.random((n, nbytes * 8)) < fill, axis=1)
    noise = np.packbits(rng.random((n // 2, nbytes * 8)) < flip, axis=1)
    b = np.concatenate([a[: n // 2] ^ noise, np.packbits(rng.random((n - n // 2, nbytes * 8))
                                                         < fill, axis=1)])
    return a, b


def _as_dict(c):
    return dict(zip(zip(c.a.tolist(), c.b.tolist(), strict=True), c.score.tolist(), strict=True))


@pytest.mark.parametrize(("nbits", "d", "k"), [(8, 3, 2), (10, 0, 3), (10, 7, 3), (9, 4, 4),
                                              (6, 6, 1)])
def test_collision_probability_is_the_share_of_samples_avoiding_differing_bits(nbits, d, k):
    differing = set(range(d))
    subsets = list(itertools.combinations(range(nbits), k))
    want = sum(not differing & set(s) for s in subsets) / len(subsets)
    assert math.isclose(float(collision_probability(d, k, nbits)), want, rel_tol=1e-12)


@pytest.mark.parametrize("threshold", [0.0, 0.05, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0])
@pytest.mark.parametrize(("pmax", "nbits"), [(5, 64), (12, 64), (25, 64), (14, 16), (25, 32)])
def test_worst_case_distance_is_the_largest_over_all_popcount_pairs(threshold, pmax, nbits):
    best = 0
    for pa in range(pmax + 1):
        for pb in range(pmax + 1):
            s = pa + pb
            for c in range(max(0, s - nbits), min(pa, pb) + 1):
                if s and 2.0 * c / s >= threshold:
                    best = max(best, s - 2 * c)
    assert worst_case_distance(threshold, pmax, nbits) == best


def test_pair_completeness_bound_matches_pairs_at_the_worst_case_distance():
    """Pairs exactly at the worst case are found at the predicted rate (within 4 sigma)."""
    rng = np.random.default_rng(5)
    nbits, pmax, t = 256, 100, 0.8
    d = worst_case_distance(t, pmax)  # 40: c = 80 of 100 + 100
    n = 200
    a_bits = np.zeros((n, nbits), bool)
    b_bits = np.zeros((n, nbits), bool)
    for i in range(n):
        perm = rng.permutation(nbits)
        common, only_a, only_b = perm[:pmax - d // 2], perm[pmax - d // 2:pmax], \
            perm[pmax:pmax + d // 2]
        a_bits[i, np.concatenate([common, only_a])] = True
        b_bits[i, np.concatenate([common, only_b])] = True
    a, b = np.packbits(a_bits, axis=1), np.packbits(b_bits, axis=1)
    pairs = np.stack([np.arange(n), np.arange(n)], axis=1)
    bound = expected_pair_completeness(3, 8, t, (pmax, pmax), nbits)
    # the bound is over the random choice of sampled bits: average over seeds
    found = np.mean([pairs_blocked(a, b, pairs, LSHParams(3, 8, seed)).mean()
                     for seed in range(30)])
    sigma = math.sqrt(bound * (1 - bound) / (n * 30))
    assert 0.3 < bound < 0.9  # a bound the test can tell from 0 and 1
    assert abs(found - bound) < 4 * sigma


def test_measured_pair_completeness_at_least_the_bound():
    rng = np.random.default_rng(1)
    a, b = _clks(rng, 400)
    exhaustive = candidate_pairs(a, b, 0.75)
    pairs = np.stack([exhaustive.a, exhaustive.b], axis=1)
    for seed in range(3):
        report = choose_lsh(a, b, 0.75, target_pc=0.9, rng=seed, estimate="worst-case")
        assert report.pc_bound >= 0.9
        assert pairs_blocked(a, b, pairs, report.params).mean() >= report.pc_bound


def test_blocked_pairs_are_exhaustive_pairs_that_share_a_bucket():
    rng = np.random.default_rng(2)
    a, b = _clks(rng, 300, flip=0.12)
    exhaustive = candidate_pairs(a, b, 0.7)
    params = LSHParams(tables=4, bits=10, seed=3)  # deliberately incomplete
    blocked, report = lsh_candidate_pairs(a, b, 0.7, params=params, threads=1)
    assert blocked.is_sorted()
    got, want = _as_dict(blocked), _as_dict(exhaustive)
    assert got.items() <= want.items()  # same pairs, bit-identical scores
    shared = pairs_blocked(a, b, np.stack([exhaustive.a, exhaustive.b], axis=1), params)
    assert len(blocked) == int(shared.sum()) < len(exhaustive)
    assert report.candidates == len(blocked)
    assert 0 < report.compared <= report.generated < 300 * 300


def test_many_tables_give_the_exhaustive_result(backend):
    rng = np.random.default_rng(3)
    a, b = _clks(rng, 200)
    want = candidate_pairs(a, b, 0.6, backend=backend)
    got, report = lsh_candidate_pairs(a, b, 0.6, params=LSHParams(tables=300, bits=2, seed=1),
                                      backend=backend)
    for x, y in ((got.a, want.a), (got.b, want.b), (got.score, want.score)):
        np.testing.assert_array_equal(x, y)
    assert report.pc_bound > 1 - 1e-9


@pytest.mark.parametrize("nbytes", [1, 8, 72, 128, 136, 200])
def test_scores_are_the_kernels_at_every_row_width(nbytes, backend):
    """One word, several, and the two-stage read of rows of 16 words or more."""
    rng = np.random.default_rng(nbytes)
    a, b = _clks(rng, 120, nbytes=nbytes, flip=0.1)
    want = candidate_pairs(a, b, 0.6)
    got, report = lsh_candidate_pairs(a, b, 0.6, params=LSHParams(tables=60, bits=1, seed=1),
                                      backend=backend)
    assert len(want) > 50
    assert _as_dict(got) == _as_dict(want)
    if backend == "native":  # the same work reported as by the numpy reference
        _, ref = lsh_candidate_pairs(a, b, 0.6, params=report.params, backend="numpy")
        assert (report.generated, report.compared) == (ref.generated, ref.compared)


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_among_blocked_pairs(k):
    rng = np.random.default_rng(4)
    a, b = _clks(rng, 150, flip=0.1)
    b = np.concatenate([b, b[:40] ^ np.uint8(1)])  # rows of A with several candidates
    want = candidate_pairs(a, b, 0.5, k=k)
    got, _ = lsh_candidate_pairs(a, b, 0.5, params=LSHParams(tables=400, bits=2, seed=2), k=k)
    assert _as_dict(got) == _as_dict(want)


def test_threads_and_automatic_choice_agree():
    rng = np.random.default_rng(6)
    a, b = _clks(rng, 300)
    one, r1 = lsh_candidate_pairs(a, b, 0.8, threads=1, rng=9, estimate="worst-case")
    two, r2 = lsh_candidate_pairs(a, b, 0.8, threads=2, rng=9, estimate="worst-case")
    assert r1.params == r2.params and r1.pc_bound >= 0.99
    assert _as_dict(one) == _as_dict(two)
    assert (r1.generated, r1.compared) == (r2.generated, r2.compared)


def test_sample_estimate_needs_fewer_tables_than_the_worst_case():
    rng = np.random.default_rng(7)
    a, b = _clks(rng, 600, flip=0.03)
    worst = choose_lsh(a, b, 0.8, estimate="worst-case", rng=0)
    sample = choose_lsh(a, b, 0.8, rng=0)  # the default
    assert worst.pc_sample is None and worst.pc_bound >= 0.99
    assert sample.pc_sample is not None and sample.pc_sample >= 0.99
    assert sample.expected_comparisons <= worst.expected_comparisons
    exhaustive = candidate_pairs(a, b, 0.8)
    found = pairs_blocked(a, b, np.stack([exhaustive.a, exhaustive.b], axis=1), sample.params)
    assert found.mean() >= 0.97


def test_oversized_buckets_are_skipped_with_a_warning_naming_the_table():
    a = np.zeros((30, 8), np.uint8)
    a[:, 0] = 0b11110000
    b = a.copy()
    with pytest.warns(UserWarning, match=r"table \d+ .*max_bucket_pairs=10"):
        cands, report = lsh_candidate_pairs(a, b, 0.9, params=LSHParams(2, 4, 0),
                                            max_bucket_pairs=10)
    assert len(cands) == 0 and report.skipped and report.skipped[0][2] == 900


def test_unreachable_target_is_one_clear_error():
    rng = np.random.default_rng(8)
    a, b = _clks(rng, 50)
    with pytest.raises(InputError, match="cannot reach pair completeness 0.99 at threshold 0.1"):
        choose_lsh(a, b, 0.1, max_tables=5)
    with pytest.raises(InputError, match="target_pc"):
        choose_lsh(a, b, 0.8, target_pc=1.0)
    with pytest.raises(InputError, match="bits"):
        LSHParams(tables=3, bits=65, seed=0)


def test_empty_inputs():
    a = np.zeros((0, 8), np.uint8)
    b = np.ones((5, 8), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cands, report = lsh_candidate_pairs(a, b, 0.8, params=LSHParams(3, 5, 1))
    assert len(cands) == 0 and report.n_a == 0


def test_the_sample_estimate_asks_its_lower_confidence_bound_to_reach_the_target():
    from pprl.linkage._lsh_bounds import _tables_needed

    p = np.random.default_rng(4).uniform(0.001, 0.2, 500)  # collision chances of a sample

    def lower(lam, share):  # the sample's error (less the share sampled) and LSH's own
        found = 1 - (1 - p) ** lam
        var = found.var(ddof=1) * (1 - share) / len(p) + np.mean(found * (1 - found)) * share \
            / len(p)
        return found.mean() - 1.645 * np.sqrt(var)

    plain = _tables_needed(p, 0.99, 5000)
    for share in (0.01, 0.3, 1.0):
        careful = _tables_needed(p, 0.99, 5000, z=1.645, share=share)
        assert plain < careful
        assert lower(careful, share) >= 0.99 > lower(careful - 1, share)
    one = np.array([0.05])  # a single pair (the worst case): no spread, no margin
    assert _tables_needed(one, 0.99, 5000, z=1.645) == _tables_needed(one, 0.99, 5000)
