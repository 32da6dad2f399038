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

from ._quality_null import Null, smoothing

__all__ = ["BOOT_ROUNDS", "LinkNull", "fit_batch", "fit_links", "identity_start", "ipw",
           "non_increasing"]

#: EM rounds from the start
ROUNDS = 5
#: rounds of a bootstrap replicate (it starts from the point estimate's true pairs)
BOOT_ROUNDS = 3
#: Gaussian smoothing of the true-pair score density
BW = 0.02
#: a true link stands for at most 1 / CAP true pairs
CAP = 0.25
#: added inside logarithms of quantities that may be 0
TINY = 1e-300
#: the start uses thresholds where at least this share of both files' nulls stay under it
MIN_D = 0.2


class LinkNull:
    """Per-link null terms of both records (``G``, ``g``) and the free shares."""

    def __init__(self, score, idx, loc_a, loc_b, null_a: Null, null_b: Null, phi_a, phi_b,
                 pairs_per_link=1.0):
        xa, xb = score - loc_a, score - loc_b
        self.Ga, self.ga = null_a.cdf(xa), null_a.pdf(xa)
        self.Gb, self.gb = null_b.cdf(xb), null_b.pdf(xb)
        self.ipw = ipw(self.Ga, self.Gb, phi_a, phi_b, pairs_per_link)
        self.idx = idx


def ipw(Ga, Gb, phi_a, phi_b, pairs_per_link=1.0) -> np.ndarray:
    """True pairs a true link stands for: 1 / its chance of surviving greedy, capped.

    Times the pairs of its entity per link when either file holds several
    records of it.
    """
    surv = np.exp(phi_a * np.log(np.clip(Ga, 1e-9, 1.0)) + phi_b * np.log(np.clip(Gb, 1e-9, 1.0)))
    return pairs_per_link / np.clip(surv, CAP, 1.0)


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
    w = np.ones(len(ln.idx)) if weights is None else np.asarray(weights, dtype=np.float64)
    fit = fit_batch(ln.Ga[None], ln.ga[None], ln.Gb[None], ln.gb[None], ln.ipw[None],
                    ln.idx, w[None], n_a, n_b, grid, start, rounds)
    return {"post": fit["post"][0], "tp": fit["tp"][0], "links": fit["links"][0],
            "pairs": fit["pairs"][0], "m": float(fit["m"][0])}


def fit_batch(Ga: np.ndarray, ga: np.ndarray, Gb: np.ndarray, gb: np.ndarray, ipw: np.ndarray,
              idx: np.ndarray, w: np.ndarray, n_a: int, n_b: int, grid: np.ndarray,
              start: np.ndarray, rounds: int = ROUNDS) -> dict[str, np.ndarray]:
    """:func:`fit_links` for ``R`` fits at once (bootstrap replicates).

    ``Ga``, ``ga``, ``Gb``, ``gb``, ``ipw`` and ``w``: shape ``(R, links)``
    (each replicate's nulls and weights); ``idx``: each link's grid bin.
    Returns the same keys, each with a leading axis of ``R``.
    """
    g, r = len(grid), Ga.shape[0]
    step = float(grid[1] - grid[0]) if g > 1 else 0.005
    smooth = smoothing(g, step, BW)
    flat = (idx[None, :] + g * np.arange(r)[:, None]).ravel()  # bin of (replicate, link)

    def per_bin(x: np.ndarray) -> np.ndarray:
        return np.bincount(flat, weights=x.ravel(), minlength=g * r).reshape(r, g)

    def at_or_above(x: np.ndarray) -> np.ndarray:
        return np.cumsum(x[:, ::-1], axis=1)[:, ::-1]

    pairs = np.broadcast_to(np.asarray(start, dtype=np.float64), (r, g))
    dens = (-np.diff(np.concatenate([pairs, np.zeros((r, 1))], axis=1), axis=1)) @ smooth / step
    # the log-odds of a link: its two records' nulls (fixed), plus terms of its grid bin
    # only (the true-pair density and the shares of records without a partner above it),
    # computed on the grid and gathered per link
    fixed = 0.5 * (np.log(Ga + TINY) - np.log(ga) + np.log(Gb + TINY) - np.log(gb))
    post = np.zeros_like(Ga)
    for _ in range(max(rounds, 1)):
        dm = np.maximum(dens, 0.0)
        false = np.log(np.clip(1.0 - pairs / max(n_a, 1), 1e-6, 1.0)) + \
            np.log(np.clip(1.0 - pairs / max(n_b, 1), 1e-6, 1.0))
        on_grid = 0.5 * (np.log(dm / max(n_a, 1) + TINY) + np.log(dm / max(n_b, 1) + TINY)) \
            - false
        logodds = fixed + on_grid[:, idx]
        post = 0.5 * (1.0 + np.tanh(0.5 * np.clip(logodds, -700, 700)))  # the logistic
        wbin = per_bin(post * ipw * w)
        pairs = at_or_above(wbin)
        dens = wbin @ smooth / step
    tp = at_or_above(per_bin(post * w))
    links = at_or_above(per_bin(np.broadcast_to(w, Ga.shape)))
    return {"post": post, "tp": tp, "links": links, "pairs": pairs,
            "m": pairs[:, 0] if g else np.zeros(r)}
