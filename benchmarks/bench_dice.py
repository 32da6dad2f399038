"""Throughput of candidate generation: pprl's Dice kernels against anonlink.

Prints, in one run on the same data, comparisons per second (all n x m pairs
counted, whatever the pruning skipped) of ``pprl.candidate_pairs`` for the
numpy backend, the native default (which times the instruction-set paths on
a sample of each call's data and runs the fastest) and every native path this
CPU can run, forced (1 thread and all threads), and anonlink's ``find_candidate_pairs`` with its
accelerated Dice (when installed), with the ratio to anonlink and the peak
memory of each stage.

Two data sets of 1,024-bit CLKs:

* ``uniform``: every bit set with probability 1/2 (popcount ~ 512 +- 16, so
  the popcount window prunes nothing);
* ``spread``: popcounts ~ N(300, 60) like real Bloom filter encodings, B half
  noisy copies of A (true matches) and half fresh records;
* ``person`` (``--data person`` or ``all``): ``pprl.make_dataset`` people
  encoded with ``person_schema`` (1,024 bits whatever ``--bits`` says).

Usage::

    python benchmarks/bench_dice.py                 # 20,000 x 20,000, threshold 0.8
    python benchmarks/bench_dice.py --n 5000        # quick
    python benchmarks/bench_dice.py --data person --threshold 0.45 --k 22   # best 22 per row
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import sys
import time
import tracemalloc

import numpy as np

from pprl import available_backends
from pprl.bits import clks_to_bitarrays
from pprl.linkage import similarity


def uniform_clks(rng, n, nbits):
    return np.packbits(rng.random((n, nbits), dtype=np.float32) < 0.5, axis=1)


def spread_clks(rng, n, nbits, mean=300.0, sd=60.0):
    counts = np.clip(np.rint(rng.normal(mean, sd, n)), 1, nbits).astype(int)
    keys = rng.random((n, nbits), dtype=np.float32)
    # the `count` smallest keys of each row are its set bits
    kth = np.take_along_axis(np.sort(keys, axis=1), (counts - 1)[:, None], axis=1)
    return np.packbits(keys <= kth, axis=1)


def spread_pair(rng, n, nbits):
    a = spread_clks(rng, n, nbits)
    half = n // 2
    flips = np.packbits(rng.random((half, nbits), dtype=np.float32) < 0.03, axis=1)
    b = np.concatenate([a[:half] ^ flips, spread_clks(rng, n - half, nbits)])
    return a, b[rng.permutation(n)]


def person_pair(n, seed):
    """pprl's person CLKs: make_dataset people encoded with person_schema (1,024 bits)."""
    from pprl import encode, make_dataset, person_schema

    ds = make_dataset(n, rng=seed)
    secret = b"bench: a fixed made-up secret"
    return tuple(encode(p, person_schema(), secret, progress=False) for p in ds.parties[:2])


def measure(fn, repeat):
    """Best wall time and best CPU time (all threads) of ``repeat`` runs, the last
    result, and the tracemalloc peak (MiB)."""
    best = best_cpu = float("inf")
    result = None
    tracemalloc.start()
    tracemalloc.reset_peak()
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, best_cpu, result, peak


@contextlib.contextmanager
def forced_path(isa):
    """Run one instruction-set path, as PPRL_DICE_ISA would (no per-call timing)."""
    from pprl.linkage import backend

    before, env = available_backends()["isa"], os.environ.get("PPRL_DICE_ISA")
    os.environ["PPRL_DICE_ISA"] = isa
    backend.set_isa(isa)
    try:
        yield
    finally:
        backend.set_isa(before)
        if env is None:
            del os.environ["PPRL_DICE_ISA"]
        else:
            os.environ["PPRL_DICE_ISA"] = env


def maxrss_mib():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 2**10


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20_000, help="records per party (default 20000)")
    p.add_argument("--bits", type=int, default=1024, help="CLK length in bits (default 1024)")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--k", type=int, default=None,
                   help="keep the best k pairs per row of A (anonlink: its k as well)")
    p.add_argument("--repeat", type=int, default=2, help="runs per measurement (best kept)")
    p.add_argument("--numpy-rows", type=int, default=1000,
                   help="rows of A given to the numpy backend; its rate is scaled (default 1000)")
    p.add_argument("--threads", type=int, default=None, help="'all threads' (default: all cores)")
    p.add_argument("--data", choices=["uniform", "spread", "person", "both", "all"],
                   default="both", help="both = uniform and spread; all adds person")
    p.add_argument("--no-anonlink", action="store_true")
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)

    info = available_backends()
    threads = args.threads or info["threads"]
    best_k = "" if args.k is None else f", best {args.k} per row"
    print(f"pprl bench_dice: {args.n} x {args.n} CLKs of {args.bits} bits, threshold "
          f"{args.threshold}{best_k}, best of {args.repeat}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"all threads = {threads}")
    print(f"backends: {info}")
    try:
        import anonlink
        from anonlink.similarities import dice_coefficient_accelerated
    except ImportError:
        anonlink = None
    if args.no_anonlink:
        anonlink = None
    if anonlink is not None:
        from importlib.metadata import version

        print(f"anonlink {version('anonlink')}: find_candidate_pairs + "
              "dice_coefficient_accelerated (single-threaded)")

    rng = np.random.default_rng(args.seed)
    datasets = {"both": ["uniform", "spread"], "all": ["uniform", "spread", "person"]}.get(
        args.data, [args.data])
    header = (f"{'data':8} {'method':26} {'threads':>7} {'seconds':>8} {'comparisons/s':>14} "
              f"{'x anonlink':>10} {'cpu s':>8} {'x cpu':>10} {'candidates':>10} "
              f"{'peak MiB':>9} {'maxrss MiB':>10}")
    for name in datasets:
        if name == "uniform":
            a, b = uniform_clks(rng, args.n, args.bits), uniform_clks(rng, args.n, args.bits)
        elif name == "person":
            a, b = person_pair(args.n, args.seed)
            a, b = a[:args.n], b[:args.n]
        else:
            a, b = spread_pair(rng, args.n, args.bits)
        pcs = similarity.popcounts(a)
        print(f"\n[{name}] popcount mean {pcs.mean():.0f}, sd {pcs.std():.0f}; input "
              f"{(a.nbytes + b.nbytes) / 2**20:.1f} MiB")
        print(header)
        pairs = args.n * args.n
        rows = []
        ref_rate = None
        if anonlink is not None:
            la, lb = clks_to_bitarrays(a), clks_to_bitarrays(b)
            secs, cpu, res, peak = measure(
                lambda la=la, lb=lb: anonlink.candidate_generation.find_candidate_pairs(
                    [la, lb], dice_coefficient_accelerated, args.threshold, k=args.k),
                args.repeat)
            ref_rate = pairs / secs
            rows.append(("anonlink", 1, secs, cpu, ref_rate, len(res[0]), peak))
            del la, lb
        isas = info["isas"] if info["native"] else []
        for t in sorted({1, threads}) if isas else []:  # the default: paths timed per call
            secs, cpu, res, peak = measure(
                lambda t=t, a=a, b=b: similarity.candidate_pairs(
                    a, b, args.threshold, k=args.k, threads=t, backend="native"), args.repeat)
            chosen = available_backends()["last_isa"]
            rows.append((f"native/auto={chosen}", t, secs, cpu, pairs / secs, len(res), peak))
        for isa in isas:
            with forced_path(isa):
                for t in sorted({1, threads}):
                    secs, cpu, res, peak = measure(
                        lambda t=t, a=a, b=b: similarity.candidate_pairs(
                            a, b, args.threshold, k=args.k, threads=t, backend="native"),
                        args.repeat)
                    rows.append((f"native/{isa}", t, secs, cpu, pairs / secs, len(res), peak))
        sub = min(args.numpy_rows, args.n)
        secs, cpu, res, peak = measure(
            lambda a=a[:sub], b=b: similarity.candidate_pairs(
                a, b, args.threshold, k=args.k, threads=threads, backend="numpy"), 1)
        rows.append((f"numpy ({sub} rows, scaled)", threads, secs * args.n / sub,
                     cpu * args.n / sub, sub * args.n / secs, f"{len(res)}/{sub}r", peak))
        ref_cpu = rows[0][3] if ref_rate else None
        for method, t, secs, cpu, rate, ncand, peak in rows:
            ratio = f"{rate / ref_rate:.2f}" if ref_rate else "-"
            cpu_ratio = f"{ref_cpu / cpu:.2f}" if ref_cpu else "-"
            print(f"{name:8} {method:26} {t:>7} {secs:>8.2f} {rate:>14.3g} {ratio:>10} "
                  f"{cpu:>8.2f} {cpu_ratio:>10} {ncand!s:>10} {peak:>9.1f} "
                  f"{maxrss_mib():>10.0f}")
        sys.stdout.flush()
    print("\nnotes: comparisons/s = n*m / best wall time; x anonlink = ratio of those rates; "
          "cpu s = best CPU time of the process (all threads), x cpu = anonlink's CPU time / "
          "this one (steadier than wall time on a shared machine); the numpy row ran on the first "
          f"{min(args.numpy_rows, args.n)} rows of A and its time is scaled to all rows; "
          "peak MiB = tracemalloc peak of that stage (numpy and Python allocations; "
          "anonlink's C++ vectors are not traced); maxrss = process high-water mark so far.")


if __name__ == "__main__":
    main()
