"""``pprl attack``: run a known attack on CLKs with a plaintext database, write guesses.

Before it starts the command prints an estimate of its time from the
number of records (:func:`pprl.privacy.estimate.estimate_seconds`), and
warns, suggesting ``--sample``, when a graph attack would take more than
``--max-minutes``.  While it runs it shows a progress bar on a terminal and
one status line every 15 s otherwise.  ``--truth`` scores the guesses with
the privacy report's scorer and prints the rate as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..errors import FileFormatError, InputError
from ._common import add_progress_flag, check_output_path, require_file, show_progress, warn

__all__ = ["add_parser", "run", "read_plaintext", "write_guesses"]

KINDS = ("graph", "frequency", "pattern")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl attack`` sub-command and its options."""
    p = sub.add_parser(
        "attack",
        help="re-identify CLKs with a known attack (graph, frequency, pattern); no secret needed",
        description=(
            "Attack CLKS (clkhash JSON or .npy) as someone holding a public plaintext database "
            "and the linkage schema but not the secret would. PLAINTEXT.csv is read with the "
            "schema's feature identifiers as column names (all values strings). Writes "
            "GUESSES.csv with header clk_row,plaintext_row,score: at most one guess per "
            "encoded record, best first, 0-based rows in the input files' order. This "
            "measures resistance to known attacks; it is not a privacy guarantee."
        ),
    )
    p.add_argument("kind", choices=KINDS, help="graph matching, frequency, or pattern mining")
    p.add_argument("clks", metavar="CLKS", help="the encodings under attack")
    p.add_argument("plaintext", metavar="PLAINTEXT.csv", help="the attacker's database")
    p.add_argument("--schema", required=True, metavar="SCHEMA.json",
                   help="the linkage schema (no secret)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the attack's row order, restarts and --sample (default 0)")
    p.add_argument("--sample", type=int, default=None, metavar="N",
                   help="attack a seeded random sample of N encoded records and N plaintext "
                        "records (with --truth: the sampled records' true partners, filled "
                        "up with other rows); GUESSES.csv keeps the files' row numbers")
    p.add_argument("--truth", default=None, metavar="TRUTH.csv",
                   help="true pairs (header a,b: CLK row, plaintext row, from 0): print the "
                        "re-identification rate and precision as JSON on stdout, scored as "
                        "pprl privacy report scores")
    p.add_argument("--encoded", default=None, metavar="ENCODED.csv",
                   help="with --truth: the plaintext the CLKs were made from, so that a guess "
                        "of a record with the same encoded values also counts as correct (as "
                        "in pprl privacy report)")
    p.add_argument("--ranks-only", action="store_true",
                   help="frequency attack: align on ranks of counts alone, without the "
                        "popcount term")
    p.add_argument("--max-minutes", type=float, default=10.0, metavar="M",
                   help="warn before a graph attack estimated to take longer (default 10)")
    p.add_argument("-o", "--output", required=True, metavar="GUESSES.csv")
    add_progress_flag(p)
    p.set_defaults(func=run)


def read_plaintext(path: str, schema):
    """Read the attacker's CSV (strings, empty cells kept) and check its columns.

    Raises
    ------
    FileFormatError
        Missing or unreadable file, or a column the schema hashes is absent.
    """
    import pandas as pd

    p = require_file(path)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, index_col=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(str(path), "empty file; expected a header with the schema's "
                                         "feature identifiers") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(str(path), "not a readable CSV (" + " ".join(str(exc).split())
                              + ")") from None
    needed = [f.identifier for f in schema.features if not f.ignored]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise FileFormatError(str(path), f"no column {missing[0]!r}, which the schema encodes "
                                         f"(missing: {', '.join(missing)}); the header must "
                                         "name the schema's feature identifiers")
    return df


def write_guesses(guesses, path) -> None:
    """Write guesses atomically as CSV with header ``clk_row,plaintext_row,score``."""
    from .._atomic import atomic_open

    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        guesses.to_frame().to_csv(fh, index=False, lineterminator="\n", float_format="%.6g")


def _check_truth(truth, n: int, m: int, path: str) -> None:
    import numpy as np  # not at import: `pprl --help` loads no numpy

    bad_a = truth["a"] >= n
    bad_b = truth["b"] >= m
    if bad_a.any() or bad_b.any():
        i = int(np.flatnonzero((bad_a | bad_b).to_numpy())[0])
        raise FileFormatError(path, f"row {i} (line {i + 2}): the pair a={truth['a'].iloc[i]}, "
                                    f"b={truth['b'].iloc[i]} is outside the files ({n} CLKs, "
                                    f"{m} plaintext records); rows count from 0")


def _sample(n: int, m: int, size: int, truth, rng):
    """Rows of the CLKs and of the plaintext to attack (sorted)."""
    import numpy as np  # not at import: `pprl --help` loads no numpy

    rows_c = np.sort(rng.choice(n, min(size, n), replace=False))
    if truth is None:
        rows_p = np.sort(rng.choice(m, min(size, m), replace=False))
        warn("attack", f"--sample without --truth draws the {len(rows_c)} CLKs and "
                       f"{len(rows_p)} plaintext records independently, so they share only "
                       "about a fraction of the people the files share; give --truth to "
                       "sample the CLKs with their true partners")
        return rows_c, rows_p
    partners = np.unique(truth["b"].to_numpy()[np.isin(truth["a"].to_numpy(), rows_c)])
    rest = np.setdiff1d(np.arange(m), partners)
    fill = rng.choice(rest, max(0, min(size, m) - partners.size), replace=False)
    return rows_c, np.sort(np.concatenate([partners, fill]).astype(np.int64))


def _announce(kind: str, n: int, m: int, args) -> None:
    from ..privacy.estimate import estimate_seconds

    est = estimate_seconds(kind, n, m)

    def minutes(s: float) -> str:
        return f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min"

    more = ""
    if est.worst > 1.5 * est.typical:
        more = f" (up to {minutes(est.worst)} if graph matching runs)"
    print(f"pprl attack: {kind} attack on {n} CLKs and {m} plaintext records: about "
          f"{minutes(est.typical)} on this machine{more}", file=sys.stderr, flush=True)
    if kind == "graph" and args.max_minutes > 0 and est.typical > 60 * args.max_minutes:
        size = max(500, int(max(n, m) * (60 * args.max_minutes / est.typical) ** (1 / 3)))
        warn("attack", f"the graph attack is estimated at {minutes(est.typical)}, more than "
                       f"--max-minutes {args.max_minutes:g}; attack a sample instead "
                       f"(--sample {size // 100 * 100} --truth TRUTH.csv)")


def _progress(args):
    from ._status import StatusLines

    if show_progress(args):
        return True
    if args.progress is None:  # not a terminal and not turned off: a status line now and then
        return StatusLines("attack", f"{args.kind} attack")
    return False


def run(args: argparse.Namespace) -> int:
    """Run ``pprl attack``: re-identify the CLKs and write the guesses; the exit status."""
    import numpy as np  # not at import: `pprl --help` loads no numpy

    from ..bits import read_clks
    from ..encoding.schema import load_schema
    from ..privacy import Guesses, frequency_attack, graph_attack, pattern_attack, score_guesses
    from ..privacy._plaintext import plaintext_view
    from .evaluate import read_pairs_csv

    out = check_output_path(args.output)
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer; got {args.seed}")
    if args.sample is not None and args.sample < 1:
        raise InputError(f"--sample must be a positive integer; got {args.sample}")
    if args.encoded and not args.truth:
        raise InputError("--encoded needs --truth: it only changes how guesses are scored")
    if args.ranks_only and args.kind != "frequency":
        raise InputError("--ranks-only applies to the frequency attack only")
    schema = load_schema(str(require_file(args.schema)))
    t0 = time.perf_counter()
    clks = read_clks(args.clks)
    plaintext = read_plaintext(args.plaintext, schema)
    n, m = clks.shape[0], len(plaintext)
    truth = None
    if args.truth:
        truth = read_pairs_csv(args.truth)[["a", "b"]]
        _check_truth(truth, n, m, args.truth)
    encoded = None
    if args.encoded:
        encoded = read_plaintext(args.encoded, schema)
        if len(encoded) != n:
            raise FileFormatError(args.encoded, f"has {len(encoded)} records but {args.clks} "
                                                f"has {n} CLKs; give the records the CLKs "
                                                "were made from, in the same order")
    rows_c, rows_p = np.arange(n), np.arange(m)
    rng = np.random.default_rng(args.seed)
    if args.sample is not None and args.sample < max(n, m):
        rows_c, rows_p = _sample(n, m, args.sample, truth, rng)
    sub_clks = clks[rows_c]
    sub_plain = plaintext.iloc[rows_p].reset_index(drop=True)
    _announce(args.kind, len(rows_c), len(rows_p), args)
    attack = {"graph": graph_attack, "frequency": frequency_attack,
              "pattern": pattern_attack}[args.kind]
    extra = {"popcount": False} if args.ranks_only else {}
    progress = _progress(args)
    g = attack(sub_clks, sub_plain, schema, rng=args.seed, progress=progress, **extra)
    if not isinstance(progress, bool):
        progress.close()
    guesses = Guesses.from_arrays(rows_c[g.clk_row], rows_p[g.plaintext_row], g.score,
                                  n_encoded=len(rows_c))
    if len(rows_c) and len(guesses) == 0:
        warn("attack", f"the {args.kind} attack made no guess for the {len(rows_c)} "
                       "encodings (nothing re-identified under its assumptions)")
    write_guesses(guesses, out)
    print(f"pprl attack: {args.kind}: {len(guesses)} guesses for {len(rows_c)} encodings "
          f"against {len(rows_p)} plaintext records -> {out} "
          f"[{time.perf_counter() - t0:.1f}s]", file=sys.stderr)
    if truth is not None:  # scored in the sample's own rows, as the attack saw them
        pos_c = np.full(n, -1, dtype=np.int64)
        pos_c[rows_c] = np.arange(rows_c.size)
        pos_p = np.full(m, -1, dtype=np.int64)
        pos_p[rows_p] = np.arange(rows_p.size)
        ta, tb = pos_c[truth["a"].to_numpy()], pos_p[truth["b"].to_numpy()]
        keep = (ta >= 0) & (tb >= 0)
        keys = {}
        if encoded is not None:
            keys = {"clk_keys": plaintext_view(encoded, schema).keys[rows_c],
                    "plaintext_keys": plaintext_view(plaintext, schema).keys[rows_p]}
        score = score_guesses(g, np.column_stack([ta[keep], tb[keep]]),
                              n_plaintext=len(rows_p), **keys)
        result = score.to_dict()
        result["correct_means"] = ("a true pair, or a plaintext record with the encoded "
                                   "values" if keys else "a true pair of TRUTH.csv")
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0
