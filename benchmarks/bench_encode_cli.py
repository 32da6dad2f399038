"""End to end: ``pprl encode`` against clkhash's hash command, whole processes, CSV in -> JSON out.

    python benchmarks/bench_encode_cli.py                     # 200,000 rows, pprl x3, clkhash x1
                                                              # (and pprl --help, import pprl)
    python benchmarks/bench_encode_cli.py --rss-records 1000000   # also: peak RSS on 1M rows
    python benchmarks/bench_encode_cli.py --records 20000 --clkhash-workers 2
    python benchmarks/bench_encode_cli.py --no-clkhash --pprl-workers 2   # pprl alone

Generates FEBRL-like people with ``pprl synth`` (party ``a.csv``, the
person schema's columns) in a temporary folder, then times each command as a
separate process from spawn to exit (imports, CSV parsing, encoding and JSON
writing included), and reads its peak resident memory from ``wait4``, with
Python's bytecode cache on (in a temporary folder; an installed package has
its bytecode compiled) after one warm-up run.  The
parent imports nothing heavy, so the RSS a child inherits across fork (a
few MiB, printed) is negligible.

clkhash 0.18.3 has no command of its own any more (``clkutil hash`` went to
anonlink-client's ``anonlink hash``, whose pins would replace this numpy), so
its side runs what that command ran: ``clk.generate_clk_from_csv`` on the
open CSV (header checked, values validated, no progress bar) and
``json.dump({"clks": [serialize_bitarray(c) ...]})``.  ``--clkhash-workers``
is its ``max_workers`` (1: one process, as the issue's 10.4 s; 0: every
core, as its command's default).  Both outputs are checked to hold the same
CLKs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "bench-encode-cli: a fixed 32-byte key, not a secret"

CLKHASH_HASH = """
import json, sys
from clkhash import clk, schema
from clkhash.serialization import serialize_bitarray
data, schema_path, key, out, workers = sys.argv[1:6]
with open(schema_path) as fh:
    s = schema.from_json_dict(json.load(fh))
secret = open(key, "rb").read().rstrip(b"\\n")
with open(data, newline="", encoding="utf-8") as fh:
    clks = clk.generate_clk_from_csv(fh, secret, s, validate=True, header=True,
                                     progress_bar=False, max_workers=int(workers) or None)
with open(out, "w") as fh:
    json.dump({"clks": [serialize_bitarray(c) for c in clks]}, fh)
"""


def _own_rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys) and peak RSS (MiB) of one process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _pprl() -> list[str]:
    exe = Path(sys.executable).with_name("pprl")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("pprl")
    if found is None:
        raise SystemExit("the pprl command is not on PATH (pip install -e .)")
    return [found]


def _synth(pprl: list[str], n: int, seed: int, folder: Path) -> Path:
    t0 = time.perf_counter()
    subprocess.run(pprl + ["synth", "--records", str(n), "--seed", str(seed), "--out",
                           str(folder), "--no-progress"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    path = folder / "a.csv"
    with open(path, "rb") as fh:
        rows = sum(1 for _ in fh) - 1
    print(f"  synth: {rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB in "
          f"{time.perf_counter() - t0:.1f} s")
    return path


def _same_clks(a: Path, b: Path) -> bool:
    with open(a) as fa, open(b) as fb:
        return json.load(fa)["clks"] == json.load(fb)["clks"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000, help="rows to encode (200,000)")
    ap.add_argument("--repeats", type=int, default=3, help="pprl runs (best and all shown)")
    ap.add_argument("--clkhash-workers", type=int, default=1,
                    help="clkhash max_workers: 1 (default, one process) or 0 (every core)")
    ap.add_argument("--pprl-workers", type=int, default=1,
                    help="pprl encode --workers (default 1: one process)")
    ap.add_argument("--no-clkhash", action="store_true", help="time pprl only")
    ap.add_argument("--rss-records", type=int, default=0,
                    help="also encode this many rows (e.g. 1000000) for peak RSS")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    pprl = _pprl()
    schema = Path(__file__).resolve().parents[1] / "pprl" / "data" / "schemas" / "person.json"
    print(f"pprl encode vs clkhash 0.18.3, person schema, {os.cpu_count()} CPUs; parent RSS "
          f"{_own_rss_mib():.0f} MiB (the most a child can inherit)")
    with tempfile.TemporaryDirectory(prefix="bench_encode_cli.") as tmp:
        tmp = Path(tmp)
        key = tmp / "key.txt"
        key.write_text(SECRET + "\n")
        data = _synth(pprl, args.records, args.seed, tmp / "data")
        out = tmp / "pprl.json"
        # Bytecode is cached as an installed package's is (PYTHONDONTWRITEBYTECODE
        # would recompile every pprl module on every run), in a folder of our own.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        cmd = pprl + ["encode", str(data), str(schema), "--secret-file", str(key), "-o",
                      str(out), "--no-progress", "--workers", str(args.pprl_workers)]
        warm = _run(cmd, env)
        print(f"  warm-up run (fills the bytecode cache): {warm[0]:.2f} s")
        # start-up alone (targets: pprl --help < 0.3 s; import pprl without pandas)
        for what, start in (("pprl --help", pprl + ["--help"]),
                            ("import pprl", [sys.executable, "-c", "import pprl"])):
            best_start = min(_run(start, env) for _ in range(5))
            print(f"{what:14s}: {best_start[0]:7.3f} s wall, {best_start[1]:6.3f} s CPU "
                  "(best of 5)")
        runs = [_run(cmd, env) for _ in range(args.repeats)]
        best = min(runs)
        walls = ", ".join(f"{w:.2f}" for w, _, _ in runs)
        who = "pprl encode" + ("" if args.pprl_workers == 1 else f" -w {args.pprl_workers}")
        print(f"{who:14s}: {best[0]:7.2f} s wall (runs: {walls}), {best[1]:6.2f} s CPU, "
              f"peak RSS {max(r for _, _, r in runs):6.0f} MiB")
        if not args.no_clkhash:
            ref = tmp / "clkhash.json"
            w, cpu, rss = _run([sys.executable, "-c", CLKHASH_HASH, str(data), str(schema),
                                str(key), str(ref), str(args.clkhash_workers)], env)
            who = "1 process" if args.clkhash_workers == 1 else (
                f"max_workers={args.clkhash_workers or 'all cores'}")
            print(f"clkhash hash  : {w:7.2f} s wall ({who}), {cpu:6.2f} s CPU, "
                  f"peak RSS {rss:6.0f} MiB")
            print(f"ratio (wall)  : {w / best[0]:7.1f} x   (CPU: {cpu / best[1]:.1f} x)")
            same = _same_clks(out, ref)
            print(f"same CLKs     : {same}")
            if not same:
                return 1
        if args.rss_records:
            big = _synth(pprl, args.rss_records, args.seed + 1, tmp / "big")
            w, cpu, rss = _run(pprl + ["encode", str(big), str(schema), "--secret-file",
                                       str(key), "-o", str(tmp / "big.json"), "--no-progress"],
                               env)
            print(f"pprl encode {args.rss_records:,} rows: {w:.2f} s wall, {cpu:.2f} s CPU, "
                  f"peak RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
