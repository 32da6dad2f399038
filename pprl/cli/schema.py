"""``pprl schema check``: validate a linkage schema and summarise it."""

from __future__ import annotations

import argparse
import sys
import warnings

from ..errors import SchemaError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schema",
        help="work with linkage schemas (check)",
        description="Work with clkhash linkage schemas.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    c = actions.add_parser(
        "check",
        help="list every problem of a schema, or summarise a valid one",
        description=(
            "Validate SCHEMA.json. Prints every problem with its JSON path (exit status 2), "
            "or a summary: features, expected bits per feature and expected fill."
        ),
    )
    c.add_argument("schema", metavar="SCHEMA.json")
    c.add_argument("--typical-length", type=int, default=8, metavar="N",
                   help="assumed length of string values for the estimates (default: 8)")
    c.set_defaults(func=run)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..encoding.schema import load_schema

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema = load_schema(args.schema)
    except SchemaError as exc:
        where = f"{exc.source}: " if exc.source else ""
        n = len(exc.field_errors)
        print(f"{where}invalid linkage schema ({n} problem{'s' if n != 1 else ''}):",
              file=sys.stderr)
        for e in exc.field_errors:
            print(f"  {e}", file=sys.stderr)
        return 2
    if args.typical_length < 1:
        print("pprl schema: error: --typical-length must be a positive integer", file=sys.stderr)
        return 2
    rows = schema.summary(args.typical_length)
    n_ign = sum(f.ignored for f in schema.features)
    fold = f", {schema.xor_folds} XOR folds" if schema.xor_folds else ""
    converted = ", converted to 3" if schema.version != 3 else ""
    print(f"{args.schema}: valid linkage schema (version {schema.version}{converted})")
    kdf = schema.kdf
    print(f"  l = {schema.l} bits{fold}; KDF HKDF-{kdf.hash}, key size {kdf.key_size}")
    print(f"  {len(schema.features)} features: {len(rows)} hashed, {n_ign} ignored")
    width = max([len(r["identifier"]) for r in rows] + [7])
    print(f"  {'feature':<{width}}  {'tokens':>6}  {'bits':>5}  how")
    for r in rows:
        print(f"  {r['identifier']:<{width}}  {r['tokens']:>6}  {r['bits']:>5}  {r['how']}")
    total = sum(r["bits"] for r in rows)
    fill = schema.expected_fill(args.typical_length)
    print(f"  total {total} insertions; expected fill {fill:.1%} "
          f"(strings assumed {args.typical_length} characters long)")
    for note in schema.warnings:
        print(f"  note: {note}")
    return 0
