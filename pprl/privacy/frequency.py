"""The frequency attack: align frequent bit patterns with frequent plaintext values.

After Kuzu et al. (PETS 2011) and Christen, Schnell, Vatsalan, Ranbaduge
(PAKDD 2017).  Equal values give equal Bloom filters under any secret, so
the most frequent encodings stand for the most frequent values: the
attacker counts identical CLKs, counts the values in its plaintext
database, and aligns the two frequency lists.

Two alignments are offered, and the privacy report runs both:

* **ranks of counts** (``popcount=False``): the ``i``-th most frequent
  pattern is aligned with the ``i``-th most frequent value.  This uses
  nothing but frequencies, so it is what any encoding that keeps equal
  values equal (balancing, BLIP, XOR folding, ...) leaks;
* **ranks plus popcount** (``popcount=True``, the default): frequencies
  alone are ambiguous when several values are about as common, so the
  alignment also uses what the schema tells the attacker without the
  secret: the number of bits a value should set (its tokens times bits per
  token, through the usual insertion model).  The cost of aligning pattern
  ``i`` (``c_i`` records, popcount ``x_i``) with value ``u`` (``v_u``
  records, expected popcount ``e_u``) is::

      (log c_i - log v_u)^2 / 0.1  +  ((x_i - e_u) / (1 + sqrt(e_u) / 2))^2

  and the one-to-one alignment of least total cost is found with
  :func:`scipy.optimize.linear_sum_assignment`.  A hardening that changes
  popcounts (BLIP, balancing) lowers this term only: compare the two
  alignments before crediting it with more.

The attacker's plaintext rows are put in a random order first (seeded by
``rng``) and equal counts are ordered at random, so the alignment cannot
profit from rows that happen to be in the encodings' order.  Every encoded
record whose pattern is aligned gets a random plaintext row with the
aligned value.  The score is the number of encoded records that share the
pattern, plus ``1 / (1 + cost)`` to break ties: frequent patterns are
aligned far more reliably than rare ones, so the most frequent come first.

The attack needs repeated encodings: against filters of several fields,
where almost every record is unique, it finds next to nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_int, check_rng
from ..encoding.schema import load_schema
from ..errors import InputError
from ..linkage.similarity import popcounts
from ._plaintext import check_clks, permuted, plaintext_view
from ._progress import close_bar, open_bar
from .guesses import Guesses

__all__ = ["frequency_attack"]


def frequency_attack(
    clks: np.ndarray,
    plaintext: pd.DataFrame,
    schema,
    *,
    top: int = 100,
    min_count: int = 2,
    popcount: bool = True,
    rng=0,
    progress: bool | object = False,
) -> Guesses:
    """Re-identify encoded records by the frequency of their bit patterns.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
        The encodings under attack.
    plaintext : pandas.DataFrame
        The attacker's database, a column per hashed feature (by identifier).
    schema : Schema, path-like or dict
        The linkage schema, without the secret.
    top : int, default=100
        Align at most the ``top`` most frequent patterns and values.
    min_count : int, default=2
        Only patterns seen at least this often are aligned (a pattern seen
        once carries no frequency information).
    popcount : bool, default=True
        Align on ranks of counts and expected popcounts; ``False`` aligns on
        ranks of counts alone.
    rng : None, int or numpy.random.Generator, default=0
        Orders the plaintext rows and equal counts at random; the same seed
        gives the same guesses.
    progress : bool or tqdm-like, default=False
        Show a progress bar (or update the given tqdm-like object).

    Returns
    -------
    Guesses
        A guess for every encoded record whose pattern was aligned; records
        with the same pattern get the same plaintext row.

    Examples
    --------
    >>> import pprl
    >>> ds = pprl.make_dataset(200, overlap=1.0, rng=1)
    >>> schema = {"version": 3, "clkConfig": {"l": 256, "kdf": {"type": "HKDF"}},
    ...           "features": [{"identifier": "given_name",
    ...                         "format": {"type": "string"},
    ...                         "hashing": {"comparison": {"type": "ngram", "n": 2},
    ...                                     "strategy": {"bitsPerToken": 10}}}]}
    >>> clks = pprl.encode(ds.parties[0][["given_name"]], schema, b"k", progress=False)
    >>> g = frequency_attack(clks, ds.parties[1], schema)
    >>> bool(len(g) > 0)
    True
    """
    f = "frequency_attack"
    top = check_int(top, "top", f, 1)
    min_count = check_int(min_count, "min_count", f, 1)
    if not isinstance(popcount, (bool, np.bool_)):
        raise InputError(f"The 'popcount' parameter of {f} must be True or False. "
                         f"Got {popcount!r} instead.")
    rng = check_rng(rng)
    schema = load_schema(schema)
    clks = check_clks(clks, schema, f)
    bar = open_bar(progress, 2, "frequency attack")
    try:
        view, order = permuted(plaintext_view(plaintext, schema, func=f), rng)
        if bar is not None:
            bar.update(1)
        guesses = _align(clks, view, order, top, min_count, popcount, rng)
        if bar is not None:
            bar.update(1)
    finally:
        close_bar(bar, progress)
    return guesses


def _align(clks, view, order, top, min_count, popcount, rng) -> Guesses:
    """Count patterns and values, align them, guess (rows of ``view`` map back by ``order``)."""
    from scipy.optimize import linear_sum_assignment

    n = clks.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if n == 0 or view.tokens.shape[0] == 0:
        return Guesses.from_arrays(empty, empty, np.zeros(0), n)
    patterns, p_of_row, p_count = np.unique(clks, axis=0, return_inverse=True,
                                            return_counts=True)
    p_of_row = p_of_row.ravel()
    codes, values = pd.factorize(view.keys)
    v_count = np.bincount(codes, minlength=len(values))
    first_row = np.full(len(values), view.keys.size, dtype=np.int64)
    np.minimum.at(first_row, codes, np.arange(codes.size))  # a random row: rows are permuted
    # most frequent first, equal counts in random order; the order is drawn by each
    # pattern's first row, so it depends on which records are equal, never on their bits
    first_seen = np.full(len(patterns), n, dtype=np.int64)
    np.minimum.at(first_seen, p_of_row, np.arange(n))
    tie = rng.random(len(patterns))[np.argsort(np.argsort(first_seen))]
    pi = np.lexsort((tie, -p_count))[:top]
    pi = pi[p_count[pi] >= min_count]
    vi = np.lexsort((rng.random(v_count.size), -v_count))[:top]
    if pi.size == 0:
        return Guesses.from_arrays(empty, empty, np.zeros(0), n)
    cost = (np.log(p_count[pi])[:, None] - np.log(v_count[vi])[None, :]) ** 2 / 0.1
    if popcount:
        bits = popcounts(patterns[pi]).astype(np.float64)
        expected = view.expected_popcount(clks.shape[1] * 8)[first_row[vi]]
        cost += ((bits[:, None] - expected[None, :])
                 / (1.0 + np.sqrt(expected) / 2)[None, :]) ** 2
        r, c = linear_sum_assignment(cost)
    else:  # ranks of counts: i-th most frequent pattern with i-th most frequent value
        r = c = np.arange(min(pi.size, vi.size))
    guess_of_pattern = np.full(len(patterns), -1, dtype=np.int64)
    score_of_pattern = np.zeros(len(patterns))
    guess_of_pattern[pi[r]] = order[first_row[vi[c]]]
    score_of_pattern[pi[r]] = p_count[pi[r]] + 1.0 / (1.0 + cost[r, c])
    rows = np.flatnonzero(guess_of_pattern[p_of_row] >= 0)
    return Guesses.from_arrays(rows, guess_of_pattern[p_of_row[rows]],
                               score_of_pattern[p_of_row[rows]], n)
