"""Which Dice kernel runs: backend choice, the native kernel's self-check, its paths.

The only module that imports the cffi wrapper :mod:`._native` (tests may
too).  ``backend="auto"`` uses the native kernel when it was built and numpy
otherwise (logged once at DEBUG, and a :class:`~pprl.errors.NativeKernelWarning`
once per process); ``"native"`` raises ``ImportError`` with a build hint when
the kernel is missing; ``"numpy"`` always works.

Before the native kernel is first trusted, its path is checked against numpy
on known inputs (:func:`self_check`).  The check and every switch of the
process-wide instruction-set path hold one lock, so threads calling the
kernel at the same moment neither run the check twice nor see it half done.
Candidate scans choose their path per call (see :mod:`._plan`), passing it
to the kernel rather than switching the process-wide one.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from types import ModuleType

import numpy as np

from .._validation import check_threads, param_error
from ..errors import NativeKernelError, NativeKernelWarning
from . import _numpy as _dice_numpy
from . import _scan

try:
    from . import _native as _dice_native
except ImportError as _exc:  # the C extension was not built
    _dice_native = None
    _NATIVE_IMPORT_ERROR: str | None = f"{type(_exc).__name__}: {_exc}"
else:
    _NATIVE_IMPORT_ERROR = None

__all__ = ["BACKENDS", "choose", "available_backends", "scan_paths", "note_scan", "set_isa",
           "pair_scorer", "score_pairs"]

_log = logging.getLogger("pprl.linkage.similarity")

#: Accepted values of the ``backend`` parameter.
BACKENDS = ("auto", "native", "numpy")

_BUILD_HINT = (
    "The native Dice kernel of pprl is not available ({why}). Rebuild it with a C "
    "compiler installed: `pip install -e . --no-build-isolation` in the source tree "
    "(set PPRL_REQUIRE_NATIVE=1 to make a failed build an error), or use backend='numpy'."
)

_lock = threading.RLock()
_logged: set[str] = set()
_self_checked = False
_self_check_error: NativeKernelError | None = None
#: the path and timings of the last native candidate scan (None before the first)
_last_scan: _scan.ScanInfo | None = None


def choose(backend: object, func: str) -> tuple[str, ModuleType]:
    """``(name, kernel module)`` for a ``backend`` parameter; checks native on first use."""
    if backend not in BACKENDS:
        raise param_error("backend", func, f"one of {BACKENDS}", backend)
    if backend == "numpy":
        return "numpy", _dice_numpy
    if _dice_native is not None:
        if _dice_native.ISA_ERROR is not None:
            raise _dice_native.ISA_ERROR
        if not _self_checked:
            self_check()  # may swap the path, or give up on the native kernel
        if _self_check_error is not None:
            raise _self_check_error
    nat = _dice_native  # read once: the self-check may have dropped it
    if nat is None:
        if backend == "native":
            raise ImportError(_BUILD_HINT.format(why=_NATIVE_IMPORT_ERROR))
        name, mod = "numpy", _dice_numpy
    else:
        name, mod = "native", nat
    if backend == "auto" and name not in _logged:
        with _lock:
            first = name not in _logged
            _logged.add(name)
        if first:
            detail = f" ({nat.isa()})" if name == "native" else f" ({_NATIVE_IMPORT_ERROR})"
            _log.debug("pprl.linkage.similarity: backend='auto' uses the %s kernel%s",
                       name, detail)
            if name == "numpy":  # never fall back silently: say it once per process
                warnings.warn(
                    f"{_BUILD_HINT.format(why=_NATIVE_IMPORT_ERROR)} Using the numpy backend "
                    "for now (same results, slower).",
                    NativeKernelWarning,
                    stacklevel=4,
                )
    return name, mod


def _forced() -> str | None:
    return os.environ.get("PPRL_DICE_ISA", "").strip().lower() or None


def scan_paths(name: str) -> list[str] | None:
    """Instruction-set paths a native candidate scan may time and choose from.

    The process-wide path first (it runs scans too small to time), then,
    unless ``PPRL_DICE_ISA`` forces that one, every other path the CPU runs
    except the portable fallback.  None for numpy.
    """
    nat = _dice_native
    if name != "native" or nat is None:
        return None
    first = nat.isa()
    if _forced():
        return [first]
    return [first] + [p for p in nat.isas() if p not in (first, "portable")]


def note_scan(info: _scan.ScanInfo) -> None:
    """Remember the path the last scan ran on (for :func:`available_backends`)."""
    global _last_scan
    _last_scan = info


def set_isa(path: str) -> None:
    """Switch the process-wide path (dense matrices, popcounts, unforced scans), locked."""
    if _dice_native is None:
        raise ImportError(_BUILD_HINT.format(why=_NATIVE_IMPORT_ERROR))
    with _lock:
        _dice_native.set_isa(path)


def pair_scorer(aw: np.ndarray, bw: np.ndarray, pa: np.ndarray, pb: np.ndarray,
                threshold: float, backend: str = "auto", isa: str | None = None,
                func: str = "score_pairs"):
    """A scorer of given pairs of rows: ``(rows_a, rows_b) -> (rows_a, rows_b, scores, compared)``.

    ``aw``, ``bw``: all rows as zero-padded ``uint64`` words; ``pa``, ``pb``
    their int32 popcounts; ``rows_a``, ``rows_b`` int64 row numbers.  The
    pairs at Dice ``>= threshold`` come back in input order with the score
    :func:`pprl.candidate_pairs` gives them (bit for bit); ``compared``
    counts the pairs whose bits were read (the rest were ruled out by their
    popcounts).  ``backend`` as in :func:`choose`; ``isa`` picks the native
    path of each call (None: the process-wide one).  The native scorer is
    stateless and releases the GIL (share it between threads); the numpy one
    reuses buffers (one per thread).
    """
    name, mod = choose(backend, func)
    if name == "numpy":
        return _dice_numpy.PairScorer(aw, bw, pa, pb, threshold)
    return _NativePairScorer(mod, aw, bw, pa, pb, threshold, isa)


class _NativePairScorer:
    """:func:`pair_scorer` on the native kernel, plus whole LSH buckets and keys.

    ``buckets(order_a, order_b, (start_a, count_a, start_b, count_b))``
    scores the pairs of buckets without writing them out, and
    ``keys(side, positions)`` computes the LSH keys of ``aw`` (side 0) or
    ``bw`` (side 1); the numpy scorer has both set to None.
    """

    def __init__(self, mod, aw, bw, pa, pb, threshold, isa):
        self.mod, self.aw, self.bw, self.pa, self.pb, self.isa = mod, aw, bw, pa, pb, isa
        self.nbits = aw.shape[1] * 64
        self.cmin = mod.threshold_tables(threshold, self.nbits)[0]

    def __call__(self, rows_a: np.ndarray, rows_b: np.ndarray):
        return self.mod.score_pairs(self.aw, self.pa, self.bw, self.pb, self.nbits, self.cmin,
                                    rows_a, rows_b, self.isa)

    def buckets(self, order_a: np.ndarray, order_b: np.ndarray, buckets: tuple):
        return self.mod.score_buckets(self.aw, self.pa, self.bw, self.pb, self.nbits,
                                      self.cmin, order_a, order_b, buckets, self.isa)

    def keys(self, side: int, positions: np.ndarray) -> np.ndarray:
        w = self.bw if side else self.aw
        return self.mod.lsh_keys(w.view(np.uint8), np.ascontiguousarray(positions, np.int64))


def score_pairs(aw: np.ndarray, bw: np.ndarray, pa: np.ndarray, pb: np.ndarray,
                rows_a: np.ndarray, rows_b: np.ndarray, threshold: float,
                backend: str = "auto", isa: str | None = None):
    """The given pairs at Dice ``>= threshold``: ``(rows_a, rows_b, scores, compared)``.

    One batch through :func:`pair_scorer` (same arguments); native and numpy
    give identical results.
    """
    return pair_scorer(aw, bw, pa, pb, threshold, backend, isa)(
        np.asarray(rows_a, dtype=np.int64), np.asarray(rows_b, dtype=np.int64))


def _same(got, want) -> bool:
    return (np.array_equal(got.a, want.a) and np.array_equal(got.b, want.b)
            and np.array_equal(got.score, want.score))


def _agrees_with_numpy(nat: ModuleType, path: str) -> bool:
    """Known answers: path ``path`` of the native kernel against numpy on small inputs.

    Covers row widths around word boundaries, thresholds 0 to 1, top-k,
    all-zero rows, and given pairs and buckets (LSH blocking's kernels).  Takes a few milliseconds.
    """
    rng = np.random.default_rng(20261128)
    for nbytes in (1, 8, 24, 128, 136):
        a = rng.integers(0, 256, size=(24, nbytes), dtype=np.uint8)
        noise = rng.random(a.shape) < 0.05
        b = np.concatenate([a[::2] ^ (noise[::2] * np.uint8(1 << 3)),
                            rng.integers(0, 256, size=(12, nbytes), dtype=np.uint8)])
        a[0] = 0
        b[0] = 0
        aw, bw = _scan.words(a), _scan.words(b)
        got = nat.dice_matrix(aw, nat.popcounts(aw), bw, nat.popcounts(bw))
        want = _dice_numpy.dice_matrix(aw, _dice_numpy.popcounts(aw), bw,
                                       _dice_numpy.popcounts(bw))
        if not np.array_equal(got, want):
            return False
        pa, pb = _dice_numpy.popcounts(aw), _dice_numpy.popcounts(bw)
        ra, rb = rng.integers(0, len(a), 200), rng.integers(0, len(b), 200)
        for threshold, k in ((0.0, None), (0.5, None), (0.8, 3), (1.0, None)):
            got = _scan.scan(a, b, threshold, k, "native", nat, 1, False, paths=[path])
            want = _scan.scan(a, b, threshold, k, "numpy", _dice_numpy, 1, False)
            if not _same(got, want):
                return False
            cmin = nat.threshold_tables(threshold, aw.shape[1] * 64)[0]
            got = nat.score_pairs(aw, pa, bw, pb, aw.shape[1] * 64, cmin, ra, rb, path)
            want = _dice_numpy.PairScorer(aw, bw, pa, pb, threshold)(ra, rb)
            if got[3] != want[3] or not all(np.array_equal(x, y)
                                            for x, y in zip(got[:3], want[:3], strict=True)):
                return False
            # all pairs as one bucket == all pairs written out, row by row
            n, m = len(a), len(b)
            one = tuple(np.array([v], dtype=np.int64) for v in (0, n, 0, m))
            got = nat.score_buckets(aw, pa, bw, pb, aw.shape[1] * 64, cmin,
                                    np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64),
                                    one, path)
            rows = np.arange(max(n, m), dtype=np.int64)
            want = _dice_numpy.PairScorer(aw, bw, pa, pb, threshold)(
                np.repeat(rows[:n], m), np.tile(rows[:m], n))
            if got[3] != want[3] or not all(np.array_equal(x, y)
                                            for x, y in zip(got[:3], want[:3], strict=True)):
                return False
    return True


def self_check() -> None:
    """Check the native kernel once per process before trusting it.

    The instruction-set path chosen at import is compared with numpy on
    known inputs (:func:`_agrees_with_numpy`).  Should it disagree -- a
    compiler or CPU fault on a path that could not be tested where pprl was
    built -- the next path that agrees is used instead, or numpy when none
    does, with a :class:`~pprl.errors.NativeKernelWarning` either way.  Runs
    under the lock: a second thread waits for the first one's verdict.
    """
    global _self_checked, _self_check_error, _dice_native, _NATIVE_IMPORT_ERROR
    with _lock:
        nat = _dice_native
        if _self_checked or nat is None:
            return
        try:
            first = nat.isa()
            if _forced():  # a path asked for by name is never swapped
                if not _agrees_with_numpy(nat, first):
                    _self_check_error = NativeKernelError(
                        f"PPRL_DICE_ISA={first}: this path of the native Dice kernel gives "
                        "wrong results in its self-check against numpy; please report this."
                    )
                return
            for path in [first] + [p for p in nat.isas() if p != first]:
                nat.set_isa(path)  # dense matrices and popcounts use the process-wide path
                if _agrees_with_numpy(nat, path):
                    if path != first:
                        warnings.warn(
                            f"pprl's native Dice kernel gave wrong results on the {first!r} "
                            f"instruction-set path in its self-check; using {path!r} instead. "
                            "Please report this with pprl.available_backends().",
                            NativeKernelWarning,
                            stacklevel=5,
                        )
                    return
            _NATIVE_IMPORT_ERROR = f"self-check failed on every path ({', '.join(nat.isas())})"
            _dice_native = None
        finally:
            _self_checked = True


def available_backends() -> dict:
    """Which Dice kernels loaded, and which instruction-set path is in use.

    Put its output in bug reports.

    Returns
    -------
    dict
        ``numpy`` (always True), ``native`` (bool), ``isa`` (the process-wide
        path of the native kernel, e.g. ``"avx2"``, or None), ``isas`` (every
        path this build and CPU can run, the default first), ``forced`` (the
        value of ``PPRL_DICE_ISA`` or None), ``error`` (why native is missing
        or unusable, or None), ``threads`` (cores used by ``threads=None``),
        ``last_isa`` (the path the last candidate scan ran on, chosen by
        timing each path on a sample of its data; None before the first scan
        or when it ran on numpy) and ``last_timings`` (those timings: CPU
        seconds per path; empty when not timed).

    Examples
    --------
    >>> available_backends()["numpy"]
    True
    """
    if _dice_native is not None and not _self_checked and _dice_native.ISA_ERROR is None:
        self_check()
    nat = _dice_native
    last = _last_scan
    info: dict = {"numpy": True, "native": nat is not None, "isa": None, "isas": [],
                  "forced": os.environ.get("PPRL_DICE_ISA") or None,
                  "error": _NATIVE_IMPORT_ERROR, "threads": check_threads(None, "pprl"),
                  "last_isa": last.isa if last else None,
                  "last_timings": dict(last.timings) if last else {}}
    if nat is not None:
        info["isa"] = nat.isa()
        info["isas"] = nat.isas()
        if nat.ISA_ERROR is not None:
            info["error"] = str(nat.ISA_ERROR)
        elif _self_check_error is not None:
            info["error"] = str(_self_check_error)
    return info
