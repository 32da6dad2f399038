"""The N-party merge by packed keys: every pair of parties' candidates in one int64 array.

Each pair of parties' candidates (the 2-party result, 24 bytes per pair) is
packed a step at a time into one int64 key per candidate, with the pair of
parties' code between the score and the rows (:class:`~.candidates.PairPacking`
with a wider ``a`` field, ``code << ba | row_a``), and the step's part of the
three arrays is freed at once.  So the scans hold 8 bytes per candidate of the
pairs of parties already scanned; one in-place sort of the keys is then the
canonical order (score descending, code = ``(party_a, party_b)``, row_a,
row_b) and the keys are unpacked into the result (the key array becomes
``row_b``): 26 bytes per candidate at the peak, as the result itself.

Scores are recovered exactly from the key and the two rows' popcounts, with
the expression the kernels evaluate (``2.0 * c / S``).  :func:`plan` returns
None when the fields need more than 63 bits (about 2**20 rows per party with
1,024-bit CLKs); the caller then merges the three arrays instead.
"""

from __future__ import annotations

import numpy as np

from ._scan import Growing
from .candidates import Candidates, PairPacking

__all__ = ["KeyMerge", "plan"]

_STEP = 1 << 16  # candidates packed / unpacked per step (bounds the temporaries)


def plan(nbits: int, sizes: list[int], n_pairs: int) -> KeyMerge | None:
    """A :class:`KeyMerge` for parties of ``sizes`` rows, or None when the keys do not fit."""
    m = KeyMerge(nbits, sizes, n_pairs)
    return m if m.fits else None


class KeyMerge:
    """Gathers the pairs of parties' candidates as keys, then unpacks them in canonical order."""

    def __init__(self, nbits: int, sizes: list[int], n_pairs: int) -> None:
        self.ba = max(1, (max(max(sizes), 1) - 1).bit_length())
        self.bc = max(1, (max(n_pairs, 1) - 1).bit_length())
        width = 1 << self.ba
        self.packing = PairPacking(nbits, width << self.bc, width)
        self.fits = self.packing.fits
        self.keys = Growing(np.int64)
        self.offsets = np.cumsum([0, *sizes])[:-1]

    def add(self, code: int, c: Candidates) -> None:
        """Pack pair of parties ``code``'s candidates, freeing ``c``'s arrays as it goes.

        ``c``'s arrays must belong to ``c`` alone: they are shrunk from the end.
        """
        a, b, s = c.a, c.b, c.score
        high = code << self.ba
        for lo in range(((len(s) - 1) // _STEP) * _STEP, -1, -_STEP) if len(s) else ():
            self.keys.append(self.packing.pack(a[lo:] | high, b[lo:], s[lo:]))
            for x in (a, b, s):
                _shrink(x, lo)

    def result(self, popcounts: list[np.ndarray], pairs: np.ndarray):
        """``(row_a, row_b, score, code)`` in the canonical order; the keys are used up."""
        key = self.keys.take()
        key.sort()  # in place
        n = len(key)
        pk = self.packing
        q, bb, ba = pk.q, pk.bb, self.ba
        sh = pk.ba + bb
        pop = np.concatenate([np.empty(0, np.int64)]
                             + [np.asarray(p, np.int64) for p in popcounts])
        first, second = self.offsets[pairs[:, 0]], self.offsets[pairs[:, 1]]
        row_a = np.empty(n, np.int64)
        score = np.empty(n, np.float64)
        code = np.empty(n, np.uint16 if len(pairs) < 65536 else np.int64)
        mask_b, mask_a = (1 << bb) - 1, (1 << ba) - 1
        for i in range(0, n, _STEP):
            k = key[i:i + _STEP]
            hi = k >> bb
            r = (1 << q) - (k >> sh)
            k &= mask_b  # in place: the key becomes row_b
            cd = (hi >> ba) & ((1 << self.bc) - 1)
            hi &= mask_a
            total = pop[first[cd] + hi] + pop[second[cd] + k]
            c = (r * total + (1 << q)) >> (q + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = 2.0 * c.astype(np.float64) / total.astype(np.float64)
            s[total == 0] = 0.0
            row_a[i:i + _STEP] = hi
            score[i:i + _STEP] = s
            code[i:i + _STEP] = cd
        return row_a, key, score, code


def _shrink(x: np.ndarray, n: int) -> None:
    """Give back the memory of ``x[n:]`` when ``x`` owns its buffer (else leave it)."""
    if x.flags.owndata and x.base is None:
        x.resize(n, refcheck=False)
