"""The result every attack returns, and how to score it against the truth.

An attack guesses, for some encoded records (rows of the CLK array), which
row of the attacker's plaintext database it is.  :class:`Guesses` holds at
most one guess per encoded record, best first; :func:`score_guesses` counts
how many are right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["Guesses", "AttackScore", "score_guesses"]


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
    """

    reidentification_rate: float
    precision: float
    correct: int
    n_guesses: int
    n_encoded: int

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary."""
        return {"reidentification_rate": self.reidentification_rate,
                "precision": self.precision, "correct": self.correct,
                "n_guesses": self.n_guesses, "n_encoded": self.n_encoded}


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


def score_guesses(guesses: Guesses, truth, *, clk_keys=None,
                  plaintext_keys=None) -> AttackScore:
    """Count correct guesses.

    A guess ``(c, p)`` is correct when ``(c, p)`` is a true pair, or, when
    keys are given, when ``plaintext_keys[p] == clk_keys[c]``: the attacker
    learnt the encoded values even if several plaintext records share them
    (the only sense in which a frequency attack on one field can succeed).

    Parameters
    ----------
    guesses : Guesses
    truth : DataFrame with columns ``a`` (clk row), ``b`` (plaintext row), or array (m, 2)
    clk_keys, plaintext_keys : array-like of hashable, optional
        Per encoded record and per plaintext record, the values that were
        encoded (e.g. the schema's columns joined); both or neither.

    Returns
    -------
    AttackScore

    Examples
    --------
    >>> g = Guesses.from_arrays([0, 1], [0, 0], [0.9, 0.5], n_encoded=4)
    >>> s = score_guesses(g, [[0, 0], [1, 1]])
    >>> s.reidentification_rate, s.precision
    (0.25, 0.5)
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
    if clk_keys is not None and c.size:
        ck = np.asarray(clk_keys, dtype=object)
        pk = np.asarray(plaintext_keys, dtype=object)
        if c.max() >= ck.size or p.max() >= pk.size:
            raise InputError("score_guesses: a guess refers to a row beyond the keys given")
        ok |= ck[c] == pk[p]
    n_ok = int(np.count_nonzero(ok))
    n = guesses.n_encoded
    return AttackScore(n_ok / n if n else 0.0, n_ok / c.size if c.size else 0.0,
                       n_ok, int(c.size), n)
