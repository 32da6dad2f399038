"""The group solvers alone: pprl native, pprl Python and anonlink on the same candidates, one run.

Synthetic N-party candidates without CLKs: entities appear in each party
with probability 0.7; every two records of one entity are a candidate with
a high score (0.85-1.0), and random pairs of records of two parties add
weaker candidates (0.80-0.92), ``--noise`` of them per true pair.  Scores
have three decimals, so there are many ties.  The candidates are put in
pprl's canonical order (``MultipartyCandidates``) and given to anonlink in
the same order (``to_anonlink()``).

For greedy and probabilistic groups (merge_threshold 0.5, deduplicated) the
script prints each solver's CPU seconds (``time.process_time``; the machine
may be loaded, so compare ratios from one run), the ratios, whether the
three give the same groups, and a control: the same candidates read in
reverse order give different groups, so "same groups" is a comparison that
can fail.

    python benchmarks/bench_groups.py                  # about 1,000,000 candidates
    python benchmarks/bench_groups.py --entities 1000000 --noise 1   # about 5,000,000
    python benchmarks/bench_groups.py --skip-slow      # pprl native only (no anonlink/Python)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np


def make_candidates(entities: int, parties: int, noise: float, seed: int):
    """MultipartyCandidates of ``entities`` synthetic entities over ``parties`` parties."""
    from pprl.linkage.multiparty import MultipartyCandidates

    rng = np.random.default_rng(seed)
    present = rng.random((entities, parties)) < 0.7
    rows = np.full((entities, parties), -1, np.int64)
    for p in range(parties):  # each party's records in a random row order
        idx = np.flatnonzero(present[:, p])
        rows[idx, p] = rng.permutation(len(idx))
    n_rows = present.sum(axis=0)
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    for i in range(parties):
        for j in range(i + 1, parties):
            both = np.flatnonzero(present[:, i] & present[:, j])
            m = int(len(both) * noise)
            parts = [
                (rows[both, i], rows[both, j], rng.uniform(0.85, 1.0, len(both))),
                (rng.integers(0, n_rows[i], m), rng.integers(0, n_rows[j], m),
                 rng.uniform(0.80, 0.92, m)),
            ]
            for ra, rb, s in parts:
                cols[0].append(np.full(len(ra), i))
                cols[1].append(ra)
                cols[2].append(np.full(len(ra), j))
                cols[3].append(rb)
                cols[4].append(np.round(s, 3))
    pa, ra, pb, rb, s = (np.concatenate(c) for c in cols)
    key = ((pa * parties + pb) * (n_rows.max() + 1) + ra) * (n_rows.max() + 1) + rb
    _, first = np.unique(key, return_index=True)  # a noise pair may repeat a pair
    return MultipartyCandidates(pa[first], ra[first], pb[first], rb[first], s[first],
                                n_parties=parties)


def _cpu(f):
    c0 = time.process_time()
    out = f()
    return out, time.process_time() - c0


def _as_set(groups) -> set[frozenset]:
    if hasattr(groups, "to_lists"):
        groups = groups.to_lists()
    return {frozenset((int(p), int(r)) for p, r in g) for g in groups}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--entities", type=int, default=200_000)
    p.add_argument("--parties", type=int, default=4)
    p.add_argument("--noise", type=float, default=0.5, help="weak random pairs per true pair")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--skip-slow", action="store_true", help="time pprl native only")
    args = p.parse_args()
    import pprl
    from pprl.linkage import _native  # noqa: F401  (the solver must be the native one)
    from pprl.linkage.multiparty import MultipartyCandidates

    pprl.greedy_groups(MultipartyCandidates.empty(2))  # load and self-check the kernel
    c = make_candidates(args.entities, args.parties, args.noise, args.seed)
    print(f"pprl bench_groups: {len(c):,} candidates, {args.parties} parties, "
          f"{args.entities:,} entities; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; CPU seconds (time.process_time)", flush=True)
    solvers = {
        "greedy": (lambda b: pprl.greedy_groups(c, backend=b), "greedy_solve", {}),
        "probabilistic": (lambda b: pprl.probabilistic_groups(c, backend=b),
                          "probabilistic_greedy_solve",
                          {"merge_threshold": 0.5, "deduplicated": True}),
    }
    anon = None
    if not args.skip_slow:
        import anonlink.solving

        anon = anonlink.solving
        anon_c, conv = _cpu(c.to_anonlink)
        print(f"(anonlink's candidate tuple built in {conv:.2f} CPU s, not counted)")
    print(f"{'solver':14} {'native s':>9} {'Python s':>9} {'anonlink s':>11} "
          f"{'anonlink/native':>16} {'Python/native':>14} {'groups':>9} same")
    ok = True
    for name, (ours, anon_name, kw) in solvers.items():
        nat, t_nat = _cpu(lambda: ours("native"))  # noqa: B023
        line = f"{name:14} {t_nat:>9.3f}"
        if anon is None:
            print(f"{line} {'-':>9} {'-':>11} {'-':>16} {'-':>14} {nat.n_groups:>9,}", flush=True)
            continue
        py, t_py = _cpu(lambda: ours("numpy"))  # noqa: B023
        theirs, t_an = _cpu(lambda: getattr(anon, anon_name)(anon_c, **kw))  # noqa: B023
        same = nat == py and _as_set(nat) == _as_set(theirs)
        ok &= same
        print(f"{line} {t_py:>9.3f} {t_an:>11.3f} {t_an / t_nat:>15.1f}x {t_py / t_nat:>13.1f}x "
              f"{nat.n_groups:>9,} {same}", flush=True)
    rev = MultipartyCandidates._from_parts(c.row_a[::-1], c.row_b[::-1], c.score[::-1],
                                           c.code[::-1], c.pairs)  # not canonical on purpose
    differs = pprl.greedy_groups(rev) != pprl.greedy_groups(c)
    print(f"control: the same candidates in reverse order give other greedy groups: {differs}")
    ok &= differs
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
