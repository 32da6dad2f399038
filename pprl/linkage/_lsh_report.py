"""What LSH blocking is given and what it did: its parameters and its report.

Shared by the two runners of LSH blocking, :mod:`.blocking` (threads) and
:mod:`.distributed` (Dask tasks): the parameters, the report, the merge of
the table groups' pairs into canonical candidates, and the warnings both
give.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import asdict, dataclass

from .._validation import param_error
from . import _lsh
from .candidates import Candidates

__all__ = ["LSHParams", "BlockingReport", "merge", "warn_useless", "warn_skipped"]

#: most bits a table samples (its key is one uint64)
MAX_BITS = 64


@dataclass(frozen=True)
class LSHParams:
    """Parameters of Hamming LSH: ``tables`` tables of ``bits`` sampled bits, seeded.

    The sampled positions depend only on ``(seed, table)``, so the same
    parameters block the same way everywhere.
    """

    tables: int
    bits: int
    seed: int

    def __post_init__(self) -> None:
        for name, lo, hi in (("tables", 1, 1 << 20), ("bits", 1, MAX_BITS), ("seed", 0, 1 << 63)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not lo <= v <= hi:
                raise param_error(name, "LSHParams", f"an integer in [{lo}, {hi}]", v)


@dataclass(frozen=True)
class BlockingReport:
    """What blocking did: the parameters, its expected and its actual work.

    Attributes
    ----------
    params : LSHParams
    threshold : float
    n_a, n_b : int
        Records of each party; ``n_a * n_b`` pairs in all.
    worst_distance : int
        Largest Hamming distance of a pair at Dice ``>= threshold`` with
        popcounts in ``popcount_range``.
    popcount_range : tuple of int
        Smallest and largest popcount of the CLKs.
    pc_bound : float
        Pair completeness guaranteed in expectation for every pair at Dice
        ``>= threshold``: the worst-case pair's chance of sharing a bucket.
    pc_sample : float or None
        Pair completeness expected over the candidate pairs of a sample of
        rows of A (``estimate="sample"``), else None.
    expected_comparisons : float
        Pairs expected to share a bucket, repeats across tables counted.
    generated, compared : int
        Pairs that shared a bucket (repeats counted), and of those the pairs
        whose bits were read (the rest were ruled out by popcount alone).
    candidates : int
        Distinct pairs at Dice ``>= threshold`` found.
    skipped : list of tuple
        ``(table, buckets, pairs, largest bucket)`` for each table where
        buckets over ``max_bucket_pairs`` were skipped.
    """

    params: LSHParams
    threshold: float
    n_a: int
    n_b: int
    worst_distance: int
    popcount_range: tuple
    pc_bound: float
    pc_sample: float | None
    expected_comparisons: float
    generated: int = 0
    compared: int = 0
    candidates: int = 0
    skipped: tuple = ()

    @property
    def reduction_ratio(self) -> float:
        """``1 - generated / (n_a * n_b)`` (repeats counted, so a lower bound)."""
        total = self.n_a * self.n_b
        return 1.0 - self.generated / total if total else 1.0

    def to_dict(self) -> dict:
        """Plain JSON-ready dict (``reduction_ratio`` included)."""
        d = asdict(self)
        d["popcount_range"] = list(self.popcount_range)
        d["skipped"] = [list(s) for s in self.skipped]
        d["total_pairs"] = self.n_a * self.n_b
        d["reduction_ratio"] = self.reduction_ratio
        return d


def merge(parts: list[dict], report: BlockingReport, k: int | None):
    """Table groups' pairs merged into canonical Candidates and the finished report."""
    ca, cb, cs = _lsh.merge_pairs(parts, report.n_b, k)
    cands = Candidates.from_unsorted(ca, cb, cs)
    skipped = tuple(sorted(s for p in parts for s in p["skipped"]))
    report = BlockingReport(**{**report.__dict__, "generated": sum(p["generated"] for p in parts),
                               "compared": sum(p["compared"] for p in parts),
                               "candidates": len(cands), "skipped": skipped})
    return cands, report


def warn_useless(report: BlockingReport) -> None:
    """Warn when the blocking is expected to compare more pairs than the exhaustive scan."""
    total = report.n_a * report.n_b
    if report.expected_comparisons > total:
        warnings.warn(
            f"LSH blocking ({report.params.tables} tables of {report.params.bits} bits) is "
            f"expected to compare {report.expected_comparisons:.3g} pairs, more than the "
            f"{total} of the exhaustive scan; link without blocking", stacklevel=3)


def warn_skipped(report: BlockingReport, max_bucket_pairs: int) -> None:
    """Warn once per table whose oversized buckets were skipped."""
    for table, n_buckets, n_pairs, largest in report.skipped:
        warnings.warn(
            f"LSH blocking skipped {n_buckets} bucket(s) of table {table} with {n_pairs} "
            f"pairs (largest {largest} > max_bucket_pairs={max_bucket_pairs}); pairs only "
            "in those buckets are missed", stacklevel=3)
