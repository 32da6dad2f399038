"""N-party candidates and anonlink's greedy / probabilistic groups, against anonlink 0.15.3."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NATIVE, NATIVE_REASON
from hypothesis import given, settings
from hypothesis import strategies as st

import pprl
from pprl.errors import InputError
from pprl.linkage.multiparty import MultipartyCandidates

anonlink = pytest.importorskip("anonlink")
from anonlink.solving import greedy_solve, probabilistic_greedy_solve  # noqa: E402


def _as_set(groups) -> set[frozenset]:
    if isinstance(groups, pprl.Groups):
        groups = groups.to_lists()
    return {frozenset((int(p), int(r)) for p, r in g) for g in groups}


@st.composite
def candidate_sets(draw):
    """Candidate pairs of 2-6 parties with few distinct scores (many ties), possibly none."""
    k = draw(st.integers(2, 6))
    rows = draw(st.integers(1, 6))
    n = draw(st.integers(0, 40))
    pairs = set()
    out = []
    for _ in range(n):
        pa = draw(st.integers(0, k - 2))
        pb = draw(st.integers(pa + 1, k - 1))
        ra, rb = draw(st.integers(0, rows - 1)), draw(st.integers(0, rows - 1))
        if (pa, ra, pb, rb) in pairs:
            continue
        pairs.add((pa, ra, pb, rb))
        out.append((pa, ra, pb, rb, draw(st.sampled_from([0.8, 0.85, 0.9, 1.0]))))
    cols = list(zip(*out, strict=True)) if out else [[], [], [], [], []]
    return MultipartyCandidates(*cols, n_parties=k)


# each solver path against anonlink (native: native/groups.c, numpy: the Python rule)
SOLVER_PATHS = ["numpy", pytest.param("native", marks=pytest.mark.skipif(not NATIVE,
                                                                          reason=NATIVE_REASON))]


@pytest.mark.parametrize("backend", SOLVER_PATHS)
@settings(max_examples=200, deadline=None)
@given(c=candidate_sets())
def test_greedy_groups_match_anonlink(backend, c):
    ours = pprl.greedy_groups(c, backend=backend)
    assert _as_set(ours) == _as_set(greedy_solve(c.to_anonlink()))


@pytest.mark.parametrize("backend", SOLVER_PATHS)
@settings(max_examples=200, deadline=None)
@given(c=candidate_sets(), mt=st.sampled_from([0.0, 0.3, 0.5, 2 / 3, 0.75, 1.0]),
       dedup=st.booleans())
def test_probabilistic_groups_match_anonlink(backend, c, mt, dedup):
    ours = pprl.probabilistic_groups(c, merge_threshold=mt, deduplicated=dedup, backend=backend)
    theirs = probabilistic_greedy_solve(c.to_anonlink(), merge_threshold=mt, deduplicated=dedup)
    assert _as_set(ours) == _as_set(theirs)


def test_groups_are_canonical_and_leave_out_singletons():
    c = MultipartyCandidates([0, 1, 0], [0, 0, 1], [1, 2, 2], [0, 0, 0], [0.95, 0.9, 0.85])
    g = pprl.greedy_groups(c)
    assert g.to_frame().values.tolist() == [[0, 0, 0], [0, 1, 0], [1, 0, 1], [1, 2, 0]]
    assert g.sizes().tolist() == [2, 2]
    assert pprl.greedy_groups(MultipartyCandidates.empty(3)).to_lists() == []
    # a record alone (only weak evidence) is left out
    assert len(pprl.probabilistic_groups(c, merge_threshold=1.0)) == 4


def _clks(n, rng, nbytes=16, flip=0.03):
    base = rng.integers(0, 256, (n, nbytes), dtype=np.uint8)
    noisy = [base ^ (np.packbits(rng.random((n, nbytes * 8)) < flip, axis=1)) for _ in range(3)]
    return [x[rng.permutation(n)] for x in noisy]


def _anonlink_candidates(clks, t, k=None):
    from anonlink.candidate_generation import find_candidate_pairs
    from anonlink.similarities import dice_coefficient
    from bitarray import bitarray

    def bits(x):
        out = []
        for row in x:
            b = bitarray()
            b.frombytes(row.tobytes())
            out.append(b)
        return out

    return find_candidate_pairs([bits(x) for x in clks], dice_coefficient, t, k=k)


@pytest.mark.parametrize("k", [None, 1, 2])
def test_candidates_match_anonlink_find_candidate_pairs(k):
    rng = np.random.default_rng(5)
    clks = _clks(60, rng)
    clks[1] = np.concatenate([clks[1], clks[1][:5]])  # exact duplicates: score ties
    c = pprl.multiparty_candidates(clks, 0.7, k=k)
    sims, (d0, d1), (r0, r1) = _anonlink_candidates(clks, 0.7, k=k)
    assert len(c) > 60
    assert c.party_a.tolist() == list(d0) and c.party_b.tolist() == list(d1)
    assert c.row_a.tolist() == list(r0) and c.row_b.tolist() == list(r1)
    np.testing.assert_allclose(c.score, np.asarray(sims))
    assert np.all(c.party_a < c.party_b)
    assert _as_set(pprl.greedy_groups(c)) == _as_set(greedy_solve(c.to_anonlink()))


def test_candidates_paths_agree(tmp_path):
    rng = np.random.default_rng(6)
    clks = _clks(80, rng)
    ref = pprl.multiparty_candidates(clks, 0.75, backend="numpy")
    for other in (pprl.multiparty_candidates(clks, 0.75, backend="native", threads=2),
                  pprl.multiparty_candidates(clks, 0.75, out_dir=tmp_path / "out",
                                             max_bytes=pprl.linkage.similarity.least_max_bytes()),
                  MultipartyCandidates(ref.party_a[::-1], ref.row_a[::-1], ref.party_b[::-1],
                                       ref.row_b[::-1], ref.score[::-1])):
        assert other.to_frame().equals(ref.to_frame())
    lsh = pprl.multiparty_candidates(clks, 0.75, blocking="lsh", rng=1)
    got = set(map(tuple, lsh.to_frame().values.tolist()))
    assert got <= set(map(tuple, ref.to_frame().values.tolist()))
    assert len(got) >= 0.9 * len(ref)


def test_two_parties_equal_candidate_pairs():
    rng = np.random.default_rng(7)
    a, b, _ = _clks(50, rng)
    c2 = pprl.candidate_pairs(a, b, 0.7)
    m = pprl.multiparty_candidates([a, b], 0.7)
    assert m.row_a.tolist() == c2.a.tolist() and m.row_b.tolist() == c2.b.tolist()
    assert set(m.party_a.tolist()) == {0} and set(m.party_b.tolist()) == {1}


def test_negative_control_random_clks_give_no_groups():
    rng = np.random.default_rng(8)
    clks = [rng.integers(0, 256, (100, 64), dtype=np.uint8) for _ in range(3)]
    c = pprl.multiparty_candidates(clks, 0.8)
    assert len(c) == 0 and pprl.greedy_groups(c).n_groups == 0


def test_bad_inputs():
    a = np.zeros((3, 8), np.uint8)
    with pytest.raises(InputError, match="two or more"):
        pprl.multiparty_candidates([a], 0.8)
    with pytest.raises(InputError, match="party 0 has 64-bit CLKs but party 2 has 128-bit"):
        pprl.multiparty_candidates([a, a, np.zeros((2, 16), np.uint8)], 0.8)
    with pytest.raises(InputError, match="merge_threshold"):
        pprl.probabilistic_groups(MultipartyCandidates.empty(), merge_threshold=1.5)
    with pytest.raises(InputError, match="party_a < party_b"):
        MultipartyCandidates([1], [0], [1], [0], [0.9])
