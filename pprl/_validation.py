"""Parameter checks shared by the public functions, with one message template.

Messages read like scikit-learn's: "The 'threshold' parameter of
candidate_pairs must be a float in [0, 1]. Got 1.5 instead."
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import FileFormatError, InputError

__all__ = [
    "param_error",
    "check_bits_array",
    "check_bits_pair",
    "check_threshold",
    "check_k",
    "check_threads",
    "check_rng",
    "check_int",
    "check_fraction",
]


def param_error(name: str, func: str, expected: str, got: object) -> InputError:
    """Build the standard error for a bad parameter value."""
    return InputError(
        f"The {name!r} parameter of {func} must be {expected}. Got {got!r} instead."
    )


def check_bits_array(x: object, name: str = "clks", func: str = "pprl") -> np.ndarray:
    """Return ``x`` as a C-contiguous 2-D ``uint8`` array or raise.

    Accepts any array-like of unsigned bytes; a copy is made only when the
    input is not already C-contiguous ``uint8``.  Signed, float or boolean
    arrays are refused: their meaning as packed bits is ambiguous.
    """
    arr = np.asarray(x)
    if arr.dtype != np.uint8:
        raise param_error(
            name, func, "a numpy uint8 array of packed bits (shape (n, l // 8))",
            f"an array of dtype {arr.dtype}",
        )
    if arr.ndim != 2:
        raise param_error(
            name, func, "a 2-D array of shape (n_records, n_bytes)",
            f"an array of shape {arr.shape}",
        )
    return np.ascontiguousarray(arr)


def check_bits_pair(a: object, b: object, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Check two CLK arrays and that their rows have the same length."""
    a = check_bits_array(a, "a", func)
    b = check_bits_array(b, "b", func)
    if a.shape[1] != b.shape[1]:
        raise InputError(
            f"The CLKs given to {func} differ in length: a has {a.shape[1] * 8} bits "
            f"per row, b has {b.shape[1] * 8}. Encode both parties with the same schema."
        )
    return a, b


def check_threshold(threshold: object, func: str) -> float:
    """Return ``threshold`` as a float in [0, 1] or raise."""
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise param_error("threshold", func, "a float in [0, 1]", threshold)
    t = float(threshold)
    if not 0.0 <= t <= 1.0:  # also refuses NaN
        raise param_error("threshold", func, "a float in [0, 1]", threshold)
    return t


def check_k(k: object, func: str) -> int | None:
    """Return ``k`` as a positive int, or None, or raise."""
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise param_error("k", func, "a positive integer or None", k)
    return int(k)


def check_threads(threads: object, func: str) -> int:
    """Return the number of threads to use: None means every core available."""
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral) or threads < 1:
        raise param_error("threads", func, "a positive integer or None", threads)
    return int(threads)


def check_rng(rng: object) -> np.random.Generator:
    """Normalise a seed, a Generator or None into a ``numpy.random.Generator``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        return np.random.default_rng(rng)
    raise param_error(
        "rng", "pprl", "None, an int seed, a SeedSequence or a numpy.random.Generator", rng
    )


def check_int(value: object, name: str, func: str, minimum: int = 0) -> int:
    """Return ``value`` as an int ``>= minimum`` or raise (booleans are refused).

    Examples
    --------
    >>> check_int(3, "top", "frequency_attack", 1)
    3
    >>> try:
    ...     check_int(0, "top", "frequency_attack", 1)
    ... except InputError as e:
    ...     print(e)
    The 'top' parameter of frequency_attack must be an integer >= 1. Got 0 instead.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise param_error(name, func, f"an integer >= {minimum}", value)
    return int(value)


def check_fraction(value: object, name: str, func: str) -> float:
    """Return ``value`` as a float in [0, 1] or raise (NaN and booleans are refused).

    Examples
    --------
    >>> check_fraction(0.5, "min_dice", "pattern_attack")
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) <= 1.0:
        raise param_error(name, func, "a float in [0, 1]", value)
    return float(value)


def read_json_file(path: str | os.PathLike[str], what: str,
                   object_pairs_hook: Callable | None = None) -> object:
    """Read a JSON file, with one-line errors that name the file and ``what`` it holds.

    A missing or unreadable file is an :class:`InputError`
    (``"<path>: file not found (the <what>)"``, the command line's one wording);
    text that is not JSON is a
    :class:`FileFormatError` naming the line and column.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found (the {what})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read {what} ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except json.JSONDecodeError as exc:
        raise FileFormatError(str(p), f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                      f"column {exc.colno}") from None
