"""The candidate-pair container shared by similarity, matching and evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = ["Candidates"]


@dataclass(frozen=True)
class Candidates:
    """Scored pairs of records, one from A and one from B.

    Three aligned arrays, sorted by ``score`` descending, then ``a``, then ``b``.

    Attributes
    ----------
    a : ndarray of int64, shape (n,)
        0-based row in party A.
    b : ndarray of int64, shape (n,)
        0-based row in party B.
    score : ndarray of float64, shape (n,)
        Sørensen–Dice coefficient of the pair.
    """

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray

    def __post_init__(self) -> None:
        a = np.ascontiguousarray(self.a, dtype=np.int64)
        b = np.ascontiguousarray(self.b, dtype=np.int64)
        s = np.ascontiguousarray(self.score, dtype=np.float64)
        if not (a.ndim == b.ndim == s.ndim == 1 and len(a) == len(b) == len(s)):
            raise InputError(
                "Candidates needs three 1-D arrays of equal length; got shapes "
                f"{np.shape(self.a)}, {np.shape(self.b)}, {np.shape(self.score)}."
            )
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "score", s)

    def __len__(self) -> int:
        return len(self.a)

    def __repr__(self) -> str:
        return f"Candidates(n={len(self)})"

    @classmethod
    def empty(cls) -> Candidates:
        """No pairs."""
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))

    @classmethod
    def from_unsorted(cls, a, b, score) -> Candidates:
        """Build from arrays in any order, sorting into the canonical order."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        score = np.asarray(score, dtype=np.float64)
        order = np.lexsort((b, a, -score))
        return cls(a[order], b[order], score[order])

    def is_sorted(self) -> bool:
        """Whether the pairs are in the canonical (score desc, a, b) order.

        Checked in chunks, so the extra memory stays small for large sets.
        """
        n = len(self)
        chunk = 1 << 20
        for start in range(0, max(n - 1, 0), chunk):
            stop = min(start + chunk + 1, n)
            s, a, b = self.score[start:stop], self.a[start:stop], self.b[start:stop]
            ds = s[1:] - s[:-1]
            if np.any(ds > 0) or np.isnan(ds).any():
                return False
            ties = ds == 0
            da = a[1:] - a[:-1]
            if np.any(da[ties] < 0):
                return False
            if np.any((b[1:] - b[:-1])[ties & (da == 0)] <= 0):
                return False
        return True

    def above(self, threshold: float) -> Candidates:
        """The pairs with ``score >= threshold`` (order kept)."""
        keep = self.score >= threshold
        return Candidates(self.a[keep], self.b[keep], self.score[keep])

    def to_frame(self):
        """The pairs as a pandas DataFrame with columns ``a, b, score``."""
        import pandas as pd

        return pd.DataFrame({"a": self.a, "b": self.b, "score": self.score})
