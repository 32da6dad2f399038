"""Reading pairs files (``a,b[,score]``) for ``pprl evaluate`` and the readers beside it.

Shared by :mod:`.evaluate`, :mod:`._guesses` and :mod:`._groups_eval`, so none of
them imports another (the import-linter contract forbids cycles, lazy imports
included).  Every problem is one line naming the file, row and column.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FileFormatError

__all__ = ["read_pairs_csv"]

if TYPE_CHECKING:  # numpy is imported when a command runs, not for pprl --help
    import numpy as np


def _column(df, col: str, path: str, *, integer: bool) -> np.ndarray:
    import numpy as np
    import pandas as pd

    raw = df[col]
    num = pd.to_numeric(raw.str.strip(), errors="coerce")
    if integer:
        ok = num.notna() & (num >= 0) & (num == np.floor(num)) & (num < 2**31)
        want = "a non-negative integer row index"
    else:
        ok = num.notna() & (num >= 0) & (num <= 1)
        want = "a score in [0, 1]"
    if not ok.all():
        i = int(np.flatnonzero(~ok.to_numpy())[0])
        raise FileFormatError(
            path, f"row {i} (line {i + 2}), column {col!r}: expected {want}, got {raw.iloc[i]!r}"
        )
    return num.to_numpy(dtype=np.float64 if not integer else np.int64)


def _columns(cols) -> str:
    cols = [str(c) for c in cols]
    return ",".join(cols[:8]) + (f",... ({len(cols)} columns)" if len(cols) > 8 else "")


def _explain_bad_csv(path: Path, exc: Exception) -> str:
    """Find the first row whose number of fields differs from the header's."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            header = next(rows)
            for i, row in enumerate(rows):
                if row and len(row) != len(header):
                    return (f"row {i} (line {i + 2}) has {len(row)} fields but the header "
                            f"has {len(header)}; not a readable CSV")
    except (OSError, UnicodeDecodeError, csv.Error, StopIteration):
        pass
    msg = " ".join(str(exc).split())
    return f"not a readable CSV ({msg})"


def read_pairs_csv(path: str, *, want_score: bool = False, ids: bool = False):
    """Read a CSV of pairs with header ``a,b`` (plus optional ``score`` and others).

    Parameters
    ----------
    want_score : bool
        Require a ``score`` column.
    ids : bool
        Also accept a file keyed by record IDs only (header ``a_id,b_id``).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (int64), ``score`` (float64) when present, and
        ``a_id``, ``b_id`` (str) when present.

    Raises
    ------
    FileFormatError
        Missing file or columns, or a bad value; the message names the row.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(str(path), "file not found")
    df = _read_numeric(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            if df is None:
                df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True,
                                 index_col=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(str(path), "empty file; expected a header a,b") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
        raise FileFormatError(str(path), _explain_bad_csv(p, exc)) from None
    df.columns = [str(c).strip() for c in df.columns]
    has_ids = "a_id" in df.columns and "b_id" in df.columns
    missing = [c for c in ("a", "b") if c not in df.columns]
    if missing and ids and has_ids:
        out = df[["a_id", "b_id"]].copy()
        _no_repeats(out, ["a_id", "b_id"], str(path))
        return out
    if missing:
        alt = " or a_id,b_id (record IDs)" if ids else ""
        raise FileFormatError(
            str(path), f"missing column(s) {', '.join(missing)}; expected a header "
            f"a,b{',score' if want_score else ''}{alt} (found {_columns(df.columns)})"
        )
    numeric = df["a"].dtype.kind == "i"  # read by _read_numeric, already checked
    out = pd.DataFrame({c: df[c].to_numpy() if numeric else
                        _column(df, c, str(path), integer=True) for c in ("a", "b")})
    if "score" in df.columns:
        out["score"] = df["score"].to_numpy() if numeric else \
            _column(df, "score", str(path), integer=False)
    elif want_score:
        raise FileFormatError(str(path), "no 'score' column, which --threshold needs")
    if has_ids:
        out["a_id"], out["b_id"] = df["a_id"].to_numpy(), df["b_id"].to_numpy()
    _no_repeats(out, ["a", "b"], str(path))
    return out


def _read_numeric(p: Path):
    """The file with ``a``, ``b`` (int64) and ``score`` (float64) parsed by pandas' C parser.

    The fast path for well-formed files: None when anything is off (a value
    that is not a plain number, out of range, a short row), and the caller
    reads the file as text, column by column, to name the row.
    """
    import numpy as np
    import pandas as pd

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            raw = list(pd.read_csv(p, nrows=0, index_col=False).columns)
            names = [str(c).strip() for c in raw]
            if "a" not in names or "b" not in names or len(set(names)) != len(names):
                return None
            kinds = {"a": np.int64, "b": np.int64, "score": np.float64}
            df = pd.read_csv(p, dtype={r: kinds.get(n, str) for r, n in zip(raw, names,
                                                                            strict=True)},
                             keep_default_na=False, skipinitialspace=True, index_col=False)
    except (ValueError, OverflowError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.ParserWarning, pd.errors.EmptyDataError):
        return None
    df.columns = names
    a, b = df["a"].to_numpy(), df["b"].to_numpy()
    ok = bool(np.all((a >= 0) & (a < 2**31) & (b >= 0) & (b < 2**31)))
    if "score" in df.columns:
        score = df["score"].to_numpy()
        ok = ok and bool(np.all((score >= 0) & (score <= 1)))
    return df if ok else None


def _no_repeats(out, cols: list[str], path: str) -> None:
    import numpy as np

    dup = out.duplicated(cols).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        x, y = out[cols[0]].iloc[i], out[cols[1]].iloc[i]
        raise FileFormatError(
            path, f"row {i} (line {i + 2}): the pair {cols[0]}={x}, {cols[1]}={y} is "
            "listed twice"
        )
