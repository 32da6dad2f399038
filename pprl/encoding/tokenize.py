"""Feature values to tokens: n-grams (plain or positional), exact, numeric.

The scalar functions (:func:`ngrams`, :func:`exact_tokens`,
:func:`numeric_tokens`) define the tokens.  :func:`tokenize_batch` produces
the same tokens for many values at once, vectorised with numpy for n-grams,
in a flat form the encoder can scatter into bit matrices.

Token rules (those of clkhash's linkage schema v3):

* n-grams: the value is padded with ``n - 1`` spaces on each side and cut
  into overlapping windows of ``n`` characters; a positional n-gram is
  ``"<1-based position> <n-gram>"``.  An empty value has no tokens.
* exact: the value itself, or nothing for an empty value.
* numeric: the value is scaled by ``10 ** fractional_precision`` and by
  ``2 * resolution``, rounded to a multiple of the distance interval, and
  the ``2 * resolution + 1`` neighbours on that grid are the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._factorize import factorize_keys
from .model import ExactComparison, NgramComparison, NumericComparison

__all__ = ["ngrams", "exact_tokens", "numeric_tokens", "tokens_for", "TokenBatch",
           "tokenize_batch"]

_CODE_BITS = 21  # every Unicode code point fits in 21 bits
_VECTOR_MAX_LEN = 64  # longer values take the scalar path (keeps matrices small)


def ngrams(word: str, n: int, positional: bool = False) -> list[str]:
    """The n-grams of ``word`` padded with ``n - 1`` spaces on each side.

    Examples
    --------
    >>> ngrams("abc", 2)
    [' a', 'ab', 'bc', 'c ']
    >>> ngrams("ab", 1, positional=True)
    ['1 a', '2 b']
    """
    if not word:
        return []
    if n > 1:
        pad = " " * (n - 1)
        word = pad + word + pad
    count = len(word) - n + 1
    if positional:
        return [f"{i + 1} {word[i:i + n]}" for i in range(count)]
    return [word[i:i + n] for i in range(count)]


def exact_tokens(word: str) -> list[str]:
    """The value as its only token (none for an empty value)."""
    return [word] if word else []


def numeric_tokens(word: str, comparison: NumericComparison) -> list[str]:
    """Neighbourhood tokens of a number written in ``word``.

    Raises
    ------
    ValueError
        If ``word`` is not a finite number.

    Examples
    --------
    >>> numeric_tokens("25", NumericComparison(8, 2))
    ['88', '96', '104', '112', '120']
    """
    if not word:
        return []
    fp = comparison.fractional_precision
    try:
        v = int(word, 10)
        v *= 10**fp
    except ValueError:
        try:
            f = float(word)
            v = int(round(f * 10**fp)) if fp > 0 else int(f)
        except (ValueError, OverflowError):
            raise ValueError(f"expected a finite number, got {word[:40]!r}") from None
    step = comparison.distance_interval
    res = comparison.resolution
    v = v * 2 * res
    residue = v % step
    if residue:
        v = v - residue if residue < step / 2 else v + (step - residue)
    return [str(v + i * step) for i in range(-res, res + 1)]


def tokens_for(word: str, comparison) -> list[str]:
    """Tokens of one (formatted) value under a comparison."""
    if isinstance(comparison, NgramComparison):
        return ngrams(word, comparison.n, comparison.positional)
    if isinstance(comparison, ExactComparison):
        return exact_tokens(word)
    if isinstance(comparison, NumericComparison):
        return numeric_tokens(word, comparison)
    raise TypeError(f"unknown comparison {comparison!r}")


@dataclass(frozen=True)
class TokenBatch:
    """Tokens of ``m`` values in flat form.

    Attributes
    ----------
    tokens : list of str
        Distinct tokens (a token may repeat across the two internal paths;
        that is harmless).
    token_id : ndarray of int64, shape (N,)
        Index into ``tokens`` of each token occurrence.
    row : ndarray of int64, shape (N,)
        Value each occurrence belongs to.
    pos : ndarray of int64, shape (N,)
        0-based index of the occurrence within its value's token list.
    count : ndarray of int64, shape (m,)
        Number of tokens of each value.
    """

    tokens: list[str]
    token_id: np.ndarray
    row: np.ndarray
    pos: np.ndarray
    count: np.ndarray


def _scalar_batch(values: Sequence[str], idx: np.ndarray, comparison):
    table: dict[str, int] = {}
    tid, rows, pos = [], [], []
    counts = np.zeros(len(idx), dtype=np.int64)
    for r, i in enumerate(idx):
        toks = tokens_for(values[i], comparison)
        counts[r] = len(toks)
        for j, t in enumerate(toks):
            tid.append(table.setdefault(t, len(table)))
            rows.append(i)
            pos.append(j)
    return (list(table), np.array(tid, dtype=np.int64), np.array(rows, dtype=np.int64),
            np.array(pos, dtype=np.int64), counts)


def _ngram_vector_batch(values: Sequence[str], idx: np.ndarray, lens: np.ndarray,
                        n: int, positional: bool):
    m = len(idx)
    L = int(lens.max())
    sub = [values[i] for i in idx]
    codes = np.array(sub, dtype=f"<U{L}").view(np.uint32).reshape(m, L)
    pad = n - 1
    P = np.zeros((m, L + 2 * pad), dtype=np.uint64)
    P[:, :pad] = 32
    P[:, pad:pad + L] = codes
    ar = np.arange(m)
    for r in range(pad):
        P[ar, lens + pad + r] = 32
    T = L + n - 1
    key = np.zeros((m, T), dtype=np.uint64)
    for r in range(n):
        key |= P[:, r:r + T] << np.uint64(_CODE_BITS * (n - 1 - r))
    counts = np.where(lens > 0, lens + n - 1, 0).astype(np.int64)
    if positional:
        key |= np.arange(1, T + 1, dtype=np.uint64)[None, :] << np.uint64(_CODE_BITS * n)
    valid = np.arange(T)[None, :] < counts[:, None]
    rows_local, pos = np.nonzero(valid)
    codes_flat, uniques = factorize_keys(key[valid])
    return (_token_strings(uniques, n, positional), codes_flat.astype(np.int64),
            idx[rows_local], pos.astype(np.int64), counts)


def _token_strings(uniques: np.ndarray, n: int, positional: bool) -> list[str]:
    """The n-gram (and position) packed in each key, as the token string."""
    mask = np.uint64((1 << _CODE_BITS) - 1)
    chars = np.empty((len(uniques), n), dtype=np.uint32)
    for r in range(n):
        chars[:, r] = (uniques >> np.uint64(_CODE_BITS * (n - 1 - r))) & mask
    if chars.size and chars.min() > 0:  # no NUL: numpy's fixed-width str would drop it
        grams = chars.view(f"<U{n}").ravel().tolist()
    else:
        grams = ["".join(map(chr, row)) for row in chars.tolist()]
    if not positional:
        return grams
    where = (uniques >> np.uint64(_CODE_BITS * n)).tolist()
    return [f"{p} {g}" for p, g in zip(where, grams, strict=True)]


def tokenize_batch(values: Sequence[str], comparison) -> TokenBatch:
    """Tokens of many formatted values at once.

    Parameters
    ----------
    values : sequence of str, length m
    comparison : NgramComparison, ExactComparison or NumericComparison

    Returns
    -------
    TokenBatch

    Raises
    ------
    ValueError
        For a numeric comparison, if a value is not a number (the message
        does not say which; the encoder checks values one by one first).
    """
    m = len(values)
    count = np.zeros(m, dtype=np.int64)
    parts = []
    if isinstance(comparison, NgramComparison) and m:
        n, positional = comparison.n, comparison.positional
        lens = np.fromiter(map(len, values), dtype=np.int64, count=m)
        bits = _CODE_BITS * n + (int(lens.max()) + n).bit_length() * positional
        fast = (lens <= _VECTOR_MAX_LEN) & (lens > 0) if bits <= 64 else np.zeros(m, bool)
        fidx = np.flatnonzero(fast)
        sidx = np.flatnonzero(~fast & (lens > 0))
        if len(fidx):
            parts.append(_ngram_vector_batch(values, fidx, lens[fidx], n, positional))
            count[fidx] = parts[-1][4]
        if len(sidx):
            parts.append(_scalar_batch(values, sidx, comparison))
            count[sidx] = parts[-1][4]
    elif m:
        parts.append(_scalar_batch(values, np.arange(m), comparison))
        count[:] = parts[-1][4]
    tokens: list[str] = []
    tid, rows, pos = [], [], []
    for toks, t, r, p, _ in parts:
        tid.append(t + len(tokens))
        tokens.extend(toks)
        rows.append(r)
        pos.append(p)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return TokenBatch([], empty, empty, empty, count)
    return TokenBatch(tokens, np.concatenate(tid), np.concatenate(rows), np.concatenate(pos),
                      count)
