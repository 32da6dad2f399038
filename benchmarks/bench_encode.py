"""Encoding speed: pprl against clkhash 0.18 on the same synthetic people, one process.

    python benchmarks/bench_encode.py                  # 100,000 records, pprl x3, clkhash x1
    python benchmarks/bench_encode.py --records 20000 --clkhash-records 5000

Prints records per CPU second (user + system; both run on one thread) for each,
the ratio, and peak memory (from an
extra run under tracemalloc: Python and numpy allocations; clkhash's on at
most 5,000 records, as tracing slows it down a lot), and checks that the
bytes are identical on the records both encoded.  The schema is the shipped
person schema (9 hashed fields: names with 2-grams, address, postcode, date
of birth, ...).  clkhash runs with ``max_workers=1`` and cold caches.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc

import numpy as np


def _people(n: int, seed: int, corrupted: bool):
    import pandas as pd

    from pprl.synthetic import make_dataset, make_people

    if not corrupted:
        return make_people(n, rng=seed)
    ds = make_dataset(max(1, n // 2), rng=seed)  # two parties with typos, missing values...
    return pd.concat(ds.parties, ignore_index=True).iloc[:n]


def _timed(fn):
    """The result and the CPU seconds (user + system) of ``fn()``: both encoders run on one
    thread here, so CPU time is what they cost, where wall time on a shared machine also
    counts the waits for a core."""
    t0 = time.process_time()
    out = fn()
    return out, time.process_time() - t0


def _peak(fn) -> int:
    """Peak traced memory of a separate run (tracemalloc slows the run down)."""
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000, help="records for pprl")
    ap.add_argument("--clkhash-records", type=int, default=None,
                    help="records for clkhash (default: same as --records)")
    ap.add_argument("--repeats", type=int, default=3, help="pprl runs (best is reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-clkhash", action="store_true", help="time pprl only")
    ap.add_argument("--corrupted", action="store_true",
                    help="records of two corrupted parties (make_dataset) instead of clean people")
    args = ap.parse_args(argv)

    import pprl
    from pprl.encoding.schema import PERSON_SCHEMA_PATH, person_schema

    secret = b"benchmark secret"
    df = _people(args.records, args.seed, args.corrupted)
    schema = person_schema()
    kind = "corrupted synthetic" if args.corrupted else "synthetic"
    print(f"{len(df):,} {kind} people, person schema ({schema.l} bits, "
          f"{sum(not f.ignored for f in schema.features)} hashed fields)")

    best = None
    for i in range(args.repeats):
        clks, dt = _timed(lambda: pprl.encode(df, schema, secret, progress=False))
        print(f"  pprl run {i + 1}: {dt:.3f} CPU s = {len(df) / dt:,.0f} records/s")
        best = dt if best is None else min(best, dt)
    pprl_rate = len(df) / best
    peak = _peak(lambda: pprl.encode(df, schema, secret, progress=False))
    print(f"pprl    : {pprl_rate:12,.0f} records/s (best of {args.repeats}), "
          f"peak {peak / 2**20:.0f} MiB traced")
    if args.no_clkhash:
        return 0

    try:
        from clkhash import clk as ch_clk
        from clkhash import schema as ch_schema
    except ImportError:
        print("clkhash is not installed (pip install pprl[bench]); skipping the comparison")
        return 0
    n_ch = args.clkhash_records or args.records
    rows = df.iloc[:n_ch].astype(str).values.tolist()
    with open(PERSON_SCHEMA_PATH) as fh:
        ch_s = ch_schema.from_json_dict(json.load(fh))
    ref, dt_ch = _timed(
        lambda: ch_clk.generate_clks(rows, ch_s, secret, validate=True, max_workers=1))
    ch_rate = len(rows) / dt_ch
    small = rows[:min(len(rows), 5000)]
    peak_ch = _peak(lambda: ch_clk.generate_clks(small, ch_s, secret, max_workers=1))
    print(f"clkhash : {ch_rate:12,.0f} records/s ({len(rows):,} records, {dt_ch:.2f} CPU s), "
          f"peak {peak_ch / 2**20:.0f} MiB traced on {len(small):,} records")
    print(f"ratio   : {pprl_rate / ch_rate:12.1f} x")
    ref_arr = np.array([np.frombuffer(b.tobytes(), dtype=np.uint8) for b in ref])
    same = np.array_equal(ref_arr, clks[:len(rows)])
    print(f"bytes identical on {len(rows):,} records: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
