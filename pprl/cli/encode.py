"""``pprl encode``: a custodian's CSV file + schema + secret -> CLKs."""

from __future__ import annotations

import argparse
import sys
import time

from ..encoding.csv_stream import read_csv_rows
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


def _sources(header: list[str], schema, match: str, data: str,
             schema_path: str) -> list[int | None]:
    """For each schema feature, the CSV column that holds it (None: not read)."""
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
        return [None if f.ignored else i for i, f in enumerate(feats)]
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        index.setdefault(h, i)
    missing = [f.identifier for f in feats if not f.ignored and f.identifier not in index]
    if missing:
        raise FileFormatError(data, f"the header has no column {missing[0]!r} (needed by "
                                    f"{schema_path}; missing: {', '.join(missing)})")
    return [None if f.ignored else index[f.identifier] for f in feats]


def _frame(chunk, sources: list[int | None], ids: list[str]):
    """The chunk's records as the DataFrame encode() expects (ignored features empty).

    Columns the reader factorized become categoricals, which encode() takes
    as they are (each distinct value is checked and hashed once anyway).
    """
    import numpy as np
    import pandas as pd

    blank = None
    cols = {}
    for i, j in enumerate(sources):
        if j is None:
            if blank is None:
                blank = np.full(chunk.n, "", dtype=object)
            cols[i] = blank
        elif isinstance(chunk.columns[j], tuple):
            codes, uniques = chunk.columns[j]
            try:
                cols[i] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(
                    pd.Index(uniques, dtype=object)), validate=False)
            except ValueError:  # pandas' hashing took two values for one (NUL)
                cols[i] = chunk.values(j)
        else:
            cols[i] = chunk.columns[j]
    df = pd.DataFrame(cols, copy=False)
    df.columns = ids
    return df


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..encoding.clk_stream import clk_writer
    from ..encoding.csv_stream import CsvChunks
    from ..encoding.encode import encode, encode_with_mask
    from ..encoding.schema import load_schema

    out = check_output_path(args.output)
    schema = load_schema(args.schema)
    secret = read_secret(args.secret_file)
    t0 = time.perf_counter()
    ids = [f.identifier for f in schema.features]
    n = n_invalid = 0
    pc_sum = 0
    by_col: dict[str, int] = {}
    problems: list[tuple[InvalidRecordError, int, int]] = []
    bar = None
    with CsvChunks(args.data) as chunks:
        sources = _sources(chunks.header, schema, args.match, args.data, args.schema)
        chunks.use_columns([j in sources for j in range(len(chunks.header))])
        if show_progress(args):
            from tqdm.auto import tqdm

            bar = tqdm(total=chunks.size, unit="B", unit_scale=True, unit_divisor=1024,
                       desc="encoding", leave=False)
        try:
            with clk_writer(out, schema.clk_l // 8, args.format) as writer:
                for chunk in chunks:
                    df = _frame(chunk, sources, ids)
                    try:
                        if args.skip_invalid:
                            res = encode_with_mask(df, schema, secret, progress=False,
                                                   source=args.data)
                            clks = res.clks
                            n_invalid += res.n_invalid
                            for c, k in res.invalid_by_column.items():
                                by_col[c] = by_col.get(c, 0) + k
                            for p in res.problems[:max(0, 5 - len(problems))]:
                                problems.append((p, chunk.first_row, chunk.line(p.row)))
                            pc_sum += int(np.bitwise_count(clks[res.valid]).sum())
                        else:
                            clks = encode(df, schema, secret, progress=False, source=args.data)
                            pc_sum += int(np.bitwise_count(clks).sum())
                    except InvalidRecordError as exc:
                        if exc.row is None:
                            raise
                        raise InvalidRecordError(
                            f"{exc.reason} (line {chunk.line(exc.row)}); use --skip-invalid "
                            "to encode such rows as all-zero CLKs", row=chunk.first_row + exc.row,
                            column=exc.column, source=exc.source) from None
                    writer.write(clks)
                    n += chunk.n
                    if bar is not None:
                        bar.update(chunk.end_offset - bar.n)
        finally:
            if bar is not None:
                bar.close()
    elapsed = time.perf_counter() - t0
    n_valid = n - n_invalid
    mean = pc_sum / n_valid if n_valid else 0.0
    rate = f" ({n / elapsed:,.0f} records/s)" if elapsed > 0 and n else ""
    msg = (f"pprl encode: {n} records in {elapsed:.2f} s{rate}, mean popcount {mean:.1f} of "
           f"{schema.clk_l} bits -> {out}")
    if args.skip_invalid:
        msg += f"; {n_invalid} invalid rows encoded as all-zero CLKs"
    print(msg, file=sys.stderr)
    if not n:
        print(f"pprl encode: warning: {args.data} has a header but no records; wrote 0 CLKs",
              file=sys.stderr)
    if args.skip_invalid and n_invalid:
        cols = ", ".join(f"{c}: {k}" for c, k in sorted(by_col.items()))
        print(f"pprl encode: invalid rows by column: {cols}", file=sys.stderr)
        for p, first_row, line in problems:
            moved = InvalidRecordError(p.reason, row=first_row + p.row, column=p.column,
                                       source=p.source)
            print(f"pprl encode: {moved} (line {line})", file=sys.stderr)
    return 0
