"""Each record's own non-match null, for :func:`pprl.estimate_quality`.

A record's best non-match score depends on the record: a common surname or
a dense filter scores higher against everybody.  Pooling one null over all
records (what the first version of the estimate did, from the linked
records' best *other* scores) measures it on the records that happen to be
linked, and those differ from the rest.  Here every record gets a
**location**, ``loc``: the mean of its 18th-22nd best scores against a
seeded reference sample of the other file (all of it when it has at most
``LOC_SAMPLE`` records).  That deep in the ranking a partner moves the value
by at most one rank, so ``loc`` is partner-free to within a rank spacing.

The **shape** of the null above the location, ``D = best non-match - loc``,
is measured on the records whose best score is far above their own
location (``best - loc >= c``, far enough that no non-match gets there): for
them the second best score *is* the best non-match, and the selection is
on the partner's score, which does not depend on the record's null.  ``c``
starts at 0.3 and is set to the shape's 99.9th percentile + 0.05 (at least
0.1, at most 0.3: within-file duplicates would push it up without end) four
times.  A record's null is then ``P(best non-match < s) =
F(s - loc)`` with ``F`` the shape's empirical distribution, and its density
``f(s - loc)`` a Gaussian-smoothed histogram.

The records of both files are treated alike (B's locations against a
reference sample of A), so a link's two records each bring their own null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Null", "locations", "ranks", "shape", "smoothing", "top_two"]

#: the location is the mean of ranks LOC_RANK - 2 ... LOC_RANK + 2 (1-based)
LOC_RANK = 20
#: at most this many records of the other file in the reference sample
LOC_SAMPLE = 2000
#: where the search for the clear-match margin starts; it never rises above it
C_START = 0.3
#: fewer clear matches than this and the shape is not measured
MIN_SHAPE = 20
#: ranks() sorts each row in a padded array when no row has more scores than this
PAD_RANKS = 64


def ranks(rows: np.ndarray, score: np.ndarray, n: int, js) -> np.ndarray:
    """The ``j``-th best score (0-based) of each of ``n`` rows for each ``j`` in ``js``.

    Shape ``(len(js), n)``; NaN where a row has fewer than ``j + 1`` scores.
    """
    js = list(js)
    out = np.full((len(js), n), np.nan)
    if len(score) == 0:
        return out
    count = np.bincount(rows, minlength=n)
    if count.max() <= PAD_RANKS:  # few per row (a top-k scan): sort a padded row each
        width = int(count.max())
        ordered = len(rows) < 2 or bool(np.all(rows[1:] >= rows[:-1]))  # a scan's output is
        if ordered and int(count.min()) == width:  # k scores in every row, row after row
            pad = np.asarray(score, dtype=np.float64).reshape(n, width)
        else:
            order = np.arange(len(rows)) if ordered else np.argsort(rows, kind="stable")
            start = np.concatenate([[0], np.cumsum(count)[:-1]])
            pad = np.full((n, width), -np.inf)
            pad[rows[order], np.arange(len(rows)) - start[rows[order]]] = score[order]
        pad = -np.sort(-pad, axis=1)
        for i, j in enumerate(js):
            if j < pad.shape[1]:
                out[i] = np.where(count > j, pad[:, j], np.nan)
        return out
    order = np.lexsort((-score, rows))
    s, start = score[order], np.searchsorted(rows[order], np.arange(n))
    for i, j in enumerate(js):
        out[i] = np.where(count > j, s[np.minimum(start + j, len(s) - 1)], np.nan)
    return out


def locations(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each record of ``x``'s location against a seeded reference sample of ``y``."""
    n_x, n_y = x.shape[0], y.shape[0]
    if n_x == 0 or n_y == 0:
        return np.zeros(n_x)
    m = min(n_y, LOC_SAMPLE)
    ref = y if m == n_y else y[np.sort(rng.choice(n_y, size=m, replace=False))]
    rank = min(LOC_RANK, max(1, (m + 1) // 4))
    lo, hi = max(rank - 3, 0), min(rank + 2, m)  # 0-based ranks lo .. hi-1
    # the scan prunes far faster with a threshold: take it just under the 1st percentile
    # of a small pilot sample's locations, and redo at 0 the few records it leaves short
    pilot = rng.choice(n_x, size=min(n_x, PILOT), replace=False)
    floor = 0.0
    if n_x > PILOT:
        floor = max(float(np.quantile(_locate(x[pilot], ref, lo, hi, 0.0), 0.01)) - 0.02, 0.0)
    loc = _locate(x, ref, lo, hi, floor)
    short = np.flatnonzero(~np.isfinite(loc))
    if len(short):
        loc[short] = _locate(x[short], ref, lo, hi, 0.0)
    return np.where(np.isfinite(loc), loc, 0.0)


#: records in the pilot that sets the location scan's threshold
PILOT = 500


def _locate(x: np.ndarray, ref: np.ndarray, lo: int, hi: int, floor: float) -> np.ndarray:
    """Mean of 0-based ranks ``lo .. hi-1`` against ``ref``; NaN when short above ``floor``."""
    from ..linkage.similarity import candidate_pairs

    top = candidate_pairs(x, ref, floor, k=hi, progress=False)
    return ranks(top.a, top.score, x.shape[0], range(lo, hi)).mean(axis=0)  # NaN: short


def top_two(x: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and second-best score of ``x[rows]`` against all of ``y``."""
    from ..linkage.similarity import candidate_pairs

    top = candidate_pairs(x[rows], y, 0.0, k=2, progress=False)
    s1, s2 = np.nan_to_num(ranks(top.a, top.score, len(rows), (0, 1)), nan=-np.inf)
    return s1, s2


@dataclass(frozen=True)
class Null:
    """A null shape: sorted values of ``best non-match - loc`` and a smoothed density."""

    values: np.ndarray
    edges: np.ndarray
    density: np.ndarray
    clear: float
    bw: float = 0.003

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """``P(D < x)``."""
        return np.searchsorted(self.values, x, side="left") / max(len(self.values), 1)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        centres = 0.5 * (self.edges[1:] + self.edges[:-1])
        return np.interp(x, centres, self.density, left=0.0, right=0.0) + 1e-9

    def replicates(self, x: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``cdf`` and ``pdf`` at ``x`` of ``R`` bootstrap replicates of the shape at once.

        ``counts``, shape ``(R, len(values))``: how often each record behind
        the shape is drawn in each replicate (a multinomial draw).  Each
        replicate's density is its histogram on this shape's bins smoothed
        with this shape's bandwidth (held fixed across replicates).  With
        every count 1 they are :meth:`cdf` and :meth:`pdf`.  Both ``(R, len(x))``.
        """
        n = max(len(self.values), 1)
        cum = np.concatenate([np.zeros((counts.shape[0], 1)),
                              np.cumsum(counts, axis=1, dtype=np.float64)], axis=1)
        cdf = cum[:, np.searchsorted(self.values, x, side="left")] / n
        # the histogram of each replicate: the records between two edges, from cum
        cut = np.searchsorted(self.values, self.edges, side="left")
        cut[-1] = len(self.values)  # the last bin holds its right edge, as np.histogram's
        hist = cum[:, cut[1:]] - cum[:, cut[:-1]]
        dens = hist @ smoothing(len(hist[0]), self.edges[1] - self.edges[0], self.bw) \
            / (n * (self.edges[1] - self.edges[0]))
        centres = 0.5 * (self.edges[1:] + self.edges[:-1])
        j = np.clip(np.searchsorted(centres, x, side="right") - 1, 0, len(centres) - 2)
        f = (x - centres[j]) / (centres[j + 1] - centres[j])
        inside = (x >= centres[0]) & (x <= centres[-1])
        pdf = np.where(inside, dens[:, j] * (1.0 - f) + dens[:, j + 1] * f, 0.0) + 1e-9
        return cdf, pdf


def _null(values: np.ndarray, clear: float) -> Null:
    v = np.sort(np.asarray(values, dtype=np.float64))
    sd = float(v.std()) if len(v) > 1 else 0.01
    bw = max(1.06 * sd * len(v) ** -0.2, 0.003)  # Scott's rule, at least 0.003
    width = 0.0025
    edges = np.arange(v[0] - 4 * bw, v[-1] + 4 * bw + width, width)
    hist = np.histogram(v, edges)[0].astype(np.float64)
    dens = hist @ smoothing(len(hist), width, bw) / (len(v) * width)
    return Null(v, edges, dens, clear, bw)


def smoothing(g: int, width: float, bw: float) -> np.ndarray:
    """``(g, g)``: ``hist @ S`` smooths ``hist`` (bins of ``width``) with a Gaussian of ``bw``.

    The sums of ``np.convolve(hist, kernel, mode="same")`` with the kernel cut
    at 3 bandwidths and normalised to 1.
    """
    half = int(np.ceil(3 * bw / width))
    kern = np.exp(-0.5 * (np.arange(-half, half + 1) * width / bw) ** 2)
    kern /= kern.sum()
    d = np.arange(g)[None, :] - np.arange(g)[:, None]
    return np.where(np.abs(d) <= half, kern[np.clip(d + half, 0, 2 * half)], 0.0)


def shape(s1: np.ndarray, s2: np.ndarray, loc: np.ndarray) -> Null | None:
    """The null shape from the records whose best score is far above their location.

    ``None`` when fewer than ``MIN_SHAPE`` records qualify.
    """
    ok = np.isfinite(s1) & np.isfinite(s2)
    c = C_START
    values = np.empty(0)
    for _ in range(4):
        # a second best as far above the location as a clear match is a second partner
        # (a within-file duplicate), not a non-match: such records are left out
        sel = ok & (s1 - loc >= c) & (s2 - loc < C_START)
        if sel.sum() < MIN_SHAPE:
            return None
        values = s2[sel] - loc[sel]
        c = min(max(float(np.quantile(values, 0.999)) + 0.05, 0.1), C_START)
    return _null(values, c)
