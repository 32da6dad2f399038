"""The candidate-pair container shared by similarity, matching and evaluation.

Also the canonical sort of a candidate scan's output (:class:`PairPacking`):
each pair packed into one int64 whose plain ascending sort is the canonical
order, sorted in place, then unpacked into the three arrays.  Peak memory is
the 24 bytes per pair of the result itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_threshold
from ..errors import InputError

__all__ = ["Candidates", "PairPacking"]


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
        """The pairs with ``score >= threshold`` (order kept).

        Raises
        ------
        InputError
            ``threshold`` is not a number in [0, 1] (NaN included: it would keep nothing).

        Examples
        --------
        >>> c = Candidates(np.array([0, 1]), np.array([0, 1]), np.array([0.9, 0.5]))
        >>> c.above(0.8).a.tolist()
        [0]
        """
        threshold = check_threshold(threshold, "Candidates.above")
        keep = self.score >= threshold
        return Candidates(self.a[keep], self.b[keep], self.score[keep])

    def to_frame(self):
        """The pairs as a pandas DataFrame with columns ``a, b, score``."""
        import pandas as pd

        return pd.DataFrame({"a": self.a, "b": self.b, "score": self.score})


class PairPacking:
    """Pack ``(score, a, b)`` into one int64 sorting as (score desc, a, b).

    Scores are fractions ``2c / S`` with ``S = pa + pb <= 2 * nbits``, so two
    different scores differ by at least ``1 / (2 * nbits**2)``:
    ``r = floor(score * 2**q)`` with ``2**q >= 4 * nbits**2`` maps different
    scores to different integers, equal scores to equal ones, and keeps their
    order.  The key is ``(2**q - r, a, b)`` in bit fields, so the plain sort of
    the keys is the canonical order; unpacking recovers the score *exactly*
    from ``r`` and the two popcounts: ``c = round(r * S / 2**(q + 1))`` and
    ``score = 2.0 * c / S``, the very expression the kernels evaluate.

    ``fits`` is False when the fields need more than 63 bits (more than
    about 2**20 rows on each side of 1,024-bit CLKs); callers then sort the
    three arrays with ``lexsort`` instead.
    """

    #: pairs unpacked per step (bounds the temporaries)
    STEP = 1 << 16

    def __init__(self, nbits: int, n_a: int, n_b: int) -> None:
        self.q = max(1, (4 * nbits * nbits - 1).bit_length())
        self.ba = max(1, (n_a - 1).bit_length())
        self.bb = max(1, (n_b - 1).bit_length())
        self.fits = self.q + 1 + self.ba + self.bb <= 63

    def pack(self, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> np.ndarray:
        """int64 keys of the pairs (any order)."""
        q, sh = self.q, self.ba + self.bb
        key = np.floor(score * float(1 << q)).astype(np.int64)  # exact: a power-of-two scale
        np.subtract(1 << q, key, out=key)
        key <<= sh
        key |= a << self.bb
        key |= b
        return key

    def unpack(self, key: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> Candidates:
        """The pairs of ``key`` (sorted in place first) as Candidates; ``key`` becomes ``b``.

        ``pa`` / ``pb`` are the popcounts of A's and B's rows.
        """
        key.sort()
        n = len(key)
        out_a = np.empty(n, dtype=np.int64)
        out_s = np.empty(n, dtype=np.float64)
        q, sh = self.q, self.ba + self.bb
        mask_a, mask_b = (1 << self.ba) - 1, (1 << self.bb) - 1
        for i in range(0, n, self.STEP):
            k = key[i:i + self.STEP]
            a = (k >> self.bb) & mask_a
            r = (1 << q) - (k >> sh)
            k &= mask_b  # in place: the key becomes b
            total = pa[a].astype(np.int64) + pb[k]
            c = (r * total + (1 << q)) >> (q + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = 2.0 * c.astype(np.float64) / total.astype(np.float64)
            s[total == 0] = 0.0
            out_a[i:i + self.STEP] = a
            out_s[i:i + self.STEP] = s
        return Candidates(out_a, key, out_s)
