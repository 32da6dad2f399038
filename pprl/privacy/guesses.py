"""The result every attack returns, and the one way pprl scores it against the truth.

An attack guesses, for some encoded records (rows of the CLK array), which
row of the attacker's plaintext database it is.  :class:`Guesses` holds at
most one guess per encoded record, best first; :func:`score_guesses` counts
how many are right.  The privacy report, the frontier, the explorer, the
command line (``pprl evaluate GUESSES.csv TRUTH.csv``, ``pprl attack
--truth``) and the benchmarks all score through :func:`score_guesses`.

**What counts as correct.**  A guess ``(c, p)`` (encoded record ``c`` is
plaintext record ``p``) is correct when

* ``(c, p)`` is a true pair, or
* keys are given and ``plaintext_keys[p] == clk_keys[c]``: the guessed
  plaintext record holds exactly the values that were encoded in ``c``.

The keys are the formatted values of the schema's hashed features, joined
(:func:`pprl.privacy._plaintext.plaintext_view`).  Equal values give equal
encodings under any secret, so no attack can tell such records apart; what
it learns is the value, and for a filter of one field (a first name) that
is the leak.  The key is the *encoded* record's value, never the true
plaintext record's: a plaintext copy with a typo does not count, and an
attacker's database full of blanks scores nothing (comparing with the true
record's value instead would credit every guess there).  Without keys
only true pairs count.

**Chance.**  ``AttackScore.chance_rate`` is what uniform random guesses for
the same encoded records would score in expectation under the same
definition: a rate is evidence of a leak only well above it (on a filter
of ``sex`` alone chance is about one half).

**Scoring against a permuted truth.**  Every pprl attack puts the
plaintext rows in a seeded random order before matching and maps its
guesses back, so row order cannot help it.  A caller with its own attack
should still give it the plaintext in a random order:
:func:`shuffle_plaintext` returns the shuffled rows and the truth
renumbered to them; score with that truth and with ``plaintext_keys``
computed from the shuffled rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Guesses", "AttackScore", "score_guesses", "shuffle_plaintext"]


@dataclass(frozen=True)
class Guesses:
    """Re-identification guesses of an attack.

    Attributes
    ----------
    clk_row : ndarray of int64, shape (g,)
        0-based row of the encoded record, each at most once.
    plaintext_row : ndarray of int64, shape (g,)
        0-based row of the plaintext record guessed for it.
    score : ndarray of float64, shape (g,)
        The attack's confidence (larger is surer; comparable only within one
        attack), sorted descending, ties by ``clk_row``.
    n_encoded : int
        Number of encoded records attacked (the denominator of the
        re-identification rate).
    """

    clk_row: np.ndarray
    plaintext_row: np.ndarray
    score: np.ndarray
    n_encoded: int

    @classmethod
    def from_arrays(cls, clk_row, plaintext_row, score, n_encoded: int) -> Guesses:
        """Build guesses in canonical order (score descending, then ``clk_row``).

        Raises
        ------
        InputError
            If the arrays differ in length or a ``clk_row`` repeats.

        Examples
        --------
        >>> g = Guesses.from_arrays([2, 0], [5, 1], [0.1, 0.9], n_encoded=3)
        >>> g.clk_row.tolist(), g.plaintext_row.tolist()
        ([0, 2], [1, 5])
        """
        c = np.asarray(clk_row, dtype=np.int64).ravel()
        p = np.asarray(plaintext_row, dtype=np.int64).ravel()
        s = np.asarray(score, dtype=np.float64).ravel()
        if not c.size == p.size == s.size:
            raise InputError("Guesses: clk_row, plaintext_row and score differ in length")
        if np.unique(c).size != c.size:
            raise InputError("Guesses: an encoded record has more than one guess")
        order = np.lexsort((c, -s))
        return cls(c[order], p[order], s[order], int(n_encoded))

    def __len__(self) -> int:
        return int(self.clk_row.size)

    def top(self, n: int) -> Guesses:
        """The ``n`` most confident guesses."""
        return Guesses(self.clk_row[:n], self.plaintext_row[:n], self.score[:n], self.n_encoded)

    def to_frame(self) -> pd.DataFrame:
        """Columns ``clk_row, plaintext_row, score`` (the CSV the CLI writes)."""
        return pd.DataFrame({"clk_row": self.clk_row, "plaintext_row": self.plaintext_row,
                             "score": self.score})


@dataclass(frozen=True)
class AttackScore:
    """How well an attack did.

    Attributes
    ----------
    reidentification_rate : float
        Correct guesses / encoded records.
    precision : float
        Correct guesses / guesses (0 when there are none).
    correct, n_guesses, n_encoded : int
    chance_rate : float or None
        Expected re-identification rate of uniform random guesses for the
        same encoded records (None when the plaintext's size is unknown).
    """

    reidentification_rate: float
    precision: float
    correct: int
    n_guesses: int
    n_encoded: int
    chance_rate: float | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        out = {"reidentification_rate": self.reidentification_rate,
               "precision": self.precision, "correct": self.correct,
               "n_guesses": self.n_guesses, "n_encoded": self.n_encoded}
        if self.chance_rate is not None:
            out["chance_rate"] = self.chance_rate
        return out


def _pairs(truth) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(truth, pd.DataFrame):
        for c in ("a", "b"):
            if c not in truth.columns:
                raise InputError("score_guesses: truth needs columns a (clk row) and b "
                                 "(plaintext row)")
        return (truth["a"].to_numpy(np.int64), truth["b"].to_numpy(np.int64))
    arr = np.asarray(truth, dtype=np.int64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError("score_guesses: truth must be a DataFrame with columns a, b or an "
                         f"array of shape (m, 2); got shape {arr.shape}")
    return arr[:, 0], arr[:, 1]


def score_guesses(guesses: Guesses, truth, *, clk_keys=None, plaintext_keys=None,
                  n_plaintext: int | None = None) -> AttackScore:
    """Count correct guesses (see the module docstring for what "correct" means).

    A guess ``(c, p)`` is correct when ``(c, p)`` is a true pair, or, when
    keys are given, when ``plaintext_keys[p] == clk_keys[c]``: the guessed
    plaintext record holds the values that were encoded (equal values give
    equal encodings under any secret, so no attack can tell such records
    apart; the attacker has learnt the encoded values).

    Parameters
    ----------
    guesses : Guesses
    truth : DataFrame with columns ``a`` (clk row), ``b`` (plaintext row), or array (m, 2)
    clk_keys, plaintext_keys : array-like of hashable, optional
        Per encoded record and per plaintext record, the values that were
        encoded (the schema's hashed columns, formatted and joined:
        ``plaintext_view(df, schema).keys``); both or neither.
    n_plaintext : int, optional
        Rows of the attacker's plaintext, for :attr:`AttackScore.chance_rate`;
        default ``len(plaintext_keys)`` when keys are given.

    Returns
    -------
    AttackScore

    Raises
    ------
    InputError
        For a truth of the wrong shape, one key array without the other, or
        a guess beyond the keys.

    Examples
    --------
    >>> g = Guesses.from_arrays([0, 1], [0, 0], [0.9, 0.5], n_encoded=4)
    >>> s = score_guesses(g, [[0, 0], [1, 1]])
    >>> s.reidentification_rate, s.precision
    (0.25, 0.5)
    >>> score_guesses(g, [[0, 0], [1, 1]], n_plaintext=2).chance_rate
    0.25
    """
    if not isinstance(guesses, Guesses):
        raise InputError(f"score_guesses: expected Guesses, got {type(guesses).__name__}")
    ta, tb = _pairs(truth)
    c, p = guesses.clk_row, guesses.plaintext_row
    width = int(max(p.max(initial=-1), tb.max(initial=-1))) + 1
    true_keys = set((ta * width + tb).tolist())
    ok = np.fromiter(((x in true_keys) for x in (c * width + p).tolist()), dtype=bool,
                     count=c.size)
    if (clk_keys is None) != (plaintext_keys is None):
        raise InputError("score_guesses: pass both clk_keys and plaintext_keys, or neither")
    ck = pk = None
    if clk_keys is not None:
        ck = np.asarray(clk_keys, dtype=object)
        pk = np.asarray(plaintext_keys, dtype=object)
        if c.size and (c.max() >= ck.size or p.max() >= pk.size):
            raise InputError("score_guesses: a guess refers to a row beyond the keys given")
        if c.size:
            ok |= ck[c] == pk[p]
        if n_plaintext is None:
            n_plaintext = pk.size
    n_ok = int(np.count_nonzero(ok))
    n = guesses.n_encoded
    chance = None
    if n_plaintext is not None:
        chance = _chance(c, ta, tb, ck, pk, int(n_plaintext), n)
    return AttackScore(n_ok / n if n else 0.0, n_ok / c.size if c.size else 0.0,
                       n_ok, int(c.size), n, chance)


def _chance(c, ta, tb, ck, pk, m: int, n: int) -> float:
    """Expected correct guesses / n of a uniform random plaintext row for each ``c``."""
    if not c.size or m <= 0 or not n:
        return 0.0
    hits = np.zeros(c.size)
    if ck is not None:  # plaintext rows holding the encoded value
        counts = pd.Series(pk).value_counts()
        hits += pd.Series(ck[c]).map(counts).fillna(0).to_numpy(np.float64)
    partners = pd.DataFrame({"a": ta, "b": tb})
    if ck is not None and len(partners):  # true partners not already counted by value
        partners = partners[(partners["b"] >= pk.size)
                            | (pk[np.minimum(partners["b"], max(pk.size - 1, 0))]
                               != ck[np.minimum(partners["a"], max(ck.size - 1, 0))])]
    per_clk = partners.groupby("a").size()
    hits += pd.Series(c).map(per_clk).fillna(0).to_numpy(np.float64)
    return float(np.minimum(hits / m, 1.0).sum() / n)


def shuffle_plaintext(plaintext: pd.DataFrame, truth, rng=0):
    """The plaintext rows in a seeded random order, and the truth renumbered to match.

    Parameters
    ----------
    plaintext : pandas.DataFrame, m rows
    truth : DataFrame with columns ``a``, ``b`` or array (t, 2)
        ``b`` indexes ``plaintext``'s rows.
    rng : None, int or numpy.random.Generator, default=0

    Returns
    -------
    shuffled : pandas.DataFrame
        ``plaintext.iloc[order]`` with a fresh 0-based index.
    truth : pandas.DataFrame
        Columns ``a`` (unchanged) and ``b`` (the rows in ``shuffled``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"name": ["ann", "bob", "cy"]})
    >>> s, t = shuffle_plaintext(df, [[0, 0], [1, 1], [2, 2]], rng=1)
    >>> all(s["name"][t["b"]].tolist() == df["name"][[0, 1, 2]].tolist() for _ in [0])
    True
    """
    from .._validation import check_rng

    if not isinstance(plaintext, pd.DataFrame):
        raise InputError("shuffle_plaintext: 'plaintext' must be a pandas DataFrame. "
                         f"Got a {type(plaintext).__name__} instead.")
    ta, tb = _pairs(truth)
    m = len(plaintext)
    if tb.size and (tb.min() < 0 or tb.max() >= m):
        raise InputError(f"shuffle_plaintext: the truth names plaintext row {int(tb.max())}, "
                         f"but the plaintext has {m} rows")
    order = check_rng(rng).permutation(m)
    new_row = np.empty(m, dtype=np.int64)
    new_row[order] = np.arange(m)
    shuffled = plaintext.iloc[order].reset_index(drop=True)
    return shuffled, pd.DataFrame({"a": ta, "b": new_row[tb]})
