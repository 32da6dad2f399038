"""Checks every linkage entry point shares: the two parties' CLK arrays and the backend.

One place for them, so that :mod:`.similarity`, :mod:`.blocking` and
:mod:`.distributed` accept and refuse the same inputs with the same words.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_bits_array, param_error
from ..errors import InputError
from .backend import BACKENDS

__all__ = ["check_clks_pair", "check_backend"]


def check_clks_pair(a: object, b: object, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Both CLK arrays as C-contiguous uint8; a ``(0, 0)`` array (an empty file) fits any width.

    Raises
    ------
    InputError
        Not uint8 2-D arrays, rows of different lengths, or rows of zero width.

    Examples
    --------
    >>> a, b = check_clks_pair(np.zeros((0, 0), np.uint8), np.zeros((2, 4), np.uint8), "f")
    >>> a.shape, b.shape
    ((0, 4), (2, 4))
    """
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
    if a.shape[1] == 0 and (a.shape[0] or b.shape[0]):
        raise InputError(
            f"The CLKs given to {func} have zero width (shape {a.shape} and {b.shape}): "
            "a CLK needs at least one byte. Check the schema's 'clk_bits' and the input file."
        )
    return a, b


def check_backend(backend: object, func: str) -> str:
    """``backend`` if it is one of :data:`~.backend.BACKENDS`, else the parameter error."""
    if backend not in BACKENDS:
        raise param_error("backend", func, f"one of {BACKENDS}", backend)
    return backend  # type: ignore[return-value]
