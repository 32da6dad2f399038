"""Memory per candidate of candidate generation: pprl against anonlink, in one run.

Each method runs in its own subprocess on the same saved CLKs; its peak
resident memory (VmHWM) above what the process held once the inputs were
loaded, divided by the number of candidates, is the figure printed.  Two
kinds of 1,024-bit CLKs:

* ``person``: ``pprl.make_dataset`` people encoded with ``person_schema``;
* ``spread``: bench_dice.py's sparse CLKs with a wide popcount spread.

    python benchmarks/bench_memory.py                  # 20,000 x 20,000, threshold 0.6
    python benchmarks/bench_memory.py --n 5000 --threshold 0.5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_mib() -> float:
    """VmHWM: this process's peak resident memory (not inherited across exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def person_pair(n: int, seed: int):
    sys.path.insert(0, HERE)
    from bench_dice import person_pair as make

    return make(n, seed)


def spread_pair(n: int, seed: int):
    sys.path.insert(0, HERE)
    from bench_dice import spread_pair as make

    return make(np.random.default_rng(seed), n, 1024)


def child(method: str, path: str, threshold: float) -> dict:
    a, b = np.load(path + ".a.npy"), np.load(path + ".b.npy")
    if method == "anonlink":
        from anonlink.candidate_generation import find_candidate_pairs
        from anonlink.similarities import dice_coefficient_accelerated

        from pprl.bits import clks_to_bitarrays

        la, lb = clks_to_bitarrays(a), clks_to_bitarrays(b)
        base = peak_mib()
        t0 = time.perf_counter()
        sims, _, _ = find_candidate_pairs([la, lb], dice_coefficient_accelerated, threshold)
        n = len(sims)
    else:
        import pprl

        pprl.candidate_pairs(a[:8], b[:8], threshold, backend=method)  # load + self-check
        base = peak_mib()
        t0 = time.perf_counter()
        c = pprl.candidate_pairs(a, b, threshold, backend=method)
        n = len(c)
    secs = time.perf_counter() - t0
    extra = (peak_mib() - base) * 2**20
    return {"seconds": secs, "candidates": n, "extra_mib": extra / 2**20,
            "bytes_per_candidate": extra / max(n, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20_000, help="records per party (default 20000)")
    p.add_argument("--threshold", type=float, default=0.6)
    p.add_argument("--data", choices=["person", "spread", "both"], default="both")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], float(args.child[2]))))
        return
    try:
        import anonlink  # noqa: F401

        methods = ["native", "anonlink"]
    except ImportError:
        methods = ["native"]
    print(f"pprl bench_memory: {args.n} x {args.n} CLKs, threshold {args.threshold}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"{'data':7} {'method':9} {'candidates':>11} {'seconds':>8} {'extra MiB':>10} "
          f"{'bytes/candidate':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in (["person", "spread"] if args.data == "both" else [args.data]):
            a, b = (person_pair if name == "person" else spread_pair)(args.n, args.seed)
            path = os.path.join(tmp, name)
            np.save(path + ".a.npy", a)
            np.save(path + ".b.npy", b)
            for method in methods:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", method, path, str(args.threshold)],
                    capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{name:7} {method:9} {r['candidates']:>11,} {r['seconds']:>8.2f} "
                      f"{r['extra_mib']:>10.1f} {r['bytes_per_candidate']:>16.1f}", flush=True)
    print("extra MiB = peak resident memory (VmHWM) of the run above the process's peak once "
          "its inputs were loaded; pprl's result is three arrays of 24 bytes per candidate.")


if __name__ == "__main__":
    main()
