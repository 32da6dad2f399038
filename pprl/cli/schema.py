"""``pprl schema init`` / ``pprl schema check``: start a linkage schema; validate one."""

from __future__ import annotations

import argparse
import sys
import warnings

from ..errors import InputError, SchemaError

__all__ = ["add_parser", "run", "run_init"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl schema`` sub-command and its ``init`` and ``check`` actions."""
    p = sub.add_parser(
        "schema",
        help="work with linkage schemas (init, check)",
        description="Work with clkhash linkage schemas.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    i = actions.add_parser(
        "init",
        help="write a starting schema: inferred from a CSV file, or from a template",
        description=(
            "Write a starting linkage schema. From DATA.csv: read the header and a sample of "
            "rows and propose, per column, a feature type and comparison (names, street and "
            "place text, dates, postcodes and digit codes, numbers, categories; record keys "
            "are ignored), each explained in its description; no value from the data is "
            "written. Or copy a shipped template (--template NAME; --list shows them). "
            "Review the result, then run pprl schema check. See docs/schema.md."
        ),
    )
    i.add_argument("data", metavar="DATA.csv", nargs="?", default=None,
                   help="records to infer the schema from (UTF-8 CSV with a header row)")
    i.add_argument("--template", metavar="NAME", default=None,
                   help="copy the shipped template NAME instead of inferring")
    i.add_argument("--list", action="store_true", help="list the shipped templates and exit")
    i.add_argument("-o", "--output", metavar="SCHEMA.json", default=None)
    i.add_argument("--sample", type=int, default=10_000, metavar="N",
                   help="rows read from DATA.csv (default: 10000, from the top)")
    i.add_argument("--l", dest="length", type=int, default=1024, metavar="BITS",
                   help="CLK length in bits, a power of two (default: 1024)")
    i.set_defaults(func=run_init)
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


def run_init(args: argparse.Namespace) -> int:
    """Run ``pprl schema init``: write a starting schema; the exit status."""
    import json

    from .._atomic import atomic_open
    from ..encoding.templates import list_templates, template_path
    from ._common import check_output_path

    if args.list:
        templates = list_templates()
        width = max(map(len, templates), default=0)
        for name, desc in templates.items():
            print(f"{name:<{width}}  {desc}")
        return 0
    if (args.data is None) == (args.template is None):
        raise InputError("give either DATA.csv to infer a schema from, or --template NAME "
                         "(--list shows the templates)")
    if args.output is None:
        raise InputError("-o SCHEMA.json is required: the file to write the schema to")
    out = check_output_path(args.output)
    if args.template is not None:
        text = template_path(args.template).read_text(encoding="utf-8")
        with atomic_open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"pprl schema: template {args.template!r} -> {out}; next: pprl schema check "
              f"{out}", file=sys.stderr)
        return 0
    if args.sample < 1:
        raise InputError(f"--sample must be a positive integer; got {args.sample}")
    from ..encoding.infer import infer_schema

    sample = _read_sample(args.data, args.sample)
    doc = infer_schema(sample, l=args.length, source=str(args.data))
    with atomic_open(out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    feats = doc["features"]
    width = max(len(f["identifier"]) for f in feats)
    print(f"pprl schema: {len(feats)} columns from {len(sample)} sampled rows of {args.data} "
          f"-> {out}", file=sys.stderr)
    for f in feats:
        print(f"  {f['identifier']:<{width}}  {f['description']}", file=sys.stderr)
    print(f"pprl schema: review it, then: pprl schema check {out}", file=sys.stderr)
    return 0


def _read_sample(path: str, nrows: int):
    import pandas as pd

    from ..errors import FileFormatError
    from ._common import require_file

    p = require_file(path)
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False, nrows=nrows,
                           encoding="utf-8-sig", index_col=False)
    except pd.errors.EmptyDataError:
        raise FileFormatError(str(p), "empty file; expected a header row") from None
    except UnicodeDecodeError as exc:
        raise FileFormatError(str(p), f"not UTF-8 text (byte {exc.start}); save the file as "
                                      "UTF-8") from None
    except pd.errors.ParserError as exc:
        raise FileFormatError(str(p), f"not a readable CSV ({' '.join(str(exc).split())})"
                              ) from None


def run(args: argparse.Namespace) -> int:
    """Run ``pprl schema check``: print the schema's problems, or its summary; the exit status."""
    from ..encoding.schema import load_schema
    from ._common import require_file

    require_file(args.schema)  # a missing file is one line, worded as in every command
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
