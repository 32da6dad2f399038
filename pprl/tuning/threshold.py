"""How :func:`pprl.tune` turns F1 curves into one threshold, and what that threshold costs.

The rule (frozen on 2026-12-03; ``docs/tuning.md`` lists every earlier change):

1. F1 is read at every threshold of :data:`GRID` and averaged over a window
   of +-:data:`WINDOW` (:func:`smooth`): a wide plateau transfers better to
   unseen data than a sharp peak.
2. **Random pairs must not pass.**  The share of non-matching pairs scoring
   at or above each threshold is estimated on the tuner's own synthetic sets
   (:func:`random_pass_rates`: every pair of a sample of up to
   :data:`_SAMPLE_ROWS` records per party, true pairs left out).  A
   threshold is *admissible* when that share is at most
   :func:`max_random_pass_rate` of the records per party: half a stranger
   per record (:data:`MAX_STRANGERS_PER_RECORD`) at the size tuned for, and
   never more than 1 in 1,000 pairs (:data:`MAX_RANDOM_PASS_RATE`); 1 in
   10,000 at 5,000 x 5,000.  With every record partnered, greedy matching
   forgives a threshold that lets strangers through, so F1 alone would
   happily choose one that makes every pair a candidate.
3. Among admissible thresholds, the widest run whose smoothed F1 is within
   :data:`TOLERANCE` of the best admissible one is the plateau; the
   threshold is its middle (:func:`plateau_point`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GRID", "WINDOW", "TOLERANCE", "MAX_RANDOM_PASS_RATE", "MAX_STRANGERS_PER_RECORD",
           "max_random_pass_rate", "smooth", "plateau_point",
           "random_pass_rates", "true_pass_rates", "ThresholdChoice", "choose_threshold"]

#: Thresholds at which F1 is read (0.30 to 1.00 by 0.005).
GRID = np.round(np.arange(0.30, 1.0 + 1e-9, 0.005), 3)
#: Half-width of the threshold window F1 is averaged over.
WINDOW = 0.03
#: Smoothed F1 within this of the best counts as the plateau.
TOLERANCE = 1e-3
#: Largest share of non-matching pairs a recommended threshold may let through, at any size.
MAX_RANDOM_PASS_RATE = 1e-3
#: Strangers (non-matching candidates) per record a recommended threshold may let
#: through at the size tuned for: the share is at most this / records per party.
MAX_STRANGERS_PER_RECORD = 0.5
_HALF = int(round(WINDOW / 0.005))
_SAMPLE_ROWS = 2000  # records per party whose every pair samples the strangers' scores


def max_random_pass_rate(records: int) -> float:
    """The share of random pairs a threshold may let through at ``records`` per party.

    Examples
    --------
    >>> max_random_pass_rate(5000), max_random_pass_rate(200)
    (0.0001, 0.001)
    """
    return min(MAX_RANDOM_PASS_RATE, MAX_STRANGERS_PER_RECORD / max(int(records), 1))


def smooth(f1: np.ndarray) -> np.ndarray:
    """F1 averaged over +-:data:`WINDOW` (the window shrinks at the ends of the grid).

    Examples
    --------
    >>> round(float(smooth(np.array([0.0] * 6 + [1.0] + [0.0] * 6))[6]), 3)
    0.077
    """
    c = np.concatenate([[0.0], np.cumsum(f1)])
    i = np.arange(len(f1))
    lo, hi = np.maximum(i - _HALF, 0), np.minimum(i + _HALF + 1, len(f1))
    return (c[hi] - c[lo]) / (hi - lo)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def plateau_point(score: np.ndarray, admissible: np.ndarray | None = None,
                  tol: float = TOLERANCE) -> tuple[int, int, int]:
    """The middle of the widest run of near-best admissible scores, and the run's ends.

    Parameters
    ----------
    score : ndarray, shape (g,)
    admissible : ndarray of bool, shape (g,), optional
        Where the choice may fall (default: everywhere).  When nothing is
        admissible, everywhere is.
    tol : float, default=TOLERANCE

    Returns
    -------
    (point, first, last) : tuple of int
        Ties between equally wide runs go to the higher one.

    Examples
    --------
    >>> plateau_point(np.array([0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2]))
    (3, 1, 5)
    >>> plateau_point(np.array([0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.2]),
    ...               admissible=np.array([0, 0, 0, 1, 1, 1, 1], bool))
    (4, 3, 5)
    """
    score = np.asarray(score, dtype=np.float64)
    ok = np.ones(score.shape, bool) if admissible is None else np.asarray(admissible, bool)
    if not ok.any():
        ok = np.ones(score.shape, bool)
    best = score[ok].max()
    runs = _runs(ok & (score >= best - tol))
    first, last = max(runs, key=lambda r: (r[1] - r[0], r[0]))
    return int((first + last + 1) // 2), int(first), int(last)


def random_pass_rates(clks_a: np.ndarray, clks_b: np.ndarray, truth: np.ndarray,
                      grid: np.ndarray = GRID, rng: object = None) -> np.ndarray:
    """Share of non-matching pairs whose Dice is at least each threshold of ``grid``.

    Every pair of a seeded sample of up to 1,000 records of each party, the
    true pairs among them left out.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 256, (50, 16), dtype=np.uint8)
    >>> b = rng.integers(0, 256, (50, 16), dtype=np.uint8)
    >>> r = random_pass_rates(a, b, np.zeros((0, 2), np.int64), np.array([0.3, 0.5, 0.7]))
    >>> bool(r[0] == 1.0 and r[2] == 0.0)   # random bits: Dice near 0.5
    True
    """
    from ..linkage.similarity import dice_matrix

    gen = np.random.default_rng(rng)
    ia = np.sort(gen.permutation(len(clks_a))[:_SAMPLE_ROWS])
    ib = np.sort(gen.permutation(len(clks_b))[:_SAMPLE_ROWS])
    mat = dice_matrix(clks_a[ia], clks_b[ib])
    keep = np.ones(mat.shape, bool)
    t = np.asarray(truth, dtype=np.int64).reshape(-1, 2)
    if len(t):
        pos_a = np.full(len(clks_a), -1)
        pos_a[ia] = np.arange(len(ia))
        pos_b = np.full(len(clks_b), -1)
        pos_b[ib] = np.arange(len(ib))
        ra, rb = pos_a[t[:, 0]], pos_b[t[:, 1]]
        both = (ra >= 0) & (rb >= 0)
        keep[ra[both], rb[both]] = False
    scores = mat[keep]
    if scores.size == 0:
        return np.zeros(len(grid))
    grid = np.asarray(grid, dtype=np.float64)
    below = np.bincount(np.searchsorted(grid, scores, side="right"), minlength=len(grid) + 1)
    # a score passes threshold j when at least grid[j]: when more than j grid values are <= it
    return (scores.size - np.cumsum(below)[:-1]) / scores.size


def true_pass_rates(clks_a: np.ndarray, clks_b: np.ndarray, truth: np.ndarray,
                    grid: np.ndarray = GRID) -> np.ndarray:
    """Share of the true pairs whose Dice is at least each threshold of ``grid``.

    Examples
    --------
    >>> a = np.array([[0b1111], [0b0011]], dtype=np.uint8)
    >>> true_pass_rates(a, a[::-1], np.array([[0, 0], [1, 1]]), np.array([0.5, 0.7])).tolist()
    [1.0, 0.0]
    """
    t = np.asarray(truth, dtype=np.int64).reshape(-1, 2)
    if len(t) == 0:
        return np.zeros(len(grid))
    x, y = clks_a[t[:, 0]], clks_b[t[:, 1]]
    common = np.bitwise_count(x & y).sum(axis=1, dtype=np.int64)
    total = (np.bitwise_count(x).sum(axis=1, dtype=np.int64)
             + np.bitwise_count(y).sum(axis=1, dtype=np.int64))
    dice = np.sort(np.divide(2.0 * common, total, out=np.zeros(len(t)), where=total > 0))
    return (len(t) - np.searchsorted(dice, np.asarray(grid) - 1e-12, side="left")) / len(t)


@dataclass(frozen=True)
class ThresholdChoice:
    """Where the threshold fell and why.

    Attributes
    ----------
    index : int
        Index into :data:`GRID`.
    plateau : tuple of float
        Lowest and highest threshold of the plateau the threshold sits in.
    unrestricted_low : float
        Low edge of the plateau F1 alone would have used (before the
        random-pair limit).
    lowest_admissible : float or None
        Lowest threshold at which at most :data:`MAX_RANDOM_PASS_RATE` of
        random pairs pass; None when no threshold of the grid achieves it.
    random_pass_rate : float
        Estimated share of non-matching pairs at or above the threshold.
    limit : float
        The largest share allowed (:func:`max_random_pass_rate`).
    """

    index: int
    plateau: tuple[float, float]
    unrestricted_low: float
    lowest_admissible: float | None
    random_pass_rate: float
    limit: float = MAX_RANDOM_PASS_RATE

    @property
    def warning(self) -> str | None:
        """One line when F1 alone reached down to scores random pairs get, else None."""
        if self.lowest_admissible is None:
            return (f"no threshold up to 1.0 keeps random pairs under "
                    f"{self.limit:.3%} (at the chosen one {self.random_pass_rate:.3%} "
                    f"pass): the columns described may not tell people apart")
        if self.unrestricted_low < self.lowest_admissible:
            return (f"F1 is flat from {self.unrestricted_low:.3f}, where random pairs still "
                    f"pass; the threshold was kept at or above {self.lowest_admissible:.3f}, "
                    f"where at most {self.limit:.3%} of them do")
        return None


def choose_threshold(score: np.ndarray, pass_rates: np.ndarray,
                     limit: float = MAX_RANDOM_PASS_RATE) -> ThresholdChoice:
    """Apply the rule of the module docstring to smoothed F1 and random pass rates on :data:`GRID`.

    ``limit`` is the largest admissible pass rate (:func:`max_random_pass_rate`).

    Examples
    --------
    >>> f1 = np.where((GRID >= 0.4) & (GRID <= 0.8), 0.99, 0.5)
    >>> rates = np.where(GRID < 0.6, 0.01, 0.0)
    >>> c = choose_threshold(f1, rates)
    >>> float(GRID[c.index]), c.plateau, c.warning is not None
    (0.7, (0.6, 0.8), True)
    """
    score = np.asarray(score, dtype=np.float64)
    ok = np.asarray(pass_rates) <= limit
    _, lo_all, _ = plateau_point(score)
    i, lo, hi = plateau_point(score, ok)
    lowest = float(GRID[np.argmax(ok)]) if ok.any() else None
    return ThresholdChoice(index=int(i), plateau=(float(GRID[lo]), float(GRID[hi])),
                           unrestricted_low=float(GRID[lo_all]), lowest_admissible=lowest,
                           random_pass_rate=float(pass_rates[i]), limit=float(limit))
