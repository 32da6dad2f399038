"""``pprl encode``: a custodian's CSV file + schema + secret -> CLKs."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

from ..errors import FileFormatError, InvalidRecordError
from ._common import add_progress_flag, check_output_path, read_secret, show_progress

__all__ = ["add_parser", "run", "read_csv_rows"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "encode",
        help="encode a CSV file of records into CLKs with a linkage schema and a secret",
        description=(
            "Encode every record of DATA.csv (a header row, then one record per line) into a "
            "CLK, as clkhash 0.18 does, and write them in input order. The secret is read "
            "from --secret-file or the PPRL_SECRET environment variable and never printed."
        ),
    )
    p.add_argument("data", metavar="DATA.csv", help="records, UTF-8 CSV with a header row")
    p.add_argument("schema", metavar="SCHEMA.json",
                   help="clkhash linkage schema (v3; v1/v2 converted)")
    p.add_argument("--secret-file", metavar="KEY", default=None,
                   help="file holding the shared secret (default: $PPRL_SECRET)")
    p.add_argument("-o", "--output", required=True, metavar="CLKS.json")
    p.add_argument("--format", choices=("json", "npy"), default=None,
                   help="output format (default: npy if the name ends in .npy, else json)")
    p.add_argument("--match", choices=("position", "name"), default="position",
                   help="match CSV columns to schema features by position (default; the "
                        "header must equal the identifiers) or by name")
    p.add_argument("--skip-invalid", action="store_true",
                   help="encode rows that break the schema as all-zero CLKs and report them, "
                        "instead of stopping at the first one")
    add_progress_flag(p)
    p.set_defaults(func=run)


def read_csv_rows(path: str | Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Read a UTF-8 CSV: header, rows, and the file line on which each row ends.

    Raises
    ------
    FileFormatError
        With the line number for bad encoding or a row whose number of fields
        differs from the header's.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(str(p), "no such file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise FileFormatError(str(p), f"line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                                      "cannot be decoded); save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileFormatError(str(p), "empty file; expected a header row") from None
    except csv.Error as exc:
        raise FileFormatError(str(p), f"line 1: {exc}") from None
    rows: list[list[str]] = []
    lines: list[int] = []
    width = len(header)
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if len(row) != width:
                raise FileFormatError(
                    str(p), f"line {reader.line_num}: has {len(row)} fields but the header "
                            f"has {width}")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise FileFormatError(str(p), f"line {reader.line_num}: {exc}") from None
    return header, rows, lines


def _arrange(header: list[str], rows: list[list[str]], schema, match: str, data: str,
             schema_path: str) -> list[list[str]]:
    feats = schema.features
    ids = [f.identifier for f in feats]
    if match == "position":
        if len(header) != len(feats):
            raise FileFormatError(
                data, f"the header has {len(header)} columns but {schema_path} has "
                      f"{len(feats)} features ({', '.join(ids)}); use --match name to pick "
                      "columns by name")
        for i, (h, f) in enumerate(zip(header, ids, strict=True)):
            if h != f:
                raise FileFormatError(
                    data, f"header column {i + 1} is {h!r} but {schema_path} expects {f!r}; "
                          "reorder the columns or use --match name")
        return rows
    index = {}
    for i, h in enumerate(header):
        index.setdefault(h, i)
    missing = [f.identifier for f in feats if not f.ignored and f.identifier not in index]
    if missing:
        raise FileFormatError(data, f"the header has no column {missing[0]!r} (needed by "
                                    f"{schema_path}; missing: {', '.join(missing)})")
    cols = [index[f.identifier] if not f.ignored else None for f in feats]
    return [[("" if c is None else r[c]) for c in cols] for r in rows]


def run(args: argparse.Namespace) -> int:
    from ..bits import popcount, write_clks
    from ..encoding.encode import encode, encode_with_mask
    from ..encoding.schema import load_schema

    out = check_output_path(args.output)
    schema = load_schema(args.schema)
    secret = read_secret(args.secret_file)
    header, rows, lines = read_csv_rows(args.data)
    rows = _arrange(header, rows, schema, args.match, args.data, args.schema)
    t0 = time.perf_counter()
    n_invalid = 0
    valid = None
    try:
        if args.skip_invalid:
            res = encode_with_mask(rows, schema, secret, progress=show_progress(args),
                                   source=args.data)
            clks, n_invalid, valid = res.clks, res.n_invalid, res.valid
        else:
            clks = encode(rows, schema, secret, progress=show_progress(args), source=args.data)
    except InvalidRecordError as exc:
        line = f" (line {lines[exc.row]})" if exc.row is not None and exc.row < len(lines) else ""
        raise InvalidRecordError(f"{exc.reason}{line}; use --skip-invalid to encode such rows "
                                 "as all-zero CLKs", row=exc.row, column=exc.column,
                                 source=exc.source) from None
    elapsed = time.perf_counter() - t0
    write_clks(clks, out, args.format)
    n = clks.shape[0]
    pc = popcount(clks)
    if valid is not None:
        pc = pc[valid]
    mean = float(pc.mean()) if pc.size else 0.0
    rate = f" ({n / elapsed:,.0f} records/s)" if elapsed > 0 and n else ""
    msg = (f"pprl encode: {n} records in {elapsed:.2f} s{rate}, mean popcount {mean:.1f} of "
           f"{schema.l} bits -> {out}")
    if args.skip_invalid:
        msg += f"; {n_invalid} invalid rows encoded as all-zero CLKs"
    print(msg, file=sys.stderr)
    if args.skip_invalid and n_invalid:
        by_col = ", ".join(f"{c}: {k}" for c, k in sorted(res.invalid_by_column.items()))
        print(f"pprl encode: invalid rows by column: {by_col}", file=sys.stderr)
        for p in res.problems[:5]:
            line = f" (line {lines[p.row]})" if p.row < len(lines) else ""
            print(f"pprl encode: {p}{line}", file=sys.stderr)
    return 0

