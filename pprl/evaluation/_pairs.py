"""Pairs of rows as arrays: the forms evaluation accepts, and pair keys.

A set of pairs may be given as a :class:`~pprl.linkage.candidates.Candidates`, a
pandas DataFrame with integer columns ``a`` and ``b`` (and optionally
``score``), an ``(n, 2)`` integer array or a tuple ``(a, b)`` of arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import param_error
from ..errors import InputError
from ..linkage.candidates import Candidates

__all__ = [
    "as_pairs", "pair_keys", "check_unique", "truth_keys", "labels", "sorted_candidates",
]

_MAX_INDEX = 2**31


def as_pairs(
    pairs: Any, name: str, func: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Return ``(a, b, score-or-None)`` as int64/int64/float64 arrays, or raise."""
    score = None
    if isinstance(pairs, Candidates):
        a, b, score = pairs.a, pairs.b, pairs.score
    elif hasattr(pairs, "columns") and hasattr(pairs, "__getitem__"):  # a DataFrame
        missing = [c for c in ("a", "b") if c not in pairs.columns]
        if missing:
            raise param_error(
                name, func, "a DataFrame with integer columns 'a' and 'b'",
                f"a DataFrame with columns {list(pairs.columns)}",
            )
        a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
        if "score" in pairs.columns:
            score = pairs["score"].to_numpy(dtype=np.float64)
    elif isinstance(pairs, tuple) and len(pairs) == 2:
        a, b = np.asarray(pairs[0]), np.asarray(pairs[1])
    else:
        arr = np.asarray(pairs)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise param_error(
                name, func, "Candidates, a DataFrame with columns a, b, an (n, 2) integer "
                "array or a tuple (a, b)", f"an object of type {type(pairs).__name__}",
            )
        a, b = arr[:, 0], arr[:, 1]
    a, b = np.asarray(a), np.asarray(b)
    for arr, col in ((a, "a"), (b, "b")):
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise param_error(
                name, func, f"integer row indices in column {col!r}",
                f"values of dtype {arr.dtype} and shape {arr.shape}",
            )
        if arr.size and (arr.min() < 0 or arr.max() >= _MAX_INDEX):
            bad = arr[(arr < 0) | (arr >= _MAX_INDEX)][0]
            raise param_error(name, func, f"0-based row indices in column {col!r}", int(bad))
    if len(a) != len(b):
        raise param_error(name, func, "columns a and b of equal length", (len(a), len(b)))
    return a.astype(np.int64), b.astype(np.int64), score


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 per pair; injective because rows are below 2**31."""
    return (a << 31) | b


def check_unique(keys: np.ndarray, name: str, func: str) -> None:
    if len(keys) < 2:
        return
    s = np.sort(keys)
    dup = np.flatnonzero(s[1:] == s[:-1])
    if dup.size:
        k = int(s[dup[0]])
        raise InputError(
            f"The {name!r} parameter of {func} lists the pair (a={k >> 31}, b={k & (2**31 - 1)}) "
            "more than once; each pair may appear only once."
        )


def truth_keys(truth: Any, func: str) -> np.ndarray:
    a, b, _ = as_pairs(truth, "truth", func)
    keys = pair_keys(a, b)
    check_unique(keys, "truth", func)
    return keys


def labels(a: np.ndarray, b: np.ndarray, tkeys: np.ndarray) -> np.ndarray:
    """Boolean array: whether pair i is a true pair."""
    return np.isin(pair_keys(a, b), tkeys)


def sorted_candidates(cands: Any, func: str) -> Candidates:
    """Scored pairs in the canonical order, or raise if they carry no scores."""
    if isinstance(cands, Candidates):
        return cands if cands.is_sorted() else Candidates.from_unsorted(cands.a, cands.b,
                                                                         cands.score)
    a, b, score = as_pairs(cands, "candidates", func)
    if score is None:
        raise param_error("candidates", func, "scored pairs (Candidates or a DataFrame "
                          "with a 'score' column)", "pairs without scores")
    return Candidates.from_unsorted(a, b, score)


def check_in_range(a: np.ndarray, b: np.ndarray, sizes: Any, name: str, func: str) -> None:
    """Raise if a pair indexes a record beyond ``sizes = (n_a, n_b)`` (None: not known)."""
    if sizes is None:
        return
    try:
        n_a, n_b = (int(s) for s in sizes)
        ok = all(int(s) == s and s >= 0 for s in sizes)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise param_error("sizes", func, "a pair of record counts (n_a, n_b)", sizes)
    for arr, n, side in ((a, n_a, "A"), (b, n_b, "B")):
        bad = np.flatnonzero(arr >= n)
        if bad.size:
            i = int(bad[0])
            raise InputError(
                f"The '{name}' parameter of {func} has pair {i} with {side.lower()} = "
                f"{int(arr[i])}, beyond the {n:,} records of party {side} "
                f"(sizes={tuple(int(s) for s in sizes)}); {bad.size:,} pairs are out of "
                "range. Is it the truth of these files, and are its indices 0-based rows?")

