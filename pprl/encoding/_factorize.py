"""Codes and distinct values of a column, without importing pandas.

The encoder finds the distinct values of every column (and the distinct
n-gram keys of every batch) once per chunk.  pyarrow's hash-based
``dictionary_encode`` does it in C, in order of first appearance, like
``pandas.factorize``.  pyarrow imports pandas as soon as it converts a numpy
array or to one (``pa.array``, ``Array.to_numpy``), which would cost
``pprl encode`` a third of a second, so arrays cross by their buffers here.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["arrow_numbers", "factorize_keys", "factorize_strings"]


def arrow_numbers(arr) -> np.ndarray:
    """A pyarrow array of integers without nulls as a numpy view of its buffer."""
    dtype = np.dtype(f"{'u' if str(arr.type).startswith('uint') else 'i'}"
                     f"{arr.type.bit_width // 8}")
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr),
                         offset=arr.offset * dtype.itemsize)


def factorize_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (int64) and distinct values (uint64) of an array of uint64 keys.

    Examples
    --------
    >>> codes, uniques = factorize_keys(np.array([7, 3, 7], dtype=np.uint64))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0], [7, 3])
    """
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        uniques, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        return codes.reshape(-1).astype(np.int64), uniques
    encoded = pa.Array.from_buffers(pa.uint64(), len(keys),
                                    [None, pa.py_buffer(keys)]).dictionary_encode()
    return (arrow_numbers(encoded.indices).astype(np.int64),
            arrow_numbers(encoded.dictionary).copy())


def factorize_strings(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    r"""Codes (int64) and distinct values of an object array of ``str``.

    Values holding NUL are told apart (``pandas.factorize`` alone would
    merge ``""`` and ``"\x00"``).  pandas is used when a caller has already
    imported it (a DataFrame was given); otherwise a dict.

    Examples
    --------
    >>> codes, uniques = factorize_strings(np.array(["b", "a", "b", "", "\x00"], dtype=object))
    >>> codes.tolist(), uniques
    ([0, 1, 0, 2, 3], ['b', 'a', '', '\x00'])
    """
    pd = sys.modules.get("pandas")
    items = values.tolist()
    if pd is not None and "\x00" not in "".join(items):
        codes, uniques = pd.factorize(values)
        return codes.astype(np.int64, copy=False), list(uniques)
    lookup = {v: i for i, v in enumerate(dict.fromkeys(items))}
    codes = np.fromiter(map(lookup.__getitem__, items), dtype=np.int64, count=len(items))
    return codes, list(lookup)
