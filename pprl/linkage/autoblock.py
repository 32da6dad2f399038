"""Whether LSH blocking pays: the exhaustive scan's and LSH's cost estimated from a sample.

:func:`choose_blocking` is ``pprl link --blocking auto``.  The sample that
:func:`~pprl.linkage.blocking.choose_lsh` scans exhaustively to choose the
LSH parameters also times the exhaustive scan (its CPU time per row of A,
times the rows of A); LSH's cost is measured on the same sample with the
chosen parameters: a few of its tables are run on one row of A (the work on
B alone, which every table repeats) and on the sampled rows (the work that
grows with the rows of A), and scaled to all tables and rows.  The cheaper
one runs.  Both figures are CPU seconds, so they compare alike on a loaded
machine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validation import check_rng, check_threshold, param_error
from ..errors import InputError
from . import _lsh
from ._inputs import check_backend, check_clks_pair
from ._lsh_report import BlockingReport
from .blocking import ESTIMATES, _check_target, _given_seed, choose_lsh_sampled
from .similarity import popcounts

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


def _lsh_seconds(a, b, rows, report: BlockingReport, backend: str) -> float:
    """LSH's CPU time on all of A and B, from a few tables run on the sample of A."""
    params = report.params
    t = min(params.tables, _TIMED_TABLES)
    pos = _lsh.table_positions(params.seed, t, params.bits, a.shape[1] * 8)
    bw, pb = _lsh.words(b), popcounts(b).astype(np.int32)

    def run(rows_a) -> None:
        x = a[rows_a]
        _lsh.run_tables(x, b, _lsh.words(x), bw, popcounts(x).astype(np.int32), pb,
                        report.threshold, pos, 50_000_000, backend=backend)

    fixed = _cpu(lambda: run(rows[:1]))  # B's keys and sort: every table does them once
    grown = max(0.0, _cpu(lambda: run(rows)) - fixed)  # what the sampled rows of A add
    per_table = fixed + grown * a.shape[0] / len(rows)
    return per_table * params.tables / t


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
    times the exhaustive scan, a few tables time LSH on the same sample, and
    the cheaper is chosen.  The work this takes is a few per cent of the
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
    exhaustive = sample.cpu_seconds * n / sample.scanned_rows
    lsh = _lsh_seconds(a, b, sample.rows, report, backend)
    p = report.params
    figures = (f"estimated CPU time {lsh:.3g} s for LSH ({p.tables} tables of {p.bits} bits) "
               f"against {exhaustive:.3g} s for the exhaustive scan, timed on "
               f"{len(sample.rows):,} rows of A")
    method = "lsh" if lsh < exhaustive else "none"
    return BlockingChoice(method, figures, exhaustive, lsh, report)
