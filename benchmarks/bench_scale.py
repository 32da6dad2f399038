"""N x N realistic records end to end: encode, exhaustive and LSH-blocked candidates, greedy.

    python benchmarks/bench_scale.py                    # N = 1,000,000 (the issue's target)
    python benchmarks/bench_scale.py --records 100000   # what a shared 2-core machine can do

People come from ``pprl synth`` (half of B's records are corrupted copies of
A's), are encoded with the shipped person schema, and are linked at
``--threshold`` (0.8).  Each step runs in its own process, so its wall time
CPU time (user + system, all threads: on a machine shared with other work it
is steadier than wall time) and peak RSS (VmHWM, which includes the step's
inputs) are its own.  One
table is printed: for each step wall time, peak RSS and candidates, and for
blocking its pair completeness against the exhaustive scan -- of the true
pairs the exhaustive scan finds, and of all its candidates -- with the
expected figure the parameters were chosen for.

Targets at 1M x 1M on 2 cores: blocked < 2 min at pair completeness >= 0.99,
exhaustive < 20 min, peak RSS < 4 GB.  After the table, the speed of each LSH
run against the exhaustive scan (wall and CPU), and the step ``auto`` runs
``pprl link``'s default ``--blocking auto`` (its choice and reason).  The
step ``ratio200k`` (on by default when ``--records`` is not 200,000) runs the
same at 200,000 x 200,000 in a child and prints its ratio line.  The step
``memory`` (on by default) ends the run with bench_memory.py's figure: bytes
per candidate of pprl and of anonlink (when installed) at 20,000 x 20,000
person CLKs, threshold 0.6.
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
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    """Peak resident memory of this process, in MiB (VmHWM; ru_maxrss off Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _save(c, path: Path) -> None:
    np.savez(path, a=c.a, b=c.b, score=c.score)


def step(name: str, d: Path, threshold: float, seed: int, backend: str = "auto") -> dict:
    """One step, in this (fresh) process."""
    out: dict = {}
    if name.startswith("encode:"):
        from pprl.cli import main as cli
        from pprl.encoding.schema import PERSON_SCHEMA_PATH

        party = name.split(":")[1]
        t0, out["cpu0"] = time.perf_counter(), time.process_time()
        rc = cli(["encode", str(d / f"{party}.csv"), str(PERSON_SCHEMA_PATH), "--secret-file",
                  str(d / "key.txt"), "-o", str(d / f"{party}.npy"), "--no-progress"])
        out["seconds"] = time.perf_counter() - t0
        if rc:
            raise SystemExit(f"pprl encode failed ({rc})")
        out["rows"] = int(np.load(d / f"{party}.npy", mmap_mode="r").shape[0])
    elif name == "auto":
        import pprl
        from pprl.linkage.autoblock import choose_blocking
        from pprl.linkage.blocking import lsh_candidate_pairs

        a, b = np.load(d / "a.npy"), np.load(d / "b.npy")
        t0, out["cpu0"] = time.perf_counter(), time.process_time()
        choice = choose_blocking(a, b, threshold, rng=seed, backend=backend)
        if choice.method == "lsh":
            c, _ = lsh_candidate_pairs(a, b, threshold, params=choice.report, backend=backend)
        else:
            c = pprl.candidate_pairs(a, b, threshold)
        out["seconds"] = time.perf_counter() - t0
        out["candidates"] = len(c)
        out["choice"] = f"{choice.method}: {choice.reason}"
    elif name == "greedy":
        from pprl import Candidates, greedy_match

        z = np.load(d / "exhaustive.npz")
        c = Candidates(z["a"], z["b"], z["score"])
        t0, out["cpu0"] = time.perf_counter(), time.process_time()
        m = greedy_match(c)
        out["seconds"] = time.perf_counter() - t0
        out["candidates"] = len(m)
    else:
        import pprl
        from pprl.linkage.blocking import lsh_candidate_pairs

        a, b = np.load(d / "a.npy"), np.load(d / "b.npy")
        t0, out["cpu0"] = time.perf_counter(), time.process_time()
        if name == "exhaustive":
            c = pprl.candidate_pairs(a, b, threshold)
        else:
            c, report = lsh_candidate_pairs(a, b, threshold, estimate=name.split(":")[1],
                                            rng=seed, backend=backend)
            out["report"] = report.to_dict()
            out["report"]["params"] = report.params.__dict__
        out["seconds"] = time.perf_counter() - t0
        out["candidates"] = len(c)
        _save(c, d / f"{name.replace(':', '_')}.npz")
    out["cpu_seconds"] = time.process_time() - out.pop("cpu0")
    out["peak_mb"] = rss_mb()
    return out


def _run_child(name: str, d: Path, args) -> dict:
    cmd = [sys.executable, __file__, "--child", name, str(d), "--threshold", str(args.threshold),
           "--seed", str(args.seed), "--backend", args.backend]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"step {name} failed:\n{res.stderr[-3000:]}")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["process_seconds"] = time.perf_counter() - t0
    return out


def _keys(z, m: int) -> np.ndarray:
    return np.asarray(z["a"], np.int64) * m + np.asarray(z["b"], np.int64)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--records", type=int, default=1_000_000, help="records per party")
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--estimates", default="worst-case,sample",
                   help="LSH parameter choices to run (comma-separated)")
    p.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp dir)")
    p.add_argument("--steps", default="encode,exhaustive,lsh,auto,greedy,memory,ratio200k",
                   help="steps to run; with --keep, later runs can skip encode and exhaustive")
    p.add_argument("--backend", default="auto", choices=("auto", "native", "numpy"),
                   help="kernel scoring the blocked pairs (numpy: the reference)")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(step(args.child[0], Path(args.child[1]), args.threshold, args.seed,
                              args.backend)))
        return

    from pprl import available_backends

    info = available_backends()
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), "?") if os.path.exists("/proc/cpuinfo") else "?"
    print(f"{args.records:,} x {args.records:,} records, threshold {args.threshold}; "
          f"kernel {info['isa']}, {info['threads']} threads; CPU {cpu}")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(args.keep or tmp) / f"people{args.records}"
        rows = []
        if not (d / "truth.csv").exists():
            d.parent.mkdir(parents=True, exist_ok=True)  # --keep DIR may not exist yet
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pprl.cli", "synth", "--records",
                            str(args.records), "--seed", str(args.seed), "--out", str(d),
                            "--no-progress"], check=True, capture_output=True)
            rows.append(("synth (not a target)", {"seconds": time.perf_counter() - t0}))
        (d / "key.txt").write_text(os.urandom(24).hex())
        steps = set(args.steps.split(","))
        for party in "ab" if "encode" in steps else "":
            rows.append((f"encode {party}", _run_child(f"encode:{party}", d, args)))
        if "exhaustive" in steps:
            rows.append(("exhaustive", _run_child("exhaustive", d, args)))
        for est in [e for e in args.estimates.split(",") if e] if "lsh" in steps else []:
            rows.append((f"LSH ({est})", _run_child(f"lsh:{est}", d, args)))
        if "auto" in steps:
            rows.append(("auto", _run_child("auto", d, args)))
        has_ex = (d / "exhaustive.npz").exists()  # this run's, or an earlier one's in --keep
        if "greedy" in steps:
            if has_ex:
                rows.append(("greedy (exhaustive)", _run_child("greedy", d, args)))
            else:
                print("step greedy skipped: it matches the exhaustive scan's candidates, "
                      "and no exhaustive.npz is there (add the step exhaustive, or --keep a "
                      "folder where it ran)")

        import pandas as pd

        m = args.records
        if has_ex:
            ex_keys = _keys(np.load(d / "exhaustive.npz"), m)
            truth = pd.read_csv(d / "truth.csv")
            t_keys = truth["a"].to_numpy(np.int64) * m + truth["b"].to_numpy(np.int64)
            true_found = np.intersect1d(ex_keys, t_keys)
            print(f"true pairs {len(t_keys):,}; found by the exhaustive scan {len(true_found):,}")
        else:
            print("no exhaustive scan to compare with (step exhaustive not run): "
                  "pair completeness is not computed")
        print(f"\n{'step':<22}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'candidates':>13}"
              f"{'PC true':>9}{'PC all':>9}{'PC bound':>10}{'PC est':>8}  tables x bits")
        for label, r in rows:
            pc_true = pc_all = bound = est = ""
            extra = ""
            if label.startswith("LSH"):
                if has_ex:
                    bk = _keys(np.load(d / f"lsh_{label[5:-1]}.npz"), m)
                    pc_true = f"{np.isin(true_found, bk).mean():.4f}"
                    pc_all = f"{np.isin(ex_keys, bk).mean():.4f}"
                rep = r["report"]
                bound = f"{rep['pc_bound']:.4f}"
                est = "" if rep["pc_sample"] is None else f"{rep['pc_sample']:.4f}"
                extra = (f"  {rep['params']['tables']} x {rep['params']['bits']}, "
                         f"{rep['generated']:.3g} pairs scored, RR {rep['reduction_ratio']:.5f}")
            cands = f"{r['candidates']:,}" if "candidates" in r else ""
            peak = f"{r['peak_mb']:.0f}" if "peak_mb" in r else ""
            cpu = f"{r['cpu_seconds']:.1f}" if "cpu_seconds" in r else ""
            print(f"{label:<22}{r['seconds']:>9.1f}{cpu:>9}{peak:>13}{cands:>13}{pc_true:>9}{pc_all:>9}"
                  f"{bound:>10}{est:>8}{extra}")
        ex_row = dict(rows).get("exhaustive")
        for label, r in rows:
            if ex_row and (label.startswith("LSH") or label == "auto"):
                print(f"{args.records:,} x {args.records:,}: {label} against the exhaustive scan: "
                      f"{ex_row['seconds'] / r['seconds']:.1f}x faster wall, "
                      f"{ex_row['cpu_seconds'] / r['cpu_seconds']:.1f}x CPU")
            if label == "auto":
                print(f"  --blocking auto chose {r['choice']}")
    if "ratio200k" in steps and args.records != 200_000:
        print("\nthe same at 200,000 x 200,000 (bench_scale.py --records 200000):", flush=True)
        cmd = [sys.executable, __file__, "--records", "200000", "--threshold", str(args.threshold),
               "--seed", str(args.seed), "--backend", args.backend, "--estimates", "sample",
               "--steps", "encode,exhaustive,lsh,auto"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            sys.exit(f"step ratio200k failed:\n{res.stderr[-3000:]}")
        print("\n".join(x for x in res.stdout.splitlines()
                        if "against the exhaustive scan" in x or "chose" in x))
    if "memory" in steps:
        print("\nmemory per candidate, 20,000 x 20,000 person CLKs, threshold 0.6 "
              "(benchmarks/bench_memory.py --data person):", flush=True)
        res = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_memory.py")),
                              "--n", "20000", "--threshold", "0.6", "--data", "person"],
                             capture_output=True, text=True)
        if res.returncode:
            sys.exit(f"step memory failed:\n{res.stderr[-3000:]}")
        print("\n".join(res.stdout.strip().splitlines()[1:]))


if __name__ == "__main__":
    main()
