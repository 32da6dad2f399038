"""Records in, one column of strings per schema feature out.

:func:`columns` takes what :func:`pprl.encode` accepts (a DataFrame, rows of
mappings or rows of sequences), matches the schema's features to columns by
position or by name, and gives each hashed feature its column: an object
array of ``str`` (missing values as ``""``), or for a pandas categorical
column its codes and distinct values (:class:`Factorized`), so the encoder
checks and tokenises each distinct value once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, InvalidRecordError
from .model import Schema

__all__ = ["Factorized", "as_strings", "columns", "factorize"]


def as_strings(values: Sequence) -> np.ndarray:
    """An object array of str; None/NaN/NA become "" (an empty CSV cell)."""
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.dtype != object:
        arr = arr.astype(object)
    if pd.api.types.infer_dtype(arr, skipna=False) in ("string", "empty"):
        return arr
    na = pd.isna(arr)
    out = np.empty(len(arr), dtype=object)
    for i, (v, missing) in enumerate(zip(arr.tolist(), na.tolist(), strict=True)):
        out[i] = "" if missing else (v if isinstance(v, str) else str(v))
    return out


class Factorized:
    """A column given as codes into its distinct values (from a pandas Categorical)."""

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: list[str]):
        self.codes = codes
        self.uniques = uniques

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: slice) -> Factorized:
        codes = self.codes[rows]
        if len(codes) == len(self.codes):
            return self
        present = np.zeros(len(self.uniques), dtype=bool)  # keep only values in the slice
        present[codes] = True
        keep = [u for u, p in zip(self.uniques, present.tolist(), strict=True) if p]
        return Factorized((np.cumsum(present) - 1)[codes], keep)


def column_of(series: pd.Series) -> np.ndarray | Factorized:
    """A DataFrame column as strings; a categorical one stays factorized (no copies)."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        return as_strings(np.asarray(series))
    cat = series.array
    codes = np.asarray(cat.codes, dtype=np.int64)
    uniques = as_strings(np.asarray(cat.categories, dtype=object)).tolist()
    present = np.zeros(len(uniques) + 1, dtype=bool)  # the last slot: missing (code -1)
    present[codes] = True
    if present[-1] or not present[:-1].all():  # missing values become ""; unused
        uniques.append("")                     # categories (checked for no row) go
        codes = (np.cumsum(present) - 1)[codes]
        uniques = [u for u, p in zip(uniques, present.tolist(), strict=True) if p]
    return Factorized(codes, uniques)


def factorize(values: np.ndarray | Factorized) -> tuple[np.ndarray, list[str]]:
    r"""Codes and distinct values, in order of first appearance.

    ``pandas.factorize`` is fast, but its object hashing stops at a NUL
    character (it would merge "" and "\x00"), so values with NUL take a dict.
    """
    if isinstance(values, Factorized):
        return values.codes, values.uniques
    if "\x00" not in "".join(values.tolist()):
        codes, uniques = pd.factorize(values)
        return codes.astype(np.int64, copy=False), list(uniques)
    lookup = {v: i for i, v in enumerate(dict.fromkeys(values.tolist()))}
    codes = np.fromiter(map(lookup.__getitem__, values.tolist()), dtype=np.int64,
                        count=len(values))
    return codes, list(lookup)


def columns(records, schema: Schema, match: str, source: str | None):
    """Per feature, its column as an object array of str (None for ignored ones)."""
    feats = schema.features
    ids = [f.identifier for f in feats]
    if match not in ("position", "name"):
        raise InputError(f"The 'match' parameter of encode must be 'position' or 'name'. "
                         f"Got {match!r} instead.")
    where = f"{source}: " if source else ""
    if match == "name":
        hashed = [f.identifier for f in feats if not f.ignored]
        dup = [k for k, c in Counter(hashed).items() if c > 1]
        if dup:
            raise InputError(f"{where}cannot match columns by name: the schema has the "
                             f"identifier {dup[0]!r} more than once")
    if isinstance(records, pd.DataFrame):
        cols = list(records.columns)
        if match == "position":
            if len(cols) != len(feats):
                raise InputError(
                    f"{where}the data has {len(cols)} columns but the schema has "
                    f"{len(feats)} features ({', '.join(ids)})")
            if all(isinstance(c, str) for c in cols):
                for i, (c, f) in enumerate(zip(cols, ids, strict=True)):
                    if c != f:
                        raise InputError(
                            f"{where}column {i} is {c!r} but the schema expects {f!r} there; "
                            "reorder the columns or match them by name (match='name')")
            return len(records), [None if f.ignored else column_of(records.iloc[:, i])
                                  for i, f in enumerate(feats)]
        missing = [f.identifier for f in feats if not f.ignored and f.identifier not in cols]
        if missing:
            raise InputError(f"{where}the data has no column {missing[0]!r} "
                             f"(needed by the schema; missing: {', '.join(missing)})")
        return len(records), [None if f.ignored else column_of(records[f.identifier])
                              for f in feats]
    if isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise InputError("The 'records' parameter of encode must be a pandas DataFrame or an "
                         f"iterable of rows. Got a {type(records).__name__} instead.")
    rows = list(records)
    if match == "name":
        for i, r in enumerate(rows):
            if not isinstance(r, Mapping):
                raise InvalidRecordError("match='name' needs rows that are mappings "
                                         f"(dicts), got a {type(r).__name__}", row=i,
                                         source=source)
            for f in feats:
                if not f.ignored and f.identifier not in r:
                    raise InvalidRecordError(f"has no value for {f.identifier!r}", row=i,
                                             source=source)
        return len(rows), [None if f.ignored else as_strings(
            [r[f.identifier] for r in rows]) for f in feats]
    for t in set(map(type, rows)):
        if issubclass(t, (str, bytes, Mapping)) or not (
                issubclass(t, (Sequence, np.ndarray))):
            i = next(i for i, r in enumerate(rows) if type(r) is t)
            raise InvalidRecordError(f"expected a sequence of {len(feats)} values, got a "
                                     f"{t.__name__}", row=i, source=source)
    if set(map(len, rows)) - {len(feats)}:
        i, r = next((i, r) for i, r in enumerate(rows) if len(r) != len(feats))
        raise InvalidRecordError(f"has {len(r)} fields but the schema has {len(feats)} "
                                 "features", row=i, source=source)
    table = np.array(rows, dtype=object) if rows else np.empty((0, len(feats)), dtype=object)
    if table.shape != (len(rows), len(feats)):  # values that numpy took for sequences
        table = np.empty((len(rows), len(feats)), dtype=object)
        for i, r in enumerate(rows):
            table[i, :] = list(r) if not isinstance(r, np.ndarray) else r.tolist()
    return len(rows), [None if f.ignored else as_strings(np.ascontiguousarray(table[:, j]))
                       for j, f in enumerate(feats)]
