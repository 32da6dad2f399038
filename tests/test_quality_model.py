"""The arithmetic of ``pprl.estimate_quality`` on hand-built per-link tables."""

from __future__ import annotations

import numpy as np

from pprl.evaluation._quality_model import fit_curves, histogram

GRID = np.round(0.5 + 0.01 * np.arange(51), 9)


def _links(n=400, seed=0):
    rng = np.random.default_rng(seed)
    link = np.sort(rng.uniform(0.7, 1.0, n))
    return link, np.full(n, -np.inf)  # no record of A has any other pair: all links true


def test_a_pair_lost_on_the_b_side_counts_in_the_recall_denominator():
    """Half the links' records of B have a non-match at 0.75: true pairs under 0.75 are lost
    there as often as a free non-match of B beats them, and recall's denominator says so."""
    link, other_a = _links()
    other_b = np.where(np.arange(len(link)) % 2 == 0, 0.755, -np.inf)
    n = 4000
    hist = histogram(link, other_a, GRID)
    one_sided = fit_curves(hist, n, n, GRID)
    two_sided = fit_curves(hist, n, n, GRID, hist_b=histogram(link, other_b, GRID))
    assert np.allclose(one_sided["tp"], two_sided["tp"])  # the links are all true either way
    assert abs(one_sided["m"] - len(link)) < 1e-6
    # expected: each link under 0.75 stands for 1 / (1 - lose) pairs, lose = 1 - (1 - 1/2)^share
    share = (n - len(link)) / n
    lose = 1.0 - 0.5 ** share
    under = np.sum(link < 0.76)  # a link is compared at its grid bin's lower edge (0.75)
    expected = len(link) - under + under / (1.0 - lose)
    assert abs(two_sided["m"] - expected) <= 0.03 * expected, (two_sided["m"], expected)


def test_no_b_side_non_match_changes_nothing():
    link, other_a = _links(seed=1)
    hist = histogram(link, other_a, GRID)
    n = 4000
    a = fit_curves(hist, n, n, GRID)
    b = fit_curves(hist, n, n, GRID, hist_b=histogram(link, np.full(len(link), -np.inf), GRID))
    assert abs(a["m"] - b["m"]) < 1e-9 and np.allclose(a["tp"], b["tp"])
