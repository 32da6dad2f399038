"""``pprl evaluate``: score a matches file against a truth file, print JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from ..errors import FileFormatError
from ._common import warn
from ._pairs_csv import read_pairs_csv

__all__ = ["add_parser", "run", "read_pairs_csv"]

if TYPE_CHECKING:  # numpy is imported when the command runs, not for pprl --help
    pass


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
    p.add_argument("matches", metavar="MATCHES.csv",
                   help="links, e.g. written by pprl link; or an attack's guesses (header "
                        "clk_row,plaintext_row,score, pprl attack): re-identification rate")
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


def run(args: argparse.Namespace) -> int:
    """Run ``pprl evaluate``: print the quality of the links as JSON; the exit status."""
    from ..evaluation.metrics import evaluate_links
    from . import _groups_eval
    from ._common import threshold_arg
    from ._guesses import is_guesses_csv, run_guesses

    if is_guesses_csv(args.matches):  # pprl attack's guesses: scored as the privacy report
        return run_guesses(args)

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
    from ._quality import beside  # MATCHES.quality.json, when pprl link wrote one

    result.update(beside(args.matches, result, threshold) or {})
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
