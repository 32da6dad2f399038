"""The service's computation in-process: sliced scans equal one library call."""

from __future__ import annotations

import numpy as np
import pytest

from pprl import candidate_pairs, greedy_match
from pprl.linkage.blocking import choose_lsh, lsh_candidate_pairs
from pprl.service.server.compute import candidates, permutations


@pytest.fixture
def ab(rng):
    a = rng.integers(0, 256, (700, 32), dtype=np.uint8)
    b = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    b[:300] = a[:300] ^ np.packbits(rng.random((300, 256)) < 0.04, axis=1)
    b[300:320] = b[:20]  # rows of B close to two rows of A: k and greedy matter
    return a, b


def same(x, y):
    return (np.array_equal(x.a, y.a) and np.array_equal(x.b, y.b)
            and np.array_equal(x.score, y.score))


@pytest.mark.parametrize("k", [None, 1, 3])
def test_sliced_exhaustive_scan_equals_one_call_and_reports_progress(ab, k):
    a, b = ab
    seen = []
    got = candidates(a, b, 0.7, {"k": k}, lambda *p: seen.append(p))
    assert same(got, candidate_pairs(a, b, 0.7, k=k)) and len(got) >= 300
    rel = [p[1] for p in seen]
    assert len(rel) == 16 and rel == sorted(rel) and rel[-1] == 1.0 and 0 < rel[0] < 1
    assert seen[-1][0] == a.shape[0] * b.shape[0]


def test_sliced_lsh_equals_the_library(ab):
    a, b = ab
    got = candidates(a, b, 0.7, {"blocking": "lsh", "seed": 9}, lambda *p: None)
    ref, _ = lsh_candidate_pairs(a, b, 0.7, params=choose_lsh(a, b, 0.7, rng=9).params)
    assert same(got, ref) and len(got) > 250


def test_no_signal_gives_no_pairs(rng):
    """Negative control: independent random CLKs have no pair at 0.7."""
    a = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    b = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    assert len(candidates(a, b, 0.7, {}, lambda *p: None)) == 0


def test_permutations_put_exactly_the_greedy_pairs_at_shared_positions(ab):
    a, b = ab
    g = greedy_match(candidate_pairs(a, b, 0.7))
    r = permutations(g, len(a), len(b), np.random.default_rng(1))
    assert sorted(r["perm_0"]) == list(range(len(a))) and sorted(r["perm_1"]) == list(range(len(b)))
    assert len(r["mask"]) == min(len(a), len(b)) and r["mask"].sum() == len(g)
    inv0, inv1 = np.argsort(r["perm_0"]), np.argsort(r["perm_1"])
    sel = np.flatnonzero(r["mask"])
    assert sorted(zip(inv0[sel].tolist(), inv1[sel].tolist(), strict=True)) == \
        sorted(zip(g.a.tolist(), g.b.tolist(), strict=True))
    # unmatched rows of both parties never share a position inside the mask's range
    off = np.flatnonzero(r["mask"] == 0)
    pairs = set(zip(g.a.tolist(), g.b.tolist(), strict=True))
    assert not any((int(inv0[q]), int(inv1[q])) in pairs for q in off)
    other = permutations(g, len(a), len(b), np.random.default_rng(2))
    assert not np.array_equal(other["perm_0"], r["perm_0"])  # the positions are random


def test_groups_json_omits_records_left_alone():
    import json

    from pprl.service.server.results import groups

    arrays = {"group": np.array([2, 0, 0, 1, 2]), "party": np.array([1, 1, 0, 0, 0]),
              "row": np.array([7, 3, 5, 9, 4])}
    assert json.loads(b"".join(groups(arrays))) == {"groups": [[[0, 5], [1, 3]],
                                                               [[0, 4], [1, 7]]]}
