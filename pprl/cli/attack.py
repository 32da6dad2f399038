"""``pprl attack``: run a known attack on CLKs with a plaintext database, write guesses."""

from __future__ import annotations

import argparse
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
                   help="seed of the graph attack's random restarts (default 0)")
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


def run(args: argparse.Namespace) -> int:
    """Run ``pprl attack``: re-identify the CLKs and write the guesses; the exit status."""
    from ..bits import read_clks
    from ..encoding.schema import load_schema
    from ..privacy import frequency_attack, graph_attack, pattern_attack

    out = check_output_path(args.output)
    if args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer; got {args.seed}")
    schema = load_schema(str(require_file(args.schema)))
    t0 = time.perf_counter()
    clks = read_clks(args.clks)
    plaintext = read_plaintext(args.plaintext, schema)
    if args.kind == "graph":
        guesses = graph_attack(clks, plaintext, schema, rng=args.seed,
                               progress=show_progress(args))
    elif args.kind == "frequency":
        guesses = frequency_attack(clks, plaintext, schema)
    else:
        guesses = pattern_attack(clks, plaintext, schema)
    if clks.shape[0] and len(guesses) == 0:
        warn("attack", f"the {args.kind} attack made no guess for the {clks.shape[0]} "
                       "encodings (nothing re-identified under its assumptions)")
    write_guesses(guesses, out)
    print(f"pprl attack: {args.kind}: {len(guesses)} guesses for {clks.shape[0]} encodings "
          f"against {len(plaintext)} plaintext records -> {out} "
          f"[{time.perf_counter() - t0:.1f}s]", file=sys.stderr)
    return 0
