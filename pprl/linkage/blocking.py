"""Blocking on CLKs at the linkage unit: Hamming LSH by bit sampling.

Each of ``tables`` hash tables samples ``bits`` distinct bit positions
(seeded); two CLKs become a candidate pair when they agree on every sampled
bit of at least one table.  Only those pairs are scored, by the same
formula as :func:`pprl.candidate_pairs`, so the result is exactly the
exhaustive result restricted to the pairs that shared a bucket.

The theory, for CLKs of ``l`` bits: a pair at Hamming distance ``d`` agrees
on ``K`` bits sampled without replacement with probability
``C(l - d, K) / C(l, K)`` (hypergeometric), and shares a bucket in at least
one of ``λ`` independent tables with probability ``1 - (1 - p)^λ``.  A pair
with Dice ``>= t`` and popcounts at most ``P`` is at distance at most about
``(1 - t) * 2P``; at that worst-case pair the formula gives a lower bound on
the pair completeness of every such pair (:func:`expected_pair_completeness`).
:func:`choose_lsh` picks ``(λ, K)`` reaching a target pair completeness at
the least expected work, estimated from the collision rate of random pairs.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

import numpy as np

from .._validation import check_k, check_rng, check_threads, check_threshold, param_error
from ..errors import InputError
from . import _lsh
from ._inputs import check_backend, check_clks_pair
from ._lsh_bounds import (
    _tables_needed,
    collision_probability,
    expected_pair_completeness,
    union_distances,
    worst_case_distance,
)
from ._lsh_report import MAX_BITS, BlockingReport, LSHParams, merge, warn_skipped, warn_useless
from .backend import pair_scorer
from .candidates import Candidates
from .similarity import candidate_pairs, popcounts

__all__ = [
    "LSHParams",
    "BlockingReport",
    "collision_probability",
    "worst_case_distance",
    "expected_pair_completeness",
    "choose_lsh",
    "lsh_candidate_pairs",
    "describe",
    "pairs_blocked",
    "LSHSample",
    "choose_lsh_sampled",
]

#: How the pair completeness is estimated when choosing parameters.
ESTIMATES = ("worst-case", "sample")
#: the "sample" estimate asks a lower confidence bound of the realised pair completeness (3.09
#: standard deviations, one-sided 99.9 % for a normal error) to reach the target: the spreads
#: are estimated from a skewed sample and the cheapest (K, λ) is the one its sample flatters
#: most, so 1.645 and 2.326 still left 2 seeds of 20 under 0.99 (at 4,000 x 4,000 and at
#: 200,000 x 200,000 people, t = 0.8; the mean alone had reached 0.9890)
SAMPLE_Z = 3.09
#: the "sample" estimate scans more rows of A (up to 8 x sample_rows) until it holds this many pairs
MIN_SAMPLE_PAIRS = 2000
#: pairs of the sample whose shared fate under the tables' draw is measured (SHARED_PAIRS ** 2)
SHARED_PAIRS = 300
# cost of one record in one table (key, sort, grouping) in units of one scored pair
# (CPU time at 200k x 200k, person CLKs, native kernel: about 77 ns against 40 ns per pair
# that shares a bucket; see benchmarks/bench_scale.py)
_ROW_COST = 2.0


def _check_target(target_pc: object, func: str) -> float:
    if isinstance(target_pc, bool) or not isinstance(target_pc, numbers.Real) \
            or not 0.0 < float(target_pc) < 1.0:
        raise param_error("target_pc", func, "a float in (0, 1)", target_pc)
    return float(target_pc)


def choose_lsh(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    target_pc: float = 0.99,
    estimate: str = "sample",
    max_tables: int = 1000,
    rng=None,
    sample_rows: int = 1000,
) -> BlockingReport:
    """Choose LSH parameters reaching ``target_pc`` with the least expected work.

    For each ``bits`` from 1 to 64, the fewest tables that reach the target
    are found, and the expected work ``tables * (n_a + n_b) * row cost +
    n_a * n_b * tables * q`` compared, where ``q`` is the mean collision
    probability of 20,000 random pairs of records.

    Parameters
    ----------
    a, b : ndarray of uint8, shape (n, l // 8) and (m, l // 8)
    threshold : float in [0, 1]
    target_pc : float in (0, 1), default=0.99
    estimate : {"sample", "worst-case"}, default="sample"
        ``"sample"``: the pair completeness over the exhaustive candidates
        of a sample of rows of A (``sample_rows``, more -- up to 8 times as
        many -- until it holds 2,000 pairs) reaches ``target_pc`` less
        3.09 standard deviations of the sample's error, LSH's own chance
        and the draw of the tables that all pairs share (a lower confidence
        bound of the realised pair completeness; most true
        pairs are far closer than the worst case, so this takes several
        times fewer tables than ``"worst-case"``).
        ``"worst-case"``: every pair at Dice ``>= threshold`` is found with
        at least ``target_pc`` chance (:func:`expected_pair_completeness`):
        a guarantee, at several times the work.  With no candidates in the
        sample, ``"sample"`` falls back to the worst case.
    max_tables : int, default=1000
    rng : None, int or numpy.random.Generator
        Seeds the sampling of pairs and the tables.
    sample_rows : int, default=1000

    Returns
    -------
    BlockingReport
        With ``params`` and the expected figures; nothing run yet.

    Raises
    ------
    InputError
        No parameters with at most ``max_tables`` tables reach the target.
    """
    func = "choose_lsh"
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    target_pc = _check_target(target_pc, func)
    if estimate not in ESTIMATES:
        raise param_error("estimate", func, f"one of {ESTIMATES}", estimate)
    seed = _given_seed(rng)
    rng = check_rng(rng)
    report, _ = choose_lsh_sampled(a, b, threshold, target_pc, estimate, max_tables, rng,
                                   sample_rows, seed)
    return report


def _given_seed(rng: object) -> int | None:
    """The seed the user gave (an int in range), which becomes the tables' seed as it is."""
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and 0 <= rng < 1 << 63:
        return int(rng)
    return None


@dataclass(frozen=True)
class LSHSample:
    """The exhaustive candidates of a sample of rows of A: their distances and the scan's cost.

    ``cpu_seconds``: CPU time (all threads) of the scans of ``scanned_rows``
    rows of A against all of B (the exhaustive scan's cost per row of A).
    """

    rows: np.ndarray
    distances: np.ndarray
    cpu_seconds: float
    scanned_rows: int
    union: np.ndarray  # |D_i ∪ D_j| of a subsample of SHARED_PAIRS pairs (the tables' draw)
    sub: np.ndarray  # which pairs


def _sample(a, b, threshold: float, rng, sample_rows: int) -> LSHSample:
    """Exhaustive candidates of ``sample_rows`` random rows of A, grown to hold enough pairs.

    Up to 8 times as many rows, until the sample holds MIN_SAMPLE_PAIRS pairs:
    a few hundred pairs under-represent the rare far pairs that LSH misses.
    """
    n = a.shape[0]
    order = rng.permutation(n)
    take = first = min(n, sample_rows)
    t0 = time.process_time()
    c = candidate_pairs(a[np.sort(order[:take])], b, threshold)
    found = len(c)
    more = min(n, 8 * sample_rows)
    if found < MIN_SAMPLE_PAIRS and take < more:
        need = take * MIN_SAMPLE_PAIRS / max(found, 1)
        take = int(min(more, max(need * 1.1, take + 1)))
    rows = np.sort(order[:take])
    if take > min(n, sample_rows):
        c = candidate_pairs(a[rows], b, threshold)
    cpu = time.process_time() - t0
    xors = a[rows][c.a] ^ b[c.b]
    sub = np.sort(rng.choice(len(xors), size=min(len(xors), SHARED_PAIRS), replace=False))
    scanned = first + (take if take > first else 0)
    return LSHSample(rows, np.bitwise_count(xors).sum(axis=1), cpu, scanned,
                     union_distances(xors[sub]), sub)


def choose_lsh_sampled(a, b, threshold, target_pc, estimate, max_tables, rng, sample_rows,
                       seed) -> tuple[BlockingReport, LSHSample | None]:
    """:func:`choose_lsh` on checked inputs, with the sample it measured.

    ``rng`` is a Generator, ``seed`` the seed the user gave or None; the
    sample is None with ``estimate="worst-case"``.
    """
    n, m, nbits = a.shape[0], b.shape[0], a.shape[1] * 8
    pa, pb = popcounts(a), popcounts(b)
    both = np.concatenate([pa, pb])
    prange = (int(both.min(initial=0)), int(both.max(initial=0)))
    d_worst = worst_case_distance(threshold, prange[1], nbits)
    n_rand = 20000
    if n and m:
        i, j = rng.integers(0, n, n_rand), rng.integers(0, m, n_rand)
        d_rand = np.bitwise_count(a[i] ^ b[j]).sum(axis=1)
    else:
        d_rand = np.zeros(1)
    sample = d_sample = None
    if estimate == "sample" and n and m:
        sample = _sample(a, b, threshold, rng, sample_rows)
        d_sample = sample.distances if len(sample.distances) else None  # else: the bound
    share = len(sample.rows) / n if sample is not None else 1.0
    def tables(k: int, shared: bool) -> int | None:
        if d_sample is None:
            return _tables_needed(collision_probability(np.array([d_worst]), k, nbits),
                                  target_pc, max_tables)
        p = collision_probability(d_sample, k, nbits)
        cov = (p[sample.sub], collision_probability(sample.union, k, nbits)) if shared else None
        return _tables_needed(p, target_pc, max_tables, SAMPLE_Z, share, cov)

    def cost(k: int, lam: int) -> tuple[float, float]:
        q = float(collision_probability(d_rand, k, nbits).mean())
        return lam * (n + m) * _ROW_COST + n * m * lam * q, q

    # every K without the tables' shared draw (cheap), then the 3 cheapest again with it
    first = sorted((cost(k, lam)[0], k) for k in range(1, MAX_BITS + 1)
                   if (lam := tables(k, False)) is not None)
    best = None
    for _, k in first[:3] if d_sample is not None else first[:1]:
        lam = tables(k, d_sample is not None)
        if lam is None:
            continue
        c, q = cost(k, lam)
        if best is None or c < best[0]:
            best = (c, k, lam, q)
    if best is None:
        raise InputError(
            f"LSH blocking cannot reach pair completeness {target_pc:g} at threshold "
            f"{threshold:g} with at most {max_tables} tables (a pair at Dice {threshold:g} "
            f"can differ in {d_worst} of {nbits} bits); raise the threshold, lower the "
            "target pair completeness, or link without blocking."
        )
    _, k, lam, q = best
    params = LSHParams(tables=lam, bits=k,
                       seed=seed if seed is not None else int(rng.integers(0, 1 << 62)))
    pc_sample = None
    if d_sample is not None:
        p = collision_probability(d_sample, k, nbits)
        pc_sample = float(np.mean(1.0 - (1.0 - p) ** lam))
    report = BlockingReport(
        params=params, threshold=threshold, n_a=n, n_b=m, worst_distance=d_worst,
        popcount_range=prange,
        pc_bound=expected_pair_completeness(lam, k, threshold, prange, nbits),
        pc_sample=pc_sample, expected_comparisons=float(n) * m * lam * q,
    )
    return report, sample


def lsh_candidate_pairs(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    params: LSHParams | None = None,
    target_pc: float = 0.99,
    estimate: str = "sample",
    k: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    rng=None,
    max_bucket_pairs: int = 50_000_000,
    backend: str = "auto",
) -> tuple[Candidates, BlockingReport]:
    """Candidate pairs at Dice ``>= threshold`` among the pairs that share an LSH bucket.

    Every returned pair and score is one :func:`pprl.candidate_pairs` returns
    for the same inputs (the same score, bit for bit); pairs that never
    share a bucket are missed, each with a chance of at most
    ``1 - report.pc_bound``.

    Parameters
    ----------
    a, b : ndarray of uint8, shape (n, l // 8) and (m, l // 8)
    threshold : float in [0, 1]
    params : LSHParams, BlockingReport or None, default=None
        None chooses them with :func:`choose_lsh` (``target_pc``,
        ``estimate``, ``rng``); a report of :func:`choose_lsh` (or
        :func:`pprl.linkage.autoblock.choose_blocking`) on the same inputs
        and threshold runs its parameters and keeps its estimates.
    target_pc : float in (0, 1), default=0.99
    estimate : {"sample", "worst-case"}, default="sample"
        See :func:`choose_lsh`.
    k : int or None, default=None
        Keep the ``k`` best pairs per row of A among the blocked pairs.
    threads : int or None, default=None
        Threads over the tables; None uses every core.
    progress : bool, default=False
        A progress bar over the tables.
    rng : None, int or numpy.random.Generator
    max_bucket_pairs : int, default=50_000_000
        Buckets with more pairs are skipped with a warning naming the table;
        the report lists them.
    backend : {"auto", "native", "numpy"}, default="auto"
        Which kernel scores the pairs that share a bucket (same results).

    Returns
    -------
    candidates : Candidates
        Canonical order (score descending, then a, then b).
    report : BlockingReport

    Raises
    ------
    InputError
        Bad arrays or parameters, or no parameters reach ``target_pc``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 256, (50, 16), dtype=np.uint8)
    >>> b = a ^ (rng.random(a.shape) < 0.02).astype(np.uint8)
    >>> cands, report = lsh_candidate_pairs(a, b, 0.8, params=LSHParams(40, 8, seed=1))
    >>> len(cands), len(candidate_pairs(a, b, 0.8)), round(report.pc_bound, 2)
    (50, 50, 0.98)
    """
    func = "lsh_candidate_pairs"
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    k = check_k(k, func)
    threads = check_threads(threads, func)
    check_backend(backend, func)
    if isinstance(max_bucket_pairs, bool) or not isinstance(max_bucket_pairs, numbers.Integral) \
            or max_bucket_pairs < 1:
        raise param_error("max_bucket_pairs", func, "a positive integer", max_bucket_pairs)
    if params is None:
        report = choose_lsh(a, b, threshold, target_pc, estimate, rng=rng)
        params = report.params
    elif isinstance(params, LSHParams):
        report = describe(params, a, b, threshold)
    elif isinstance(params, BlockingReport) and (params.n_a, params.n_b) == (len(a), len(b)) \
            and params.threshold == threshold:
        report, params = params, params.params  # chosen before (choose_lsh, choose_blocking)
    else:
        raise param_error("params", func, "an LSHParams, a BlockingReport of these inputs "
                          "and threshold, or None", params)
    nbits = a.shape[1] * 8
    if a.shape[0] == 0 or b.shape[0] == 0:
        return Candidates.empty(), report
    warn_useless(report)
    positions = _lsh.table_positions(params.seed, params.tables, params.bits, nbits)
    aw, bw = _lsh.words(a), _lsh.words(b)
    pa, pb = popcounts(a).astype(np.int32), popcounts(b).astype(np.int32)
    pair_scorer(aw, bw, pa, pb, threshold, backend, func=func)  # a missing kernel: raise here
    parts = _lsh.run_table_groups(a, b, aw, bw, pa, pb, threshold, positions, max_bucket_pairs,
                                  threads, progress, backend)
    cands, report = merge(parts, report, k)
    warn_skipped(report, max_bucket_pairs)
    return cands, report


def describe(params: LSHParams, a: np.ndarray, b: np.ndarray, threshold: float) -> BlockingReport:
    """The report of given parameters on ``a`` and ``b`` before running (no sample estimate)."""
    nbits = a.shape[1] * 8
    pa, pb = popcounts(a), popcounts(b)
    both = np.concatenate([pa, pb])
    prange = (int(both.min(initial=0)), int(both.max(initial=0)))
    return BlockingReport(
        params=params, threshold=threshold, n_a=a.shape[0], n_b=b.shape[0],
        worst_distance=worst_case_distance(threshold, prange[1], nbits), popcount_range=prange,
        pc_bound=expected_pair_completeness(params.tables, params.bits, threshold, prange, nbits),
        pc_sample=None, expected_comparisons=float("nan"),
    )


def pairs_blocked(a: np.ndarray, b: np.ndarray, pairs, params: LSHParams) -> np.ndarray:
    """Whether each pair ``(row of A, row of B)`` shares a bucket in some table.

    Used to measure pair completeness against a truth: ``pairs_blocked(a, b,
    truth, params).mean()``.

    Returns
    -------
    ndarray of bool, shape (len(pairs),)
    """
    a, b = check_clks_pair(a, b, "pairs_blocked")
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    nbits = a.shape[1] * 8
    pos = _lsh.table_positions(params.seed, params.tables, params.bits, nbits)
    xa = np.ascontiguousarray(a[pairs[:, 0]].T)
    xb = np.ascontiguousarray(b[pairs[:, 1]].T)
    hit = np.zeros(len(pairs), dtype=bool)
    for t0 in range(0, params.tables, 8):
        hit |= (_lsh.table_keys(xa, pos[t0:t0 + 8])
                == _lsh.table_keys(xb, pos[t0:t0 + 8])).any(axis=0)
    return hit
