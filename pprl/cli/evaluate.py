"""``pprl evaluate``: score a matches file against a truth file, print JSON."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from ..errors import FileFormatError

__all__ = ["add_parser", "run", "read_pairs_csv"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="precision, recall and F1 of MATCHES.csv against TRUTH.csv (JSON on stdout)",
        description=(
            "Compare the links in MATCHES.csv (header a,b[,score], 0-based rows) with the "
            "true pairs in TRUTH.csv (header a,b; other columns ignored) and print a JSON "
            "object: precision, recall, f1, tp, fp, fn, n_matches, n_true. Recall counts "
            "every true pair, including pairs that were never candidates."
        ),
    )
    p.add_argument("matches", metavar="MATCHES.csv", help="links, e.g. written by pprl link")
    p.add_argument("truth", metavar="TRUTH.csv", help="true pairs, e.g. truth.csv of pprl synth")
    p.add_argument(
        "--threshold", type=float, default=None,
        help="evaluate only links with score >= THRESHOLD (needs a score column)",
    )
    p.set_defaults(func=run)


def _column(df, col: str, path: str, *, integer: bool) -> np.ndarray:
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


def read_pairs_csv(path: str, *, want_score: bool = False):
    """Read a CSV of pairs with header ``a,b`` (plus optional ``score`` and others).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (int64) and ``score`` (float64) when present.

    Raises
    ------
    FileFormatError
        Missing file or columns, or a bad value; the message names the row.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(str(path), "file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True,
                             index_col=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(str(path), "empty file; expected a header a,b") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError) as exc:
        raise FileFormatError(str(path), _explain_bad_csv(p, exc)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in ("a", "b") if c not in df.columns]
    if missing:
        raise FileFormatError(
            str(path), f"missing column(s) {', '.join(missing)}; expected a header "
            f"a,b{',score' if want_score else ''} (found {_columns(df.columns)})"
        )
    out = pd.DataFrame({c: _column(df, c, str(path), integer=True) for c in ("a", "b")})
    if "score" in df.columns:
        out["score"] = _column(df, "score", str(path), integer=False)
    elif want_score:
        raise FileFormatError(str(path), "no 'score' column, which --threshold needs")
    dup = out.duplicated(["a", "b"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise FileFormatError(
            str(path), f"row {i} (line {i + 2}): the pair a={out.a[i]}, b={out.b[i]} is "
            "listed twice"
        )
    return out


def run(args: argparse.Namespace) -> int:
    from .._validation import check_threshold
    from ..evaluation.metrics import evaluate_links

    threshold = None
    if args.threshold is not None:
        threshold = check_threshold(args.threshold, "pprl evaluate --threshold")
    links = read_pairs_csv(args.matches, want_score=threshold is not None)
    truth = read_pairs_csv(args.truth)
    metrics = evaluate_links(links, truth[["a", "b"]], threshold=threshold)
    json.dump(metrics.to_dict(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
