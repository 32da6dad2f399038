"""Greedy one-to-one matching: pprl against anonlink's greedy_solve, in one run.

Builds one candidate set (default 20 million pairs between 200,000 x 200,000
records, scores in [0.5, 1] with ties, like FEBRL-scale CLKs linked at
threshold 0.5), then times each solver in its own subprocess so that peak
memory (ru_maxrss above the loaded input) is measured separately, and checks
that every solver keeps the same pairs.  Prints wall and CPU seconds (user +
system; on a shared machine the CPU ratio is the steadier one).

    python benchmarks/bench_match.py                # 20M candidates
    python benchmarks/bench_match.py --pairs 2e6    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def make_candidates(n_pairs: int, n_records: int, seed: int):
    from pprl import Candidates

    rng = np.random.default_rng(seed)
    per_row = max(1, n_pairs // n_records)
    a = np.repeat(np.arange(n_records, dtype=np.int64), per_row)
    b = rng.integers(0, n_records, size=a.size, dtype=np.int64)
    # true pairs score high, the rest spread over [0.5, 0.8) on a 1/1024 grid (ties)
    score = 0.5 + np.floor(rng.random(a.size) * 0.3 * 1024) / 1024
    true = np.arange(0, a.size, per_row)
    b[true] = rng.permutation(n_records)
    score[true] = 0.8 + np.floor(rng.random(true.size) * 0.2 * 1024) / 1024
    key = a * n_records + b
    _, first = np.unique(key, return_index=True)  # drop duplicate pairs
    return Candidates.from_unsorted(a[first], b[first], score[first])


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB.

    VmHWM belongs to the address space, so unlike ``ru_maxrss`` it does not
    inherit the parent's high-water mark across fork + exec.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def solve(which: str, path: str) -> dict:
    a, b, s = (np.load(f"{path}.{name}.npy") for name in ("a", "b", "score"))
    base = rss_mb()
    if which.startswith("pprl"):
        from pprl import Candidates, greedy_match

        backend = which.split(":")[1]
        t0, c0 = time.perf_counter(), time.process_time()
        m = greedy_match(Candidates(a, b, s), backend=backend)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        pairs = np.stack([m.a, m.b], axis=1)
    else:
        import array

        from anonlink.solving import greedy_solve, pairs_from_groups

        # anonlink takes array.array inputs; the conversion is part of its cost.
        t0, c0 = time.perf_counter(), time.process_time()
        cands = (
            array.array("d", s.tobytes()),
            (array.array("I", np.zeros(len(a), np.uint32).tobytes()),
             array.array("I", np.ones(len(a), np.uint32).tobytes())),
            (array.array("I", a.astype(np.uint32).tobytes()),
             array.array("I", b.astype(np.uint32).tobytes())),
        )
        groups = greedy_solve(cands)
        pairs = np.array(sorted(pairs_from_groups(groups)), dtype=np.int64).reshape(-1, 2)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    out = path + f".{which.replace(':', '_')}.npy"
    np.save(out, pairs)
    return {"seconds": dt, "cpu_seconds": cpu, "extra_peak_mb": rss_mb() - base,
            "n_matches": len(pairs), "pairs": out}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--pairs", type=float, default=20e6)
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(solve(*args.child)))
        return

    from pprl import available_backends

    t0 = time.perf_counter()
    c = make_candidates(int(args.pairs), args.records, args.seed)
    print(f"candidates: {len(c):,} pairs over {args.records:,} x {args.records:,} records "
          f"(built in {time.perf_counter() - t0:.1f}s); backends: {available_backends()}")
    solvers = ["pprl:native", "pprl:numpy"]
    if not available_backends().get("native"):
        solvers.remove("pprl:native")
    try:
        import anonlink  # noqa: F401
        solvers.append("anonlink")
    except ImportError:
        print("anonlink not installed: pip install -e '.[bench]' to compare")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cands")
        for name in ("a", "b", "score"):
            np.save(f"{path}.{name}.npy", getattr(c, name))
        results = {}
        for which in solvers:
            out = subprocess.run(
                [sys.executable, __file__, "--child", which, path],
                check=True, capture_output=True, text=True,
            )
            results[which] = json.loads(out.stdout.strip().splitlines()[-1])
        ref = np.load(results[solvers[0]]["pairs"])
        print(f"\n{'solver':<14}{'seconds':>10}{'CPU s':>10}{'extra peak MB':>16}{'matches':>12}"
              "  same pairs")
        for which, r in results.items():
            same = np.array_equal(np.load(r["pairs"]), ref)
            print(f"{which:<14}{r['seconds']:>10.2f}{r['cpu_seconds']:>10.2f}{r['extra_peak_mb']:>16.1f}"
                  f"{r['n_matches']:>12,}  {same}")
        if "anonlink" in results:
            an = results["anonlink"]
            for which in solvers[:-1]:
                r = results[which]
                print(f"{which} vs anonlink: {an['seconds'] / r['seconds']:.1f}x faster "
                      f"(CPU: {an['cpu_seconds'] / max(r['cpu_seconds'], 1e-3):.1f}x), "
                      f"{an['extra_peak_mb'] / max(r['extra_peak_mb'], 1):.1f}x less extra memory")


if __name__ == "__main__":
    main()
