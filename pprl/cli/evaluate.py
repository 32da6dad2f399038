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
from ._common import warn

__all__ = ["add_parser", "run", "read_pairs_csv"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl evaluate`` sub-command and its options."""
    p = sub.add_parser(
        "evaluate",
        help="precision, recall and F1 of MATCHES.csv against TRUTH.csv (JSON on stdout)",
        description=(
            "Compare the links in MATCHES.csv (header a,b[,score][,a_id,b_id], 0-based rows) "
            "with the true pairs in TRUTH.csv, keyed by rows (header a,b) or by record IDs "
            "(header a_id,b_id; other columns ignored), and print a JSON object: precision, "
            "recall, f1, tp, fp, fn, n_matches, n_true. Recall counts every true pair, "
            "including pairs that were never candidates. A GROUPS.csv (header with a group "
            "column, from pprl link with 3+ files or pprl dedupe) is scored against a "
            "record truth party,row,entity (or row,entity): pairwise precision, recall, f1, "
            "the counts, ari, homogeneity, completeness and v_measure."
        ),
    )
    p.add_argument("matches", metavar="MATCHES.csv", help="links, e.g. written by pprl link")
    p.add_argument("truth", metavar="TRUTH.csv", help="true pairs, e.g. truth.csv of pprl synth")
    p.add_argument(
        "--threshold", type=float, default=None,
        help="evaluate only links with score >= THRESHOLD (needs a score column)",
    )
    p.add_argument(
        "--clks", nargs="+", metavar=("A.json", "B.json"), default=None,
        help="the CLK files that were linked: truth rows outside them earn a warning, and "
             "their record IDs key an ID truth file when MATCHES.csv has no a_id,b_id "
             "(groups: every file, in the order linked; records outside them are an error)",
    )
    p.add_argument(
        "--blocking", default=None, metavar="MATCHES.blocking.json",
        help="blocking file written by pprl link --blocking (default: the one beside "
             "MATCHES.csv, if any): adds the truth's pair completeness and reduction ratio",
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
    out = pd.DataFrame({c: _column(df, c, str(path), integer=True) for c in ("a", "b")})
    if "score" in df.columns:
        out["score"] = _column(df, "score", str(path), integer=False)
    elif want_score:
        raise FileFormatError(str(path), "no 'score' column, which --threshold needs")
    if has_ids:
        out["a_id"], out["b_id"] = df["a_id"].to_numpy(), df["b_id"].to_numpy()
    _no_repeats(out, ["a", "b"], str(path))
    return out


def _no_repeats(out, cols: list[str], path: str) -> None:
    dup = out.duplicated(cols).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        x, y = out[cols[0]].iloc[i], out[cols[1]].iloc[i]
        raise FileFormatError(
            path, f"row {i} (line {i + 2}): the pair {cols[0]}={x}, {cols[1]}={y} is "
            "listed twice"
        )


def run(args: argparse.Namespace) -> int:
    """Run ``pprl evaluate``: print the quality of the links as JSON; the exit status."""
    from ..evaluation.metrics import evaluate_links
    from . import _groups_eval
    from ._common import threshold_arg

    if _groups_eval.is_groups_file(args.matches):  # header has 'group': N-party / dedupe
        return _groups_eval.run(args)

    threshold = None
    if args.threshold is not None:
        threshold = threshold_arg(args.threshold)
    sizes, file_ids = _linked_files(args.clks)
    links = read_pairs_csv(args.matches, want_score=threshold is not None)
    truth = read_pairs_csv(args.truth, ids=True)
    if "a" in truth.columns:
        pairs = truth[["a", "b"]]
        if sizes is not None:
            _check_ranges(pairs, sizes, args)
    else:
        links, pairs = _by_ids(links, truth, file_ids, args)
    metrics = evaluate_links(links, pairs, threshold=threshold)
    _check_hits(metrics, links, pairs, threshold)
    result = metrics.to_dict()
    if "a" in truth.columns:  # blocking is checked on CLK rows
        from ._scale import blocking_metrics

        result.update(blocking_metrics(args.matches, pairs, args.blocking, args.clks) or {})
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _linked_files(clks):
    """Row counts and record IDs of the linked CLK files (``--clks``), or None."""
    if clks is None:
        return None, None
    if len(clks) != 2:
        from ..errors import InputError

        raise InputError(f"--clks: a pairs file needs the two linked CLK files; got {len(clks)}")
    from ..bits import read_clks

    (a, ids_a), (b, ids_b) = (read_clks(p, with_ids=True) for p in clks)
    ids = (ids_a, ids_b) if ids_a is not None and ids_b is not None else None
    return (a.shape[0], b.shape[0]), ids


def _check_ranges(pairs, sizes, args) -> None:
    out_a = int((pairs["a"] >= sizes[0]).sum())
    out_b = int((pairs["b"] >= sizes[1]).sum())
    if out_a or out_b:
        warn("evaluate", f"{max(out_a, out_b)} of {len(pairs)} truth pairs in {args.truth} "
                         f"refer to rows outside the linked files ({args.clks[0]} has "
                         f"{sizes[0]} rows, {args.clks[1]} has {sizes[1]}); is the truth "
                         "1-based, or for other files?")


def _by_ids(links, truth, file_ids, args):
    """Links and truth as row pairs when the truth is keyed by record IDs."""
    import pandas as pd

    if "a_id" in links.columns:
        ids_a, ids_b = links["a_id"], links["b_id"]
    elif file_ids is not None:
        ids_a = pd.Series(file_ids[0], dtype=object)[links["a"].to_numpy()]
        ids_b = pd.Series(file_ids[1], dtype=object)[links["b"].to_numpy()]
    else:
        raise FileFormatError(
            args.truth, f"is keyed by record IDs (a_id,b_id) but {args.matches} has no "
                        "a_id,b_id columns; encode both parties with --id-column and link "
                        "again, or name the CLK files with --clks A.json B.json")
    code_a = pd.Index(pd.unique(pd.concat([pd.Series(ids_a, dtype=object),
                                           truth["a_id"]], ignore_index=True)))
    code_b = pd.Index(pd.unique(pd.concat([pd.Series(ids_b, dtype=object),
                                           truth["b_id"]], ignore_index=True)))
    if file_ids is not None:
        unknown = int((~truth["a_id"].isin(set(file_ids[0]))
                       | ~truth["b_id"].isin(set(file_ids[1]))).sum())
        if unknown:
            warn("evaluate", f"{unknown} of {len(truth)} truth pairs in {args.truth} name "
                             "record IDs that are not in the linked files")
    rows = pd.DataFrame({"a": code_a.get_indexer(pd.Series(ids_a, dtype=object)),
                         "b": code_b.get_indexer(pd.Series(ids_b, dtype=object))})
    if "score" in links.columns:
        rows["score"] = links["score"].to_numpy()
    pairs = pd.DataFrame({"a": code_a.get_indexer(truth["a_id"]),
                          "b": code_b.get_indexer(truth["b_id"])})
    return rows, pairs


def _check_hits(metrics, links, pairs, threshold) -> None:
    """Warn when no link is true, and when the truth looks shifted by one row."""
    if metrics.n_true == 0 or len(links) == 0:
        return
    from ..evaluation.metrics import evaluate_links

    shifted = pairs[(pairs["a"] > 0) & (pairs["b"] > 0)] - 1
    tp_shift = evaluate_links(links, shifted, threshold=threshold).tp if len(shifted) else 0
    hint = ""
    if tp_shift > 2 * metrics.tp and tp_shift >= 0.5 * min(len(links), len(pairs)):
        hint = (f"; shifted down by one row, {tp_shift} links would be true: is the truth "
                "1-based? pprl counts rows from 0")
    if metrics.tp == 0:
        warn("evaluate", "no link is a true pair (true positives: 0); check that the truth "
                         "belongs to these files and counts rows from 0" + hint)
    elif hint:
        warn("evaluate", hint[2:])
