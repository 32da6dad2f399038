"""Deduplication of one file and the evaluation of groups against a truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pprl
from pprl.errors import InputError


def _dup_file(rng, n_entities=150, nbytes=32, flip=0.04):
    """Entities with 1-3 noisy copies each, shuffled; returns CLKs and the truth."""
    base = rng.integers(0, 256, (n_entities, nbytes), dtype=np.uint8)
    copies = rng.integers(1, 4, n_entities)
    ent = np.repeat(np.arange(n_entities), copies)
    noise = np.packbits(rng.random((len(ent), nbytes * 8)) < flip, axis=1)
    clks = base[ent] ^ noise
    perm = rng.permutation(len(ent))
    return clks[perm], pd.DataFrame({"row": np.arange(len(ent)), "entity": ent[perm]})


def test_self_candidates_each_pair_once_never_self():
    rng = np.random.default_rng(1)
    clks, _ = _dup_file(rng)
    c = pprl.self_candidates(clks, 0.7)
    assert len(c) > 50 and np.all(c.a < c.b)
    full = pprl.candidate_pairs(clks, clks, 0.7)
    assert 2 * len(c) + len(clks) == len(full)  # both orders plus every record with itself
    assert c.is_sorted()


def test_dedupe_recovers_duplicates_and_greedy_beats_chaining():
    rng = np.random.default_rng(2)
    clks, truth = _dup_file(rng)
    g = pprl.dedupe(clks, 0.75)
    m = pprl.evaluate_groups(g, truth)
    assert m.f1 > 0.95 and m.ari > 0.95
    assert set(g.party.tolist()) == {0}
    # a path of links: x_i has bits i..i+7 set, Dice(x_i, x_j) = 1 - |i - j| / 8, so at
    # 0.8 only neighbours link; the ends of the path share nothing
    bits = np.zeros((12, 32), np.uint8)
    for i in range(12):
        bits[i, i:i + 8] = 1
    chain = np.packbits(bits, axis=1)
    comp = pprl.dedupe(chain, 0.8, method="components")
    greedy = pprl.dedupe(chain, 0.8)
    assert comp.n_groups == 1 and comp.sizes().tolist() == [12]
    assert greedy.sizes().tolist() == [2] * 6
    prob = pprl.dedupe(chain, 0.8, method="probabilistic", merge_threshold=0.5)
    assert prob.sizes().max() < 12


def test_negative_control_random_groups_score_chance():
    rng = np.random.default_rng(3)
    _, truth = _dup_file(rng, n_entities=400)
    good = pd.DataFrame({"group": truth["entity"], "row": truth["row"]})
    assert pprl.evaluate_groups(good, truth).f1 == 1.0
    shuffled = good.assign(group=rng.permutation(good["group"].to_numpy()))
    m = pprl.evaluate_groups(shuffled, truth)
    assert abs(m.ari) < 0.02 and m.precision < 0.02
    # random CLKs: no duplicates found
    assert pprl.dedupe(rng.integers(0, 256, (300, 64), dtype=np.uint8), 0.8).n_groups == 0


def test_evaluate_groups_by_hand_and_against_sklearn():
    from sklearn.metrics import adjusted_rand_score

    truth = pd.DataFrame({"party": ["a", "b", "c", "a", "b", "c"], "row": [0, 0, 0, 1, 1, 1],
                          "entity": [1, 1, 1, 2, 2, 3]})
    groups = pprl.Groups.from_lists([[(0, 0), (1, 0), (2, 0)], [(0, 1), (1, 1), (2, 1)]])
    m = pprl.evaluate_groups(groups, truth)
    # predicted pairs: a0b0 a0c0 b0c0 a1b1 (tp), a1c1 b1c1 (fp); true pairs: the four tp
    assert (m.tp, m.fp, m.fn) == (4, 2, 0)
    assert m.precision == pytest.approx(4 / 6) and m.recall == 1.0
    assert m.f1 == pytest.approx(0.8)
    assert m.n_records == 6 and m.n_groups == 2 and m.n_entities == 3
    assert m.ari == pytest.approx(adjusted_rand_score([1, 1, 1, 2, 2, 3], [0, 0, 0, 1, 1, 1]))
    assert m.homogeneity < 1.0 and m.completeness == pytest.approx(1.0)
    # one group left out: its records are clusters of their own
    half = pprl.evaluate_groups(pprl.Groups.from_lists([[(0, 0), (1, 0), (2, 0)]]), truth)
    assert (half.tp, half.fp, half.fn) == (3, 0, 1)
    with pytest.raises(InputError, match="party 0, row 0"):
        pprl.evaluate_groups(groups, pd.concat([truth, truth.iloc[:1]]))
    with pytest.raises(InputError, match="party 2, row 5"):
        pprl.evaluate_groups(pprl.Groups.from_lists([[(0, 0), (2, 5)]]), truth)
    with pytest.raises(InputError, match="party 2, row 1"):
        pprl.evaluate_groups(groups, truth.drop(index=5))


def test_multiparty_synthetic_end_to_end():
    ds = pprl.make_dataset(150, parties=3, overlap=0.6, rng=4)
    clks = [pprl.encode(p, pprl.person_schema(), "secret", progress=False) for p in ds.parties]
    c = pprl.multiparty_candidates(clks, 0.8)
    greedy = pprl.evaluate_groups(pprl.greedy_groups(c), ds.entities)
    prob = pprl.evaluate_groups(pprl.probabilistic_groups(c), ds.entities)
    assert greedy.precision > 0.9 and greedy.recall > 0.5
    assert prob.recall >= greedy.recall
    # negative control: the truth's entities shuffled
    wrong = ds.entities.assign(entity=np.random.default_rng(0).permutation(
        ds.entities["entity"].to_numpy()))
    assert pprl.evaluate_groups(pprl.greedy_groups(c), wrong).precision < 0.1
