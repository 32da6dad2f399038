"""Running a candidate scan: tiles of rows of A on worker threads, pairs packed as they come.

The kernel module (native or numpy) is passed in by the facade; this module
never imports either.  Each tile's pairs are packed at once into one int64
key per pair (:class:`~.candidates.PairPacking`) and appended to one growing
array, so the scan holds 8 bytes per candidate plus one kernel output buffer
per thread (workers pack each buffer as it fills, under a lock; no tile's
pairs are ever held whole); the keys are then sorted in place and unpacked
into the result (24 bytes per candidate, the peak).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from . import _plan
from .candidates import Candidates, PairPacking

__all__ = ["words", "Growing", "ScanInfo", "scan", "BYTES_PER_PAIR"]

#: bytes per candidate at the peak of an in-memory scan (the result's own 24 bytes)
BYTES_PER_PAIR = 24


def words(x: np.ndarray) -> np.ndarray:
    """Rows as ``uint64`` words, zero-padded at the end; no copy when already aligned."""
    n, nbytes = x.shape
    nw = (nbytes + 7) // 8
    if nbytes % 8 == 0 and x.ctypes.data % 8 == 0:
        return x.view(np.uint64).reshape(n, nw)
    out = np.zeros((n, nw), dtype=np.uint64)
    out.view(np.uint8)[:, :nbytes] = x
    return out


class Growing:
    """A 1-D array that grows in place (``realloc``, which moves no pages for large arrays)."""

    def __init__(self, dtype, limit: int | None = None) -> None:
        self.buf = np.empty(1 << 12, dtype=dtype)
        self.n = 0
        self.limit = limit  # grow by half at a time, but never past this many (unless needed)

    def append(self, x: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self.buf):
            grow = len(self.buf) * 3 // 2
            if self.limit is not None:
                grow = min(grow, self.limit)
            self.buf.resize(max(need, grow), refcheck=False)
        self.buf[self.n:need] = x
        self.n = need

    def take(self) -> np.ndarray:
        """The filled part (the buffer shrinks to it); the object starts empty again."""
        out = self.buf
        out.resize(self.n, refcheck=False)
        self.buf = np.empty(1 << 12, dtype=out.dtype)
        self.n = 0
        return out


class TooManyPairs(Exception):
    """Raised inside the scan when the pairs found pass the bound; the facade explains."""

    def __init__(self, found: int, estimated: int | None = None) -> None:
        super().__init__(found)
        self.found = found
        self.estimated = estimated


@dataclass
class ScanInfo:
    """What a scan did: the instruction-set path and the timings that chose it."""

    isa: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


class Collector:
    """Where a scan's pairs go: packed keys in memory (or three arrays when keys do not fit).

    ``flush`` (when not None) is called with sorted Candidates whenever
    ``chunk_pairs`` pairs have gathered, and the memory is reused; without
    it, more than ``max_pairs`` pairs raise :class:`TooManyPairs`.  Worker
    threads call :meth:`add` directly (it takes a lock), each with one kernel
    output buffer at a time.
    """

    def __init__(self, packing: PairPacking, pa, pb, max_pairs: int | None,
                 flush=None, chunk_pairs: int | None = None) -> None:
        self.packing, self.pa, self.pb = packing, pa, pb
        self.max_pairs, self.flush, self.chunk_pairs = max_pairs, flush, chunk_pairs
        self.found = 0
        self.lock = threading.Lock()
        limit = chunk_pairs if flush is not None else max_pairs
        if packing.fits:
            self.keys = Growing(np.int64, limit)
        else:
            self.cols = (Growing(np.int64, limit), Growing(np.int64, limit),
                         Growing(np.float64, limit))

    def add(self, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> None:
        with self.lock:
            self._add(a, b, s)

    def _add(self, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> None:
        self.found += len(a)
        if self.flush is None:
            if self.max_pairs is not None and self.found > self.max_pairs:
                raise TooManyPairs(self.found)
            self._hold(a, b, s)
            return
        while len(a):  # fill the chunk exactly, flush it, go on with the rest
            room = self.chunk_pairs - self._held()
            self._hold(a[:room], b[:room], s[:room])
            a, b, s = a[room:], b[room:], s[room:]
            if self._held() >= self.chunk_pairs:
                self.flush(self.sorted())

    def _hold(self, a, b, s) -> None:
        if self.packing.fits:
            self.keys.append(self.packing.pack(a, b, s))
        else:
            for col, x in zip(self.cols, (a, b, s), strict=True):
                col.append(x)

    def _held(self) -> int:
        return self.keys.n if self.packing.fits else self.cols[0].n

    def sorted(self) -> Candidates:
        """The pairs held, in canonical order; the collector is emptied."""
        if self.packing.fits:
            return self.packing.unpack(self.keys.take(), self.pa, self.pb)
        a, b, s = (col.take() for col in self.cols)
        order = np.lexsort((b, a, -s))  # 48 bytes per pair: past ~2**20 rows a side
        return Candidates(a[order], b[order], s[order])

    def close(self) -> Candidates | None:
        """Flush what is left (streaming) or return the result (in memory)."""
        if self.flush is not None:
            if self._held():
                self.flush(self.sorted())
            return None
        return self.sorted()


#: the native paths that scan B 8 rows at a time from its vertical copy (dice.c section 1e)
VERTICAL_PATHS = ("avx2", "avx512")
#: the native paths that scan B bit by bit when given its bit planes (dice.c section 1f)
BIT_SLICED_PATHS = ("portable", "popcnt", "avx2")


def _layouts(paths: list[str], n: int, nbits: int) -> tuple[bool, bool]:
    """``(bits, vertical)``: whether a native scan of ``n`` rows of A on ``paths`` needs B.

    B bit by bit, and B's vertical copy: each costs as many bytes as B, so it
    is built only when a path that may run reads it.
    """
    bits = (_plan.BIT_SLICED and n >= _plan.BIT_SLICED_MIN_ROWS
            and nbits <= _plan.BIT_SLICED_MAX_BITS and any(p in BIT_SLICED_PATHS for p in paths))
    vertical = any(p in VERTICAL_PATHS and not (bits and p in BIT_SLICED_PATHS) for p in paths)
    return bits, vertical


def _native_tile_fn(mod, aw, bw, pa, pb, threshold, k, nbits, vertical, bits=False):
    order = np.argsort(pb, kind="stable")
    b_sorted = np.ascontiguousarray(bw[order])
    pb_sorted = np.ascontiguousarray(pb[order])
    b_index = order.astype(np.int64)
    b_start = np.searchsorted(pb_sorted, np.arange(nbits + 2), side="left").astype(np.int64)
    tables = mod.threshold_tables(threshold, nbits)
    mode, hw = (_plan.early_exit(aw, b_sorted, pa, pb_sorted, tables[0])
                if _plan.EARLY_EXIT else (0, 0))
    rests = wcs = (None, None)
    if mode == 1:
        rests = (mod.popcounts(np.ascontiguousarray(aw[:, hw:])),
                 mod.popcounts(np.ascontiguousarray(b_sorted[:, hw:])))
    elif mode == 2:
        wcs = (_plan.word_counts(aw), _plan.word_counts(b_sorted))
    vert = None
    if vertical:  # a path that may run reads B's vertical copy (as much memory as B)
        vhw = _plan.vertical_exit(aw, b_sorted, pa, pb_sorted, tables[0]) \
            if _plan.EARLY_EXIT else 0
        vert = mod.vertical(b_sorted, vhw)
    # top-k: a row whose heap is full is scanned on at its k-th best score (rounded down)
    raised = mod.raise_tables(float(threshold), nbits) if k else None
    planes = None
    if bits:
        rank = _plan.bit_rank(b_sorted, nbits)
        planes = (mod.bit_planes(b_sorted, nbits, rank), rank)

    def run(i0: int, i1: int, isa: str | None = None):
        return mod.scan(aw[i0:i1], pa[i0:i1], i0, b_sorted, pb_sorted, b_index, b_start,
                             nbits, tables, k, _plan.SCAN_CAPACITY, (mode, hw),
                             (rests[0] if mode != 1 else rests[0][i0:i1], rests[1]),
                             (wcs[0] if mode != 2 else wcs[0][i0:i1], wcs[1]), isa=isa,
                             vert=vert, bits=planes, raised=raised)

    return run


def _numpy_tile_fn(mod, aw, bw, pa, pb, threshold, k):
    def run(i0: int, i1: int, isa: str | None = None):
        return mod.scan_tile(aw[i0:i1], pa[i0:i1], i0, bw, pb, threshold, k)

    return run


def _work(run, i0: int, i1: int, path, sink) -> tuple[float, int]:
    """``run`` on rows i0..i1, each output chunk handed to ``sink`` (dropped when None).

    Returns the CPU time the kernel took this thread (others' load and the
    sink's packing do not count) and the pairs found.  Only one chunk of the
    kernel's output is alive at a time.
    """
    spent, found = 0.0, 0
    chunks = iter(run(i0, i1, path))
    while True:
        t0 = time.thread_time()
        chunk = next(chunks, None)
        spent += time.thread_time() - t0
        if chunk is None:
            return spent, found
        found += len(chunk[0])
        if sink is not None:
            sink(*chunk)


def _in_pool(pool, calls, on_done) -> None:
    """Run ``(fn, args, tag)`` calls on ``pool`` (inline when None).

    ``on_done(tag, result)`` runs in the calling thread, in completion order;
    on any error the calls not yet started are cancelled (stop early).
    """
    if pool is None:
        for fn, args, tag in calls:
            on_done(tag, fn(*args))
        return
    pending = {pool.submit(fn, *args): tag for fn, args, tag in calls}
    try:
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(pending.pop(fut), fut.result())
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise


def scan(a, b, threshold, k, name: str, mod: ModuleType, threads: int, progress: bool, *,
         paths: list[str] | None = None, max_pairs: int | None = None, flush=None,
         chunk_pairs: int | None = None, info: ScanInfo | None = None) -> Candidates | None:
    """Pairs of rows of ``a`` and ``b`` (uint8, equal widths, both non-empty) scoring >= threshold.

    ``paths``: instruction-set paths, the process-wide one first.  A scan
    whose explored blocks are worth timing (:func:`._plan.explore_blocks`)
    first runs them on every path still in the race, keeping the first run's
    pairs; the rest runs on the path that took least CPU time there (``info``
    says which, with the timings), and that path is remembered for similar
    inputs (:func:`._plan.similar`).  Other scans run on the remembered path,
    else on the process-wide one.  ``max_pairs``: raise :class:`TooManyPairs`
    past that many pairs -- predicted from the explored blocks (of at least
    ``_plan.TIME_PATHS_ABOVE`` pairs in all) before the rest runs, then for
    real; ``flush``/``chunk_pairs``: stream sorted chunks of that many pairs
    to ``flush`` instead (returns None).
    """
    n, m = a.shape[0], b.shape[0]
    nbits = a.shape[1] * 8
    kk = 0 if k is None else min(k, m)
    aw, bw = words(a), words(b)
    pa, pb = mod.popcounts(aw), mod.popcounts(bw)
    paths = paths or [None]
    info = info if info is not None else ScanInfo()
    budget = chunk_pairs if flush is not None else max_pairs
    key = _plan.similar(nbits, threshold, k, m)
    explore = []
    if len(paths) > 1:
        known = _plan.remembered(key, paths)
        explore = [] if known else _plan.explore_blocks(n, paths, m)
        if not explore:  # too small to time, or timed before: one path
            paths = [known or paths[0]]
    if not explore and budget is not None and n * m >= _plan.TIME_PATHS_ABOVE:
        explore = _plan.explore_blocks(n, paths)  # one path: predicts the result's size
    if name == "native":
        bits, vertical = _layouts([p or mod.isa() for p in paths], n, nbits)
        run = _native_tile_fn(mod, aw, bw, pa, pb, threshold, kk, nbits, vertical, bits)
    else:
        run = _numpy_tile_fn(mod, aw, bw, pa, pb, threshold, kk)
    collector = Collector(PairPacking(nbits, n, m), pa, pb, max_pairs, flush, chunk_pairs)
    times: dict = {p: [] for p in paths}
    found = [0]

    def explored(tag, result) -> None:
        path, keep = tag
        times[path].append(result[0])
        if keep:  # real work: every explored row is scanned once, its pairs went to the collector
            found[0] += result[1]

    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    bar = None
    try:
        alive = list(paths)
        for i0, i1, order in explore:  # one round per block; clear losers drop out
            order = [p for p in order if p in alive]
            if len(paths) > 1:  # the paths share the block's rows (equal parts), no repeats
                cut = np.linspace(i0, i1, len(order) + 1).astype(np.int64).tolist()
                calls = [(_work, (run, cut[j], cut[j + 1], path, collector.add), (path, True))
                         for j, path in enumerate(order)]
            else:  # one path: its run predicts the result's size
                calls = [(_work, (run, i0, i1, order[0], collector.add), (order[0], True))]
            _in_pool(pool, calls, explored)
            alive = _plan.still_in_the_race({p: times[p] for p in alive})
        isa = _plan.fastest({p: times[p] for p in alive}) if explore and len(paths) > 1 \
            else paths[0]
        if len(paths) > 1 and isa is not None:
            _plan.remember(key, isa)
        info.isa = isa
        info.timings = {p: sum(t) for p, t in times.items() if t} if len(paths) > 1 else {}
        if explore:
            per_row = found[0] / sum(i1 - i0 for i0, i1, _ in explore)
            if flush is None and budget is not None and per_row * n > 1.25 * budget:
                raise TooManyPairs(found[0], int(per_row * n))
        tiles = _plan.tiles(n, m, threads, None, _plan.gaps(n, explore))
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=sum(i1 - i0 for i0, i1 in tiles), unit="row",
                       desc="candidate pairs")

        def tiled(rows, result) -> None:
            if bar is not None:
                bar.update(rows)

        _in_pool(pool if len(tiles) > 1 else None,
                 [(_work, (run, i0, i1, isa, collector.add), i1 - i0) for i0, i1 in tiles],
                 tiled)
    finally:
        if bar is not None:
            bar.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return collector.close()
