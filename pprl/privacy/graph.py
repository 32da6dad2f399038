"""The graph matching attack on Bloom-filter encodings.

After Vidanage, Christen, Ranbaduge and Schnell (CIKM 2020): the attacker
builds two similarity graphs over the same people, one from the encodings
(Dice of the CLKs) and one from its own plaintext database (q-gram sets),
and matches their nodes so that edges agree.  No secret is needed: the
similarity structure of the people survives the keyed hashing.

Our version (all dense ``n x n`` matrices; no loops over pairs):

1. **Calibrated graphs.**  The encoding graph is the CLKs' Dice matrix
   (:func:`pprl.dice_matrix`, the native kernel).  The plaintext graph is the
   *expected* CLK Dice of every pair of plaintext records, which the attacker
   can compute from the schema alone (tokens, bits per token, filter length;
   :func:`pprl.privacy._plaintext.expected_dice`), so both graphs are on the
   same scale.
2. **A first mapping from node features:** each node's strongest
   similarities, sorted (a node's "neighbourhood signature", as in the
   paper's node features), matched one to one with
   :func:`scipy.optimize.linear_sum_assignment`.
3. **Refinement from confident anchors.**  Each node is described by its
   similarities to anchor nodes (matched pairs); node descriptions are
   compared by correlation and re-matched one to one.  The anchors are the
   pairs with the largest margin over the next-best candidate, a growing
   fraction each round.
4. **Graph matching, when refinement does not settle.**  If fewer than half
   of the guesses are their record's first choice, the attack solves the
   graph matching itself, a quadratic assignment problem, approximately
   with the Frank-Wolfe method FAQ (Vogelstein et al. 2015,
   :func:`scipy.optimize.quadratic_assignment`) on the mean-centred graphs,
   from the node-feature mapping, then from random mappings (up to
   ``n_init`` matchings), refining each, and keeps the result with the most
   first choices.

The score of a guess is that margin: how much better its plaintext record
fits than any other (negative when the assignment gave a record its
second choice).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validation import check_int, check_rng
from ..encoding.schema import load_schema
from ..linkage.similarity import dice_matrix
from ._plaintext import check_clks, expected_dice, permuted, plaintext_view
from .guesses import Guesses

__all__ = ["graph_attack"]

_ANCHOR_FRACTIONS = (1.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.9)
#: Above this many records the attack warns about memory and time.
_LARGE = 5000
#: Stop trying starts once this share of guesses is each record's first choice.
_SETTLED = 0.5


def _centred(m: np.ndarray) -> np.ndarray:
    out = m - m.mean()
    np.fill_diagonal(out, 0.0)
    return out


def _padded(m: np.ndarray, size: int) -> np.ndarray:
    if m.shape[0] == size:
        return m
    out = np.zeros((size, size))
    out[:m.shape[0], :m.shape[0]] = m
    return out


def _zrows(m: np.ndarray) -> np.ndarray:
    m = m - m.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norm > 0, norm, 1.0)


def _match_profiles(d, p, anchors_c, anchors_p):
    """Correlate similarity profiles over the anchors; assign one to one."""
    from scipy.optimize import linear_sum_assignment

    s = _zrows(d[:, anchors_c]) @ _zrows(p[:, anchors_p]).T
    rows, cols = linear_sum_assignment(s, maximize=True)
    assigned = s[rows, cols]
    if s.shape[1] > 1:
        s[rows, cols] = -np.inf
        margin = assigned - s[rows].max(axis=1)
    else:
        margin = assigned
    return rows, cols, margin


def _feature_start(d: np.ndarray, p: np.ndarray, size: int) -> np.ndarray:
    """A starting mapping from node features: each node's strongest similarities."""
    from scipy.optimize import linear_sum_assignment

    k = min(20, d.shape[0] - 1, p.shape[0] - 1)
    if k < 1:
        return np.eye(size)
    fd = np.sort(d - np.diag(np.diag(d)), axis=1)[:, -k:]
    fp = np.sort(p - np.diag(np.diag(p)), axis=1)[:, -k:]
    cost = (fd ** 2).sum(1)[:, None] + (fp ** 2).sum(1)[None, :] - 2.0 * fd @ fp.T
    rows, cols = linear_sum_assignment(cost)
    start = np.full((size, size), 1.0 / max(1, size - rows.size))
    start[rows, :] = 0.0
    start[:, cols] = 0.0
    start[rows, cols] = 1.0
    if rows.size == size:
        return start
    free_r = np.setdiff1d(np.arange(size), rows)
    free_c = np.setdiff1d(np.arange(size), cols)
    start[np.ix_(free_r, free_c)] = 1.0 / free_r.size
    return start


def _faq(a: np.ndarray, b: np.ndarray, start, max_iter: int, rng) -> np.ndarray:
    """One FAQ run (maximising edge agreement) from ``start``; the node mapping."""
    from scipy.optimize import quadratic_assignment

    options = {"maximize": True, "maxiter": max_iter, "tol": 1e-3, "rng": rng, "P0": start}
    res = quadratic_assignment(a, b, method="faq", options=options)
    return np.asarray(res.col_ind, dtype=np.int64)


def _refine(d, p, col, m, refine, bar):
    """Rounds of anchor-profile matching from the mapping ``col`` (d's node -> p's node)."""
    rows = np.flatnonzero(col < m)
    cols = col[rows]
    margin = np.zeros(rows.size)
    fractions = (_ANCHOR_FRACTIONS + (_ANCHOR_FRACTIONS[-1],) * refine)[:refine + 1]
    for fraction in fractions:
        keep = np.argsort(-margin, kind="stable")[:max(2, int(fraction * rows.size))]
        rows, cols, margin = _match_profiles(d, p, rows[keep], cols[keep])
        if bar is not None:
            bar.update(1)
    return rows, cols, margin


def graph_attack(
    clks: np.ndarray,
    plaintext: pd.DataFrame,
    schema,
    *,
    refine: int = 6,
    n_init: int = 2,
    max_iter: int = 30,
    rng=0,
    progress: bool = False,
) -> Guesses:
    """Re-identify encoded records by matching similarity graphs.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
        The encodings under attack.
    plaintext : pandas.DataFrame, m rows
        The attacker's database, with a column per hashed feature of the
        schema (by identifier; other columns are ignored), strings.
    schema : Schema, path-like or dict
        The linkage schema, without the secret.
    refine : int, default=6
        Rounds of anchor-based refinement after the graph matching.
    n_init : int, default=2
        Graph matchings tried at most: the first from the node-feature
        mapping, the others from random ones.  Every mapping (the
        node-feature mapping itself first) is refined; the attack stops at
        the first result in which at least half of the guesses are their
        record's first choice (positive score), and otherwise keeps the
        result with the most such guesses.
    max_iter : int, default=30
        Frank-Wolfe iterations of each start.
    rng : None, int or numpy.random.Generator, default=0
        Orders the plaintext rows at random (so the attack cannot profit
        from rows in the encodings' order, and ties are broken at random)
        and seeds the random starts; the same seed gives the same guesses.
    progress : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    Guesses
        One guess for each of ``min(n, m)`` encoded records, best first.

    Raises
    ------
    InputError
        For bad CLKs, CLKs whose width is not the schema's CLK length, a
        plaintext without a column the schema hashes, or a bad parameter.

    Notes
    -----
    Memory and time grow as ``max(n, m) ** 2`` and ``max(n, m) ** 3``: about
    ten seconds on two cores at 1,000 records.  Deterministic for an int ``rng``.

    Examples
    --------
    >>> import pprl
    >>> ds = pprl.make_dataset(60, overlap=1.0, rng=3)
    >>> schema = pprl.person_schema()
    >>> clks = pprl.encode(ds.parties[0], schema, b"secret", progress=False)
    >>> g = graph_attack(clks, ds.parties[1], schema)
    >>> len(g) == 60
    True
    """
    f = "graph_attack"
    refine = check_int(refine, "refine", f, 0)
    n_init = check_int(n_init, "n_init", f, 1)
    max_iter = check_int(max_iter, "max_iter", f, 1)
    rng = check_rng(rng)
    schema = load_schema(schema)
    clks = check_clks(clks, schema, f)
    # the plaintext in a random order: no profit from rows aligned with the CLKs
    view, order = permuted(plaintext_view(plaintext, schema, func=f), rng)
    n, m = clks.shape[0], view.tokens.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or m == 0:
        return Guesses.from_arrays(empty, empty, np.zeros(0), n)
    size = max(n, m)
    if size > _LARGE:
        warnings.warn(f"graph_attack on {size} records holds several {size} x {size} matrices "
                      f"(about {6 * 8 * size * size / 1e9:.0f} GB) and its time grows as the "
                      "cube of the size; attack a sample of a few thousand records instead",
                      stacklevel=2)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=1 + (n_init + 1) * (refine + 2), desc="graph attack", unit="step",
                   leave=False)
    try:
        d = dice_matrix(clks, clks)
        p = expected_dice(view)
        if bar is not None:
            bar.update(1)
        a, b = _padded(_centred(d), size), _padded(_centred(p), size)
        features = _feature_start(d, p, size)
        # first the node-feature mapping alone, then graph matching from it, then random
        starts = [None, features] + ["randomized"] * (n_init - 1)
        np.fill_diagonal(d, d.mean())  # a node's own similarity says nothing about it
        np.fill_diagonal(p, p.mean())
        best, best_agree = None, -1.0
        for start in starts:
            if start is None or size < 2:
                col = features.argmax(axis=1)[:n]
            else:
                col = _faq(a, b, start, int(max_iter), rng)[:n]
            if bar is not None:
                bar.update(1)
            rows, cols, margin = _refine(d, p, col, m, refine, bar)
            agree = float(np.mean(margin > 0)) if margin.size else 0.0
            if agree > best_agree:
                best, best_agree = (rows, cols, margin), agree
            if agree >= _SETTLED:
                break
        rows, cols, margin = best
    finally:
        if bar is not None:
            bar.close()
    return Guesses.from_arrays(rows, order[cols], margin, n)
