"""N-party linkage: pprl against anonlink's find_candidate_pairs + greedy_solve, in one run.

Three parties of ``pprl.make_dataset`` people (overlap 0.5) encoded with
``person_schema`` (1,024 bits) are linked at threshold 0.8 on one thread.
Each method runs in its own subprocess on the same saved CLKs; the script
prints each method's candidate time, solve time, peak memory above the
loaded inputs per candidate, the speed ratio, and checks that both give the
same candidates and the same groups (and pprl's probabilistic groups against
anonlink's probabilistic_greedy_solve).

    python benchmarks/bench_multiparty.py                  # 3 x 100,000 (the issue's target)
    python benchmarks/bench_multiparty.py --n 10000        # quicker
    python benchmarks/bench_multiparty.py --quality --n 2000   # docs/multiparty.md's tables

``--quality`` prints instead the tables of docs/multiparty.md: pairwise
precision / recall / F1 of the N-party solvers, and of deduplication by the
greedy clique rule, the probabilistic rule and plain connected components.
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
from bench_memory import peak_mib  # this folder is on sys.path when a script here runs


def make_clks(n: int, parties: int, seed: int) -> list[np.ndarray]:
    from pprl import encode, make_dataset, person_schema

    ds = make_dataset(n, parties=parties, overlap=0.5, rng=seed)
    secret = b"bench: a fixed made-up secret"
    return [encode(p, person_schema(), secret, progress=False) for p in ds.parties]


def child(method: str, folder: str, parties: int, threshold: float) -> dict:
    clks = [np.load(os.path.join(folder, f"{i}.npy")) for i in range(parties)]
    if method == "anonlink":
        from anonlink.candidate_generation import find_candidate_pairs
        from anonlink.similarities import dice_coefficient_accelerated
        from anonlink.solving import greedy_solve, probabilistic_greedy_solve

        from pprl.bits import clks_to_bitarrays

        data = [clks_to_bitarrays(x) for x in clks]
        base = peak_mib()
        t0, c0 = time.perf_counter(), time.process_time()
        cands = find_candidate_pairs(data, dice_coefficient_accelerated, threshold)
        t1, c1 = time.perf_counter(), time.process_time()
        groups = greedy_solve(cands)
        t2, c2 = time.perf_counter(), time.process_time()
        prob = probabilistic_greedy_solve(cands)
        n = len(cands[0])
        greedy = [sorted([int(p), int(r)] for p, r in g) for g in groups]
        prob = [sorted([int(p), int(r)] for p, r in g) for g in prob]
    elif method == "pprl-2party":  # memory reference: the 2-party scan of parties 0 and 1
        import pprl

        pprl.candidate_pairs(clks[0][:8], clks[1][:8], threshold, threads=1)
        base = peak_mib()
        t0, c0 = time.perf_counter(), time.process_time()
        cands = pprl.candidate_pairs(clks[0], clks[1], threshold, threads=1)
        t1 = t2 = time.perf_counter()
        c1 = c2 = time.process_time()
        n, greedy, prob = len(cands), [], []
    else:
        import pprl

        pprl.multiparty_candidates([x[:8] for x in clks], threshold, threads=1)  # load the kernel
        base = peak_mib()
        t0, c0 = time.perf_counter(), time.process_time()
        cands = pprl.multiparty_candidates(clks, threshold, threads=1)
        t1, c1 = time.perf_counter(), time.process_time()
        scan_extra = (peak_mib() - base) * 2**20
        if method == "pprl-scan":  # --memory: the candidates only
            return {"candidates_s": t1 - t0, "solve_s": 0.0, "candidates": len(cands),
                    "candidates_cpu": c1 - c0, "solve_cpu": 0.0,
                    "bytes_per_candidate": scan_extra / max(len(cands), 1)}
        groups = pprl.greedy_groups(cands)
        t2, c2 = time.perf_counter(), time.process_time()
        n = len(cands)
        greedy = groups.to_lists()
        prob = pprl.probabilistic_groups(cands).to_lists()
    extra = (peak_mib() - base) * 2**20
    if method == "pprl":
        extra = scan_extra  # the candidates' peak, as for the 2-party reference
    return {"candidates_s": t1 - t0, "solve_s": t2 - t1, "candidates": n,
            "candidates_cpu": c1 - c0, "solve_cpu": c2 - c1,
            "bytes_per_candidate": extra / max(n, 1),
            "greedy": sorted(greedy), "probabilistic": sorted(prob)}


def quality(n: int, parties: int, seed: int) -> None:
    """The solvers' and deduplication's quality on synthetic people (docs/multiparty.md)."""
    import pprl
    from pprl.synthetic.make import Duplicates

    ds = pprl.make_dataset(n, parties=parties, overlap=0.5, rng=seed)
    secret = "bench: a fixed made-up secret"
    clks = [pprl.encode(p, pprl.person_schema(), secret, progress=False) for p in ds.parties]
    print(f"{parties} parties x {n:,} people (overlap 0.5), person schema; truth: entities.csv")
    print("| threshold | solver | precision | recall | F1 | ARI | groups |")
    print("|---|---|---|---|---|---|---|")
    for t in (0.75, 0.8, 0.85):
        c = pprl.multiparty_candidates(clks, t)
        for name, g in (("greedy", pprl.greedy_groups(c)),
                        ("probabilistic 0.5", pprl.probabilistic_groups(c)),
                        ("probabilistic 0.3", pprl.probabilistic_groups(c, merge_threshold=0.3))):
            m = pprl.evaluate_groups(g, ds.entities)
            print(f"| {t} | {name} | {m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | "
                  f"{m.ari:.3f} | {m.n_groups:,} |")
    ds = pprl.make_dataset(n, parties=2, duplicates=Duplicates(0.2, "poisson", 4, 1.5),
                           rng=seed)
    x = pprl.encode(ds.parties[0], pprl.person_schema(), secret, progress=False)
    truth = ds.entities[ds.entities["party"] == "a"][["row", "entity"]]
    print(f"\ndeduplication: party a, {len(x):,} records of {truth['entity'].nunique():,} "
          "people (20% duplicated, Poisson up to 4 extra)")
    print("| threshold | method | precision | recall | F1 | largest cluster |")
    print("|---|---|---|---|---|---|")
    for t in (0.7, 0.75, 0.8, 0.85):
        for method in ("greedy", "probabilistic", "components"):
            g = pprl.dedupe(x, t, method=method)
            m = pprl.evaluate_groups(g, truth)
            big = int(g.sizes().max()) if g.n_groups else 0
            print(f"| {t} | {method} | {m.precision:.3f} | {m.recall:.3f} | {m.f1:.3f} | "
                  f"{big} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="people per party (default 100000)")
    p.add_argument("--parties", type=int, default=3)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--memory", action="store_true",
                   help="memory per candidate only: pprl's N-party scan against its 2-party "
                        "scan (use a low --threshold, e.g. 0.6, for many candidates)")
    p.add_argument("--quality", action="store_true",
                   help="print the solver and deduplication quality tables instead")
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.quality:
        quality(args.n, args.parties, args.seed)
        return
    if args.child:
        m, folder, k, t = args.child
        print(json.dumps(child(m, folder, int(k), float(t))))
        return
    print(f"pprl bench_multiparty: {args.parties} x {args.n:,} person CLKs, threshold "
          f"{args.threshold}, one thread; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs", flush=True)
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for i, x in enumerate(make_clks(args.n, args.parties, args.seed)):
            np.save(os.path.join(tmp, f"{i}.npy"), x)
        print(f"data and encoding: {time.perf_counter() - t0:.1f} s", flush=True)
        print(f"{'method':11} {'candidates':>11} {'scan s':>8} {'solve s':>8} {'total s':>8} "
              f"{'CPU s':>8} {'B/candidate':>12}")
        for method in ("pprl", "anonlink") if not args.memory else ("pprl-scan", "pprl-2party"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", method, tmp, str(args.parties),
                 str(args.threshold)], capture_output=True, text=True, check=True)
            r = res[method] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{method:11} {r['candidates']:>11,} {r['candidates_s']:>8.2f} "
                  f"{r['solve_s']:>8.3f} {r['candidates_s'] + r['solve_s']:>8.2f} "
                  f"{r['candidates_cpu'] + r['solve_cpu']:>8.2f} "
                  f"{r['bytes_per_candidate']:>12.1f}", flush=True)
    if args.memory:
        print("B/candidate = peak resident memory (VmHWM) above the loaded inputs / candidates: "
              "N parties (scan of every pair, merge) against the 2-party scan of two of them.")
        return
    ours, theirs = res["pprl"], res["anonlink"]
    total = (theirs["candidates_s"] + theirs["solve_s"]) / (ours["candidates_s"] + ours["solve_s"])
    cpu = (theirs["candidates_cpu"] + theirs["solve_cpu"]) / (ours["candidates_cpu"]
                                                              + ours["solve_cpu"])
    print(f"speed-up, candidates + greedy groups: {total:.1f}x wall, {cpu:.1f}x CPU "
          f"(target >= 10x); scan {theirs['candidates_cpu'] / ours['candidates_cpu']:.1f}x CPU, "
          f"solve {theirs['solve_cpu'] / max(ours['solve_cpu'], 1e-9):.2f}x CPU")
    same_c = ours["candidates"] == theirs["candidates"]
    print(f"same number of candidates: {same_c}; same greedy groups: "
          f"{ours['greedy'] == theirs['greedy']} ({len(ours['greedy']):,} groups); "
          f"same probabilistic groups: {ours['probabilistic'] == theirs['probabilistic']}")
    print("B/candidate = peak resident memory (VmHWM) above the loaded inputs / candidates "
          "(pprl: of the candidates, before solving; anonlink: of the whole run); pprl holds "
          "26 bytes per candidate (rows, score, a 2-byte pair-of-parties code).")
    if not (same_c and ours["greedy"] == theirs["greedy"]
            and ours["probabilistic"] == theirs["probabilistic"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
