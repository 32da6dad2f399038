"""One-to-one matching: greedy (== anonlink) and optimal (== brute force)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import Candidates, InputError, greedy_match, optimal_match


def greedy_reference(c: Candidates):
    """The rule written as plainly as possible."""
    used_a, used_b, kept = set(), set(), []
    order = sorted(range(len(c)), key=lambda i: (-c.score[i], c.a[i], c.b[i]))
    for i in order:
        if c.a[i] not in used_a and c.b[i] not in used_b:
            used_a.add(c.a[i])
            used_b.add(c.b[i])
            kept.append((int(c.a[i]), int(c.b[i]), float(c.score[i])))
    return kept


def as_list(c: Candidates):
    return list(zip(c.a.tolist(), c.b.tolist(), c.score.tolist(), strict=False))


def random_candidates(rng, n, na, nb, levels=None):
    a = rng.integers(0, na, n)
    b = rng.integers(0, nb, n)
    if levels:
        score = rng.integers(1, levels + 1, n) / levels  # many ties
    else:
        score = rng.random(n)
    key = a * nb + b
    _, first = np.unique(key, return_index=True)
    return Candidates.from_unsorted(a[first], b[first], score[first])


def test_greedy_by_hand():
    c = Candidates.from_unsorted(
        [0, 0, 1, 1, 2], [0, 1, 0, 1, 1], [0.9, 0.95, 0.8, 0.7, 0.95]
    )
    # 0.95 tie: (0,1) before (2,1) by a; then (0,0) blocked by a=0; (1,0) free.
    assert as_list(greedy_match(c)) == [(0, 1, 0.95), (1, 0, 0.8)]


@pytest.mark.parametrize("levels", [None, 3])
@pytest.mark.parametrize("seed", range(5))
def test_greedy_matches_reference(backend, seed, levels):
    rng = np.random.default_rng(seed)
    c = random_candidates(rng, 2000, 300, 250, levels)
    got = greedy_match(c, backend=backend)
    assert as_list(got) == greedy_reference(c)
    assert len(set(got.a.tolist())) == len(got) == len(set(got.b.tolist()))


def test_greedy_accepts_unsorted_and_empty(backend):
    c = Candidates([1, 0], [0, 0], [0.5, 0.9])  # not canonical
    assert as_list(greedy_match(c, backend=backend)) == [(0, 0, 0.9)]
    assert len(greedy_match(Candidates.empty(), backend=backend)) == 0


def test_greedy_rejects_non_candidates():
    with pytest.raises(InputError, match="pprl.Candidates"):
        greedy_match([(0, 1, 0.5)])


@pytest.mark.parametrize("seed", range(5))
def test_greedy_same_as_anonlink(seed):
    solving = pytest.importorskip("anonlink.solving")
    rng = np.random.default_rng(seed)
    c = random_candidates(rng, 3000, 400, 400, levels=4 if seed % 2 else None)
    sims = c.score
    dset = (np.zeros(len(c), np.int64), np.ones(len(c), np.int64))
    recs = (c.a, c.b)
    import array

    groups = solving.greedy_solve(
        (
            array.array("d", sims),
            (array.array("I", dset[0]), array.array("I", dset[1])),
            (array.array("I", recs[0]), array.array("I", recs[1])),
        )
    )
    theirs = set(solving.pairs_from_groups(groups))
    ours = set(zip(greedy_match(c).a.tolist(), greedy_match(c).b.tolist(), strict=False))
    assert ours == theirs


def brute_force_best(c: Candidates):
    pairs = list(zip(c.a.tolist(), c.b.tolist(), c.score.tolist(), strict=False))
    best = 0.0
    for r in range(len(pairs) + 1):
        for combo in itertools.combinations(pairs, r):
            if len({p[0] for p in combo}) == r and len({p[1] for p in combo}) == r:
                best = max(best, sum(p[2] for p in combo))
    return best


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 9))
def test_optimal_is_maximum(seed, n):
    rng = np.random.default_rng(seed)
    c = random_candidates(rng, n, 4, 4)
    m = optimal_match(c)
    assert len(set(m.a.tolist())) == len(m) == len(set(m.b.tolist()))
    # every kept pair is a real candidate with its own score
    cand = {(a, b): s for a, b, s in as_list(c)}
    assert all(cand[(a, b)] == s for a, b, s in as_list(m))
    assert m.score.sum() == pytest.approx(brute_force_best(c), abs=1e-9)
    assert m.is_sorted()


def test_optimal_beats_greedy_by_hand():
    c = Candidates.from_unsorted([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.85])
    assert sorted((a, b) for a, b, _ in as_list(optimal_match(c))) == [(0, 1), (1, 0)]
    assert [(a, b) for a, b, _ in as_list(greedy_match(c))] == [(0, 0)]


def test_optimal_large_sparse_never_worse_than_greedy():
    rng = np.random.default_rng(7)
    c = random_candidates(rng, 20000, 3000, 3000)
    opt, gr = optimal_match(c), greedy_match(c)
    assert opt.score.sum() >= gr.score.sum() - 1e-9
    assert len(set(opt.a.tolist())) == len(opt)


def test_optimal_skips_zero_scores_and_empty():
    assert len(optimal_match(Candidates.empty())) == 0
    assert len(optimal_match(Candidates([0], [0], [0.0]))) == 0
