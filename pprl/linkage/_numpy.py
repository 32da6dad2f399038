"""Pure-numpy reference implementation of the Dice kernel.

Always importable; the facade gets it from :mod:`pprl.linkage.backend`.  It takes the same
inputs as :mod:`pprl.linkage._native` (rows as zero-padded ``uint64`` words) and
returns bit-identical results: the score of a pair is computed as
``2.0 * common / (pa + pb)`` in float64, and 0.0 when both rows are empty.
"""

from __future__ import annotations

import numpy as np

__all__ = ["popcounts", "dice_matrix", "scan_tile", "PairScorer", "greedy_mask"]

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
    ascending).  Yields ``(out_a, out_b, out_s)`` chunks, one per step of
    rows (about ``_STEP_ELEMENTS`` words compared), each sorted by (a, b),
    so a caller holds one step's pairs at a time, as with the native kernel.
    """
    n, nw = a.shape
    m = b.shape[0]
    for i0, i1 in _row_steps(n, m, nw):
        common = np.bitwise_count(a[i0:i1, None, :] & b[None, :, :]).sum(axis=2, dtype=np.int32)
        s = _scores(common, pa[i0:i1], pb)
        del common
        if k > 0:
            # a stable sort of -score keeps ties in b order; -inf marks rejects
            key = np.where(s >= threshold, -s, np.inf)
            top = np.sort(np.argsort(key, axis=1, kind="stable")[:, :k], axis=1)
            rows = np.broadcast_to(np.arange(i0, i1)[:, None], top.shape)
            sel = np.take_along_axis(s, top, axis=1)
            ok = sel >= threshold
            out = (rows[ok] + a_first, top[ok], sel[ok])
        else:
            r, c = np.nonzero(s >= threshold)
            out = (r + i0 + a_first, c, s[r, c])
        if len(out[0]):
            yield out[0].astype(np.int64), out[1].astype(np.int64), out[2]


class PairScorer:
    """Dice of given pairs in small batches, through reused buffers (not thread-safe).

    The numpy twin of :func:`pprl.linkage._native.score_pairs`, with the same
    results and the same ``compared`` count.

    ``aw``, ``bw`` are rows as ``uint64`` words (copied with zero padding
    unless their width is a multiple of 8 words).  The score is computed as
    the kernels compute it, ``2.0 * common / (pa + pb)`` in float64, so it is bit-identical to
    :func:`pprl.candidate_pairs`'s.  Batches of a few thousand pairs keep
    the temporaries in cache (about 3x faster than one big gather).  Rows of
    16 words or more are read in two halves: after the first, a pair whose
    common bits so far plus the smaller popcount of the rest cannot reach
    the threshold is dropped (exact; most pairs that share a bucket by chance
    go here, which halves the time on person CLKs).
    """

    step = 4096
    # the native scorer's extras (see pprl.linkage.backend): none here
    buckets = None
    keys = None

    def __init__(self, aw, bw, pa, pb, threshold):
        self.pa, self.pb, self.t = pa, pb, threshold
        if aw.shape[1] % 8:  # the byte-lane sums below read 8 words at a time
            pad = ((0, 0), (0, -aw.shape[1] % 8))
            aw, bw = np.pad(aw, pad), np.pad(bw, pad)
        nw = aw.shape[1]
        h = (nw // 2) // 8 * 8 if nw >= 16 else nw
        self.halves = [(np.ascontiguousarray(aw[:, :h]), np.ascontiguousarray(bw[:, :h]))]
        if h < nw:
            lo_a, lo_b = np.ascontiguousarray(aw[:, h:]), np.ascontiguousarray(bw[:, h:])
            self.halves.append((lo_a, lo_b))
            self.rest = (np.bitwise_count(lo_a).sum(axis=1, dtype=np.int32),
                         np.bitwise_count(lo_b).sum(axis=1, dtype=np.int32))
        self.buffers = {}  # width -> (x, y, z), contiguous
        for xa, _ in self.halves:
            w = xa.shape[1]
            self.buffers[w] = (np.empty((self.step, w), np.uint64),
                               np.empty((self.step, w), np.uint64),
                               np.empty((self.step, w), np.uint8))

    def _common(self, xa, xb, ra, rb) -> np.ndarray:
        out = np.empty(len(ra), np.int64)
        m8, m16 = np.uint64(0x00FF00FF00FF00FF), np.uint64(0x0001000100010001)
        bx, by, bz = self.buffers[xa.shape[1]]
        for i in range(0, len(ra), self.step):
            j = min(len(ra), i + self.step)
            x, y, z = bx[:j - i], by[:j - i], bz[:j - i]
            np.take(xa, ra[i:j], axis=0, out=x)
            np.take(xb, rb[i:j], axis=0, out=y)
            np.bitwise_and(x, y, out=x)
            np.bitwise_count(x, out=z)
            zz = z.view(np.uint64)  # 8 byte counts per word, each <= 64
            lanes = (zz & m8) + ((zz >> np.uint64(8)) & m8)  # 4 lanes of 16 bits
            lanes = lanes.sum(axis=1, dtype=np.uint64)
            out[i:j] = ((lanes * m16) >> np.uint64(48)).astype(np.int64)
        return out

    def __call__(self, rows_a, rows_b):
        """Pairs ``>= threshold`` as ``(rows_a, rows_b, scores, compared)``.

        Pairs whose popcounts alone rule them out are dropped first;
        ``compared`` counts the pairs whose words were read.
        """
        qa, qb = self.pa[rows_a], self.pb[rows_b]
        tot = (qa + qb).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            possible = (2.0 * np.minimum(qa, qb) / tot >= self.t) | (tot == 0)
        rows_a, rows_b, tot = rows_a[possible], rows_b[possible], tot[possible]
        compared = len(rows_a)
        common = self._common(*self.halves[0], rows_a, rows_b)
        if len(self.halves) > 1:
            bound = common + np.minimum(self.rest[0][rows_a], self.rest[1][rows_b])
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = (2.0 * bound / tot >= self.t) | (tot == 0)
            rows_a, rows_b, tot, common = rows_a[ok], rows_b[ok], tot[ok], common[ok]
            common += self._common(*self.halves[1], rows_a, rows_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = 2.0 * common.astype(np.float64) / tot
        s[tot == 0] = 0.0
        keep = s >= self.t
        return rows_a[keep], rows_b[keep], s[keep], compared


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
