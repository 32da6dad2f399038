"""Diagnostics of a candidate set: score histograms, blocking quality, recall by corruption.

Score histograms need no labels (split by the truth when it is given); pair
completeness and reduction ratio measure a candidate set (or blocking) as a
filter; :func:`recall_by_corruption` breaks recall down by the corruptions
the synthetic generator logged.  Pairs are accepted in the forms listed in
:mod:`pprl.evaluation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import param_error
from ..errors import InputError
from ..linkage.candidates import Candidates
from ._pairs import as_pairs, check_unique, labels, pair_keys, sorted_candidates, truth_keys

__all__ = [
    "ScoreHistogram",
    "score_histogram",
    "pair_completeness",
    "reduction_ratio",
    "CorruptionRecall",
    "recall_by_corruption",
]


@dataclass(frozen=True)
class ScoreHistogram:
    """Counts of scores in bins, optionally split by true match / non-match.

    Attributes
    ----------
    edges : ndarray of float64, shape (bins + 1,)
    counts : ndarray of int64, shape (bins,)
        All pairs.
    match_counts, nonmatch_counts : ndarray of int64, shape (bins,), or None
        Split by the truth, when given.
    """

    edges: np.ndarray
    counts: np.ndarray
    match_counts: np.ndarray | None = None
    nonmatch_counts: np.ndarray | None = None

    @property
    def centers(self) -> np.ndarray:
        """The midpoint of each bin."""
        return (self.edges[:-1] + self.edges[1:]) / 2


def score_histogram(
    scores: Any,
    truth: Any = None,
    *,
    bins: int | np.ndarray = 50,
    range: tuple[float, float] = (0.0, 1.0),  # noqa: A002 -- numpy's name
) -> ScoreHistogram:
    """Histogram of similarity scores, split by the truth when given.

    Parameters
    ----------
    scores : Candidates, DataFrame with a, b, score, or ndarray of shape (n_a, n_b)
        Scored candidate pairs, or a full Dice matrix (every pair; see
        :func:`pprl.dice_matrix`).  Candidates hold only pairs above the
        candidate threshold, so the histogram is empty below it.
    truth : pairs, optional
        True pairs; splits the counts into matches and non-matches.
    bins : int or array of edges, default=50
    range : (float, float), default=(0, 1)

    Returns
    -------
    ScoreHistogram
    """
    func = "score_histogram"
    edges = np.histogram_bin_edges([], bins=bins, range=range)
    arr = None if isinstance(scores, Candidates) or hasattr(scores, "columns") else scores
    if arr is not None and np.ndim(arr) == 2 and np.issubdtype(np.asarray(arr).dtype,
                                                               np.floating):
        mat = np.asarray(arr, dtype=np.float64)
        counts = np.histogram(mat, bins=edges)[0].astype(np.int64)
        if truth is None:
            return ScoreHistogram(edges, counts)
        ta, tb, _ = as_pairs(truth, "truth", func)
        check_unique(pair_keys(ta, tb), "truth", func)
        if len(ta) and (ta.max() >= mat.shape[0] or tb.max() >= mat.shape[1]):
            raise InputError(f"The truth given to {func} names rows outside the "
                             f"{mat.shape[0]} x {mat.shape[1]} score matrix.")
        match = np.histogram(mat[ta, tb], bins=edges)[0].astype(np.int64)
        return ScoreHistogram(edges, counts, match, counts - match)
    c = sorted_candidates(scores, func)
    counts = np.histogram(c.score, bins=edges)[0].astype(np.int64)
    if truth is None:
        return ScoreHistogram(edges, counts)
    lab = labels(c.a, c.b, truth_keys(truth, func))
    match = np.histogram(c.score[lab], bins=edges)[0].astype(np.int64)
    return ScoreHistogram(edges, counts, match, counts - match)


def pair_completeness(candidates: Any, truth: Any) -> float:
    """Share of all true pairs that are among the candidates (blocking recall).

    Examples
    --------
    >>> pair_completeness([[0, 0], [0, 1]], [[0, 0], [1, 1]])
    0.5
    """
    a, b, _ = as_pairs(candidates, "candidates", "pair_completeness")
    tkeys = truth_keys(truth, "pair_completeness")
    if len(tkeys) == 0:
        return 1.0
    return float(np.count_nonzero(np.isin(tkeys, pair_keys(a, b))) / len(tkeys))


def reduction_ratio(candidates: Any, n_a: int, n_b: int) -> float:
    """``1 - n_candidates / (n_a * n_b)``: share of all pairs never compared further.

    Examples
    --------
    >>> reduction_ratio([[0, 0], [0, 1]], 10, 10)
    0.98
    """
    for name, v in (("n_a", n_a), ("n_b", n_b)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise param_error(name, "reduction_ratio", "a positive integer", v)
    n = len(candidates) if isinstance(candidates, Candidates) else len(
        as_pairs(candidates, "candidates", "reduction_ratio")[0])
    return 1.0 - n / (int(n_a) * int(n_b))


@dataclass(frozen=True)
class CorruptionRecall:
    """Recall among the true pairs touched by each kind of corruption.

    A true pair counts under a kind when either of its two records had a
    corruption of that kind; a pair with several kinds counts under each.
    Pairs whose records were not corrupted at all count under ``"none"``.

    Attributes
    ----------
    kinds : ndarray of str, shape (m,)
    n_pairs : ndarray of int64, shape (m,)
        True pairs touched by the kind.
    n_found : ndarray of int64, shape (m,)
        Of those, how many the links recovered.
    """

    kinds: np.ndarray
    n_pairs: np.ndarray
    n_found: np.ndarray

    @property
    def recall(self) -> np.ndarray:
        """``n_found / n_pairs`` per kind."""
        return self.n_found / np.maximum(self.n_pairs, 1)

    def to_frame(self):
        """A pandas DataFrame with columns kind, n_pairs, n_found, recall."""
        import pandas as pd

        return pd.DataFrame({"kind": self.kinds, "n_pairs": self.n_pairs,
                             "n_found": self.n_found, "recall": self.recall})


def recall_by_corruption(
    links: Any,
    truth: Any,
    corruptions: Any,
    *,
    parties: tuple[Any, Any] = ("a", "b"),
) -> CorruptionRecall:
    """Recall broken down by the kind of corruption applied to the true pairs.

    Parameters
    ----------
    links : pairs
        The links found (e.g. greedy matches).
    truth : pairs
        All true pairs.
    corruptions : DataFrame
        The synthetic corruption log, one row per corruption, with columns
        ``party``, ``row`` and ``kind`` (e.g. ``SyntheticDataset.corruptions``).
    parties : (label of A, label of B), default=("a", "b")
        The values of the ``party`` column naming party A and party B.

    Returns
    -------
    CorruptionRecall
        One entry per kind (sorted by name) plus ``"none"`` when some true
        pairs were not corrupted.

    Raises
    ------
    InputError
        When the log lacks a column or pairs are malformed.
    """
    import pandas as pd

    func = "recall_by_corruption"
    missing = [c for c in ("party", "row", "kind") if c not in getattr(corruptions, "columns", ())]
    if missing:
        raise param_error("corruptions", func, "a DataFrame with columns party, row, kind",
                          f"an object missing {missing}")
    la, lb, _ = as_pairs(links, "links", func)
    lkeys = pair_keys(la, lb)
    check_unique(lkeys, "links", func)
    ta, tb, _ = as_pairs(truth, "truth", func)
    check_unique(pair_keys(ta, tb), "truth", func)
    found = np.isin(pair_keys(ta, tb), lkeys)
    pairs = pd.DataFrame({"pair": np.arange(len(ta)), "a": ta, "b": tb})
    log = corruptions[["party", "row", "kind"]]
    if log["party"].isna().any() or log["row"].isna().any():
        raise InputError(f"The corruption log given to {func} has empty party or row values.")
    log = log.assign(kind=log["kind"].astype(str), row=log["row"].astype(np.int64))
    touched = []
    for label, col in zip(parties, ("a", "b"), strict=True):
        side = log.loc[log["party"] == label, ["row", "kind"]]
        touched.append(pairs.merge(side, left_on=col, right_on="row")[["pair", "kind"]])
    hit = pd.concat(touched).drop_duplicates()
    hit["found"] = found[hit["pair"].to_numpy()]
    g = hit.groupby("kind", sort=True)["found"].agg(["size", "sum"])
    kinds = g.index.to_numpy(dtype=object)
    n_pairs = g["size"].to_numpy(dtype=np.int64)
    n_found = g["sum"].to_numpy(dtype=np.int64)
    clean = np.ones(len(ta), dtype=bool)
    clean[hit["pair"].to_numpy()] = False
    if clean.any():
        kinds = np.append(kinds, "none")
        n_pairs = np.append(n_pairs, np.count_nonzero(clean))
        n_found = np.append(n_found, np.count_nonzero(found & clean))
    return CorruptionRecall(kinds=np.asarray(kinds, dtype=str), n_pairs=n_pairs,
                            n_found=n_found)
