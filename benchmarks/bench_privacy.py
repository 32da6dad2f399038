"""The hardened person template against the plain one: F1 loss and attack success.

Run by hand (not a test):  python benchmarks/bench_privacy.py [N] [SEED ...]

For each seed: one synthetic two-party data set of N people per party with
full overlap; both parties encoded with ``person.json`` and with
``person-hardened.json`` (one random secret); linkage F1 at the best
threshold (greedy one-to-one); and the graph, frequency and pattern attacks
on party A's CLKs with party B's plaintext (re-identification = correct
guesses / encoded records; through :func:`pprl.privacy.frontier`, so each
attack sees B's rows in a seeded random order, gets a seeded rng, and is
scored by :func:`pprl.privacy.score_guesses`: a guess is correct when it
names the record's true partner).  Prints one row per schema and seed, then the
target check: graph re-identification <= 5 % and F1 loss <= 0.02.
"""

from __future__ import annotations

import json
import os
import sys
import time

from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.privacy import frequency_attack, graph_attack, pattern_attack
from pprl.privacy.frontier import frontier
from pprl.synthetic import make_dataset

HARDENED = PERSON_SCHEMA_PATH.with_name("person-hardened.json")


def main(n: int = 1000, seeds=(0,)) -> None:
    with open(HARDENED, encoding="utf-8") as fh:
        steps = json.load(fh)["clkConfig"]["hardening"]
    print(f"N = {n} per party, overlap 1.0; cpu: {os.cpu_count()} cores")
    print("person-hardened:", json.dumps(steps))
    ok = True
    for seed in seeds:
        ds = make_dataset(n, overlap=1.0, rng=seed)
        attacks = {"graph": graph_attack, "frequency": frequency_attack,
                   "pattern": pattern_attack}
        results = {}
        for name, attack in attacks.items():
            t = time.perf_counter()
            res = frontier({"person": [], "person-hardened": steps}, data=ds, attack=attack,
                           rng=seed, progress=False)
            results[name] = (res.table.set_index("setting"), time.perf_counter() - t)
        g = results["graph"][0]
        for setting in ("person", "person-hardened"):
            row = g.loc[setting]
            reids = "  ".join(f"{a} {results[a][0].loc[setting, 'reidentification']:6.1%}"
                              for a in attacks)
            print(f"seed {seed}  {setting:16s} F1 {row['f1']:.4f} (t={row['threshold']:.3f})"
                  f"  re-identified: {reids}")
        loss = g.loc["person", "f1"] - g.loc["person-hardened", "f1"]
        reid = g.loc["person-hardened", "reidentification"]
        print(f"seed {seed}  F1 loss {loss:+.4f} (target <= 0.02), graph re-identification "
              f"{reid:.1%} (target <= 5 %); seconds: "
              + ", ".join(f"{a} {results[a][1]:.0f}" for a in attacks))
        ok &= loss <= 0.02 and reid <= 0.05
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(args[0] if args else 1000, tuple(args[1:]) or (0,))
