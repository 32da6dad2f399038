"""Sørensen–Dice similarity of CLKs: the public face of the Dice kernel.

Two implementations with one contract: the native C kernel
(``native/dice.c``, run-time dispatch between AVX-512 VPOPCNTDQ, AVX2,
scalar POPCNT and portable C) and a pure-numpy reference.  They give
bit-identical scores: ``2.0 * common / (popcount(a) + popcount(b))`` in
float64, and 0.0 for two all-zero CLKs (anonlink's convention).

Which kernel runs is decided in :mod:`.backend` (the only module that
imports the C extension); how a candidate scan is tiled, exits early and
picks its instruction-set path in :mod:`._plan`; the scan itself runs in
:mod:`._scan`.  :func:`available_backends` says which kernel and path ran.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from .._validation import check_bits_array, check_k, check_threads, check_threshold, param_error
from ..errors import InputError, TooManyCandidatesError
from . import _plan, _runners, _scan
from . import backend as _backend
from ._inputs import check_clks_pair
from .backend import BACKENDS, available_backends
from .candidates import Candidates
from .chunks import CandidateChunks, ChunkWriter

__all__ = ["candidate_pairs", "dice_matrix", "popcounts", "available_backends", "BACKENDS",
           "least_max_bytes"]


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
    _, mod = _choose(backend, "popcounts")
    return mod.popcounts(_scan.words(clks)).astype(np.int64)


def _choose(which: object, func: str):
    return _backend.choose(which, func)


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
        Not uint8 2-D arrays, rows of different lengths, or of zero width.
    ImportError
        ``backend="native"`` and the kernel was not built.

    Examples
    --------
    >>> a = np.array([[0b11110000], [0]], dtype=np.uint8)
    >>> b = np.array([[0b11000000], [0]], dtype=np.uint8)
    >>> dice_matrix(a, b, backend="numpy").round(3).tolist()
    [[0.667, 0.0], [0.0, 0.0]]
    """
    a, b = check_clks_pair(a, b, "dice_matrix")
    _, mod = _choose(backend, "dice_matrix")
    aw, bw = _scan.words(a), _scan.words(b)
    return mod.dice_matrix(aw, mod.popcounts(aw), bw, mod.popcounts(bw))


def least_max_bytes() -> int:
    """The least ``max_bytes`` that :func:`candidate_pairs` accepts: one tile of the scan."""
    return _scan.BYTES_PER_PAIR * _plan.SCAN_CAPACITY


def _check_max_bytes(max_bytes: object, func: str) -> int | None:
    if max_bytes is None:
        return None
    least = least_max_bytes()
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, numbers.Integral) \
            or max_bytes < least:
        raise param_error("max_bytes", func, f"None or an integer >= {least} (one tile of "
                          f"the scan: {_plan.SCAN_CAPACITY} pairs of "
                          f"{_scan.BYTES_PER_PAIR} bytes)", max_bytes)
    return int(max_bytes)


def _too_many(exc: _scan.TooManyPairs, max_bytes: int, k, threshold: float) -> InputError:
    n = exc.estimated or exc.found
    how = "would hold about" if exc.estimated else "passed"
    now_k = "" if k is None else f", now {k}"
    return TooManyCandidatesError(
        f"candidate_pairs stopped early: the result {how} {n:,} pairs "
        f"({n * _scan.BYTES_PER_PAIR / 2**30:.1f} GiB), more than max_bytes={max_bytes:,} "
        f"allows. Keep fewer pairs with k= (best pairs per record{now_k}), a higher "
        f"threshold (now {threshold}), blocking, or stream sorted chunks to disk with out_dir=.",
        pairs=n, estimated=bool(exc.estimated), max_bytes=max_bytes,
    )


def candidate_pairs(
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    k: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
    progress: bool = False,
    *,
    max_bytes: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    client=None,
) -> Candidates | CandidateChunks:
    """Pairs of CLKs whose Dice coefficient is at least ``threshold``.

    The native kernel sorts ``b`` by popcount and compares each row of ``a``
    only with the rows of ``b`` whose popcount can reach the threshold; every
    compared pair is then tested exactly, so the result is the same as
    comparing all ``n * m`` pairs.  Memory grows with the number of pairs
    found (24 bytes each at the peak), not with ``n * m``.

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
    max_bytes : int or None, default=None
        Memory the result may take (24 bytes per pair).  When a sample of
        rows of ``a`` predicts more pairs, or the scan finds more, it stops
        early with an :class:`~pprl.errors.InputError`.  None allows the
        memory available when the call starts.  With ``out_dir``, the size of
        each sorted chunk instead (default 256 MiB).
    out_dir : path or None, default=None
        Stream the pairs to this folder as sorted ``.npy`` chunks instead of
        holding them, and return a :class:`~pprl.linkage.chunks.CandidateChunks`
        that :func:`~pprl.greedy_match` and :func:`~pprl.threshold_curve`
        read chunk by chunk.
    client : distributed.Client or None, default=None
        Run the scan as tasks on this Dask cluster (blocks of rows of ``a``
        against all of ``b``, see :func:`pprl.linkage.distributed.candidate_pairs`);
        the result is identical.  ``threads``, ``progress`` and ``max_bytes``
        then do not apply, and ``out_dir`` cannot be given.

    Returns
    -------
    Candidates or CandidateChunks
        Aligned ``a``, ``b`` (int64, 0-based rows) and ``score`` (float64),
        sorted by score descending, then ``a``, then ``b``.

    Raises
    ------
    InputError
        Bad arrays (not uint8 2-D, different row lengths, zero width) or
        parameters.
    TooManyCandidatesError
        A result larger than ``max_bytes`` (an ``InputError`` that carries
        the pairs found or estimated, so a caller can reword it).
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
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    k = check_k(k, func)
    threads = check_threads(threads, func)
    if not isinstance(progress, (bool, np.bool_)):
        raise param_error("progress", func, "a bool", progress)
    max_bytes = _check_max_bytes(max_bytes, func)
    if client is not None:
        if out_dir is not None:
            raise param_error("out_dir", func, "None when a Dask client is given", out_dir)
        # the Dask runner (pprl.linkage.distributed) registers itself; never imported from here
        run = _runners.runner("dask", func)
        return run(client, a, b, threshold, k=k, backend=backend)
    name, mod = _choose(backend, func)
    n, m = a.shape[0], b.shape[0]
    writer = None
    if out_dir is not None:
        writer = ChunkWriter(out_dir, n, m, threshold, k, func)
    if n == 0 or m == 0:
        return writer.close() if writer is not None else Candidates.empty()
    info = _scan.ScanInfo()
    limit = max_bytes if max_bytes is not None else _plan.available_memory()
    try:
        if writer is not None:
            chunk = max_bytes if max_bytes is not None else 256 << 20
            _scan.scan(a, b, threshold, k, name, mod, threads, progress,
                       paths=_backend.scan_paths(name), flush=writer.write,
                       chunk_pairs=max(1, chunk // _scan.BYTES_PER_PAIR), info=info)
            result = writer.close()
        else:
            result = _scan.scan(a, b, threshold, k, name, mod, threads, progress,
                                paths=_backend.scan_paths(name),
                                max_pairs=limit // _scan.BYTES_PER_PAIR, info=info)
    except _scan.TooManyPairs as exc:
        raise _too_many(exc, limit, k, threshold) from None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    _backend.note_scan(info)  # numpy scans report no path
    return result
