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
   first choices.  Graph matching needs several dense ``n x n`` products
   and assignments per iteration, so it runs only up to :data:`FAQ_LIMIT`
   records; above, the attack warns and keeps the refined node-feature
   mapping.

Above :data:`EXACT_LIMIT` records every one-to-one assignment pairs mutual
best matches first and hands only the rest to
:func:`scipy.optimize.linear_sum_assignment` (exact on that rest); that
keeps a settled attack at 5,000 records to minutes.  The
plaintext rows are put in a seeded random order before any of this, so
neither the graphs nor the assignments can profit from plaintext rows that
happen to be in the encodings' order.

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
from ._progress import close_bar, open_bar
from .guesses import Guesses

__all__ = ["graph_attack"]

_ANCHOR_FRACTIONS = (1.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.9)
#: Above this many records the attack warns about memory and time.
_LARGE = 5000
#: Above this many rows an assignment pairs mutual best matches first (see ``_assign``).
EXACT_LIMIT = 2000
#: Graph matching (FAQ, quadratic in memory, cubic per iteration) runs only up to this size.
FAQ_LIMIT = 3000
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


def _assign(s: np.ndarray):
    """One-to-one assignment maximising ``s``.

    Up to :data:`EXACT_LIMIT` rows the optimum
    (:func:`scipy.optimize.linear_sum_assignment`).  Above, a row and a
    column that are each other's best are paired at once, and only the
    remaining rows and columns go to the exact assignment: once the mapping
    has settled that remainder is small, which keeps the attack at 5,000
    records to minutes (the full assignment is cubic).  It differs from the
    optimum only where a mutual best pair is not in it; at 150 records that
    cost up to 84 points of re-identification, hence the limit.
    """
    from scipy.optimize import linear_sum_assignment

    n_r, n_c = s.shape
    if n_r <= EXACT_LIMIT:
        return linear_sum_assignment(s, maximize=True)
    best_c = s.argmax(axis=1)
    best_r = s.argmax(axis=0)
    mutual = best_r[best_c] == np.arange(n_r)
    rows, cols = np.flatnonzero(mutual), best_c[mutual]
    free_r = np.flatnonzero(~mutual)
    free_c = np.setdiff1d(np.arange(n_c), cols, assume_unique=False)
    if free_r.size and free_c.size:
        r, c = linear_sum_assignment(s[np.ix_(free_r, free_c)], maximize=True)
        rows = np.concatenate([rows, free_r[r]])
        cols = np.concatenate([cols, free_c[c]])
    order = np.argsort(rows, kind="stable")
    return rows[order], cols[order]


def _match_profiles(d, p, anchors_c, anchors_p):
    """Correlate similarity profiles over the anchors; assign one to one."""
    s = _zrows(d[:, anchors_c]) @ _zrows(p[:, anchors_p]).T
    rows, cols = _assign(s)
    assigned = s[rows, cols]
    if s.shape[1] > 1:
        s[rows, cols] = -np.inf
        margin = assigned - s[rows].max(axis=1)
    else:
        margin = assigned
    return rows, cols, margin


def _feature_mapping(d: np.ndarray, p: np.ndarray):
    """A first mapping from node features (each node's strongest similarities): rows, cols."""
    k = min(20, d.shape[0] - 1, p.shape[0] - 1)
    if k < 1:
        size = min(d.shape[0], p.shape[0])
        return np.arange(size), np.arange(size)
    fd = np.sort(d - np.diag(np.diag(d)), axis=1)[:, -k:]
    fp = np.sort(p - np.diag(np.diag(p)), axis=1)[:, -k:]
    cost = (fd ** 2).sum(1)[:, None] + (fp ** 2).sum(1)[None, :] - 2.0 * fd @ fp.T
    return _assign(-cost)


def _start_matrix(rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """The doubly stochastic start of FAQ for a partial mapping (uniform over the rest)."""
    start = np.full((size, size), 1.0 / max(1, size - rows.size))
    start[rows, :] = 0.0
    start[:, cols] = 0.0
    start[rows, cols] = 1.0
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
    progress: bool | object = False,
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
    progress : bool or tqdm-like, default=False
        Show a progress bar over the steps (or update the given object,
        which has tqdm's ``reset``, ``update`` and ``close``).

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
    ten seconds on two cores at 1,000 records when the node-feature mapping
    settles, minutes when graph matching runs (only up to
    :data:`FAQ_LIMIT` records).  Deterministic for an int ``rng``.

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
                      f"(about {5 * 8 * size * size / 1e9:.0f} GB) and its time grows as the "
                      "cube of the size; attack a sample of a few thousand records instead",
                      stacklevel=2)
    bar = open_bar(progress, 1 + (n_init + 1) * (refine + 2), "graph attack")
    try:
        d = dice_matrix(clks, clks)
        p = expected_dice(view)
        if bar is not None:
            bar.update(1)
        f_rows, f_cols = _feature_mapping(d, p)
        np.fill_diagonal(d, d.mean())  # a node's own similarity says nothing about it
        np.fill_diagonal(p, p.mean())
        # first the node-feature mapping alone, then graph matching from it, then random
        starts = ["features", "from features"] + ["randomized"] * (n_init - 1)
        best, best_agree = None, -1.0
        for start in starts:
            if start == "features":
                col = np.full(n, m, dtype=np.int64)  # m: no guess for this record
                col[f_rows] = f_cols
            elif size > FAQ_LIMIT:
                warnings.warn(f"graph_attack: the node-feature mapping did not settle and "
                              f"graph matching (FAQ) is not run above {FAQ_LIMIT} records "
                              "(it would take hours); these guesses rest on the node-feature "
                              "mapping alone: attack a sample to include it", stacklevel=2)
                break
            else:
                a, b = _padded(_centred(d), size), _padded(_centred(p), size)
                p0 = _start_matrix(f_rows, f_cols, size) if start == "from features" else start
                col = _faq(a, b, p0, int(max_iter), rng)[:n]
                del a, b, p0
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
        close_bar(bar, progress)
    return Guesses.from_arrays(rows, order[cols], margin, n)
