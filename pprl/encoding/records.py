"""Records in, one column of strings per schema feature out.

:func:`columns` takes what :func:`pprl.encode` accepts (a DataFrame, rows of
mappings or rows of sequences), matches the schema's features to columns by
position or by name, and gives each hashed feature its column: an object
array of ``str`` (missing values as ``""``), or for a pandas categorical
column its codes and distinct values (:class:`Factorized`), so the encoder
checks and tokenises each distinct value once.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, InvalidRecordError
from ._factorize import factorize_strings
from .model import Schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnTable", "Factorized", "as_strings", "columns", "factorize"]


def as_strings(values: Sequence) -> np.ndarray:
    """An object array of str; None/NaN/NA become "" (an empty CSV cell)."""
    return _strings(values)[0]


def _strings(values: Sequence) -> tuple[np.ndarray, bool]:
    """:func:`as_strings`, and whether every value given as a float was a whole number.

    pandas reads a column of integers with a missing value as float64, and
    ``str(6006.0)`` is ``"6006.0"``: the encoder warns about such columns.
    """
    arr = np.asarray(values, dtype=object) if not isinstance(values, np.ndarray) else values
    if arr.dtype != object:
        arr = arr.astype(object)
    items = arr.tolist()
    if all(type(v) is str for v in items):
        return arr, False
    import pandas as pd  # what counts as missing (None, NaN, NaT, pd.NA) is pandas'

    na = pd.isna(arr)
    out = np.empty(len(arr), dtype=object)
    n_float = n_whole = 0
    for i, (v, missing) in enumerate(zip(items, na.tolist(), strict=True)):
        if missing:
            out[i] = ""
        elif isinstance(v, str):
            out[i] = v
        else:
            if isinstance(v, (float, np.floating)):
                n_float += 1
                n_whole += float(v).is_integer()
            out[i] = str(v)
    return out, n_float > 0 and n_whole == n_float


class ColumnTable:
    """Records given column by column, as ``pprl encode`` reads them from a CSV file.

    ``columns`` holds one entry per schema feature, in order: an object array
    of ``str``, a :class:`Factorized` column, or None for an ignored feature.
    """

    __slots__ = ("n", "columns")

    def __init__(self, n: int, columns: list):
        self.n = n
        self.columns = columns


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


def column_of(series: pd.Series, whole_floats: list | None = None) -> np.ndarray | Factorized:
    """A DataFrame column as strings; a categorical one stays factorized (no copies).

    The column's name is appended to ``whole_floats`` if its values are floats
    that are all whole numbers.
    """
    import pandas as pd

    if not isinstance(series.dtype, pd.CategoricalDtype):
        out, whole = _strings(np.asarray(series))
        if whole and whole_floats is not None:
            whole_floats.append(series.name)
        return out
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
    """Codes and distinct values, in order of first appearance."""
    if isinstance(values, Factorized):
        return values.codes, values.uniques
    return factorize_strings(values)


def columns(records, schema: Schema, match: str, source: str | None):
    """Per feature, its column as an object array of str (None for ignored ones).

    Returns ``(n, columns, whole_floats)``: the number of records, the
    columns, and the identifiers of hashed features whose values were all
    floats holding whole numbers (``6006.0``; see :func:`_strings`).
    """
    feats = schema.features
    whole: list[str] = []

    def strings(values, ident: str) -> np.ndarray:
        out, is_whole = _strings(values)
        if is_whole:
            whole.append(ident)
        return out

    def series(s, ident: str):
        found: list = []
        out = column_of(s, found)
        if found:
            whole.append(ident)
        return out

    if isinstance(records, ColumnTable):
        if len(records.columns) != len(feats):
            raise InputError(f"{source or 'the data'}: {len(records.columns)} columns for "
                             f"{len(feats)} features")
        return records.n, [None if f.ignored else c
                           for f, c in zip(feats, records.columns, strict=True)], whole
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
    pd = sys.modules.get("pandas")  # a DataFrame cannot exist before pandas is imported
    if pd is not None and isinstance(records, pd.DataFrame):
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
            return len(records), [None if f.ignored else series(records.iloc[:, i],
                                                                f.identifier)
                                  for i, f in enumerate(feats)], whole
        missing = [f.identifier for f in feats if not f.ignored and f.identifier not in cols]
        if missing:
            raise InputError(f"{where}the data has no column {missing[0]!r} "
                             f"(needed by the schema; missing: {', '.join(missing)})")
        return len(records), [None if f.ignored else series(records[f.identifier],
                                                            f.identifier)
                              for f in feats], whole
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
        return len(rows), [None if f.ignored else strings(
            [r[f.identifier] for r in rows], f.identifier) for f in feats], whole
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
    return len(rows), [None if f.ignored else strings(np.ascontiguousarray(table[:, j]),
                                                       f.identifier)
                       for j, f in enumerate(feats)], whole
