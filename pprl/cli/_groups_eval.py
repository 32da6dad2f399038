"""``pprl evaluate GROUPS.csv TRUTH.csv``: groups (a ``group`` column) against a record truth.

:mod:`.evaluate` hands over here when the first file's header has a
``group`` column (written by ``pprl link`` with 3+ files or ``pprl dedupe``).
The truth is ``party,row,entity`` (``entities.csv`` or, for 3+ parties,
``truth.csv`` of ``pprl synth``; parties as 0-based indices or the letters
a, b, ...) or ``row,entity`` for one file.  Prints JSON: pairwise precision,
recall and F1, the pair and record counts, the ARI and the
homogeneity / completeness / V-measure (:func:`pprl.evaluate_groups`), and
with ``GROUPS.blocking.json`` beside the groups (``pprl link A B C
--blocking lsh|auto``) the true pairs' pair completeness under the blocking,
overall and per pair of parties.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InputError

__all__ = ["is_groups_file", "run"]


def is_groups_file(path: str) -> bool:
    """Whether the CSV's header has a ``group`` column.

    False when unreadable: the pairs path then reports the problem.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return "group" in [h.strip() for h in header]


def _read(path: str, need: tuple[str, ...], what: str):
    import pandas as pd

    from ..evaluation.groups import party_index
    from ._pairs_csv import _column, _explain_bad_csv

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(path, "file not found")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True,
                         index_col=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(path, f"empty file; expected a header {','.join(need)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FileFormatError(path, _explain_bad_csv(p, exc)) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise FileFormatError(path, f"missing column(s) {', '.join(missing)}; expected a "
                                    f"{what} header {','.join(need)} (found "
                                    f"{','.join(df.columns[:8])})")
    out = pd.DataFrame({"row": _column(df, "row", path, integer=True)})
    if "party" in df.columns:
        try:
            out["party"] = party_index(df["party"])
        except InputError as exc:
            raise FileFormatError(path, f"column 'party': {exc}") from None
    else:
        out["party"] = 0
    for col in need:
        if col not in ("row", "party"):
            out[col] = df[col].to_numpy()
    dup = out.duplicated(["party", "row"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise FileFormatError(path, f"row {i} (line {i + 2}): the record (party "
                                    f"{out['party'].iloc[i]}, row {out['row'].iloc[i]}) is "
                                    "listed twice")
    return out


def _check_files(df, path: str, clks: list[str]) -> None:
    """Every (party, row) must lie inside the named CLK files."""
    from ..bits import read_clks

    sizes = np.array([read_clks(c).shape[0] for c in clks])
    party, row = df["party"].to_numpy(), df["row"].to_numpy()
    bad = (party >= len(sizes)) | (row >= sizes[np.minimum(party, len(sizes) - 1)])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = (f"party {party[i]}, but only {len(sizes)} CLK files were given"
                 if party[i] >= len(sizes) else
                 f"row {row[i]} of party {party[i]}, but {clks[party[i]]} has "
                 f"{sizes[party[i]]} rows")
        raise FileFormatError(path, f"row {i} (line {i + 2}) names {where}")


def run(args: argparse.Namespace) -> int:
    """Evaluate groups against a record truth; print JSON; the exit status."""
    from ..evaluation.groups import evaluate_groups

    if args.threshold is not None:
        raise InputError("--threshold needs a pairs file with a score column; "
                         f"{args.matches} holds groups")
    groups = _read(args.matches, ("group", "row"), "groups")
    truth = _read(args.truth, ("row", "entity"), "truth")
    if args.clks:
        _check_files(truth, args.truth, args.clks)
        _check_files(groups, args.matches, args.clks)
    known = truth.set_index(["party", "row"]).index
    missing = ~groups.set_index(["party", "row"]).index.isin(known)
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise FileFormatError(args.matches, f"row {i} (line {i + 2}): the record (party "
                                            f"{groups['party'].iloc[i]}, row "
                                            f"{groups['row'].iloc[i]}) is not in {args.truth}")
    m = evaluate_groups(groups, truth)
    from ._mp_scale import blocking_metrics

    result = m.to_dict()
    result.update(blocking_metrics(args.matches, truth, getattr(args, "blocking", None),
                                   args.clks) or {})
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
