"""Sørensen–Dice similarity of CLKs: the public face of the Dice kernel.

Two implementations with one contract: the native C kernel
(``native/dice.c``, run-time dispatch between AVX-512 VPOPCNTDQ, AVX2,
scalar POPCNT and portable C) and a pure-numpy reference.  They give
bit-identical scores: ``2.0 * common / (popcount(a) + popcount(b))`` in
float64, and 0.0 for two all-zero CLKs (anonlink's convention).  This is the
only module that imports ``_dice_native`` / ``_dice_numpy``.

``backend="auto"`` uses the native kernel when it was built and numpy
otherwise (logged once at DEBUG); ``"native"`` raises ``ImportError`` with a
build hint when the kernel is missing; ``"numpy"`` always works.
:func:`available_backends` says which kernel and instruction set ran.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np

from .._validation import (
    check_bits_array,
    check_k,
    check_threads,
    check_threshold,
    param_error,
)
from ..errors import InputError, NativeKernelError, NativeKernelWarning
from . import _numpy as _dice_numpy
from .candidates import Candidates

try:
    from . import _native as _dice_native
except ImportError as _exc:  # the C extension was not built
    _dice_native = None
    _NATIVE_IMPORT_ERROR: str | None = f"{type(_exc).__name__}: {_exc}"
else:
    _NATIVE_IMPORT_ERROR = None

__all__ = [
    "candidate_pairs",
    "dice_matrix",
    "popcounts",
    "greedy_mask",
    "available_backends",
    "BACKENDS",
]

_log = logging.getLogger(__name__)

#: Accepted values of the ``backend`` parameter.
BACKENDS = ("auto", "native", "numpy")

_BUILD_HINT = (
    "The native Dice kernel of pprl is not available ({why}). Rebuild it with a C "
    "compiler installed: `pip install -e . --no-build-isolation` in the source tree "
    "(set PPRL_REQUIRE_NATIVE=1 to make a failed build an error), or use backend='numpy'."
)

# pairs per tile of the candidate scan (a tile is a block of rows of A)
_TILE_PAIRS = 1 << 24
# first output buffer (pairs) of a native tile; it doubles when a row does not fit
_SCAN_CAPACITY = 1 << 16
# whether the native scan may use its exact early exit (tests switch it off)
_EARLY_EXIT = True
# cost of checking each early-exit bound, in words of popcount work (measured
# with benchmarks/bench_dice.py on AMD EPYC: mode 1 is a min, mode 2 a psadbw)
_EXIT_COST_WORDS = {1: 0.5, 2: 3.0}
# early-exit points with unrolled code for 16-word rows (PPRL_DEFINE_HITS in dice.c)
_UNROLLED = {1: (8,), 2: (4, 6, 8)}
_logged: set[str] = set()


# --- backend choice ------------------------------------------------------------


def _backend(backend: object, func: str) -> tuple[str, ModuleType]:
    if backend not in BACKENDS:
        raise param_error("backend", func, f"one of {BACKENDS}", backend)
    if backend == "numpy":
        return "numpy", _dice_numpy
    if _dice_native is not None:
        if _dice_native.ISA_ERROR is not None:
            raise _dice_native.ISA_ERROR
        if not _self_checked:
            _self_check()  # may swap the path, or give up on the native kernel
        if _self_check_error is not None:
            raise _self_check_error
    if _dice_native is None:
        if backend == "native":
            raise ImportError(_BUILD_HINT.format(why=_NATIVE_IMPORT_ERROR))
        name, mod = "numpy", _dice_numpy
    else:
        name, mod = "native", _dice_native
    if backend == "auto" and name not in _logged:
        _logged.add(name)
        detail = f" ({_dice_native.isa()})" if name == "native" else f" ({_NATIVE_IMPORT_ERROR})"
        _log.debug("pprl.linkage.similarity: backend='auto' uses the %s kernel%s", name, detail)
        if name == "numpy":  # never fall back silently: say it once per process
            warnings.warn(
                f"{_BUILD_HINT.format(why=_NATIVE_IMPORT_ERROR)} Using the numpy backend "
                "for now (same results, slower).",
                NativeKernelWarning,
                stacklevel=3,
            )
    return name, mod


_self_checked = False
_self_check_error: NativeKernelError | None = None


def _agrees_with_numpy() -> bool:
    """Known answers: the native kernel's current path against numpy on small inputs.

    Covers row widths around word boundaries, thresholds 0 to 1, top-k and
    all-zero rows.  Takes a few milliseconds.
    """
    rng = np.random.default_rng(20261128)
    for nbytes in (1, 8, 24, 128, 136):
        a = rng.integers(0, 256, size=(24, nbytes), dtype=np.uint8)
        noise = rng.random(a.shape) < 0.05
        b = np.concatenate([a[::2] ^ (noise[::2] * np.uint8(1 << 3)),
                            rng.integers(0, 256, size=(12, nbytes), dtype=np.uint8)])
        a[0] = 0
        b[0] = 0
        if not np.array_equal(dice_matrix(a, b, backend="native"),
                              dice_matrix(a, b, backend="numpy")):
            return False
        for threshold, k in ((0.0, None), (0.5, None), (0.8, 3), (1.0, None)):
            got = candidate_pairs(a, b, threshold, k=k, backend="native", threads=1)
            want = candidate_pairs(a, b, threshold, k=k, backend="numpy")
            if not (np.array_equal(got.a, want.a) and np.array_equal(got.b, want.b)
                    and np.array_equal(got.score, want.score)):
                return False
    return True


def _self_check() -> None:
    """Check the native kernel once per process before trusting it.

    The instruction-set path chosen at import is compared with numpy on
    known inputs (:func:`_agrees_with_numpy`).  Should it disagree -- a
    compiler or CPU fault on a path that could not be tested where pprl was
    built -- the next path that agrees is used instead, or numpy when none
    does, with a :class:`~pprl.errors.NativeKernelWarning` either way.
    """
    global _self_checked, _self_check_error, _dice_native, _NATIVE_IMPORT_ERROR
    _self_checked = True  # set first: the check itself calls the native backend
    first = _dice_native.isa()
    if os.environ.get("PPRL_DICE_ISA"):  # a path asked for by name is never swapped
        if not _agrees_with_numpy():
            _self_check_error = NativeKernelError(
                f"PPRL_DICE_ISA={first}: this path of the native Dice kernel gives wrong "
                "results in its self-check against numpy; please report this."
            )
        return
    for path in [first] + [p for p in _dice_native.isas() if p != first]:
        _dice_native.set_isa(path)
        if _agrees_with_numpy():
            if path != first:
                warnings.warn(
                    f"pprl's native Dice kernel gave wrong results on the {first!r} "
                    f"instruction-set path in its self-check; using {path!r} instead. "
                    "Please report this with pprl.available_backends().",
                    NativeKernelWarning,
                    stacklevel=4,
                )
            return
    _NATIVE_IMPORT_ERROR = f"self-check failed on every path ({', '.join(_dice_native.isas())})"
    _dice_native = None


def available_backends() -> dict:
    """Which Dice kernels loaded, and which instruction-set path is in use.

    Put its output in bug reports.

    Returns
    -------
    dict
        ``numpy`` (always True), ``native`` (bool), ``isa`` (the path the
        native kernel uses, e.g. ``"avx2"``, or None), ``isas`` (every path
        this build and CPU can run, the default first), ``forced`` (the value of
        ``PPRL_DICE_ISA`` or None), ``error`` (why native is missing or
        unusable, or None) and ``threads`` (cores used by ``threads=None``).

    Examples
    --------
    >>> available_backends()["numpy"]
    True
    """
    if _dice_native is not None and not _self_checked and _dice_native.ISA_ERROR is None:
        _self_check()
    info: dict = {"numpy": True, "native": _dice_native is not None, "isa": None, "isas": [],
                  "forced": os.environ.get("PPRL_DICE_ISA") or None,
                  "error": _NATIVE_IMPORT_ERROR, "threads": check_threads(None, "pprl")}
    if _dice_native is not None:
        info["isa"] = _dice_native.isa()
        info["isas"] = _dice_native.isas()
        if _dice_native.ISA_ERROR is not None:
            info["error"] = str(_dice_native.ISA_ERROR)
        elif _self_check_error is not None:
            info["error"] = str(_self_check_error)
    return info


# --- input layout --------------------------------------------------------------


def _check_clks_pair(a: object, b: object, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Both CLK arrays, with a ``(0, 0)`` array (an empty CLK file) fitting any width."""
    a = check_bits_array(a, "a", func)
    b = check_bits_array(b, "b", func)
    if a.shape == (0, 0):
        a = np.zeros((0, b.shape[1]), dtype=np.uint8)
    if b.shape == (0, 0):
        b = np.zeros((0, a.shape[1]), dtype=np.uint8)
    if a.shape[1] != b.shape[1]:
        raise InputError(
            f"The CLKs given to {func} differ in length: a has {a.shape[1] * 8} bits "
            f"per row, b has {b.shape[1] * 8}. Encode both parties with the same schema."
        )
    return a, b


def _words(x: np.ndarray) -> np.ndarray:
    """Rows as ``uint64`` words, zero-padded at the end; no copy when already aligned."""
    n, nbytes = x.shape
    nw = (nbytes + 7) // 8
    if nbytes % 8 == 0 and x.ctypes.data % 8 == 0:
        return x.view(np.uint64).reshape(n, nw)
    out = np.zeros((n, nw), dtype=np.uint64)
    out.view(np.uint8)[:, :nbytes] = x
    return out


def popcounts(clks: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Number of set bits of each CLK.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
    backend : {"auto", "native", "numpy"}, default="auto"

    Returns
    -------
    ndarray of int64, shape (n,)

    Examples
    --------
    >>> popcounts(np.array([[255, 1], [0, 0]], dtype=np.uint8)).tolist()
    [9, 0]
    """
    clks = check_bits_array(clks, "clks", "popcounts")
    _, mod = _backend(backend, "popcounts")
    return mod.popcounts(_words(clks)).astype(np.int64)


# --- dense matrix --------------------------------------------------------------


def dice_matrix(a: np.ndarray, b: np.ndarray, backend: str = "auto") -> np.ndarray:
    """Dice coefficient of every CLK of ``a`` with every CLK of ``b``.

    Meant for small inputs: the result has ``n * m`` entries.  Use
    :func:`candidate_pairs` for linkage.

    Parameters
    ----------
    a : ndarray of uint8, shape (n, l // 8)
    b : ndarray of uint8, shape (m, l // 8)
    backend : {"auto", "native", "numpy"}, default="auto"

    Returns
    -------
    ndarray of float64, shape (n, m)
        ``2 * |a_i & b_j| / (|a_i| + |b_j|)``; 0.0 when both are all-zero.

    Raises
    ------
    InputError
        Not uint8 2-D arrays, or rows of different lengths.
    ImportError
        ``backend="native"`` and the kernel was not built.

    Examples
    --------
    >>> a = np.array([[0b11110000], [0]], dtype=np.uint8)
    >>> b = np.array([[0b11000000], [0]], dtype=np.uint8)
    >>> dice_matrix(a, b, backend="numpy").round(3).tolist()
    [[0.667, 0.0], [0.0, 0.0]]
    """
    a, b = _check_clks_pair(a, b, "dice_matrix")
    _, mod = _backend(backend, "dice_matrix")
    aw, bw = _words(a), _words(b)
    return mod.dice_matrix(aw, mod.popcounts(aw), bw, mod.popcounts(bw))


# --- candidate pairs -----------------------------------------------------------


def _tiles(n: int, m: int, threads: int) -> list[tuple[int, int]]:
    n_tiles = max(threads * 4, math.ceil(n * m / _TILE_PAIRS))
    rows = max(1, math.ceil(n / n_tiles))
    return [(i, min(n, i + rows)) for i in range(0, n, rows)]


def _word_counts(words: np.ndarray) -> np.ndarray:
    """Popcount of every 64-bit word, uint8 of shape (n, nw)."""
    return np.ascontiguousarray(np.bitwise_count(words).astype(np.uint8))


def _early_exit(aw, bw, pa, pb, cmin) -> tuple[int, int]:
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
        cost = h + _EXIT_COST_WORDS[mode] + survive * (nw - h)
        for hh, cc in zip(h.tolist(), cost.tolist(), strict=True):
            if nw == 16 and hh not in _UNROLLED[mode]:
                continue  # the kernel has unrolled code for these only
            if cc < best[0]:
                best = (cc, mode, hh)
    return best[1], best[2]


def _native_tile_fn(aw, bw, pa, pb, threshold, k, nbits):
    nat = _dice_native
    order = np.argsort(pb, kind="stable")
    b_sorted = np.ascontiguousarray(bw[order])
    pb_sorted = np.ascontiguousarray(pb[order])
    b_index = order.astype(np.int64)
    b_start = np.searchsorted(pb_sorted, np.arange(nbits + 2), side="left").astype(np.int64)
    tables = nat.threshold_tables(threshold, nbits)
    mode, hw = _early_exit(aw, b_sorted, pa, pb_sorted, tables[0]) if _EARLY_EXIT else (0, 0)
    rests = wcs = (None, None)
    if mode == 1:
        rests = (nat.popcounts(np.ascontiguousarray(aw[:, hw:])),
                 nat.popcounts(np.ascontiguousarray(b_sorted[:, hw:])))
    elif mode == 2:
        wcs = (_word_counts(aw), _word_counts(b_sorted))

    def run(i0: int, i1: int):
        return list(nat.scan(aw[i0:i1], pa[i0:i1], i0, b_sorted, pb_sorted, b_index, b_start,
                             nbits, tables, k, _SCAN_CAPACITY, (mode, hw),
                             (rests[0] if mode != 1 else rests[0][i0:i1], rests[1]),
                             (wcs[0] if mode != 2 else wcs[0][i0:i1], wcs[1])))

    return run


def _numpy_tile_fn(aw, bw, pa, pb, threshold, k):
    def run(i0: int, i1: int):
        return [_dice_numpy.scan_tile(aw[i0:i1], pa[i0:i1], i0, bw, pb, threshold, k)]

    return run


def candidate_pairs(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    k: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
    progress: bool = False,
) -> Candidates:
    """Pairs of CLKs whose Dice coefficient is at least ``threshold``.

    The native kernel sorts ``b`` by popcount and compares each row of ``a``
    only with the rows of ``b`` whose popcount can reach the threshold; every
    compared pair is then tested exactly, so the result is the same as
    comparing all ``n * m`` pairs.  Memory grows with the number of pairs
    found, not with ``n * m``.

    Parameters
    ----------
    a : ndarray of uint8, shape (n, l // 8)
        Party A's CLKs.  A ``(0, 0)`` array (an empty CLK file) fits any width.
    b : ndarray of uint8, shape (m, l // 8)
        Party B's CLKs.
    threshold : float in [0, 1]
        Keep pairs with ``score >= threshold`` (inclusive, like anonlink).
        With 0 every pair is kept, including pairs of all-zero CLKs (score 0).
    k : int or None, default=None
        Keep at most the ``k`` best pairs per row of ``a`` (score descending,
        ties broken by the lower row of ``b``), as anonlink's Dice similarity
        function does.  (anonlink's ``find_candidate_pairs`` additionally caps
        each row of ``b`` at ``k`` pairs; this function does not.)
    backend : {"auto", "native", "numpy"}, default="auto"
        Both give identical results.
    threads : int or None, default=None
        Worker threads (tiles of rows of ``a``); None uses every core.
    progress : bool, default=False
        Show a progress bar over the rows of ``a``.

    Returns
    -------
    Candidates
        Aligned ``a``, ``b`` (int64, 0-based rows) and ``score`` (float64),
        sorted by score descending, then ``a``, then ``b``.

    Raises
    ------
    InputError
        Bad arrays (not uint8 2-D, different row lengths) or parameters.
    ImportError
        ``backend="native"`` and the kernel was not built.
    NativeKernelError
        ``PPRL_DICE_ISA`` asks for a path this machine cannot run.

    Examples
    --------
    >>> a = np.array([[0b11110000], [0b00001111]], dtype=np.uint8)
    >>> b = np.array([[0b11100000], [0b00001111], [0b11110000]], dtype=np.uint8)
    >>> c = candidate_pairs(a, b, 0.8)
    >>> list(zip(c.a.tolist(), c.b.tolist(), c.score.round(3).tolist()))
    [(0, 2, 1.0), (1, 1, 1.0), (0, 0, 0.857)]
    """
    func = "candidate_pairs"
    a, b = _check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    k = check_k(k, func)
    threads = check_threads(threads, func)
    if not isinstance(progress, (bool, np.bool_)):
        raise param_error("progress", func, "a bool", progress)
    name, mod = _backend(backend, func)
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        return Candidates.empty()
    kk = 0 if k is None else min(k, m)
    aw, bw = _words(a), _words(b)
    pa, pb = mod.popcounts(aw), mod.popcounts(bw)
    if name == "native":
        run = _native_tile_fn(aw, bw, pa, pb, threshold, kk, a.shape[1] * 8)
    else:
        run = _numpy_tile_fn(aw, bw, pa, pb, threshold, kk)
    chunks = _run_tiles(run, _tiles(n, m, threads), threads, progress, n)
    if not chunks:
        return Candidates.empty()
    ca = np.concatenate([c[0] for c in chunks])
    cb = np.concatenate([c[1] for c in chunks])
    cs = np.concatenate([c[2] for c in chunks])
    del chunks
    return _canonical(ca, cb, cs, a.shape[1] * 8)


def _run_tiles(run, tiles, threads, progress, n):
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="row", desc="candidate pairs")
    chunks: list = []
    try:
        if threads == 1 or len(tiles) == 1:
            for i0, i1 in tiles:
                chunks.extend(run(i0, i1))
                if bar is not None:
                    bar.update(i1 - i0)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                futures = [pool.submit(run, i0, i1) for i0, i1 in tiles]
                for (i0, i1), fut in zip(tiles, futures, strict=True):
                    chunks.extend(fut.result())
                    if bar is not None:
                        bar.update(i1 - i0)
    finally:
        if bar is not None:
            bar.close()
    return [c for c in chunks if len(c[0])]


def _canonical(a: np.ndarray, b: np.ndarray, s: np.ndarray, nbits: int) -> Candidates:
    """Sort pairs that arrive in (a, b) order into (score desc, a, b) order.

    Scores are fractions 2c / (pa + pb) with denominators at most
    ``2 * nbits``, so two different scores differ by at least
    ``2 / (2 * nbits) ** 2``: ``floor(score * 2**q)`` with ``2**q >= 2 * (2 *
    nbits) ** 2`` maps them to different integers, keeps their order, and
    maps equal scores to equal integers.  Packed above the arrival position
    it gives one int64 key per pair whose plain sort is the canonical order
    (ties keep the (a, b) arrival order).  Falls back to ``lexsort`` when the
    key would not fit in 63 bits.
    """
    n = len(s)
    pos_bits = max(1, (n - 1).bit_length())
    q = 2 * (2 * nbits).bit_length() + 1
    if q + 1 + pos_bits <= 63:
        scaled = np.floor(s * float(1 << q)).astype(np.int64)  # exact scaling, in [0, 2**q]
        key = ((1 << q) - scaled) << pos_bits
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        key &= (1 << pos_bits) - 1
        order = key
    else:  # pragma: no cover - needs more than ~2**30 pairs of long CLKs
        order = np.lexsort((b, a, -s))
    return Candidates(a[order], b[order], s[order])


# --- greedy one-to-one -----------------------------------------------------------


def _check_size(x: object, name: str, func: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 0:
        raise param_error(name, func, "a non-negative integer", x)
    return int(x)


def greedy_mask(
    a: np.ndarray, b: np.ndarray, n_a: int, n_b: int, backend: str = "auto"
) -> np.ndarray:
    """Which pairs greedy one-to-one matching keeps.

    The pairs must already be in the order of preference (for candidates:
    score descending, then ``a``, then ``b``).  A pair is kept exactly when
    neither its ``a`` nor its ``b`` belongs to a pair kept before it.

    Parameters
    ----------
    a, b : array-like of int, shape (n,)
        Rows in A (``0 <= a < n_a``) and in B (``0 <= b < n_b``).
    n_a, n_b : int
        Number of records of each party (or any bound above the indices).
    backend : {"auto", "native", "numpy"}, default="auto"

    Returns
    -------
    ndarray of bool, shape (n,)

    Raises
    ------
    InputError
        Shapes differ, indices are not integers or are out of range.

    Examples
    --------
    >>> greedy_mask([0, 0, 1, 1], [0, 1, 0, 1], 2, 2, backend="numpy").tolist()
    [True, False, False, True]
    """
    func = "greedy_mask"
    n_a = _check_size(n_a, "n_a", func)
    n_b = _check_size(n_b, "n_b", func)
    arrs = []
    for name, x, bound in (("a", a, n_a), ("b", b, n_b)):
        x = np.asarray(x)
        if x.ndim != 1 or (x.size and not np.issubdtype(x.dtype, np.integer)):
            raise param_error(name, func, "a 1-D array of integers", f"an array of dtype "
                              f"{x.dtype} and shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.int64)
        if x.size and (x.min() < 0 or x.max() >= bound):
            raise param_error(name, func, f"row indices in [0, {bound})",
                              f"values in [{x.min()}, {x.max()}]")
        arrs.append(x)
    a, b = arrs
    if len(a) != len(b):
        raise InputError(f"greedy_mask needs a and b of equal length; got {len(a)} and {len(b)}.")
    _, mod = _backend(backend, func)
    return mod.greedy_mask(a, b, n_a, n_b)
