"""The arithmetic behind :func:`pprl.estimate_quality`: which links are true.

Inputs are per link: its score ``s`` and, for each of its two records, the
record's own non-match null (:mod:`._quality_null`) evaluated at ``s``:
``G = P(the record's best non-match < s)`` and ``g``, that probability's
density.  The unknown is ``h``, the density of true-pair scores (per record),
with ``H(s)`` the share of records whose partner scores under ``s`` (or
who have none).

* **Posterior of a link.**  A true pair scoring ``s`` is a link when no
  non-match of its record beats it (``h(s) G``); a non-match is a link when it
  is its record's best non-match and the record's partner (if any) scores
  lower (``g(s) H(s) H_B(s)``, the last factor for the record of B).  The odds
  are the ratio; A's and B's records each give one, and their log-odds are
  averaged.
* **Start.**  ``R(t)``, the records of A whose best score is at least ``t``,
  satisfies ``n_a - R(t) = H(t) D(t)`` with ``D(t) = sum_a F(t - loc_a)``
  (the records whose null stays under ``t``): ``H`` is read off where ``D``
  is large (both files, weighted, made non-increasing by weighted isotonic
  regression, :func:`non_increasing`).
* **Rounds** (EM): the posteriors re-estimate the true pairs at or above
  each score and their density (each true link weighted by the inverse of
  its chance of surviving greedy: no *free* non-match of either record beats
  it, ``G^phi`` with ``phi`` the share of the other file not yet linked
  above ``s``; at most ``1 / CAP``), smoothed with a Gaussian of ``BW``.
"""

from __future__ import annotations

import numpy as np

from ._quality_null import Null

__all__ = ["BOOT_ROUNDS", "LinkNull", "fit_links", "identity_start", "non_increasing"]

#: EM rounds from the start
ROUNDS = 5
#: rounds of a bootstrap replicate (it starts from the point estimate's true pairs)
BOOT_ROUNDS = 3
#: Gaussian smoothing of the true-pair score density
BW = 0.02
#: a true link stands for at most 1 / CAP true pairs
CAP = 0.25
#: the start uses thresholds where at least this share of both files' nulls stay under it
MIN_D = 0.2


class LinkNull:
    """Per-link null terms of both records (``G``, ``g``) and the free shares."""

    def __init__(self, score, idx, loc_a, loc_b, null_a: Null, null_b: Null, phi_a, phi_b,
                 pairs_per_link=1.0):
        xa, xb = score - loc_a, score - loc_b
        self.Ga, self.ga = null_a.cdf(xa), null_a.pdf(xa)
        self.Gb, self.gb = null_b.cdf(xb), null_b.pdf(xb)
        surv = np.power(np.clip(self.Ga, 1e-9, 1.0), phi_a) * \
            np.power(np.clip(self.Gb, 1e-9, 1.0), phi_b)
        # a true link stands for 1 / its chance of surviving greedy true pairs, times the
        # pairs of its entity per link when either file holds several records of it
        self.ipw = pairs_per_link / np.clip(surv, CAP, 1.0)
        self.idx = idx


def _d(loc: np.ndarray, null: Null, grid: np.ndarray) -> np.ndarray:
    """``D(t) = sum over records of P(record's best non-match < t)`` on ``grid``."""
    lo, hi = float(loc.min()), float(loc.max())
    edges = np.arange(lo, hi + 0.002, 0.001)
    cnt, edges = np.histogram(loc, edges if len(edges) > 1 else 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    return (null.cdf((grid[:, None] - centres[None, :]).ravel())
            .reshape(len(grid), -1) @ cnt).astype(np.float64)


def non_increasing(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weighted least-squares non-increasing fit of ``y`` (pool adjacent violators).

    The same fit as ``scipy.optimize.isotonic_regression(y, weights=w,
    increasing=False)`` (a test checks it against scipy), written here
    because importing ``scipy.optimize`` takes half a second of every
    ``pprl link`` for a grid of at most a few hundred points.
    """
    means: list[float] = []
    weights: list[float] = []
    counts: list[int] = []
    for yi, wi in zip(np.asarray(y, dtype=np.float64).tolist(),
                      np.asarray(w, dtype=np.float64).tolist(), strict=True):
        means.append(yi)
        weights.append(wi)
        counts.append(1)
        while len(means) > 1 and means[-2] < means[-1]:  # a violation: pool the two blocks
            m1, w1, c1 = means.pop(), weights.pop(), counts.pop()
            wt = weights[-1] + w1
            means[-1] = (means[-1] * weights[-1] + m1 * w1) / wt if wt > 0 else \
                0.5 * (means[-1] + m1)
            weights[-1] = wt
            counts[-1] += c1
    return np.repeat(np.array(means), counts)


def identity_start(best_a, best_b, loc_a, loc_b, null_a: Null, null_b: Null,
                   grid: np.ndarray) -> np.ndarray:
    """True pairs scoring at or above each threshold, from ``n - R(t) = H(t) D(t)``."""
    mus, ws = [], []
    for best, loc, null in ((best_a, loc_a, null_a), (best_b, loc_b, null_b)):
        n = len(best)
        d = _d(loc, null, grid)
        r = np.array([np.count_nonzero(best >= t - 1e-12) for t in grid], dtype=np.float64)
        h = np.clip((n - r) / np.maximum(d, 1e-9), 0.0, 1.0)
        mus.append(n * (1.0 - h))
        ws.append((d / max(n, 1)) ** 2)
    w = ws[0] + ws[1] + 1e-12
    mu = (mus[0] * ws[0] + mus[1] * ws[1]) / w
    ident = (np.sqrt(ws[0]) >= MIN_D) & (np.sqrt(ws[1]) >= MIN_D)
    if ident.any():
        j0 = int(np.argmax(ident))
        mu[:j0] = mu[j0]
        w = np.where(ident, w, 1e-9)
    mu = non_increasing(mu, w)  # never grows with t
    return np.clip(mu, 0.0, float(min(len(best_a), len(best_b))))


def _kernel(step: float) -> np.ndarray:
    k = np.arange(-int(np.ceil(3 * BW / step)), int(np.ceil(3 * BW / step)) + 1) * step
    kern = np.exp(-0.5 * (k / BW) ** 2)
    return kern / kern.sum()


def fit_links(ln: LinkNull, n_a: int, n_b: int, grid: np.ndarray, start: np.ndarray,
              weights: np.ndarray | None = None, rounds: int = ROUNDS
              ) -> dict[str, np.ndarray | float]:
    """Posteriors of the links, true links at each threshold and true pairs in all.

    ``start``: true pairs at or above each grid point (:func:`identity_start`,
    or a previous fit's ``pairs``).  ``weights``: per-link bootstrap weights.
    Returns ``post`` (per link), ``tp`` and ``links`` (on the grid, at or
    above each point), ``pairs`` (estimated true pairs at or above each
    point, inverse-probability weighted) and ``m`` (all true pairs at or
    above the floor).
    """
    g = len(grid)
    step = float(grid[1] - grid[0]) if g > 1 else 0.005
    w = np.ones(len(ln.idx)) if weights is None else weights
    kern = _kernel(step)
    pairs = np.asarray(start, dtype=np.float64)
    dens = np.convolve(-np.diff(np.concatenate([pairs, [0.0]])), kern, mode="same") / step
    post = np.zeros(len(ln.idx))
    for _ in range(max(rounds, 1)):
        mge, dm = pairs[ln.idx], np.maximum(dens[ln.idx], 0.0)
        h_a = np.clip(1.0 - mge / max(n_a, 1), 1e-6, 1.0)
        h_b = np.clip(1.0 - mge / max(n_b, 1), 1e-6, 1.0)
        false = h_a * h_b
        logodds = 0.5 * (np.log(dm / max(n_a, 1) * ln.Ga + 1e-300) - np.log(ln.ga * false)) \
            + 0.5 * (np.log(dm / max(n_b, 1) * ln.Gb + 1e-300) - np.log(ln.gb * false))
        post = 0.5 * (1.0 + np.tanh(0.5 * np.clip(logodds, -700, 700)))  # the logistic
        wbin = np.bincount(ln.idx, weights=post * ln.ipw * w, minlength=g)
        pairs = np.cumsum(wbin[::-1])[::-1]
        dens = np.convolve(wbin, kern, mode="same") / step
    tp = np.cumsum(np.bincount(ln.idx, weights=post * w, minlength=g)[::-1])[::-1]
    links = np.cumsum(np.bincount(ln.idx, weights=w, minlength=g)[::-1])[::-1]
    return {"post": post, "tp": tp, "links": links, "pairs": pairs,
            "m": float(pairs[0]) if g else 0.0}
