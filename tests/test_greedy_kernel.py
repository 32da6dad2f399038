"""pprl.linkage.matching.greedy_mask: native == numpy == a plain Python loop."""

from __future__ import annotations

import numpy as np
import pytest

from pprl import Candidates, InputError
from pprl.linkage import matching, similarity


def greedy_loop(a, b):
    used_a, used_b, keep = set(), set(), []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        ok = x not in used_a and y not in used_b
        if ok:
            used_a.add(x)
            used_b.add(y)
        keep.append(ok)
    return np.array(keep, dtype=bool)


def random_candidates(rng, n_pairs, n_a, n_b, n_scores):
    """Canonically ordered pairs with many ties (few distinct scores)."""
    a = rng.integers(0, n_a, n_pairs)
    b = rng.integers(0, n_b, n_pairs)
    s = rng.integers(0, n_scores, n_pairs) / n_scores
    key = a * n_b + b
    _, first = np.unique(key, return_index=True)  # each pair once
    return Candidates.from_unsorted(a[first], b[first], s[first])


@pytest.mark.parametrize("n_pairs, n_a, n_b, n_scores", [
    (0, 3, 3, 1), (1, 1, 1, 1), (50, 5, 5, 2), (400, 30, 20, 3), (3000, 300, 200, 50),
    (3000, 40, 1000, 1000), (5000, 2000, 2000, 1),
])
def test_native_numpy_and_loop_agree(backend, rng, n_pairs, n_a, n_b, n_scores):
    for _ in range(3):
        c = random_candidates(rng, n_pairs, n_a, n_b, n_scores)
        got = matching.greedy_mask(c.a, c.b, n_a, n_b, backend=backend)
        assert got.dtype == bool and got.shape == (len(c),)
        np.testing.assert_array_equal(got, greedy_loop(c.a, c.b))


def test_backends_agree_on_real_candidates(backend, rng):
    a = np.packbits(rng.random((300, 256)) < 0.3, axis=1)
    b = np.concatenate([a ^ np.packbits(rng.random((300, 256)) < 0.05, axis=1), a[:50]])
    c = similarity.candidate_pairs(a, b, 0.5)
    keep = matching.greedy_mask(c.a, c.b, len(a), len(b), backend=backend)
    np.testing.assert_array_equal(keep, greedy_loop(c.a, c.b))
    assert len(np.unique(c.a[keep])) == keep.sum() == len(np.unique(c.b[keep]))


def test_chain_of_conflicts(backend):
    # (0,0) beats (1,0), which frees (1,1), which blocks (2,1), ... : many rounds for numpy
    n = 200
    a = np.repeat(np.arange(n), 2)[1:]
    b = np.repeat(np.arange(n), 2)[:-1]
    keep = matching.greedy_mask(a, b, n, n, backend=backend)
    np.testing.assert_array_equal(keep, greedy_loop(a, b))


def test_plain_lists_and_small_ints_are_accepted(backend):
    keep = matching.greedy_mask([0, 0, 1], np.array([1, 0, 1], np.int32), 2, 2, backend=backend)
    assert keep.tolist() == [True, False, False]


@pytest.mark.parametrize("args, match", [
    (([0, 2], [0, 0], 2, 1), r"'a' parameter of greedy_mask must be row indices in \[0, 2\)"),
    (([0, 1], [0, -1], 2, 1), r"'b' parameter"),
    (([0, 1], [0], 2, 1), "equal length"),
    (([0.5], [0], 2, 1), "1-D array of integers"),
    (([[0]], [0], 2, 1), "1-D array of integers"),
    (([0], [0], -1, 1), "'n_a' parameter"),
    (([0], [0], 1, 2.0), "'n_b' parameter"),
])
def test_bad_input(backend, args, match):
    with pytest.raises(InputError, match=match):
        matching.greedy_mask(*args, backend=backend)
