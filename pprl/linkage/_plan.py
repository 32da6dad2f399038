"""Planning a candidate scan: tiles, the early exit, and the fastest instruction-set path.

Pure decisions from the shapes and a small sample of the data; nothing here
runs the whole scan (:mod:`._scan` does) or knows that C exists (the paths
are timed through a callable the caller passes in).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["TILE_PAIRS", "SCAN_CAPACITY", "tiles", "word_counts", "early_exit", "trial_rows",
           "fastest_path", "available_memory"]

#: pairs per tile of the candidate scan (a tile is a block of rows of A)
TILE_PAIRS = 1 << 24
#: first output buffer (pairs) of a native tile; it doubles when a row does not fit
SCAN_CAPACITY = 1 << 16
#: whether the native scan may use its exact early exit (tests switch it off)
EARLY_EXIT = True
# cost of checking each early-exit bound, in words of popcount work (measured
# with benchmarks/bench_dice.py on AMD EPYC: mode 1 is a min, mode 2 a psadbw)
EXIT_COST_WORDS = {1: 0.5, 2: 3.0}
#: early-exit points with unrolled code for 16-word rows (PPRL_DEFINE_HITS in dice.c)
UNROLLED = {1: (8,), 2: (4, 6, 8)}
#: pairs compared per timing trial of each instruction-set path (a few ms each)
TRIAL_PAIRS = 1 << 21
#: below this many pairs in all, timing the paths would cost more than it saves
TIME_PATHS_ABOVE = 1 << 24


def tiles(n: int, m: int, threads: int, max_rows: int | None = None) -> list[tuple[int, int]]:
    """Blocks ``(i0, i1)`` of rows of A: enough for every thread, each at most ~TILE_PAIRS
    pairs to compare and at most ``max_rows`` rows (a memory bound's share)."""
    n_tiles = max(threads * 4, math.ceil(n * m / TILE_PAIRS))
    rows = max(1, math.ceil(n / n_tiles))
    if max_rows is not None:
        rows = min(rows, max_rows)
    return [(i, min(n, i + rows)) for i in range(0, n, rows)]


def word_counts(words: np.ndarray) -> np.ndarray:
    """Popcount of every 64-bit word, uint8 of shape (n, nw)."""
    return np.ascontiguousarray(np.bitwise_count(words).astype(np.uint8))


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
    if nw < 4:
        return 0, 0
    ia = np.unique(np.linspace(0, len(aw) - 1, min(len(aw), 48)).astype(np.int64))
    ib = np.unique(np.linspace(0, len(bw) - 1, min(len(bw), 48)).astype(np.int64))
    xa, xb = aw[ia], bw[ib]
    need = cmin[pa[ia][:, None] + pb[ib][None, :]]
    inside = np.minimum(pa[ia][:, None], pb[ib][None, :]) >= need
    if not inside.any():
        return 0, 0
    wa, wb = np.bitwise_count(xa), np.bitwise_count(xb)  # (rows, nw)
    common = np.bitwise_count(xa[:, None, :] & xb[None, :, :])[inside]  # (pairs, nw)
    need = need[inside][:, None]
    prefix = np.cumsum(common, axis=1, dtype=np.int32)[:, :-1]  # after h = 1 .. nw-1 words
    rest_a = np.cumsum(wa[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
    rest_b = np.cumsum(wb[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
    bound1 = np.minimum(rest_a[:, None, :], rest_b[None, :, :])[inside]
    per_word = np.minimum(wa[:, None, :], wb[None, :, :])[inside]
    bound2 = np.cumsum(per_word[:, ::-1], axis=1, dtype=np.int32)[:, ::-1][:, 1:]
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


def trial_rows(n: int, m: int) -> list[tuple[int, int]]:
    """Blocks of rows of A for one timing trial: ~TRIAL_PAIRS pairs spread over A."""
    rows = max(1, min(n, TRIAL_PAIRS // max(m, 1)))
    blocks = min(4, rows)
    per = max(1, rows // blocks)
    starts = np.linspace(0, n - per, blocks).astype(int)
    return [(int(s), int(s) + per) for s in starts]


def fastest_path(paths: Sequence[str], trial: Callable[[str], None], rounds: int = 3) -> tuple[
        str, dict[str, float]]:
    """Time ``trial(path)`` for every path, ``rounds`` times in rotating order.

    Returns the path with the least best time and every path's best time in
    seconds.  Rotating the order spreads cache warm-up and frequency changes
    over all paths; the best of several rounds filters out other processes.
    """
    best = {p: math.inf for p in paths}
    order = list(paths)
    for r in range(rounds):
        for p in order[r % len(order):] + order[:r % len(order)]:
            t0 = time.perf_counter()
            trial(p)
            best[p] = min(best[p], time.perf_counter() - t0)
    return min(order, key=lambda p: (best[p], order.index(p))), best


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
