"""Candidate pairs to links: one-to-one matching for two parties.

Both solvers take :class:`~pprl.linkage.candidates.Candidates` (typically from
:func:`pprl.candidate_pairs`) and return the kept pairs as ``Candidates`` in
the canonical order (score descending, then ``a``, then ``b``).

* :func:`greedy_match` walks the pairs from the best score down and keeps a
  pair when neither of its records is taken yet -- the rule anonlink's greedy
  solver applies to two parties, with ties broken by ``(a, b)``.
* :func:`optimal_match` finds the one-to-one assignment with the largest
  total score (a maximum-weight bipartite matching, solved by scipy).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import param_error
from ..errors import InputError
from . import backend as _backend
from .candidates import Candidates
from .chunks import CandidateChunks

__all__ = ["greedy_match", "optimal_match", "greedy_mask"]


def _check_size(x: object, name: str, func: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 0:
        raise param_error(name, func, "a non-negative integer", x)
    return int(x)


def greedy_mask(
    a: np.ndarray, b: np.ndarray, n_a: int, n_b: int, backend: str = "auto"
) -> np.ndarray:
    """Which pairs greedy one-to-one matching keeps.

    The pairs must already be in the order of preference (for candidates:
    score descending, then ``a``, then ``b``).  A pair is kept exactly when
    neither its ``a`` nor its ``b`` belongs to a pair kept before it.

    Parameters
    ----------
    a, b : array-like of int, shape (n,)
        Rows in A (``0 <= a < n_a``) and in B (``0 <= b < n_b``).
    n_a, n_b : int
        Number of records of each party (or any bound above the indices).
    backend : {"auto", "native", "numpy"}, default="auto"

    Returns
    -------
    ndarray of bool, shape (n,)

    Raises
    ------
    InputError
        Shapes differ, indices are not integers or are out of range.

    Examples
    --------
    >>> greedy_mask([0, 0, 1, 1], [0, 1, 0, 1], 2, 2, backend="numpy").tolist()
    [True, False, False, True]
    """
    func = "greedy_mask"
    n_a = _check_size(n_a, "n_a", func)
    n_b = _check_size(n_b, "n_b", func)
    arrs = []
    for name, x, bound in (("a", a, n_a), ("b", b, n_b)):
        x = np.asarray(x)
        if x.ndim != 1 or (x.size and not np.issubdtype(x.dtype, np.integer)):
            raise param_error(name, func, "a 1-D array of integers", f"an array of dtype "
                              f"{x.dtype} and shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.int64)
        if x.size and (x.min() < 0 or x.max() >= bound):
            raise param_error(name, func, f"row indices in [0, {bound})",
                              f"values in [{x.min()}, {x.max()}]")
        arrs.append(x)
    a, b = arrs
    if len(a) != len(b):
        raise InputError(f"greedy_mask needs a and b of equal length; got {len(a)} and {len(b)}.")
    _, mod = _backend.choose(backend, func)
    return mod.greedy_mask(a, b, n_a, n_b)


def _greedy_chunks(chunks: CandidateChunks, backend: str) -> Candidates:
    """Greedy matching streamed over the sorted batches of a chunk folder."""
    _, mod = _backend.choose(backend, "greedy_match")
    used = (np.zeros(chunks.n_a, dtype=np.uint8), np.zeros(chunks.n_b, dtype=np.uint8))
    kept = []
    for batch in chunks.batches():
        if len(batch) and (batch.a.max() >= chunks.n_a or batch.b.max() >= chunks.n_b
                           or batch.a.min() < 0 or batch.b.min() < 0):
            raise InputError(f"greedy_match: {chunks.path}: a row index is out of range.")
        keep = mod.greedy_mask(batch.a, batch.b, chunks.n_a, chunks.n_b, used)
        kept.append(_subset(batch, keep))
    if not kept:
        return Candidates.empty()
    return Candidates(*(np.concatenate([getattr(c, col) for c in kept])
                        for col in ("a", "b", "score")))


def _check_candidates(candidates: object, func: str) -> Candidates:
    if not isinstance(candidates, Candidates):
        raise InputError(
            f"The 'candidates' parameter of {func} must be a pprl.Candidates "
            f"(from pprl.candidate_pairs). Got {type(candidates).__name__} instead."
        )
    if len(candidates) and (candidates.a.min() < 0 or candidates.b.min() < 0):
        raise InputError(f"{func}: candidate row indices must be non-negative.")
    if not candidates.is_sorted():
        candidates = Candidates.from_unsorted(candidates.a, candidates.b, candidates.score)
    return candidates


def _subset(candidates: Candidates, keep: np.ndarray) -> Candidates:
    return Candidates(candidates.a[keep], candidates.b[keep], candidates.score[keep])


def greedy_match(candidates: Candidates | CandidateChunks, *,
                 backend: str = "auto") -> Candidates:
    """Greedy one-to-one matching, best score first.

    Pairs are visited in the canonical order (score descending, ties broken
    by ``a`` then ``b``); a pair is kept when neither its ``a`` nor its ``b``
    record has been kept before.  For two parties this keeps the same pairs
    as anonlink's ``greedy_solve``.

    Parameters
    ----------
    candidates : Candidates or CandidateChunks
        Scored pairs; any order is accepted (they are sorted when needed).
        Chunks on disk (``candidate_pairs(..., out_dir=...)``) are read
        batch by batch in the canonical order, never whole.
    backend : {"auto", "native", "numpy"}, default="auto"
        Implementation of the scan (identical results).

    Returns
    -------
    Candidates
        The kept pairs, canonical order; each ``a`` and each ``b`` at most once.

    Raises
    ------
    InputError
        ``candidates`` is not a ``Candidates`` or holds negative indices.

    Examples
    --------
    >>> from pprl import Candidates
    >>> c = Candidates.from_unsorted([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.85])
    >>> m = greedy_match(c)
    >>> list(zip(m.a.tolist(), m.b.tolist()))
    [(0, 0)]
    """
    if isinstance(candidates, CandidateChunks):
        return _greedy_chunks(candidates, backend)
    candidates = _check_candidates(candidates, "greedy_match")
    if len(candidates) == 0:
        return Candidates.empty()
    n_a = int(candidates.a.max()) + 1
    n_b = int(candidates.b.max()) + 1
    keep = greedy_mask(candidates.a, candidates.b, n_a, n_b, backend=backend)
    return _subset(candidates, keep)


# Edge weights of the reduction below; all strictly positive so that scipy
# never drops an explicit zero.  A real pair of score s costs (2 - s) plus
# its mirror edge (1); leaving both ends unmatched costs 2 * 1.5 = 3.  So a
# pair is worth taking exactly when s > 0, and the total cost is a constant
# minus the total score of the real pairs taken.
_REAL_BASE = 2.0
_MIRROR = 1.0
_ALONE = 1.5


def optimal_match(candidates: Candidates) -> Candidates:
    """Maximum total score one-to-one matching.

    Solves the maximum-weight bipartite matching over the candidate pairs
    (pairs not among the candidates cannot be matched).  Pairs with score 0
    add nothing and are never kept.  When several assignments reach the
    maximum, which one is returned is unspecified.

    Parameters
    ----------
    candidates : Candidates
        Scored pairs, any order.  Duplicate ``(a, b)`` pairs keep their best score.

    Returns
    -------
    Candidates
        The kept pairs, canonical order.

    Notes
    -----
    The candidate graph is split into connected components; a lone pair
    is kept as it is and a small component is solved densely with
    :func:`scipy.optimize.linear_sum_assignment`.  A large component is
    reduced to a minimum-cost *perfect* matching, which
    :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching` solves
    on a sparse graph: each record may instead be matched to a private
    dummy at a fixed cost, and a mirror copy of every candidate edge links
    the dummies, so a perfect matching always exists and its cost falls
    by exactly the total score of the real pairs it uses.  Memory grows
    with the number of candidates, not with ``n_a * n_b``; the time of the
    sparse solver grows faster than linearly on large tangled components.

    Examples
    --------
    >>> from pprl import Candidates
    >>> c = Candidates.from_unsorted([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.85])
    >>> m = optimal_match(c)   # 0.8 + 0.85 beats 0.9 alone
    >>> sorted(zip(m.a.tolist(), m.b.tolist()))
    [(0, 1), (1, 0)]
    """
    candidates = _check_candidates(candidates, "optimal_match")
    live = candidates.score > 0
    if not np.any(live):
        return Candidates.empty()
    if not np.all(np.isfinite(candidates.score)) or candidates.score.max() > 1:
        raise InputError("optimal_match: scores must be finite and at most 1 (Dice).")
    # Compress to the records that appear in some candidate.
    ua, ia = np.unique(candidates.a[live], return_inverse=True)
    ub, ib = np.unique(candidates.b[live], return_inverse=True)
    score = candidates.score[live]
    # Keep the best score of duplicated (a, b) pairs.
    key = ia.astype(np.int64) * len(ub) + ib
    order = np.lexsort((-score, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    ia, ib, score = ia[sel], ib[sel], score[sel]

    a_rows, b_rows = _max_weight_matching(ia, ib, score, len(ua), len(ub))
    nb = len(ub)
    keys = ia * nb + ib
    by_key = np.argsort(keys)
    pos = by_key[np.searchsorted(keys[by_key], a_rows * nb + b_rows)]
    return Candidates.from_unsorted(ua[a_rows], ub[b_rows], score[pos])


# Components up to this many cells are solved densely (Hungarian algorithm).
_DENSE_CELLS = 250_000


def _max_weight_matching(ia, ib, score, na, nb):
    """Maximum-weight matching of a bipartite graph given as an edge list.

    The graph is split into connected components: a component of one edge
    is taken as it is, a small one is solved densely with
    :func:`scipy.optimize.linear_sum_assignment`, a large one sparsely.
    Returns the matched ``(a_rows, b_rows)``.
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    e = len(score)
    adj = coo_array((np.ones(e), (ia, na + ib)), shape=(na + nb, na + nb))
    _, label = connected_components(adj, directed=False)
    comp = label[ia]
    size = np.bincount(comp, minlength=label.max() + 1)
    single = size[comp] == 1
    out_a, out_b = [ia[single]], [ib[single]]
    multi = np.flatnonzero(~single)
    if len(multi):
        multi = multi[np.argsort(comp[multi], kind="stable")]
        bounds = np.flatnonzero(np.diff(comp[multi])) + 1
        large = []
        for edges in np.split(multi, bounds):
            ra, inv_a = np.unique(ia[edges], return_inverse=True)
            rb, inv_b = np.unique(ib[edges], return_inverse=True)
            if len(ra) * len(rb) > _DENSE_CELLS:
                large.append(edges)
                continue
            dense = np.zeros((len(ra), len(rb)))
            dense[inv_a, inv_b] = score[edges]
            r, c = linear_sum_assignment(dense, maximize=True)
            real = dense[r, c] > 0
            out_a.append(ra[r[real]])
            out_b.append(rb[c[real]])
        if large:
            edges = np.concatenate(large)
            ma, mb = _sparse_matching(ia[edges], ib[edges], score[edges])
            out_a.append(ma)
            out_b.append(mb)
    return np.concatenate(out_a), np.concatenate(out_b)


def _sparse_matching(ia, ib, score):
    """Maximum-weight matching by reduction to a min-cost perfect matching."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    ua, ia = np.unique(ia, return_inverse=True)
    ub, ib = np.unique(ib, return_inverse=True)
    na, nb = len(ua), len(ub)
    n = na + nb  # rows: A records then B-dummies; columns: B records then A-dummies
    e = len(score)
    rows = np.concatenate([ia, np.arange(na), na + np.arange(nb), na + ib])
    cols = np.concatenate([ib, nb + np.arange(na), np.arange(nb), nb + ia])
    weights = np.concatenate(
        [_REAL_BASE - score, np.full(na, _ALONE), np.full(nb, _ALONE), np.full(e, _MIRROR)]
    )
    graph = coo_array((weights, (rows, cols)), shape=(n, n)).tocsr()
    _, col_of_row = min_weight_full_bipartite_matching(graph)
    matched_col = col_of_row[:na]
    real = matched_col < nb
    return ua[np.flatnonzero(real)], ub[matched_col[real]]
