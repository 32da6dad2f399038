"""The arithmetic behind :func:`pprl.estimate_quality`, on per-record summaries.

Everything here works on two arrays per linked record of A, so a bootstrap
over records is a resampling of rows:

``link``
    the score of the record's one-to-one link;
``other``
    the best score of the same record with any *other* record of B
    (``-inf`` when no other pair reached the candidate floor);
``other_b`` (the second table)
    the same for the link's record of B against the other records of A.

For a true link, ``other`` is the best of about ``n_b - 1`` non-match
scores: the records whose link is true give the distribution ``G`` of a
record's best non-match score directly, at the tail that matters (every
score at or above the floor is a candidate, so nothing above the floor is
censored).  A record of A with no partner in B links, if at all, to its best
*free* non-match; the expected number of such false links at or above ``t``
is ``(n_a - m) * G_free(t)`` where ``m`` is the number of records of A with a
partner and ``G_free`` discounts the ``m`` records of B already taken by
true links.  Subtracting that from the observed links gives the true links
at each threshold, which gives precision; ``m`` (the recall denominator)
is solved as a fixed point together with the weights that say which links
are true.  See ``docs/quality.md`` for the assumptions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_curves", "histogram"]

#: EM-style rounds of (weights -> null -> true links -> weights)
ROUNDS = 10


def histogram(link: np.ndarray, other: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Counts of linked records by (link bin, other bin), shape ``(g, g + 1)``.

    Link bin ``k`` holds scores in ``[grid[k], grid[k + 1])``; other bin ``0``
    holds "no other pair above the floor" and bin ``k + 1`` scores in
    ``[grid[k], grid[k + 1])``, so "at least ``grid[j]``" is a suffix sum.
    Everything below works on this table, so a bootstrap costs ``O(g^2)``
    whatever the number of records.
    """
    g = len(grid)
    lb = np.clip(np.searchsorted(grid, link, side="right") - 1, 0, g - 1)
    ob = np.searchsorted(grid, other, side="right")  # -inf and < floor -> 0
    return np.bincount(lb * (g + 1) + ob, minlength=g * (g + 1)).reshape(g, g + 1) \
        .astype(np.float64)


def _suffix(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x[::-1])[::-1]


def _posterior(n_links: np.ndarray, false: np.ndarray) -> np.ndarray:
    """P(link is true | its score bin), from the link and false-link counts per bin."""
    d_links = -np.diff(np.concatenate([n_links, [0.0]]))
    d_false = -np.diff(np.concatenate([false, [0.0]]))
    # smooth the two histograms over a few bins before taking their ratio
    kern = np.ones(5) / 5.0
    d_links = np.convolve(d_links, kern, mode="same")
    d_false = np.convolve(d_false, kern, mode="same")
    p_true = np.ones(len(n_links))
    np.divide(d_links - d_false, d_links, out=p_true, where=d_links > 0)
    p_true = np.clip(p_true, 0.0, 1.0)
    # true links get likelier with the score: the posterior is a non-decreasing
    # fit (scipy's isotonic regression, weighted by the links per bin)
    from scipy.optimize import isotonic_regression

    w = np.maximum(d_links, 0.0) + 1e-9
    return np.clip(isotonic_regression(p_true, weights=w).x, 0.0, 1.0)


def _null(hist: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """P(a record's best non-match score >= grid[j]), from the weighted links' other scores."""
    at_least = hist[:, ::-1].cumsum(axis=1)[:, ::-1][:, 1:]  # (g, g): other >= grid[j]
    wsum = float(weight @ hist.sum(axis=1))
    return np.clip((weight @ at_least) / wsum, 0.0, 1.0) if wsum > 0 else \
        np.zeros(hist.shape[0])


def fit_curves(hist: np.ndarray, n_a: int, n_b: int, grid: np.ndarray,
               below_floor: float = 0.0, start: np.ndarray | None = None,
               hist_b: np.ndarray | None = None, rounds: int = ROUNDS
               ) -> dict[str, np.ndarray | float]:
    """Estimated links and true links at each threshold of ``grid``, from :func:`histogram`.

    ``grid`` ascends from the floor.  ``below_floor`` is the estimated
    share of true matches scoring under the floor (0 when unknown).  Returns
    ``links``, ``tp`` (arrays over the grid), ``m`` (estimated records of A
    with a partner in B, the recall denominator) and ``weight`` (each link
    bin's estimated probability of being true).  ``start``: the weights to
    start from (a bootstrap starts from the point estimate's, so that every
    replicate converges to the same solution rather than to the trivial
    "every link is true" one).  ``hist_b``: the same table with the best other
    score of each link's record of B (a true pair is lost when either of its
    records has a better free non-match).  ``rounds``: rounds of the fixed
    point (1: the curve implied by the start, the links clearly above the
    best other scores taken as the true ones).
    """
    rows = hist.sum(axis=1)
    n_links = _suffix(rows)
    if n_links[0] == 0:
        zero = np.zeros(len(grid))
        return {"links": n_links, "tp": zero, "m": 0.0, "m_plain": 0.0, "weight": zero}
    all_other = hist[:, 1:].sum(axis=0)
    # start: links clearly above the best scores of other records are true
    cum = np.cumsum(all_other) / max(all_other.sum(), 1.0)
    first = int(np.searchsorted(cum, 0.99)) + 1 if all_other.sum() else 0
    weight = (np.arange(len(grid)) >= first).astype(np.float64) if start is None else start
    if (weight * rows).sum() == 0:
        weight = np.ones(len(grid))
    tp_floor = float((weight * rows).sum())
    tp = n_links
    m = tp_floor
    g_free = np.zeros(len(grid))
    for _ in range(rounds):
        g = _null(hist, weight)
        # records truly linked: the posterior-weighted links (at the floor itself
        # every record has some non-match, so the level there identifies nothing)
        tp_floor = min(float((weight * rows).sum()), float(n_links[0]))
        g_free = 1.0 - (1.0 - g) ** (max(n_b - tp_floor, 0.0) / max(n_b, 1))
        false = np.minimum(max(n_a - tp_floor, 0.0) * g_free, max(n_b - tp_floor, 0.0))
        tp = np.clip(n_links - false, 0.0, n_links)
        tp = np.maximum.accumulate(tp[::-1])[::-1]  # true links never grow with t
        tp = np.minimum(tp, n_links)
        weight = _posterior(n_links, n_links - tp)
        if (weight * rows).sum() == 0:
            break
    if (weight * rows).sum() > 0:
        # a true pair scoring s is linked only if no free non-match of either of its
        # records beats it (probability (1 - G_free(s)) (1 - G_b_free(s))): each true
        # link stands for 1 / that many true pairs
        lose_b = np.zeros(len(grid))
        if hist_b is not None:
            lose_b = 1.0 - (1.0 - _null(hist_b, weight)) ** (max(n_a - tp_floor, 0.0)
                                                             / max(n_a, 1))
        keep = np.maximum((1.0 - g_free) * (1.0 - lose_b), 0.25)  # at most 4 pairs per link
        # the average inflation of the links likelier true than not (a ratio estimator:
        # bins dominated by false links would add their noise up to 4 times over)
        w = np.where(weight < 0.5, 0.0, weight) * rows
        m = float(np.sum(w / keep)) * tp_floor / max(float(w.sum()), 1e-12)
    cap = float(min(n_a, n_b))
    m = min(max(m, tp_floor) / max(1.0 - below_floor, 1e-9), cap)
    m_plain = min(tp_floor / max(1.0 - below_floor, 1e-9), cap)  # no inverse weighting
    return {"links": n_links, "tp": tp, "m": m, "m_plain": m_plain, "weight": weight}
