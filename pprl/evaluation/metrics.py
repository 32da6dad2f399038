"""Linkage quality against ground truth: precision, recall, F1 and their curves.

Everything here takes pairs as arrays (or :class:`~pprl.linkage.candidates.Candidates`)
and returns numbers, arrays and dataclasses; nothing plots.  Plots of these
results live in :mod:`pprl.viz.plots`.

Pairs and truth
---------------
Wherever a function takes ``links``, ``candidates`` or ``truth`` it accepts
any of: a :class:`~pprl.linkage.candidates.Candidates`; a pandas DataFrame with
integer columns ``a`` and ``b`` (0-based rows in party A and party B; other
columns are ignored unless a threshold needs ``score``); a ``(n, 2)`` integer
array; or a pair ``(a, b)`` of integer arrays.  A pair listed twice is an
error, never silently merged.

Recall's denominator
--------------------
Recall is always ``tp / n_true`` where ``n_true`` counts **every** true pair,
including true pairs that never became candidates (their score fell under
the candidate threshold, or blocking dropped them).  This is what a user of
the linkage cares about, and it is why these curves are not simply
:func:`sklearn.metrics.precision_recall_curve` over candidate labels: that
function's recall is relative to the true pairs *among the candidates*, so
it overstates recall whenever a true pair is missing from the candidate set.
(With every true pair among the candidates the two agree; the tests check
this against scikit-learn.)

Conventions for empty sets: precision is 1.0 when no pair is linked (no
false link was made), recall is 1.0 when there is no true pair, and F1 is
0.0 when precision + recall is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._validation import check_threshold, param_error
from ..errors import InputError
from ..linkage.chunks import CandidateChunks
from ._pairs import (
    as_pairs,
    check_in_range,
    check_unique,
    pair_keys,
    sorted_candidates,
    truth_keys,
)

__all__ = [
    "LinkageMetrics",
    "ThresholdCurve",
    "evaluate_links",
    "threshold_curve",
]


# --- metrics at one operating point -------------------------------------------


def _safe_div(num, den, empty: float):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, empty, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class LinkageMetrics:
    """Confusion counts of a set of links against the truth, and their ratios.

    Attributes
    ----------
    tp : int
        Links that are true pairs.
    fp : int
        Links that are not true pairs.
    fn : int
        True pairs not linked (including those never among the candidates).
    n_true : int
        All true pairs; ``tp + fn``.
    threshold : float or None
        The score threshold applied to the links, if any.
    """

    tp: int
    fp: int
    fn: int
    n_true: int
    threshold: float | None = None

    @property
    def n_matches(self) -> int:
        """Number of links evaluated, ``tp + fp``."""
        return self.tp + self.fp

    @property
    def precision(self) -> float:
        """``tp / n_matches``; 1.0 when nothing is linked."""
        return float(_safe_div(self.tp, self.n_matches, 1.0))

    @property
    def recall(self) -> float:
        """``tp / n_true`` over all true pairs; 1.0 when there are none."""
        return float(_safe_div(self.tp, self.n_true, 1.0))

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall; 0.0 when both are 0."""
        p, r = self.precision, self.recall
        return float(_safe_div(2 * p * r, p + r, 0.0))

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain dict (JSON-ready): precision, recall, f1, tp, fp, fn, n_matches, n_true."""
        d: dict[str, float | int | None] = {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "n_matches": self.n_matches,
            "n_true": self.n_true,
        }
        if self.threshold is not None:
            d["threshold"] = self.threshold
        return d


def evaluate_links(links: Any, truth: Any, *, threshold: float | None = None,
                   sizes: tuple[int, int] | None = None) -> LinkageMetrics:
    """Precision, recall, F1 and confusion counts of links against the truth.

    Parameters
    ----------
    links : Candidates, DataFrame, ndarray of shape (n, 2) or tuple (a, b)
        The pairs declared matches (e.g. the output of :func:`pprl.greedy_match`).
    truth : same forms as ``links``
        Every true pair.  Recall is over all of them.
    threshold : float, optional
        Keep only links with ``score >= threshold`` first; needs scores
        (Candidates or a DataFrame with a ``score`` column).
    sizes : tuple of int (n_a, n_b), optional
        The number of records of each party, when known: a link or truth
        pair beyond them raises (a truth of other files, or 1-based rows)
        instead of counting as a miss.

    Returns
    -------
    LinkageMetrics

    Raises
    ------
    InputError
        Malformed pairs, a pair listed twice, a threshold without scores, or
        a pair beyond ``sizes``.

    Examples
    --------
    >>> m = evaluate_links([[0, 0], [1, 2]], [[0, 0], [1, 1]])
    >>> m.tp, m.fp, m.fn, m.precision, m.recall
    (1, 1, 1, 0.5, 0.5)
    >>> evaluate_links([[0, 0]], [[0, 0], [1, 9]], sizes=(2, 2))
    Traceback (most recent call last):
    ...
    pprl.errors.InputError: The 'truth' parameter of evaluate_links has pair 1 with b = 9, ...
    """
    func = "evaluate_links"
    a, b, score = as_pairs(links, "links", func)
    check_in_range(a, b, sizes, "links", func)
    if threshold is not None:
        threshold = check_threshold(threshold, func)
        if score is None:
            raise InputError(
                "The 'threshold' parameter of evaluate_links needs scored links "
                "(Candidates or a DataFrame with a 'score' column)."
            )
        keep = score >= threshold
        a, b = a[keep], b[keep]
    keys = pair_keys(a, b)
    check_unique(keys, "links", func)
    if sizes is not None:
        ta, tb, _ = as_pairs(truth, "truth", func)
        check_in_range(ta, tb, sizes, "truth", func)
    tkeys = truth_keys(truth, func)
    tp = int(np.count_nonzero(np.isin(keys, tkeys)))
    return LinkageMetrics(tp=tp, fp=len(keys) - tp, fn=len(tkeys) - tp, n_true=len(tkeys),
                          threshold=threshold)


# --- metrics at every threshold ------------------------------------------------


@dataclass(frozen=True)
class ThresholdCurve:
    """Linkage outcome at every distinct score, from the highest down.

    Row ``i`` describes linking every kept pair with ``score >= thresholds[i]``.

    Attributes
    ----------
    thresholds : ndarray of float64, shape (m,)
        Distinct candidate scores, descending.
    n_pairs : ndarray of int64, shape (m,)
        Pairs kept at each threshold: all candidates (``solver="none"``, the
        candidate-set size) or the greedy one-to-one matches (``"greedy"``).
    tp : ndarray of int64, shape (m,), or None
        True pairs among them; None for a label-free curve.
    n_true : int or None
        All true pairs (the recall denominator); None for a label-free curve.
    solver : str
        ``"none"`` or ``"greedy"``.
    """

    thresholds: np.ndarray
    n_pairs: np.ndarray
    tp: np.ndarray | None
    n_true: int | None
    solver: str = "none"

    def __len__(self) -> int:
        return len(self.thresholds)

    def _labelled(self) -> tuple[np.ndarray, int]:
        if self.tp is None or self.n_true is None:
            raise InputError("This curve was built without truth; pass truth= for P/R/F1.")
        return self.tp, self.n_true

    @property
    def fp(self) -> np.ndarray:
        """False positives: kept pairs that are not true pairs, at each threshold."""
        tp, _ = self._labelled()
        return self.n_pairs - tp

    @property
    def fn(self) -> np.ndarray:
        """False negatives: true pairs not kept, at each threshold."""
        tp, n_true = self._labelled()
        return n_true - tp

    @property
    def precision(self) -> np.ndarray:
        """``tp / n_pairs`` at each threshold (1 where nothing is kept)."""
        tp, _ = self._labelled()
        return _safe_div(tp, self.n_pairs, 1.0)

    @property
    def recall(self) -> np.ndarray:
        """``tp / n_true``: over all true pairs, including non-candidates."""
        tp, n_true = self._labelled()
        return _safe_div(tp, np.full(tp.shape, n_true), 1.0)

    @property
    def f1(self) -> np.ndarray:
        """Harmonic mean of precision and recall at each threshold (0 where both are 0)."""
        p, r = self.precision, self.recall
        return _safe_div(2 * p * r, p + r, 0.0)

    def _index(self, threshold: float) -> int:
        """Number of thresholds >= threshold (0: nothing kept)."""
        return int(np.searchsorted(-self.thresholds, -threshold, side="right"))

    def size_at(self, thresholds) -> np.ndarray:
        """Pairs kept at each of ``thresholds`` (any order); int64 array."""
        t = np.asarray(thresholds, dtype=np.float64)
        k = np.searchsorted(-self.thresholds, -t, side="right")
        padded = np.concatenate([[0], self.n_pairs]).astype(np.int64)
        return padded[k]

    def at(self, threshold: float) -> LinkageMetrics:
        """The metrics of keeping pairs with ``score >= threshold``."""
        threshold = check_threshold(threshold, "ThresholdCurve.at")
        tp_arr, n_true = self._labelled()
        k = self._index(threshold)
        n = int(self.n_pairs[k - 1]) if k else 0
        tp = int(tp_arr[k - 1]) if k else 0
        return LinkageMetrics(tp=tp, fp=n - tp, fn=n_true - tp, n_true=n_true,
                              threshold=threshold)

    def best_f1(self) -> LinkageMetrics:
        """The operating point with the highest F1 (highest threshold among ties).

        The returned ``threshold`` is the lowest score kept; any threshold in
        ``(next lower score, threshold]`` gives the same links.
        """
        tp_arr, n_true = self._labelled()
        if len(self) == 0:
            return LinkageMetrics(0, 0, n_true, n_true, threshold=None)
        i = int(np.argmax(self.f1))
        tp = int(tp_arr[i])
        return LinkageMetrics(tp=tp, fp=int(self.n_pairs[i]) - tp, fn=n_true - tp,
                              n_true=n_true, threshold=float(self.thresholds[i]))


def threshold_curve(
    candidates: Any,
    truth: Any = None,
    *,
    solver: Literal["none", "greedy"] = "none",
) -> ThresholdCurve:
    """Links, true links, precision, recall and F1 at every threshold, in one pass.

    Sorts the scores once (candidates from :func:`pprl.candidate_pairs` are
    already sorted) and accumulates counts, so the cost is ``O(n log n)``
    for ``n`` candidates whatever the number of thresholds.

    Parameters
    ----------
    candidates : Candidates, CandidateChunks or DataFrame with columns a, b, score
        Scored candidate pairs.  Pairs absent from it count as never linked.
        Chunks on disk (``candidate_pairs(..., out_dir=...)``) are read batch
        by batch, never whole.
    truth : pairs, optional
        All true pairs (see the module notes).  Without it the curve is
        label-free: ``n_pairs`` only.
    solver : {"none", "greedy"}, default="none"
        ``"none"``: every candidate at or above the threshold is a link, so
        ``n_pairs`` is the candidate-set size.  ``"greedy"``: links are the
        greedy one-to-one matching of those candidates.  Greedy matching
        visits pairs in score order, so its result at threshold ``t`` is
        the prefix (``score >= t``) of its result on all candidates: one
        call to :func:`pprl.linkage.matching.greedy_match` gives every threshold.

    Returns
    -------
    ThresholdCurve

    Examples
    --------
    >>> from pprl import Candidates
    >>> c = Candidates.from_unsorted([0, 1, 1], [0, 0, 1], [0.9, 0.8, 0.7])
    >>> curve = threshold_curve(c, [[0, 0], [1, 1], [2, 2]])
    >>> curve.thresholds.tolist(), curve.tp.tolist(), curve.n_pairs.tolist()
    ([0.9, 0.8, 0.7], [1, 1, 2], [1, 2, 3])
    >>> round(float(curve.recall[-1]), 3)   # 2 of 3 true pairs, one never a candidate
    0.667
    """
    func = "threshold_curve"
    if solver not in ("none", "greedy"):
        raise param_error("solver", func, "'none' or 'greedy'", solver)
    if isinstance(candidates, CandidateChunks):
        return _chunked_curve(candidates, truth, solver, func)
    c = sorted_candidates(candidates, func)
    keys = pair_keys(c.a, c.b)
    check_unique(keys, "candidates", func)
    if solver == "greedy":
        from ..linkage.matching import greedy_match

        kept = np.isin(keys, pair_keys(*as_pairs(greedy_match(c), "links", func)[:2]))
    else:
        kept = np.ones(len(c), dtype=bool)
    # last index of each run of equal scores (scores descending)
    if len(c):
        ends = np.flatnonzero(np.diff(c.score) != 0)
        ends = np.append(ends, len(c) - 1)
    else:
        ends = np.empty(0, dtype=np.int64)
    thresholds = c.score[ends]
    n_pairs = np.cumsum(kept, dtype=np.int64)[ends]
    tp = n_true = None
    if truth is not None:
        tkeys = truth_keys(truth, func)
        tp = np.cumsum(kept & np.isin(keys, tkeys), dtype=np.int64)[ends]
        n_true = len(tkeys)
    return ThresholdCurve(thresholds=thresholds, n_pairs=n_pairs, tp=tp, n_true=n_true,
                          solver=solver)


def _chunked_curve(chunks: CandidateChunks, truth: Any, solver: str, func: str
                   ) -> ThresholdCurve:
    """:func:`threshold_curve` over sorted batches: per distinct score, counts only."""
    links = None
    if solver == "greedy":
        from ..linkage.matching import greedy_match

        links = pair_keys(*as_pairs(greedy_match(chunks), "links", func)[:2])
    tkeys = truth_keys(truth, func) if truth is not None else None
    scores, kept_n, tp_n = [], [], []
    for c in chunks.batches():
        keys = pair_keys(c.a, c.b)
        kept = np.isin(keys, links) if links is not None else np.ones(len(c), dtype=bool)
        starts = np.flatnonzero(np.r_[True, np.diff(c.score) != 0])
        scores.append(c.score[starts])
        kept_n.append(np.add.reduceat(kept.astype(np.int64), starts))
        if tkeys is not None:
            tp_n.append(np.add.reduceat((kept & np.isin(keys, tkeys)).astype(np.int64), starts))
    if scores:
        s = np.concatenate(scores)
        first = np.r_[True, np.diff(s) != 0]  # a score run may straddle two batches
        group = np.cumsum(first) - 1
        thresholds = s[first]
        n_pairs = np.cumsum(np.bincount(group, weights=np.concatenate(kept_n)).astype(np.int64))
        tp = (np.cumsum(np.bincount(group, weights=np.concatenate(tp_n)).astype(np.int64))
              if tkeys is not None else None)
    else:
        thresholds = np.empty(0)
        n_pairs = np.empty(0, dtype=np.int64)
        tp = np.empty(0, dtype=np.int64) if tkeys is not None else None
    return ThresholdCurve(thresholds=thresholds, n_pairs=n_pairs, tp=tp,
                          n_true=None if tkeys is None else len(tkeys), solver=solver)
