"""Whether LSH blocking pays: the exhaustive scan's and LSH's cost estimated from a sample.

:func:`choose_blocking` is ``pprl link --blocking auto``.  The rows of A that
:func:`~pprl.linkage.blocking.choose_lsh` scans exhaustively to choose the
LSH parameters are scanned again, all of them and a quarter of them, to
time the exhaustive scan; LSH is timed with the chosen parameters: a few of
its tables run on up to LSH_TIMED_ROWS rows spread over A and on a quarter
of them.  In both, the difference between the two runs is the work that
grows with the rows of A and the rest the work on B alone (sorting, bit
planes, keys), which is scaled to all tables but not to all rows.  The
cheaper one runs.  Both figures are CPU seconds, so they compare alike on a loaded
machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validation import check_rng, check_threshold, param_error
from ..errors import InputError
from . import _lsh, _plan
from ._inputs import check_backend, check_clks_pair
from ._lsh_report import BlockingReport
from .blocking import ESTIMATES, _check_target, _given_seed, choose_lsh_sampled
from .similarity import candidate_pairs, popcounts

__all__ = ["BlockingChoice", "choose_blocking", "AUTO_MIN_PAIRS"]

#: below this many pairs (n * m) the exhaustive scan is chosen without estimating: it takes
#: about a second of CPU or less, and LSH could save little of it
AUTO_MIN_PAIRS = 1 << 30
# tables of the chosen parameters that the LSH estimate runs (one key group of _lsh.run_tables)
_TIMED_TABLES = 8


@dataclass(frozen=True)
class BlockingChoice:
    """What :func:`choose_blocking` chose, and why.

    Attributes
    ----------
    method : {"none", "lsh"}
        ``"none"``: the exhaustive scan.
    reason : str
        One line saying why, with the figures.
    exhaustive_seconds, lsh_seconds : float or None
        Estimated CPU seconds of each (None when not estimated).
    report : BlockingReport or None
        The chosen LSH parameters and their expected pair completeness (pass
        it as ``params`` to :func:`~pprl.linkage.blocking.lsh_candidate_pairs`);
        None when not estimated.
    """

    method: str
    reason: str
    exhaustive_seconds: float | None = None
    lsh_seconds: float | None = None
    report: BlockingReport | None = None


def _cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


#: rows of A the LSH estimate runs its tables on (at most; all of A when smaller): enough
#: that the work growing with A's rows is measured well above the timer's noise.  With the
#: sample of the exhaustive estimate alone (about 2,500 rows at 1M x 1M) that work took
#: milliseconds, and scaled by 400 its noise made the estimate 7x too low on an idle
#: machine and 10x too high on a loaded one
LSH_TIMED_ROWS = 1 << 17


def _lsh_seconds(a, b, rows, report: BlockingReport, backend: str) -> float:
    """LSH's CPU time on all of A and B, from a few tables run on rows spread over A.

    The tables run twice, on a quarter of the timed rows and on all of them:
    the difference is the work that grows with A's rows, the rest is B's
    (keys, buckets), which every table repeats whatever A holds.
    """
    params = report.params
    t = min(params.tables, _TIMED_TABLES)
    pos = _lsh.table_positions(params.seed, t, params.bits, a.shape[1] * 8)
    bw, pb = _lsh.words(b), popcounts(b).astype(np.int32)
    n = a.shape[0]
    timed = np.unique(np.concatenate([np.asarray(rows, dtype=np.int64), np.linspace(
        0, n - 1, min(n, LSH_TIMED_ROWS)).astype(np.int64)]))
    rng = np.random.default_rng(report.params.seed)
    timed = timed[rng.permutation(len(timed))]  # the quarter spread over A too

    def run(rows_a) -> None:
        x = np.ascontiguousarray(a[np.sort(rows_a)])
        _lsh.run_tables(x, b, _lsh.words(x), bw, popcounts(x).astype(np.int32), pb,
                        report.threshold, pos, 50_000_000, backend=backend)

    r2, r1 = len(timed), max(1, len(timed) // 4)
    run(timed[:1])  # warm-up: first-call costs belong to neither
    t1 = _cpu(lambda: run(timed[:r1]))
    t2 = _cpu(lambda: run(timed))
    if r2 >= n or r2 == r1:
        per_table = t2
    else:
        grows = max(t2 - t1, 0.0) / (r2 - r1)  # per row of A
        per_table = max(t2 - grows * r2, 0.0) + grows * n
    return per_table * params.tables / t


def _exhaustive_seconds(a, b, rows, threshold: float, backend: str) -> float:
    """The exhaustive scan's CPU time on all of A, from its scans of two samples of A's rows.

    Scanning B has a cost that does not grow with A's rows (sorting B,
    its bit planes); scaled with the rows as if it did, it made the estimate
    1.5-2x too high at 1M x 1M.  The scans of a quarter of ``rows`` and of
    all of them separate it from the cost per row.
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    r2, quarter = len(rows), rows[::4]
    t1 = _cpu(lambda: candidate_pairs(a[quarter], b, threshold, backend=backend))
    t2 = _cpu(lambda: candidate_pairs(a[rows], b, threshold, backend=backend))
    grows = max(t2 - t1, 0.0) / max(r2 - len(quarter), 1)  # per row of A
    return max(t2 - grows * r2, 0.0) + grows * a.shape[0]


def choose_blocking(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    target_pc: float = 0.99,
    estimate: str = "sample",
    rng=None,
    sample_rows: int = 1000,
    backend: str = "auto",
) -> BlockingChoice:
    """Choose the exhaustive scan or LSH blocking, whichever is estimated to cost less.

    Below ``AUTO_MIN_PAIRS`` pairs the exhaustive scan is chosen at once.
    Otherwise LSH parameters are chosen as :func:`~pprl.linkage.blocking.choose_lsh`
    does (``target_pc``, ``estimate``, ``rng``), its sample of rows of A
    times the exhaustive scan, a few tables time LSH on rows spread over A
    (module docstring), and the cheaper is chosen.  The work this takes is a few per cent of the
    exhaustive scan's.

    Parameters
    ----------
    a, b : ndarray of uint8, shape (n, l // 8) and (m, l // 8)
    threshold : float in [0, 1]
    target_pc : float in (0, 1), default=0.99
    estimate : {"sample", "worst-case"}, default="sample"
        How the LSH parameters are chosen (see ``choose_lsh``); the costs
        are timed on a sample of ``sample_rows`` rows of A either way.
    rng : None, int or numpy.random.Generator
        An int is also the LSH tables' seed.
    sample_rows : int, default=1000
    backend : {"auto", "native", "numpy"}, default="auto"

    Returns
    -------
    BlockingChoice

    Examples
    --------
    >>> a = np.zeros((100, 128), np.uint8)
    >>> choose_blocking(a, a, 0.8).method
    'none'
    """
    func = "choose_blocking"
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    target_pc = _check_target(target_pc, func)
    if estimate not in ESTIMATES:
        raise param_error("estimate", func, f"one of {ESTIMATES}", estimate)
    check_backend(backend, func)
    n, m = a.shape[0], b.shape[0]
    if n * m < AUTO_MIN_PAIRS:
        return BlockingChoice("none", f"{n:,} x {m:,} pairs are too few for blocking to pay "
                                      f"(under {AUTO_MIN_PAIRS:,})")
    seed = _given_seed(rng)
    rng = check_rng(rng)
    try:
        report, sample = choose_lsh_sampled(a, b, threshold, target_pc, "sample", 1000, rng,
                                            sample_rows, seed)
        if estimate == "worst-case":  # the costs still come from the sample
            report, _ = choose_lsh_sampled(a, b, threshold, target_pc, estimate, 1000, rng,
                                           sample_rows, seed)
    except InputError as exc:  # no LSH parameters reach the target
        return BlockingChoice("none", f"LSH cannot reach pair completeness {target_pc:g} "
                                      f"here ({str(exc).split(' (')[0]})")
    if len(sample.rows) >= 4 * _plan.BIT_SLICED_MIN_ROWS:
        exhaustive = _exhaustive_seconds(a, b, sample.rows, threshold, backend)
    else:  # too few rows for two samples that scan alike
        exhaustive = sample.cpu_seconds * n / sample.scanned_rows
    lsh = _lsh_seconds(a, b, sample.rows, report, backend)
    p = report.params
    figures = (f"estimated CPU time {lsh:.3g} s for LSH ({p.tables} tables of {p.bits} bits) "
               f"against {exhaustive:.3g} s for the exhaustive scan, timed on "
               f"{len(sample.rows):,} rows of A")
    method = "lsh" if lsh < exhaustive else "none"
    return BlockingChoice(method, figures, exhaustive, lsh, report)
