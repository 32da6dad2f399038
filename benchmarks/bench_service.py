"""The linkage service's numbers: uploads of N CLKs, and N x N with LSH through the API.

    python benchmarks/bench_service.py                     # N = 1,000,000 (the issue's target)
    python benchmarks/bench_service.py --records 100000    # what a shared 2-core machine can do

CLKs are random 1,024-bit rows; half of B's rows are copies of A's with 3 %
of their bits flipped.  Steps, each against a fresh ``pprl serve`` (SQLite,
a temporary data folder) in its own process:

* ``upload json``: ``{"clks": [...]}`` (N base64 strings, ~175 MB at 1M) to
  ``/clks``, streamed by :class:`pprl.service.Client` from the CLK file;
* ``upload binary``: the same CLKs as raw bytes to ``/binaryclks`` (from ``.npy``);
* ``lsh api``: run creation to result download, ``blocking: lsh``
  (fixed seed) at ``--threshold``, against
* ``lsh cli``: ``pprl link A.npy B.npy --blocking lsh --solver none`` with
  the same seed, on the same files (reading and writing included).

For each: wall time, and the server's peak RSS (VmHWM of the server process,
which includes the interpreter and the libraries, ~150 MB).  Targets: each
upload under 1 GB of server memory and no time-out; ``lsh api / lsh cli``
within 1.5.  The API result must hold exactly the CLI's pairs (checked).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def vm_hwm_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make(n: int, seed: int, d: Path) -> tuple[Path, Path, Path]:
    from pprl import write_clks

    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (n, 128), dtype=np.uint8)
    b = rng.integers(0, 256, (n, 128), dtype=np.uint8)
    k = n // 2
    for lo in range(0, k, 100_000):  # in slices: the noise array is 8 bits per bit
        hi = min(lo + 100_000, k)
        b[lo:hi] = a[lo:hi] ^ np.packbits(rng.random((hi - lo, 1024)) < 0.03, axis=1)
    np.save(d / "a.npy", a)
    np.save(d / "b.npy", b)
    write_clks(a, d / "a.json")
    return d / "a.json", d / "a.npy", d / "b.npy"


def server(d: Path, name: str):
    from service_helpers import Server

    return Server(d / name, workers=1).start()


SCHEMA = {"version": 3, "clkConfig": {"l": 1024}, "features": []}


def upload(d: Path, path: Path, name: str) -> dict:
    from pprl.service import Client

    srv = server(d, name)
    try:
        base = vm_hwm_mb(srv.proc.pid)
        c = Client(srv.url)
        p = c.create_project(SCHEMA, "similarity_scores")
        t0 = time.perf_counter()
        c.upload(p["project_id"], p["update_tokens"][0], path)
        wall = time.perf_counter() - t0
        return {"step": name, "wall_s": wall, "server_peak_mb": vm_hwm_mb(srv.proc.pid),
                "server_idle_mb": base, "size_mb": path.stat().st_size / 2**20}
    finally:
        srv.stop()


def lsh_api(d: Path, a: Path, b: Path, threshold: float, seed: int) -> tuple[dict, list]:
    from pprl.service import Client

    srv = server(d, "lsh-api")
    try:
        c = Client(srv.url)
        p = c.create_project(SCHEMA, "similarity_scores")
        pid, rt = p["project_id"], p["result_token"]
        c.upload(pid, p["update_tokens"][0], a)
        c.upload(pid, p["update_tokens"][1], b)
        t0 = time.perf_counter()
        rid = c.create_run(pid, rt, threshold, blocking="lsh", seed=seed)["run_id"]
        st = c.wait(pid, rid, rt, poll=0.2)
        assert st["state"] == "completed", st
        res = c.result(pid, rid, rt)["similarity_scores"]
        wall = time.perf_counter() - t0
        pairs = sorted((x[0][1], x[1][1], x[2]) for x in res)
        return {"step": "lsh api", "wall_s": wall, "server_peak_mb": vm_hwm_mb(srv.proc.pid),
                "pairs": len(pairs)}, pairs
    finally:
        srv.stop()


def lsh_cli(d: Path, a: Path, b: Path, threshold: float, seed: int) -> tuple[dict, list]:
    import pandas as pd

    out = d / "m.csv"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pprl.cli", "link", str(a), str(b), "--threshold",
                    str(threshold), "--blocking", "lsh", "--blocking-seed", str(seed),
                    "--solver", "none", "--no-progress", "-o", str(out)], check=True,
                   capture_output=True)
    wall = time.perf_counter() - t0
    m = pd.read_csv(out, float_precision="round_trip")
    pairs = sorted(zip(m.a.tolist(), m.b.tolist(), m.score.tolist(), strict=True))
    return {"step": "lsh cli", "wall_s": wall, "pairs": len(pairs)}, pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-lsh", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        a_json, a_npy, b_npy = make(args.records, args.seed, d)
        print(f"# {args.records:,} x {args.records:,} CLKs of 1,024 bits "
              f"(made in {time.perf_counter() - t0:.1f} s); cpus: {os.cpu_count()}")
        rows = [upload(d, a_json, "upload json"), upload(d, a_npy, "upload binary")]
        if not args.skip_lsh:
            api, api_pairs = lsh_api(d, a_npy, b_npy, args.threshold, args.seed)
            cli, cli_pairs = lsh_cli(d, a_npy, b_npy, args.threshold, args.seed)
            assert api_pairs == cli_pairs, "the API's pairs differ from pprl link's"
            rows += [api, cli]
        for r in rows:
            extra = "".join(f"  {k}={v:.1f}" if isinstance(v, float) else f"  {k}={v}"
                            for k, v in r.items() if k not in ("step", "wall_s"))
            print(f"{r['step']:<14} {r['wall_s']:8.2f} s{extra}")
        if not args.skip_lsh:
            print(f"lsh api / lsh cli = {rows[2]['wall_s'] / rows[3]['wall_s']:.2f} "
                  "(target <= 1.5)")


if __name__ == "__main__":
    main()
