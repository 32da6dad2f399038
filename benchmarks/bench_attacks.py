"""Each attack's re-identification and time at 1,000 people, beside chance and anchors.

    python benchmarks/bench_attacks.py [--records 1000] [--seeds 1 2 3] [--locales en_AU de_DE]
                                       [--overlap 1.0] [--attacks graph ...]
    python benchmarks/bench_attacks.py --records 5000 --seeds 1 --locales en_AU --attacks graph

For each seed and locale: a two-party synthetic set with full overlap
(party B is a corrupted copy of party A's people; ``--overlap`` shares
fewer); party A encoded with a random secret; the attacker holds party B's
plaintext **in a seeded random order** (:func:`pprl.privacy.shuffle_plaintext`,
the truth renumbered to match) and the schema.

* graph attack on pprl's unhardened person template (anchor: Vidanage et al.
  CIKM 2020, 878 of 1,000 on an unhardened CLK, l = 1000, k = 10; target
  >= 80 %), and on the same CLKs with every distinct CLK's bits replaced by
  random bits of the same popcount (negative control: chance);
* frequency attack on a first-name-only Bloom filter, aligned on ranks of
  counts plus popcounts (``frequency``) and on ranks alone
  (``freq-ranks``); anchor: Christen et al. PAKDD 2017's re-implementation,
  3 of 1,000 exact;
* pattern attack on the same filter, seeded by the frequency attack
  (``pattern``) and by 300 true pairs (``pattern-300``, what the mining can
  do with good seeds); ``new`` counts the distinct values it re-identified
  that no seed had;
* frequency and pattern attacks on the person template too (unique CLKs:
  expected near 0).

Scoring: :func:`pprl.privacy.score_guesses` (a guess is correct when it
names the true record or one holding the encoded values); ``chance`` is what
random guesses for the same encoded records would score.  Times are
wall-clock and CPU seconds (user + system, all threads) on this machine;
``--attacks`` runs only the named attacks (the graph attack alone at 5,000
records: its control on random bits would take far longer).
"""

from __future__ import annotations

import argparse
import json
import time
from importlib.resources import files

import numpy as np

import pprl
from pprl.privacy import (
    Guesses,
    frequency_attack,
    graph_attack,
    pattern_attack,
    random_bits_like,
    score_guesses,
    shuffle_plaintext,
)
from pprl.privacy._plaintext import plaintext_view

ANCHORS = {
    ("graph", "person"): "87.8 % (CIKM 2020, CLK l=1000 k=10)",
    ("graph-random", "person"): "chance",
    ("frequency", "given_name"): "0.3 % exact (PAKDD 2017 re-impl.)",
    ("freq-ranks", "given_name"): "-",
    ("pattern", "given_name"): "unverified",
    ("pattern-300", "given_name"): "-",
    ("frequency", "person"): "<= 5 % (NCVR, 2-4 fields)",
    ("freq-ranks", "person"): "-",
    ("pattern", "person"): "<= 20.7 % (NCVR, 2-4 fields)",
}


def _schemas():
    doc = json.loads(files("pprl").joinpath("data/schemas/person.json").read_text())
    first = dict(doc, features=[f for f in doc["features"] if f["identifier"] == "given_name"])
    return {"person": doc, "given_name": first}


def _new_values(g: Guesses, seed_values: set, ck, pk) -> int:
    ok = ck[g.clk_row] == pk[g.plaintext_row]
    return len({v for v, good in zip(pk[g.plaintext_row], ok, strict=True)
                if good and v not in seed_values})


def _attack(name: str, clks, b, schema, seed: int, true_seeds: Guesses) -> Guesses:
    if name == "graph":
        return graph_attack(clks, b, schema, rng=seed)
    if name == "graph-random":  # negative control: no q-gram structure left
        return graph_attack(random_bits_like(clks, rng=seed), b, schema, rng=seed)
    if name in ("frequency", "freq-ranks"):
        return frequency_attack(clks, b, schema, popcount=name == "frequency", rng=seed)
    if name == "pattern":
        return pattern_attack(clks, b, schema, rng=seed)
    return pattern_attack(clks, b, schema, seeds=true_seeds, rng=seed)


def run(n: int, seed: int, locale: str, overlap: float = 1.0,
        only: frozenset | None = None) -> list[tuple]:
    ds = pprl.make_dataset(n, overlap=overlap, locale=locale, rng=seed)
    a = ds.parties[0]
    b, truth = shuffle_plaintext(ds.parties[1], ds.truth[["a", "b"]], rng=seed)
    secret = np.random.default_rng(seed).bytes(32)
    rows = []
    for sname, schema in _schemas().items():
        clks = pprl.encode(a, schema, secret, match="name", progress=False)
        ck, pk = plaintext_view(a, schema).keys, plaintext_view(b, schema).keys
        k = min(300, len(truth))
        true_seeds = Guesses.from_arrays(truth["a"][:k], truth["b"][:k], np.ones(k), len(clks))
        names = ["frequency", "freq-ranks", "pattern"]
        names = ["graph", "graph-random", *names] if sname == "person" else [*names,
                                                                             "pattern-300"]
        for aname in [x for x in names if only is None or x in only]:
            t, c = time.perf_counter(), time.process_time()
            g = _attack(aname, clks, b, schema, seed, true_seeds)
            seconds, cpu = time.perf_counter() - t, time.process_time() - c
            s = score_guesses(g, truth, clk_keys=ck, plaintext_keys=pk)
            new = ""
            if aname == "pattern-300":
                new = _new_values(g, set(pk[true_seeds.plaintext_row]), ck, pk)
            elif aname == "pattern":
                f = frequency_attack(clks, b, schema, min_count=max(2, -(-n // 200)), rng=seed)
                new = _new_values(g, set(pk[f.plaintext_row]), ck, pk)
            rows.append((aname, sname, seed, locale, s.reidentification_rate, s.precision,
                         s.chance_rate or 0.0, new, seconds, cpu))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--locales", nargs="+", default=["en_AU", "de_DE"])
    ap.add_argument("--overlap", type=float, default=1.0,
                    help="share of the attacker's people among the encoded ones")
    ap.add_argument("--attacks", nargs="+", choices=sorted({a for a, _ in ANCHORS}),
                    help="run only these attacks (default: all)")
    args = ap.parse_args()
    only = frozenset(args.attacks) if args.attacks else None
    print(f"{'attack':<12} {'schema':<11} {'seed':>4} {'locale':<6} {'re-id':>7} "
          f"{'precision':>9} {'chance':>7} {'new':>4} {'seconds':>8} {'CPU s':>7}  anchor")
    results = []
    for locale in args.locales:
        for seed in args.seeds:
            for row in run(args.records, seed, locale, args.overlap, only):
                results.append(row)
                aname, sname, sd, loc, rate, prec, chance, new, sec, cpu = row
                print(f"{aname:<12} {sname:<11} {sd:>4} {loc:<6} {rate:>7.1%} {prec:>9.1%} "
                      f"{chance:>7.2%} {str(new):>4} {sec:>8.1f} {cpu:>7.1f}  "
                      f"{ANCHORS[(aname, sname)]}", flush=True)
    if args.overlap < 1.0:
        print("(re-identification counts every encoded record; at partial overlap only "
              f"{args.overlap:.0%} can be found)")
    checks = [("graph >= 80 % on person", "graph", "person", min),
              ("on random bits at chance", "graph-random", "person", max),
              ("frequency >= 5 % on given_name", "frequency", "given_name", min)]
    parts = []
    for text, aname, sname, worst in checks:
        rates = [r[4] for r in results if r[0] == aname and r[1] == sname]
        if rates:
            parts.append(f"{text} (worst {worst(rates):.1%})")
    if parts:
        print("target: " + "; ".join(parts))


if __name__ == "__main__":
    main()
