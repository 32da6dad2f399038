"""``pprl encode``: a custodian's CSV file + schema + secret -> CLKs."""

from __future__ import annotations

import argparse
import gc
import sys
import time

from ..errors import FileFormatError, InputError, InvalidRecordError
from ._common import (
    add_progress_flag,
    check_output_path,
    read_secret,
    require_file,
    show_progress,
    warn,
)

__all__ = ["add_parser", "run"]

INVALID_POLICIES = ("error", "skip", "missing")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl encode`` sub-command and its options."""
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
    p.add_argument("--id-column", metavar="COL", default=None,
                   help="keep the values of column COL as record IDs (\"ids\" beside "
                        "\"clks\"; .npy: X.ids.json); default: the schema's ignored record-key "
                        "column (such as rec_id) when its values are unique")
    p.add_argument("--invalid", choices=INVALID_POLICIES, default=None,
                   help="a value that breaks the schema: error (default) stops; skip encodes "
                        "its row as an all-zero CLK; missing leaves out just that field so "
                        "the rest of the record links. skip and missing write a report")
    p.add_argument("--report", metavar="REPORT.csv", default=None,
                   help="with --invalid skip|missing: where to list every affected row, "
                        "column and reason (default: CLKS.json + .invalid.csv)")
    p.add_argument("--show-values", action="store_true",
                   help="quote offending values in errors and the report (off: they may be "
                        "personal data)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="deprecated: same as --invalid skip")
    p.add_argument("--workers", type=_positive, default=1, metavar="N",
                   help="processes encoding at once (default 1: this one); N > 1 forks N "
                        "workers while this process reads and writes, which pays on "
                        "machines with idle cores and files of many MiB")
    add_progress_flag(p)
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return v


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


def _table(chunk, sources: list[int | None]):
    """The chunk's records as the columns encode() takes (no DataFrame, so no pandas).

    Columns the reader factorized stay factorized: each distinct value is
    checked and hashed once.
    """
    import numpy as np

    from ..encoding.records import ColumnTable, Factorized

    cols: list = []
    for j in sources:
        if j is None:
            cols.append(None)
        elif isinstance(chunk.columns[j], tuple):
            codes, uniques = chunk.columns[j]
            cols.append(Factorized(np.asarray(codes, dtype=np.int64), list(uniques)))
        else:
            cols.append(chunk.columns[j])
    return ColumnTable(chunk.n, cols)


def _policy(args: argparse.Namespace) -> str:
    if args.skip_invalid:
        if args.invalid not in (None, "skip"):
            raise InputError(f"--skip-invalid contradicts --invalid {args.invalid}; "
                             "use --invalid alone")
        warn("encode", "--skip-invalid is deprecated; use --invalid skip")
        return "skip"
    return args.invalid or "error"


def _id_source(args, header: list[str], schema) -> tuple[int | None, bool]:
    """The CSV column holding record IDs, and whether the user named it."""
    if args.id_column is not None:
        if args.id_column not in header:
            raise FileFormatError(args.data, f"the header has no column {args.id_column!r} "
                                             "(--id-column)")
        return header.index(args.id_column), True
    from ..encoding.infer import looks_like_record_key

    for f in schema.features:
        if f.ignored and looks_like_record_key(f.identifier) and f.identifier in header:
            return header.index(f.identifier), False
    return None, False


def _first_repeat(hashes: list) -> tuple[int, int] | None:
    """Rows ``(i, j)``, ``i < j``, of the first repeated ID (by ``j``), or None."""
    import numpy as np

    h = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    order = np.argsort(h, kind="stable")
    same = np.flatnonzero(h[order][1:] == h[order][:-1])
    if not same.size:
        return None
    k = same[np.argmin(order[same + 1])]
    return int(order[k]), int(order[k + 1])


def _value_note(exc: InvalidRecordError, show: bool) -> str:
    if not show or exc.value is None:
        return ""
    v = exc.value
    return f", got {(v if len(v) <= 40 else v[:37] + '...')!r}"


def _encode_chunk(chunk, state):
    """Encode one chunk of records (in this process or a forked worker)."""
    from ..encoding.encode import encode, encode_with_mask

    sources, ids, schema, secret, policy, source = state
    table = _table(chunk, sources)
    if policy != "error":
        return encode_with_mask(table, schema, secret, progress=False, source=source,
                                invalid=policy)
    return encode(table, schema, secret, progress=False, source=source)


def _workers(args: argparse.Namespace) -> tuple[int, int | None]:
    """Processes to encode with (--workers), and the CSV block size.

    One process is the default: on a loaded 2-core machine forked workers
    cost more (pickling, copy-on-write) than they gain.  With workers the
    blocks shrink so that each gets at least two (down to 1 MiB).
    """
    import os

    from ..encoding import csv_stream

    size = os.stat(args.data).st_size
    block = csv_stream._BLOCK_BYTES
    workers = args.workers
    if workers > 1:
        return workers, max(min(block, 1 << 20), min(block, size // (2 * workers) + 1))
    return workers, None


def run(args: argparse.Namespace) -> int:
    """Run ``pprl encode``: encode the CSV records into CLKs; the exit status."""
    # The objects that exist now (every import) outlive the encoding: frozen, the
    # cyclic collector stops re-scanning them each time encoding allocates (about
    # 15% of the command's CPU); unfrozen after, for callers in a long process.
    gc.freeze()
    try:
        return _encode_file(args)
    finally:
        gc.unfreeze()


def _encode_file(args: argparse.Namespace) -> int:
    import numpy as np

    from ..encoding.clk_stream import clk_writer
    from ..encoding.csv_stream import CsvChunks
    from ..encoding.schema import load_schema
    from ..encoding.workers import ordered_map

    out = check_output_path(args.output)
    policy = _policy(args)
    report = None
    if policy != "error":
        report = check_output_path(args.report or f"{out}.invalid.csv", "--report")
    require_file(args.data)
    require_file(args.schema)
    schema = load_schema(args.schema)
    secret = read_secret(args.secret_file)
    t0 = time.perf_counter()
    ids = [f.identifier for f in schema.features]
    n = n_invalid = 0
    pc_sum = 0
    by_col: dict[str, int] = {}
    issues: list = []
    id_hashes: list = []
    bar = None
    workers, block = _workers(args)
    with CsvChunks(args.data, block_bytes=block) as chunks:
        sources = _sources(chunks.header, schema, args.match, args.data, args.schema)
        id_col, named = _id_source(args, chunks.header, schema)
        chunks.use_columns([j in sources or j == id_col for j in range(len(chunks.header))])
        if show_progress(args):
            from tqdm.auto import tqdm

            bar = tqdm(total=chunks.size, unit="B", unit_scale=True, unit_divisor=1024,
                       desc="encoding", leave=False)
        try:
            with clk_writer(out, schema.clk_l // 8, args.format,
                            ids=id_col is not None) as writer:
                state = (sources, ids, schema, secret, policy, args.data)
                for chunk, outcome in ordered_map(_encode_chunk, chunks, workers=workers,
                                                  state=state, share=False):
                    try:
                        if policy != "error":
                            res = outcome.get()
                            clks = res.clks
                            n_invalid += res.n_invalid
                            for c, k in res.invalid_by_column.items():
                                by_col[c] = by_col.get(c, 0) + k
                            if len(res.issues):
                                part = res.issues.copy()
                                part["line"] = [chunk.line(r) for r in part["row"].tolist()]
                                part["row"] += chunk.first_row
                                issues.append(part)
                            pc_sum += int(np.bitwise_count(clks[res.valid]).sum())
                        else:
                            clks = outcome.get()
                            pc_sum += int(np.bitwise_count(clks).sum())
                    except InvalidRecordError as exc:
                        if exc.row is None:
                            raise
                        raise InvalidRecordError(
                            f"{exc.reason}{_value_note(exc, args.show_values)} (line "
                            f"{chunk.line(exc.row)}); use --invalid missing to leave such "
                            "fields out, or --invalid skip to skip such rows",
                            row=chunk.first_row + exc.row, column=exc.column,
                            source=exc.source) from None
                    chunk_ids = None
                    if id_col is not None:
                        chunk_ids = chunk.values(id_col)
                        # str's own 64-bit hash (cached on the object): 10x cheaper than
                        # pandas' hash_array, and only compared within this process
                        id_hashes.append(np.fromiter(map(hash, chunk_ids), dtype=np.int64,
                                                     count=len(chunk_ids)))
                    writer.write(clks, chunk_ids)
                    n += chunk.n
                    if bar is not None:
                        bar.update(chunk.end_offset - bar.n)
                if id_col is not None:
                    rep = _first_repeat(id_hashes)
                    col = chunks.header[id_col]
                    if rep is not None and named:
                        raise FileFormatError(
                            args.data, f"row {rep[1]}, column {col!r}: the record ID repeats "
                                       f"row {rep[0]}'s; --id-column needs unique values")
                    if rep is not None:
                        warn("encode", f"column {col!r} repeats a record ID (rows {rep[0]} and "
                                       f"{rep[1]}), so no IDs are kept; name a unique column "
                                       "with --id-column")
                        writer.drop_ids()
                        id_col = None
                if report is not None:
                    _write_report(report, issues, args.show_values)
        finally:
            if bar is not None:
                bar.close()
    elapsed = time.perf_counter() - t0
    n_valid = n - n_invalid
    mean = pc_sum / n_valid if n_valid else 0.0
    rate = f" ({n / elapsed:,.0f} records/s)" if elapsed > 0 and n else ""
    kept = f", IDs from {chunks.header[id_col]!r}" if id_col is not None else ""
    msg = (f"pprl encode: {n} records in {elapsed:.2f} s{rate}, mean popcount {mean:.1f} of "
           f"{schema.clk_l} bits{kept} -> {out}")
    n_cells = sum(len(x) for x in issues)
    if policy == "skip":
        msg += f"; {n_invalid} invalid rows encoded as all-zero CLKs"
    elif policy == "missing":
        n_rows = len(np.unique(np.concatenate([x["row"].to_numpy() for x in issues]))
                     ) if issues else 0
        msg += f"; {n_cells} invalid fields in {n_rows} rows left out as missing"
    print(msg, file=sys.stderr)
    if not n:
        warn("encode", f"{args.data} has a header but no records; wrote 0 CLKs")
    if n_cells:
        cols = ", ".join(f"{c}: {k}" for c, k in sorted(by_col.items()))
        print(f"pprl encode: invalid {'rows' if policy == 'skip' else 'fields'} by column: "
              f"{cols}; every one is listed in {report}", file=sys.stderr)
    return 0


def _write_report(path, issues: list, show_values: bool) -> None:
    """Every affected cell: row, line, column, reason (and value when asked)."""
    import pandas as pd

    from .._atomic import atomic_open

    cols = ["row", "line", "column", "reason"] + (["value"] if show_values else [])
    frame = (pd.concat(issues, ignore_index=True) if issues
             else pd.DataFrame({c: [] for c in cols}))
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        frame[cols].to_csv(fh, index=False, lineterminator="\n")
