"""Pure-numpy reference implementation of the Dice kernel.

Always importable; the facade gets it from :mod:`pprl.linkage.backend`.  It takes the same
inputs as :mod:`pprl.linkage._native` (rows as zero-padded ``uint64`` words) and
returns bit-identical results: the score of a pair is computed as
``2.0 * common / (pa + pb)`` in float64, and 0.0 when both rows are empty.
"""

from __future__ import annotations

import numpy as np

__all__ = ["popcounts", "dice_matrix", "scan_tile", "greedy_mask"]

# elements of the (rows, m, nw) AND intermediate per step (about 16 MB)
_STEP_ELEMENTS = 1 << 21


def popcounts(words: np.ndarray) -> np.ndarray:
    """Popcount of each row of a ``uint64`` array of shape ``(n, nw)`` -> int32 ``(n,)``."""
    return np.bitwise_count(words).sum(axis=1, dtype=np.int32)


def _scores(common: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    s = pa[:, None].astype(np.int64) + pb[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 2.0 * common.astype(np.float64) / s.astype(np.float64)
    out[s == 0] = 0.0
    return out


def _row_steps(n: int, m: int, nw: int):
    step = max(1, _STEP_ELEMENTS // max(1, m * max(nw, 1)))
    for i0 in range(0, n, step):
        yield i0, min(n, i0 + step)


def dice_matrix(a: np.ndarray, pa: np.ndarray, b: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Dense Dice matrix of word rows ``a`` (n, nw) and ``b`` (m, nw) -> float64 (n, m)."""
    n, nw = a.shape
    m = b.shape[0]
    out = np.empty((n, m), dtype=np.float64)
    for i0, i1 in _row_steps(n, m, nw):
        common = np.bitwise_count(a[i0:i1, None, :] & b[None, :, :]).sum(axis=2, dtype=np.int32)
        out[i0:i1] = _scores(common, pa[i0:i1], pb)
    return out


def scan_tile(a, pa, a_first, b, pb, threshold, k):
    """Pairs of rows ``a`` (numbered from ``a_first``) and ``b`` with score >= threshold.

    ``k > 0`` keeps the best ``k`` per A row (score descending, then b
    ascending).  Returns ``(out_a, out_b, out_s)`` sorted by (a, b).
    """
    n, nw = a.shape
    m = b.shape[0]
    parts_a, parts_b, parts_s = [], [], []
    for i0, i1 in _row_steps(n, m, nw):
        common = np.bitwise_count(a[i0:i1, None, :] & b[None, :, :]).sum(axis=2, dtype=np.int32)
        s = _scores(common, pa[i0:i1], pb)
        if k > 0:
            # a stable sort of -score keeps ties in b order; -inf marks rejects
            key = np.where(s >= threshold, -s, np.inf)
            top = np.sort(np.argsort(key, axis=1, kind="stable")[:, :k], axis=1)
            rows = np.broadcast_to(np.arange(i0, i1)[:, None], top.shape)
            sel = np.take_along_axis(s, top, axis=1)
            ok = sel >= threshold
            parts_a.append(rows[ok] + a_first)
            parts_b.append(top[ok])
            parts_s.append(sel[ok])
        else:
            r, c = np.nonzero(s >= threshold)
            parts_a.append(r + i0 + a_first)
            parts_b.append(c)
            parts_s.append(s[r, c])
    if not parts_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return (np.concatenate(parts_a).astype(np.int64), np.concatenate(parts_b).astype(np.int64),
            np.concatenate(parts_s))


def greedy_mask(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int,
                used: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Greedy one-to-one keep-mask of pairs given in canonical order.

    ``used``: uint8 flags of rows of A and B taken by earlier batches,
    updated in place (streaming over sorted batches).

    Vectorised in rounds: a remaining pair that comes first among the
    remaining pairs of both its ``a`` and its ``b`` is one the sequential
    greedy keeps (every earlier pair touching it was discarded); keep those,
    drop every remaining pair that touches a kept row, repeat.
    """
    n = len(a)
    keep = np.zeros(n, dtype=bool)
    rem = np.arange(n, dtype=np.int64)
    big = np.iinfo(np.int64).max
    first_a = np.full(n_a, big, dtype=np.int64)
    first_b = np.full(n_b, big, dtype=np.int64)
    if used is None:
        used = (np.zeros(n_a, dtype=np.uint8), np.zeros(n_b, dtype=np.uint8))
    used_a, used_b = used[0].view(bool), used[1].view(bool)
    rem = rem[~(used_a[a] | used_b[b])]
    while rem.size:
        ra, rb = a[rem], b[rem]
        first_a[ra] = big
        first_b[rb] = big
        np.minimum.at(first_a, ra, rem)
        np.minimum.at(first_b, rb, rem)
        win = (first_a[ra] == rem) & (first_b[rb] == rem)
        kept = rem[win]
        keep[kept] = True
        used_a[a[kept]] = True
        used_b[b[kept]] = True
        rem = rem[~(used_a[ra] | used_b[rb])]
    return keep
