"""Scoring the pairs that share an LSH bucket: numpy against the native kernel.

    python benchmarks/bench_score_pairs.py                       # 200,000 random-ish CLKs
    python benchmarks/bench_score_pairs.py --clks a.npy b.npy    # e.g. bench_scale's people

For ``--tables`` tables of ``--bits`` sampled bits, the rows of A and B are
grouped by key and every pair in a shared bucket is scored at ``--threshold``
three ways: numpy (the pairs written out, then scored in batches -- the
reference, and what blocking did before the native entries), the native
``pprl_score_pairs`` on the same written-out pairs, and the native
``pprl_score_buckets`` on the buckets themselves (what blocking does now).
Prints CPU ns per pair that shares a bucket for each, and the ratios against
numpy in the same run, and what writing the pairs out costs on top of the
two pair paths.  Single-threaded; on a shared machine take the
median of a few runs.  All three must agree (checked).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pprl.linkage import _lsh, backend


def _clks(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = np.packbits(rng.random((n, 1024)) < 0.25, axis=1)
    b = a.copy()
    half = n // 2  # B: noisy copies of half of A, then strangers
    b[:half] ^= np.packbits(rng.random((half, 1024)) < 0.03, axis=1)
    b[half:] = np.packbits(rng.random((n - half, 1024)) < 0.25, axis=1)
    return a, b


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clks", nargs=2, metavar=("A", "B"), help="two .npy CLK arrays")
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--tables", type=int, default=8)
    p.add_argument("--bits", type=int, default=20)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    a, b = (np.load(f) for f in args.clks) if args.clks else _clks(args.records, args.seed)
    aw, bw = _lsh.words(a), _lsh.words(b)
    pa, pb = backend._dice_numpy.popcounts(aw), backend._dice_numpy.popcounts(bw)
    pos = _lsh.table_positions(args.seed, args.tables, args.bits, a.shape[1] * 8)
    ka = _lsh.table_keys(np.ascontiguousarray(a.T), pos)
    kb = _lsh.table_keys(np.ascontiguousarray(b.T), pos)
    numpy_s = backend.pair_scorer(aw, bw, pa, pb, args.threshold, "numpy")
    native_s = backend.pair_scorer(aw, bw, pa, pb, args.threshold, "native")
    cpu = {"numpy": 0.0, "native pairs": 0.0, "native buckets": 0.0}
    write_out = 0.0
    pairs = kept = 0
    for t in range(args.tables):
        oa, ob, bks, _ = _lsh.buckets(ka[t], kb[t], 1 << 62)
        c = time.process_time()
        batches = list(_lsh.bucket_pairs(oa, ob, bks))  # the pairs written out (both pair paths)
        write_out += time.process_time() - c
        pairs += sum(len(x) for x, _ in batches)
        c0 = time.process_time()
        ref = [numpy_s(x, y) for x, y in batches]
        c1 = time.process_time()
        nat = [native_s(x, y) for x, y in batches]
        c2 = time.process_time()
        got = native_s.buckets(oa, ob, bks)
        c3 = time.process_time()
        cpu["numpy"] += c1 - c0
        cpu["native pairs"] += c2 - c1
        cpu["native buckets"] += c3 - c2
        want = [np.concatenate([r[i] for r in ref]) for i in range(3)]
        for i in range(3):
            assert np.array_equal(np.concatenate([r[i] for r in nat]), want[i])
            assert np.array_equal(got[i], want[i])
        kept += len(want[0])
    print(f"{a.shape[0]:,} x {b.shape[0]:,} CLKs of {a.shape[1] * 8} bits, {args.tables} tables "
          f"x {args.bits} bits: {pairs:,} pairs share a bucket, {kept:,} kept at "
          f"{args.threshold}; native path {backend.available_backends()['isa']}")
    for name, s in cpu.items():
        print(f"  {name:<16}{1e9 * s / max(pairs, 1):8.1f} ns/pair  "
              f"{cpu['numpy'] / s if s else float('nan'):6.1f}x numpy")
    print(f"  (writing the pairs out, which both pair paths need first: "
          f"{1e9 * write_out / max(pairs, 1):.1f} ns/pair)")


if __name__ == "__main__":
    main()
