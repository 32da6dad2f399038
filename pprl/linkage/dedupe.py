"""Deduplication of one file: its CLKs compared with themselves, then clustered.

The scan is the 2-party scan of the file against itself; each unordered pair
of different records is kept once (``a < b``), never a record with itself.
The clusters come from the greedy group rule (:mod:`._groups`) on those
pairs, best first:

* ``"greedy"`` (default): a cluster only grows while every pair in it is a
  candidate (a clique), so a path of weak links A-B-C never joins A and C;
* ``"probabilistic"``: at least ``merge_threshold`` of the pairs between two
  clusters must be candidates;
* ``"components"``: connected components of the candidate graph (scipy),
  the single-linkage baseline that chains; for comparison.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_bits_array, param_error
from ._groups import Groups, solve_groups
from .blocking import LSHParams, lsh_candidate_pairs
from .candidates import Candidates
from .similarity import candidate_pairs

__all__ = ["dedupe", "self_candidates"]

_METHODS = ("greedy", "probabilistic", "components")


def self_candidates(
    clks: np.ndarray,
    threshold: float,
    *,
    backend: str = "auto",
    threads: int | None = None,
    max_bytes: int | None = None,
    blocking: LSHParams | str | None = None,
    client=None,
    progress: bool = False,
    rng=None,
) -> Candidates:
    """Pairs of different records of one file at Dice ``>= threshold``, each pair once.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
    threshold : float in [0, 1]
    backend, threads, max_bytes, client, progress :
        As :func:`pprl.candidate_pairs` (the scan holds both orders of each
        pair and the record's pair with itself before they are dropped, so
        ``max_bytes`` bounds about twice the result).
    blocking : None, "lsh" or LSHParams, default=None
        Compare only records that share a Hamming-LSH bucket.
    rng : None, int or numpy.random.Generator
        For ``blocking="lsh"``.

    Returns
    -------
    Candidates
        ``a < b``, in the canonical order (score descending, then a, b).

    Examples
    --------
    >>> x = np.array([[0b11110000], [0b11110001], [0b00001111]], dtype=np.uint8)
    >>> c = self_candidates(x, 0.8)
    >>> c.a.tolist(), c.b.tolist(), c.score.round(3).tolist()
    ([0], [1], [0.889])
    """
    x = check_bits_array(clks, "clks", "self_candidates")
    if blocking is not None:
        if blocking != "lsh" and not isinstance(blocking, LSHParams):
            raise param_error("blocking", "self_candidates", 'None, "lsh" or an LSHParams',
                              blocking)
        params = blocking if isinstance(blocking, LSHParams) else None
        c, _ = lsh_candidate_pairs(x, x, threshold, params=params, threads=threads,
                                   progress=progress, rng=rng, backend=backend)
    else:
        c = candidate_pairs(x, x, threshold, backend=backend, threads=threads,
                            progress=progress, max_bytes=max_bytes, client=client)
    keep = c.a < c.b
    return Candidates(c.a[keep], c.b[keep], c.score[keep])


def dedupe(
    clks: np.ndarray,
    threshold: float,
    *,
    method: str = "greedy",
    merge_threshold: float = 0.5,
    backend: str = "auto",
    threads: int | None = None,
    max_bytes: int | None = None,
    blocking: LSHParams | str | None = None,
    client=None,
    progress: bool = False,
    rng=None,
) -> Groups:
    """Clusters of the records of one file that are the same entity.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
    threshold : float in [0, 1]
        Pairs with Dice ``>= threshold`` are evidence of a duplicate.
    method : {"greedy", "probabilistic", "components"}, default="greedy"
        See the module notes; ``"greedy"`` does not chain.
    merge_threshold : float in [0, 1], default=0.5
        For ``"probabilistic"``.
    backend, threads, max_bytes, blocking, client, progress, rng :
        See :func:`self_candidates`; ``backend`` chooses the group solver's
        path too (native ``native/groups.c`` or the Python rule).

    Returns
    -------
    Groups
        Party 0 throughout; records with no duplicate are left out.

    Examples
    --------
    >>> x = np.array([[0b11110000], [0b11110001], [0b00001111], [0b11110011]], dtype=np.uint8)
    >>> dedupe(x, 0.8).to_lists()
    [[[0, 0], [0, 1], [0, 3]]]
    """
    f = "dedupe"
    if method not in _METHODS:
        raise param_error("method", f, f"one of {', '.join(_METHODS)}", method)
    if isinstance(merge_threshold, bool) or not isinstance(merge_threshold, numbers.Real) \
            or not 0 <= merge_threshold <= 1:
        raise param_error("merge_threshold", f, "a number in [0, 1]", merge_threshold)
    x = check_bits_array(clks, "clks", f)
    c = self_candidates(x, threshold, backend=backend, threads=threads, max_bytes=max_bytes,
                        blocking=blocking, client=client, progress=progress, rng=rng)
    if method == "components":
        return _components(c, len(x))
    zero = np.zeros(len(c), np.int64)
    mt = 1.0 if method == "greedy" else float(merge_threshold)
    return solve_groups(zero, c.a, zero, c.b, merge_threshold=mt, deduplicated=False,
                        backend=backend)


def _components(c: Candidates, n: int) -> Groups:
    """Connected components of the candidate graph, components of two or more."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(c) == 0:
        return Groups([], [], [])
    graph = coo_matrix((np.ones(len(c)), (c.a, c.b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    size = np.bincount(labels)
    rows = np.flatnonzero(size[labels] > 1)
    return Groups(labels[rows], np.zeros(len(rows), np.int64), rows)

