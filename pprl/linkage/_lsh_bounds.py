"""The theory of Hamming LSH by bit sampling on CLKs (see :mod:`.blocking`).

For CLKs of ``l`` bits: a pair at Hamming distance ``d`` agrees on ``K``
bits sampled without replacement with probability ``C(l - d, K) / C(l,
K)``, and shares a bucket in at least one of ``λ`` independent tables with
probability ``1 - (1 - p)^λ``.  The worst-case pair at Dice ``>= t`` bounds
that from below for every pair at the threshold.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["collision_probability", "worst_case_distance", "expected_pair_completeness"]


def collision_probability(distance, bits: int, nbits: int) -> np.ndarray:
    """Chance that two CLKs at Hamming ``distance`` agree on ``bits`` sampled bits.

    Bits are sampled without replacement from ``nbits``:
    ``C(nbits - d, bits) / C(nbits, bits)``.

    Examples
    --------
    >>> float(collision_probability(1, 1, 4))
    0.75
    >>> float(collision_probability(2, 2, 4))  # C(2,2) / C(4,2)
    0.16666666666666666
    """
    d = np.asarray(distance, dtype=np.float64)
    p = np.ones_like(d)
    for i in range(bits):
        p *= np.clip((nbits - d - i) / (nbits - i), 0.0, None)
    return p


def worst_case_distance(threshold: float, max_popcount: int, nbits: int | None = None) -> int:
    """Largest Hamming distance of a pair with Dice ``>= threshold``, popcounts ``<= max_popcount``.

    A pair with popcounts summing to ``s`` and ``c`` common bits is at
    distance ``s - 2c`` and has Dice ``2c / s``; in CLKs of ``nbits`` bits
    it has at least ``s - nbits`` common bits.  The largest distance is taken
    over every ``s <= 2 * max_popcount`` with the kernels' own float test
    ``2.0 * c / s >= threshold``.

    Examples
    --------
    >>> worst_case_distance(0.8, 500)  # c = 400 of s = 1000
    200
    """
    best = 0
    for s in range(1, 2 * int(max_popcount) + 1):
        c = max(0, math.floor(threshold * s / 2.0) - 2)
        if nbits is not None:
            c = max(c, s - int(nbits))
        while c <= s // 2 and not 2.0 * c / s >= threshold:
            c += 1
        if c <= s // 2:
            best = max(best, s - 2 * c)
    return best


def expected_pair_completeness(
    tables: int, bits: int, threshold: float, popcount_range: tuple, nbits: int
) -> float:
    """Lower bound on the pair completeness of LSH for pairs at Dice ``>= threshold``.

    The chance that the worst-case pair (:func:`worst_case_distance`) shares
    a bucket in at least one of ``tables`` tables of ``bits`` bits:
    ``1 - (1 - p)^tables``.  Every pair at Dice ``>= threshold`` whose
    popcounts lie in ``popcount_range`` is found with at least this chance.

    Examples
    --------
    >>> round(expected_pair_completeness(60, 12, 0.8, (300, 550), 1024), 4)
    0.9641
    """
    d = worst_case_distance(threshold, popcount_range[1], nbits)
    p = float(collision_probability(d, bits, nbits))
    return 1.0 - (1.0 - p) ** tables


def _tables_needed(p: np.ndarray, target: float, max_tables: int,
                   z: float = 0.0) -> int | None:
    """Fewest tables with ``mean(1 - (1 - p)^λ) - z * its standard error >= target``, or None.

    ``z > 0`` asks the lower confidence bound of a sample's mean to reach the
    target, not the mean itself (``p``: one collision probability per pair
    of the sample).
    """
    def pc(lam: int) -> float:
        found = -np.expm1(lam * np.log1p(-np.minimum(p, 1.0 - 1e-16)))
        margin = z * float(found.std()) / np.sqrt(len(found)) if z and len(found) > 1 else 0.0
        return float(found.mean()) - margin

    if pc(max_tables) < target:
        return None
    lo, hi = 1, max_tables
    while lo < hi:
        mid = (lo + hi) // 2
        if pc(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo
