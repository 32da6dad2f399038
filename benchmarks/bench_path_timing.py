"""What choosing the instruction-set path costs a candidate scan: default against forced.

    python benchmarks/bench_path_timing.py --clks A.npy B.npy      # person CLKs from pprl encode
    python benchmarks/bench_path_timing.py                           # makes 20,000 people

For each shape (10,000 x 10,000 and 1,000,000 x 10,000 rows of A x B, rows
repeated when the files hold fewer), CPU time (user + system, all threads;
steadier than wall time on a shared machine) of ``pprl.candidate_pairs`` at
``--threshold``: the default (the path chosen at run time; the remembered
winner is forgotten before each run, so every run pays for its timing: the
worst case), the same call again (``remembered``: the winner runs untimed),
and each path forced with ``PPRL_DICE_ISA``'s switch, best and median of
``--repeat`` runs, and each default's cost over the best forced path
(target: at most 5 %).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _rows(x: np.ndarray, n: int) -> np.ndarray:
    return x[np.arange(n) % len(x)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--clks", nargs=2, metavar=("A", "B"), help=".npy CLK files (pprl encode)")
    p.add_argument("--people", type=int, default=20_000, help="people to make without --clks")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--shapes", default="10000x10000,1000000x10000")
    args = p.parse_args()

    import pprl
    from pprl.linkage import _plan, backend

    if args.clks:
        a0, b0 = (np.load(f) for f in args.clks)
    else:
        ds = pprl.make_dataset(args.people, rng=1)
        a0, b0 = (pprl.encode(x, pprl.person_schema(), b"bench secret", progress=False)
                  for x in ds.parties[:2])
    info = pprl.available_backends()
    paths = [x for x in info["isas"] if x != "portable"]
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), "?") if os.path.exists("/proc/cpuinfo") else "?"
    print(f"CPU {cpu}, {info['threads']} threads; default path {info['isa']}; paths {paths}; "
          f"load average {os.getloadavg()[0]:.1f}")

    def cpu_of(a, b) -> float:
        t0 = time.process_time()
        pprl.candidate_pairs(a, b, args.threshold)
        return time.process_time() - t0

    for shape in args.shapes.split(","):
        n, m = (int(v) for v in shape.split("x"))
        a, b = _rows(a0, n), _rows(b0, m)
        runs: dict[str, list[float]] = {"default": [], "remembered": []}
        chosen = set()
        for _ in range(args.repeat):  # interleaved, so load changes fall on all alike
            _plan._WINNERS.clear()
            runs["default"].append(cpu_of(a, b))
            chosen.add(pprl.available_backends()["last_isa"])
            runs["remembered"].append(cpu_of(a, b))  # a second call: the winner, untimed
            for isa in paths:
                os.environ["PPRL_DICE_ISA"] = isa
                backend.set_isa(isa)
                runs.setdefault(isa, []).append(cpu_of(a, b))
            os.environ.pop("PPRL_DICE_ISA")
            backend.set_isa(info["isa"])
        forced = {k: v for k, v in runs.items() if k not in ("default", "remembered")}
        best_forced = min(min(v) for v in forced.values())
        med_forced = min(statistics.median(v) for v in forced.values())
        print(f"\n{n:,} x {m:,} (threshold {args.threshold}); default chose {sorted(chosen)}")
        for k, v in runs.items():
            print(f"  {k:10} CPU s best {min(v):8.3f}  median {statistics.median(v):8.3f}")
        for k in ("default", "remembered"):
            print(f"  {k} / best forced path: best {min(runs[k]) / best_forced:.3f}, "
                  f"median {statistics.median(runs[k]) / med_forced:.3f}")


if __name__ == "__main__":
    main()
