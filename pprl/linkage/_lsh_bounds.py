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


def union_distances(xors: np.ndarray) -> np.ndarray:
    """``|D_i ∪ D_j|``, ``D_i`` the differing bits of pair ``i`` (``xors``: (r, l // 8))."""
    d = np.bitwise_count(xors).sum(axis=1, dtype=np.int64)
    both = np.empty((len(xors), len(xors)), dtype=np.int64)
    for i in range(len(xors)):
        both[i] = np.bitwise_count(xors[i] & xors).sum(axis=1, dtype=np.int64)
    return d[:, None] + d[None, :] - both


def _table_covariance(lam: int, p: np.ndarray, p_union: np.ndarray) -> float:
    """Mean covariance of two pairs' "found" over the draw of ``lam`` tables.

    Two pairs share the tables, so a table that samples bits where many pairs
    differ misses them together: pair completeness varies more from one seed
    to another than independent pairs would (at 200,000 x 200,000 people,
    127 tables of 21 bits: 3.4 times the independent standard deviation).
    Both are missed by a table with chance ``1 - p_i - p_j + p_ij`` (``p_ij``:
    it samples none of their differing bits, ``p_union``), so
    ``cov = (1 - p_i - p_j + p_ij)^λ - (1 - p_i)^λ (1 - p_j)^λ``.
    """
    r = len(p)
    if r < 2:
        return 0.0
    miss = (1.0 - p) ** lam
    both = np.clip(1.0 - p[:, None] - p[None, :] + p_union, 0.0, 1.0) ** lam
    cov = both - miss[:, None] * miss[None, :]
    return float((cov.sum() - np.trace(cov)) / (r * (r - 1)))


def _tables_needed(p: np.ndarray, target: float, max_tables: int,
                   z: float = 0.0, share: float = 1.0, shared=None) -> int | None:
    """Fewest tables whose pair completeness reaches ``target`` (with confidence ``z``), or None.

    ``p``: one collision probability per pair.  ``z = 0``: the mean chance
    ``mean(1 - (1 - p)^λ)`` reaches the target.  ``z > 0``: the pairs are a
    sample, ``share`` of all the pairs at the threshold, and the realised pair
    completeness must reach the target with one-sided confidence ``z``: its
    mean less ``z`` standard deviations of three errors: the sample's
    (``var(found) / s``, less the share sampled), LSH's own for independent
    pairs (each found or not: ``mean(found * (1 - found)) / N`` for
    ``N = s / share`` pairs in all), and the tables' draw, shared by all
    pairs (``shared = (p_sub, p_union)`` of a subsample, see
    :func:`_table_covariance`; None leaves it out).
    """
    s = len(p)

    def pc(lam: int) -> float:
        found = -np.expm1(lam * np.log1p(-np.minimum(p, 1.0 - 1e-16)))
        mean = float(found.mean())
        if not z or s < 2:
            return mean
        var = float(found.var(ddof=1)) * max(0.0, 1.0 - share) / s \
            + float(np.mean(found * (1.0 - found))) * share / s
        if shared is not None:
            var += max(0.0, _table_covariance(lam, *shared))
        return mean - z * float(np.sqrt(var))

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
