"""Planning a candidate scan: tiles, the early exit, and the fastest instruction-set path.

Pure decisions from the shapes, a small sample of the data, or timings the
scan measured; nothing here runs the scan (:mod:`._scan` does) or knows that
C exists.  Which path is fastest depends on the CPU *and* the data (the early
exit changes how many words a pair costs), so a large scan first runs a few
rounds of rows spread over A, each round's rows shared out in equal parts
among the paths still in the race (nothing is run twice: every explored row
is real work; a path clearly slower than the best drops out after each
round) -- and the rest on the path that took least CPU time over those rows.

Timing must pay for itself: each path's part of a round holds at least
``MIN_TIMED_PAIRS`` pairs (shorter ones time noise), the paths that lose run
at most ``TIMING_SHARE`` of the rows of A (even at twice the winner's time,
that costs at most that share), and the winner is remembered for the rest of
the process for similar inputs (:func:`similar`): same CLK width, threshold
to 0.01, top-k or not, and size of B to a power of two.  A call too small to
time, with no winner remembered, runs on the process-wide path.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

__all__ = ["bit_rank", "TILE_PAIRS", "SCAN_CAPACITY", "VERTICAL_ROWS", "VERTICAL_UNROLLED", "tiles",
           "word_counts", "early_exit", "vertical_exit", "explore_blocks", "gaps",
           "still_in_the_race", "fastest", "similar", "remembered", "remember",
           "available_memory"]

#: pairs per tile of the candidate scan (a tile is a block of rows of A); the kernel reads
#: B once per 128 rows of a tile (PPRL_GROUP in dice.c), so a tile must span well over 128
#: rows when B is large (1 << 24 left 16 rows at a million rows of B: 1.5x slower)
TILE_PAIRS = 1 << 28
#: first output buffer (pairs) of a native tile; it doubles when a row does not fit
SCAN_CAPACITY = 1 << 16
#: whether the native scan may use its exact early exit (tests switch it off)
EARLY_EXIT = True
#: whether the native paths with a bit-sliced kernel (dice.c section 1f) may use it (tests
#: switch it off to test the other kernels); it needs B bit by bit (as many bytes as B),
#: which pays for itself only when A has at least BIT_SLICED_MIN_ROWS rows
BIT_SLICED = True
BIT_SLICED_MIN_ROWS = 64
#: widest CLK the bit-sliced kernel takes (int16 bit positions)
BIT_SLICED_MAX_BITS = 32751
#: rows of B sampled to rank its bits by how often they are set
BIT_RANK_SAMPLE = 4096
# cost of checking each early-exit bound, in words of popcount work (measured
# with benchmarks/bench_dice.py on AMD EPYC: mode 1 is a min, mode 2 a psadbw)
EXIT_COST_WORDS = {1: 0.5, 2: 3.0}
#: early-exit points with unrolled code for 16-word rows (PPRL_DEFINE_HITS in dice.c)
UNROLLED = {1: (8,), 2: (4, 6, 8)}
#: share of the rows of A that a large scan runs first, in blocks spread over A, on every
#: instruction-set path in turn (the first run's pairs are kept: (paths - 1) x this is spent)
EXPLORE_FRACTION = 0.01
#: blocks (rounds): each path runs the same rows in each round, in a rotating order
EXPLORE_ROUNDS = 3
#: below this many pairs in all, a scan is not explored at all (not even on one path to
#: predict its result's size)
TIME_PATHS_ABOVE = 1 << 24
#: least pairs in one path's part of a round: 3 blocks of 10 rows (0.3 ms each) at 3,000 x
#: 7,000 timed noise
MIN_TIMED_PAIRS = 1 << 21
#: most of the rows of A that timing may give to the paths that lose
TIMING_SHARE = 0.05
#: the fastest path of earlier timed scans, by :func:`similar` key (per process)
_WINNERS: dict[tuple, str] = {}

def tiles(n: int, m: int, threads: int, max_rows: int | None = None,
          ranges: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Blocks ``(i0, i1)`` of rows of A to scan as tiles.

    Enough blocks for every thread, each at most ~TILE_PAIRS pairs to compare
    and at most ``max_rows`` rows (a memory bound's share).  ``ranges``: cover
    only these row ranges (default: all of ``0 .. n``).
    """
    n_tiles = max(threads * 4, math.ceil(n * m / TILE_PAIRS))
    rows = max(1, math.ceil(n / n_tiles))
    if max_rows is not None:
        rows = min(rows, max_rows)
    out = []
    for r0, r1 in ranges if ranges is not None else [(0, n)]:
        out += [(i, min(r1, i + rows)) for i in range(r0, r1, rows)]
    return out


def explore_blocks(n: int, paths: Sequence[str],
                   m: int | None = None) -> list[tuple[int, int, list[str]]]:
    """``(i0, i1, paths in this round's order)``: rounds of rows spread evenly over A.

    Without ``m`` (or with one path): EXPLORE_ROUNDS blocks, together about
    EXPLORE_FRACTION of the rows.  With several paths and ``m`` (rows of
    B), the scan shares each block's rows out among the paths in equal
    parts: each part spans at least ``MIN_TIMED_PAIRS`` pairs, and there are
    as many rounds (at most EXPLORE_ROUNDS) as keep the rows the losing paths
    run within ``TIMING_SHARE`` of A; none when not even one round fits.
    The order rotates from block to block, so that cache warm-up and
    frequency changes fall on every path alike.  Empty when A is too short.
    """
    k, p = EXPLORE_ROUNDS, len(paths)
    rows = int(n * EXPLORE_FRACTION / k)
    if p > 1 and m:
        part = max(int(n * EXPLORE_FRACTION / (k * p)), -(-MIN_TIMED_PAIRS // m))
        k = min(k, int(TIMING_SHARE * n / ((p - 1) * part)))
        rows = part * p
        if k < 1:
            return []
    if rows < 1 or k * rows > n:
        return []
    starts = np.linspace(0, n - rows, k).astype(np.int64).tolist()
    return [(s, s + rows, [paths[(i + j) % p] for i in range(p)]) for j, s in enumerate(starts)]


def gaps(n: int, blocks: Sequence[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """The row ranges of ``0 .. n`` that ``blocks`` (sorted, disjoint) leave out."""
    out, at = [], 0
    for i0, i1, _ in blocks:
        if i0 > at:
            out.append((at, i0))
        at = max(at, i1)
    if at < n:
        out.append((at, n))
    return out


#: after each explored block, a path slower than the best by more than this factor drops out
DROP_FACTOR = 1.25


def still_in_the_race(times: dict[str, list[float]]) -> list[str]:
    """The paths whose total time so far is within DROP_FACTOR of the best (order kept).

    Every path in ``times`` ran the same blocks, so totals compare like with like.
    """
    best = min(sum(t) for t in times.values())
    return [p for p, t in times.items() if sum(t) <= DROP_FACTOR * best]


def similar(nbits: int, threshold: float, k: int | None, m: int) -> tuple:
    """The key under which a scan's winning path is remembered: inputs that scan alike."""
    return (nbits, round(threshold, 2), k is None, max(int(m), 1).bit_length())


def remembered(key: tuple, paths: Sequence[str]) -> str | None:
    """The winner of an earlier timed scan with this key, if it is one of ``paths``."""
    p = _WINNERS.get(key)
    return p if p in paths else None


def remember(key: tuple, path: str) -> None:
    """Keep ``path`` as the winner for ``key`` for the rest of the process."""
    _WINNERS[key] = path


def fastest(times: dict[str, list[float]]) -> str:
    """The path with the least total time over the blocks (ties: the earlier path)."""
    order = list(times)
    return min(order, key=lambda p: (sum(times[p]), order.index(p)))


def word_counts(words: np.ndarray) -> np.ndarray:
    """Popcount of every 64-bit word, uint8 of shape (n, nw)."""
    return np.ascontiguousarray(np.bitwise_count(words).astype(np.uint8))


def _exit_sample(aw, bw, pa, pb, cmin):
    """A fixed sample of pairs inside the popcount window, for the early-exit choice.

    ``None`` when no sampled pair is inside; else ``(need, prefix, bound1,
    bound2)`` per pair: the common bits needed, the common bits after ``h =
    1 .. nw-1`` words, and the two bounds on the common bits of the rest
    (mode 1: the smaller of the two rows' popcounts there; mode 2: the sum
    over the remaining words of the smaller per-word popcount).
    """
    nw = aw.shape[1]
    ia = np.unique(np.linspace(0, len(aw) - 1, min(len(aw), 48)).astype(np.int64))
    ib = np.unique(np.linspace(0, len(bw) - 1, min(len(bw), 48)).astype(np.int64))
    xa, xb = aw[ia], bw[ib]
    need = cmin[pa[ia][:, None] + pb[ib][None, :]]
    inside = np.minimum(pa[ia][:, None], pb[ib][None, :]) >= need
    if not inside.any() or nw < 2:
        return None
    wa, wb = np.bitwise_count(xa), np.bitwise_count(xb)  # (rows, nw)
    common = np.bitwise_count(xa[:, None, :] & xb[None, :, :])[inside]  # (pairs, nw)
    prefix = np.cumsum(common, axis=1, dtype=np.int32)[:, :-1]  # after h = 1 .. nw-1 words
    rest_a = np.cumsum(wa[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
    rest_b = np.cumsum(wb[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
    bound1 = np.minimum(rest_a[:, None, :], rest_b[None, :, :])[inside]
    per_word = np.minimum(wa[:, None, :], wb[None, :, :])[inside]
    bound2 = np.cumsum(per_word[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
    return need[inside][:, None], prefix, bound1, bound2


def early_exit(aw, bw, pa, pb, cmin) -> tuple[int, int]:
    """How the native scan should use its exact early exit: ``(mode, words)``.

    After ``h`` words the kernel drops a pair when the common bits so far plus
    a bound on the rest cannot reach the threshold: mode 1 bounds the rest by
    the smaller of the two rows' popcounts there (cheap), mode 2 by the sum
    over the remaining words of the smaller per-word popcount (tighter,
    dearer).  On a fixed sample of pairs inside the popcount window, count how
    many pairs each choice lets through and pick the least expected work;
    ``(0, 0)`` turns the early exit off.
    """
    nw = aw.shape[1]
    sample = _exit_sample(aw, bw, pa, pb, cmin) if nw >= 4 else None
    if sample is None:
        return 0, 0
    need, prefix, bound1, bound2 = sample
    h = np.arange(1, nw)
    best = (float(nw), 0, 0)
    for mode, bound in ((1, bound1), (2, bound2)):
        survive = (prefix + bound >= need).mean(axis=0)
        cost = h + EXIT_COST_WORDS[mode] + survive * (nw - h)
        for hh, cc in zip(h.tolist(), cost.tolist(), strict=True):
            if nw == 16 and hh not in UNROLLED[mode]:
                continue  # the kernel has unrolled code for these only
            if cc < best[0]:
                best = (cc, mode, hh)
    return best[1], best[2]


#: rows of B per block of the vertical kernel (dice.c section 1e)
VERTICAL_ROWS = 8
#: cost of the vertical kernel's early-exit test, in words of popcount work
VERTICAL_EXIT_COST = 0.5
#: early-exit points with unrolled vertical code for 16-word rows (vhits_* in dice.c)
VERTICAL_UNROLLED = (6, 8, 10, 12)


def vertical_exit(aw, bw, pa, pb, cmin) -> int:
    """Words after which the vertical (8 rows at a time) kernel tests its early exit; 0: never.

    Its test drops a whole block of 8 rows only when none of them can reach
    the threshold (mode 1's bound), so a block goes on with probability about
    ``1 - (1 - s) ** 8`` where ``s`` is a sampled pair's chance to go on.
    """
    nw = aw.shape[1]
    sample = _exit_sample(aw, bw, pa, pb, cmin)
    if sample is None:
        return 0
    need, prefix, bound1, _ = sample
    h = np.arange(1, nw)
    survive = (prefix + bound1 >= need).mean(axis=0)
    block = 1.0 - (1.0 - survive) ** VERTICAL_ROWS
    cost = h + VERTICAL_EXIT_COST + block * (nw - h)
    if nw == 16:  # the kernel has unrolled code for these only
        cost[~np.isin(h, VERTICAL_UNROLLED)] = np.inf
    best = int(np.argmin(cost))
    return int(h[best]) if cost[best] < nw else 0


def available_memory() -> int:
    """Bytes of memory available to this process now (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 1 << 62


def bit_rank(b: np.ndarray, nbits: int) -> np.ndarray:
    """The order in which the bit-sliced kernel takes a row's bits: least often set in B first.

    ``b``: B's rows (uint8 or uint64 words, little-endian); up to
    BIT_RANK_SAMPLE rows, evenly spaced, are counted.  Returns int32
    ``rank`` of shape ``(nbits,)``, a permutation: ``rank[k]`` is bit ``k``'s
    place.  A row unlike x then misses x's bits early, and the kernel's exact
    bound drops it sooner; any order gives the same counts.  Ties keep bit
    order (deterministic).
    """
    rows = b.view(np.uint8).reshape(b.shape[0], -1)
    if rows.shape[0] > BIT_RANK_SAMPLE:
        rows = rows[np.linspace(0, rows.shape[0] - 1, BIT_RANK_SAMPLE).astype(np.int64)]
    counts = np.unpackbits(rows, axis=1, bitorder="little")[:, :nbits].sum(axis=0)
    rank = np.empty(nbits, dtype=np.int32)
    rank[np.argsort(counts, kind="stable")] = np.arange(nbits, dtype=np.int32)
    return rank
