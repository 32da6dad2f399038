"""Tests of pprl.evaluation.explore: the explorer logic, without widgets."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import Candidates, InputError, evaluate_links, threshold_curve
from pprl.evaluation.explore import (
    EncodingParams,
    ExplorerModel,
    apply_params,
    hashed_features,
    matrix_curve,
    parameter_grid,
    threshold_summary,
)


@pytest.fixture(scope="module")
def person_schema_dict():
    from pprl.encoding.schema import PERSON_SCHEMA_PATH

    return json.loads(PERSON_SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample():
    from pprl import synthetic

    ds = synthetic.make_dataset(120, rng=11)
    return ds.parties[0], ds.parties[1], ds.truth[["a", "b"]]


@pytest.fixture
def model(sample):
    a, b, truth = sample
    return ExplorerModel(a, b, truth, secret=b"explore-test", floor=0.3, bins=20)


# --- threshold explorer -------------------------------------------------------------


def test_threshold_summary_equals_direct_evaluation():
    c = Candidates.from_unsorted([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], [0.9, 0.8, 0.75, 0.6, 0.6])
    truth = [[0, 0], [1, 1], [2, 2], [3, 3]]
    curve = threshold_curve(c, truth)
    greedy = c.above(0.0)
    try:
        from pprl.linkage.matching import greedy_match

        gcurve = threshold_curve(c, truth, solver="greedy")
    except ImportError:
        greedy_match = gcurve = None
    for t in (0.95, 0.8, 0.7, 0.6, 0.1):
        s = threshold_summary(curve, t, gcurve)
        want = evaluate_links(c.above(t), truth)
        assert (s.links.tp, s.links.fp, s.links.fn) == (want.tp, want.fp, want.fn)
        assert s.n_candidates == len(c.above(t))
        if gcurve is not None:
            greedy = greedy_match(c.above(t))
            g = evaluate_links(greedy, truth)
            assert (s.greedy.tp, s.greedy.fp) == (g.tp, g.fp)
    s = threshold_summary(curve, 0.6)
    rows = dict((r[0], r[1:]) for r in s.rows())
    assert rows["tp"] == ("3", "") and rows["n_matches"] == ("5", "")
    assert "candidate set: 5 pairs" in s.to_html()
    with pytest.raises(InputError, match="'threshold'"):
        threshold_summary(curve, 1.5)


# --- schema knobs ---------------------------------------------------------------------


def test_apply_params_changes_only_what_it_says(person_schema_dict):
    base = json.dumps(person_schema_dict, sort_keys=True)
    p = EncodingParams(l=512, xor_folds=1, q=3, positional=True, strategy="bitsPerFeature",
                       k=80, include=("given_name", "surname", "date_of_birth"))
    doc = apply_params(person_schema_dict, p)
    assert json.dumps(person_schema_dict, sort_keys=True) == base  # input untouched
    assert doc["clkConfig"]["l"] == 512 and doc["clkConfig"]["xor_folds"] == 1
    assert "xorFolds" not in doc["clkConfig"]
    feats = {f["identifier"]: f for f in doc["features"]}
    assert hashed_features(doc) == ["given_name", "surname", "date_of_birth"]
    assert feats["suburb"] == {"identifier": "suburb", "ignored": True}
    assert feats["given_name"]["hashing"]["comparison"] == {"type": "ngram", "n": 3,
                                                            "positional": True}
    base_dob = {f["identifier"]: f for f in person_schema_dict["features"]}["date_of_birth"]
    assert feats["date_of_birth"]["hashing"]["comparison"] == base_dob["hashing"]["comparison"]
    assert feats["date_of_birth"]["hashing"]["strategy"] == {"bitsPerFeature": 80}
    from pprl.encoding.schema import load_schema

    s = load_schema(doc)
    assert s.l == 512 and s.xor_folds == 1


def test_apply_params_defaults_keep_the_schema(person_schema_dict):
    doc = apply_params(person_schema_dict, EncodingParams())
    orig = {f["identifier"]: f for f in person_schema_dict["features"]}
    for f in doc["features"]:
        assert f == orig[f["identifier"]]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"l": 100}, "'l'"),
        ({"xor_folds": -1}, "'xor_folds'"),
        ({"strategy": "bloom"}, "'strategy'"),
        ({"k": 0}, "'k'"),
        ({"q": 0}, "'q'"),
        ({"include": ("given_name", "nickname")}, "'include'.*nickname"),
    ],
)
def test_apply_params_rejects_bad_knobs(person_schema_dict, change, match):
    with pytest.raises(InputError, match=match):
        apply_params(person_schema_dict, EncodingParams(**change))


# --- the model ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        EncodingParams(),
        EncodingParams(l=512, q=3),
        EncodingParams(xor_folds=1, positional=True),
        EncodingParams(strategy="bitsPerToken", k=7, include=("surname", "suburb")),
    ],
)
def test_model_encoding_is_byte_identical_to_encode(model, sample, params):
    from pprl.encoding.encode import encode

    a, b = model.encode(params)
    doc = apply_params(model.schema, params)
    want_a = encode(sample[0], doc, b"explore-test", match="name", progress=False)
    want_b = encode(sample[1], doc, b"explore-test", match="name", progress=False)
    np.testing.assert_array_equal(a, want_a)
    np.testing.assert_array_equal(b, want_b)


def test_model_caches_features_and_results(model, sample):
    r1 = model.evaluate()
    misses = model.stats["feature_misses"]
    assert misses == 2 * len(model.features)
    assert model.evaluate() is r1 and model.stats["result_hits"] == 1
    model.evaluate(include=("given_name", "surname"))
    assert model.stats["feature_misses"] == misses  # toggling features re-hashes nothing
    model.evaluate(q=3)  # touches only the free-text features
    from pprl.evaluation.explore import _text_features

    assert model.stats["feature_misses"] == misses + 2 * len(_text_features(model.schema))
    model.evaluate(include=("surname", "given_name"))  # same set, other order: cached
    assert model.stats["result_hits"] == 2


def test_model_result_is_consistent(model, sample):
    a, b, truth = sample
    r = model.evaluate(l=512)
    assert r.clks_a.shape == (len(a), 64) and r.clks_b.shape == (len(b), 64)
    assert r.histogram.counts.sum() == len(a) * len(b)
    assert r.histogram.match_counts.sum() == len(truth) == r.curve.n_true
    assert set(r.seconds) == {"encode", "compare", "evaluate"}
    assert 0.5 < r.best.f1 <= 1.0  # linkage works on lightly corrupted people
    assert "explore-test" not in repr(model)


def test_model_default_secret_is_random_and_hidden(sample):
    a, b, truth = sample
    m1 = ExplorerModel(a, b, truth, rng=1)
    m2 = ExplorerModel(a, b, truth, rng=2)
    p = EncodingParams(include=("surname",))
    assert not np.array_equal(m1.encode(p)[0], m2.encode(p)[0])
    assert np.array_equal(m1.encode(p)[0], ExplorerModel(a, b, truth, rng=1).encode(p)[0])


def test_parameter_grid_long_table(model):
    df = parameter_grid(model, "l", [256, 512], "k", [5, 10],
                        base=EncodingParams(strategy="bitsPerToken"))
    assert list(df.columns) == ["l", "k", "f1", "precision", "recall", "threshold"]
    assert len(df) == 4 and df["f1"].between(0, 1).all()
    direct = model.evaluate(EncodingParams(strategy="bitsPerToken"), l=512, k=10).best.f1
    assert df.set_index(["l", "k"]).loc[(512, 10), "f1"] == direct
    with pytest.raises(InputError, match="not a knob"):
        parameter_grid(model, "length", [1], "k", [1])


# --- matrix_curve ---------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1),
    st.sampled_from([0.0, 0.25, 0.5]),
)
def test_matrix_curve_equals_threshold_curve_of_candidates(n, m, seed, floor):
    rng = np.random.default_rng(seed)
    mat = rng.integers(0, 5, size=(n, m)) / 4  # many ties
    k = min(n, m)
    truth = np.column_stack([rng.permutation(n)[:k], rng.permutation(m)[:k]])
    ia, ib = np.nonzero(mat >= floor)
    want = threshold_curve(Candidates.from_unsorted(ia, ib, mat[ia, ib]), truth)
    got = matrix_curve(mat, truth, floor)
    for name in ("thresholds", "n_pairs", "tp"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    assert got.n_true == want.n_true


def test_matrix_curve_checks_truth():
    with pytest.raises(InputError, match="outside"):
        matrix_curve(np.zeros((2, 2)), [[2, 0]])
    with pytest.raises(InputError, match="more than once"):
        matrix_curve(np.zeros((2, 2)), pd.DataFrame({"a": [0, 0], "b": [1, 1]}))
