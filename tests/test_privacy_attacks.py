"""Attacks on CLKs: the graph, frequency and pattern attacks re-identify what they should."""

import base64
import json
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pprl
from pprl.errors import InputError
from pprl.privacy import (
    Guesses,
    frequency_attack,
    graph_attack,
    pattern_attack,
    privacy_report,
    score_guesses,
)
from pprl.privacy._plaintext import expected_dice, plaintext_view

SECRET = b"a test secret, not a real one"


def _person_doc(fields=None):
    doc = json.loads(files("pprl").joinpath("data/schemas/person.json").read_text())
    if fields is not None:
        doc["features"] = [f for f in doc["features"] if f["identifier"] in fields]
    return doc


@pytest.fixture(scope="module")
def first_names():
    """A first-name-only Bloom filter of 1,000 people; the attacker holds their other copy."""
    doc = _person_doc(["given_name"])
    ds = pprl.make_dataset(1000, overlap=1.0, rng=11)
    a, b = ds.parties
    clks = pprl.encode(a[["given_name"]], doc, SECRET, progress=False)
    keys = {"clk_keys": plaintext_view(a, doc).keys, "plaintext_keys": plaintext_view(b, doc).keys}
    return doc, clks, b, ds.truth[["a", "b"]], keys


# --- the result type and its scoring ---------------------------------------------------------


def test_guesses_canonical_order_and_one_guess_per_record():
    g = Guesses.from_arrays([3, 1, 2], [0, 5, 9], [0.5, 0.9, 0.5], n_encoded=4)
    assert g.clk_row.tolist() == [1, 2, 3]  # score descending, ties by clk_row
    assert g.plaintext_row.tolist() == [5, 9, 0]
    assert list(g.to_frame().columns) == ["clk_row", "plaintext_row", "score"]
    with pytest.raises(InputError, match="more than one guess"):
        Guesses.from_arrays([1, 1], [0, 2], [0.1, 0.2], n_encoded=2)


def test_score_guesses_by_pairs_and_by_values():
    g = Guesses.from_arrays([0, 1, 2], [0, 3, 1], [3.0, 2.0, 1.0], n_encoded=5)
    truth = pd.DataFrame({"a": [0, 1, 2], "b": [0, 1, 2]})
    s = score_guesses(g, truth)
    assert (s.correct, s.n_guesses, s.n_encoded) == (1, 3, 5)
    assert s.reidentification_rate == pytest.approx(0.2)
    assert s.precision == pytest.approx(1 / 3)
    # record 1 was guessed as plaintext row 3, which holds the same value: the value leaked
    s = score_guesses(g, truth, clk_keys=["x", "y", "z", "w", "v"],
                      plaintext_keys=["x", "q", "r", "y"])
    assert s.correct == 2
    with pytest.raises(InputError, match="both"):
        score_guesses(g, truth, clk_keys=["x"])


# --- the attacker's model of the encoding ----------------------------------------------------


def test_expected_popcount_and_dice_match_real_encodings():
    """The schema alone predicts popcounts and Dice of the real CLKs (no secret)."""
    ds = pprl.make_dataset(300, overlap=1.0, rng=5)
    a = ds.parties[0]
    schema = pprl.person_schema()
    clks = pprl.encode(a, schema, SECRET, progress=False)
    view = plaintext_view(a, schema)
    pop = pprl.popcount(clks)
    assert abs(view.expected_popcount().mean() - pop.mean()) < 0.02 * pop.mean()
    d = pprl.dice_matrix(clks, clks)
    p = expected_dice(view)
    iu = np.triu_indices(len(a), 1)
    assert np.corrcoef(d[iu], p[iu])[0, 1] > 0.8


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text("abcde", min_size=0, max_size=6), min_size=1, max_size=8))
def test_expected_dice_is_a_similarity(names):
    doc = _person_doc(["given_name"])
    view = plaintext_view(pd.DataFrame({"given_name": names}), doc)
    p = expected_dice(view)
    assert np.allclose(p, p.T)
    assert ((p >= 0) & (p <= 1 + 1e-12)).all()
    nonempty = np.array([len(n) > 0 for n in names])
    assert np.allclose(np.diag(p)[nonempty], 1.0)


def test_plaintext_without_a_hashed_column_is_refused():
    with pytest.raises(InputError, match="no column 'surname'"):
        graph_attack(np.zeros((2, 128), np.uint8), pd.DataFrame({"given_name": ["a", "b"]}),
                     pprl.person_schema())


# --- the attacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("n, seed, locale", [(1000, 21, "en_AU"), (400, 22, "de_DE")])
def test_graph_attack_reidentifies_unhardened_person_clks(n, seed, locale):
    """Full overlap, corrupted plaintext copy: >= 80 % (published: 87.8 % at 1,000;
    benchmarks/bench_attacks.py runs more seeds and locales)."""
    ds = pprl.make_dataset(n, overlap=1.0, locale=locale, rng=seed)
    a, b = ds.parties
    schema = pprl.person_schema()
    clks = pprl.encode(a, schema, SECRET, progress=False)
    g = graph_attack(clks, b, schema, rng=0)
    assert len(g) == n
    assert np.unique(g.clk_row).size == n
    s = score_guesses(g, ds.truth[["a", "b"]])
    assert s.reidentification_rate >= 0.8


def test_graph_attack_when_the_attacker_knows_more_people():
    """Encodings of 260 people, a plaintext database of 300 that holds them all."""
    ds = pprl.make_dataset(300, overlap=1.0, rng=4)
    a, b = ds.parties
    schema = pprl.person_schema()
    clks = pprl.encode(a.iloc[:260], schema, SECRET, progress=False)
    g = graph_attack(clks, b, schema, rng=0)
    assert len(g) == 260 and g.n_encoded == 260 and g.plaintext_row.max() < 300
    truth = ds.truth[ds.truth["a"] < 260][["a", "b"]]
    assert score_guesses(g, truth).reidentification_rate >= 0.8
    assert score_guesses(g.top(130), truth).precision >= 0.95  # confident guesses first


def test_graph_attack_guesses_are_valid_under_partial_overlap():
    """Half the people shared and unequal sizes (a hard case for graph matching, as in
    the literature): still one guess per record, rows in range."""
    ds = pprl.make_dataset(120, overlap=0.5, rng=4)
    a, b = ds.parties
    schema = pprl.person_schema()
    clks = pprl.encode(a, schema, SECRET, progress=False)
    g = graph_attack(clks, b.iloc[:100], schema, rng=0)
    assert len(g) == 100 and g.n_encoded == 120
    assert np.unique(g.clk_row).size == 100 and g.clk_row.max() < 120
    assert np.unique(g.plaintext_row).size == 100 and g.plaintext_row.max() < 100
    assert (np.diff(g.score) <= 0).all()


def test_frequency_attack_breaks_a_first_name_bloom_filter(first_names):
    doc, clks, plaintext, truth, keys = first_names
    g = frequency_attack(clks, plaintext, doc)
    assert len(g) > 0 and np.unique(g.clk_row).size == len(g)
    s = score_guesses(g, truth, **keys)
    assert s.reidentification_rate >= 0.05
    # best first: the most frequent patterns are the surest alignments
    assert score_guesses(g.top(100), truth, **keys).precision > s.precision


def test_frequency_attack_finds_nothing_when_every_clk_is_unique():
    ds = pprl.make_dataset(200, overlap=1.0, rng=2)
    a, b = ds.parties
    schema = pprl.person_schema()
    clks = pprl.encode(a, schema, SECRET, progress=False)
    assert len(frequency_attack(clks, b, schema)) == 0


def test_pattern_attack_reidentifies_from_mined_bit_positions(first_names):
    doc, clks, plaintext, truth, keys = first_names
    g = pattern_attack(clks, plaintext, doc)
    s = score_guesses(g, truth, **keys)
    assert s.reidentification_rate >= 0.05
    assert s.precision >= 0.4
    assert (g.score >= 0.85).all()


def test_pattern_attack_with_true_seeds_learns_the_encoding(first_names):
    """Given correct seeds, the mined positions re-encode the plaintext well enough to
    re-identify most records: the evidence, not luck, drives the attack."""
    doc, clks, plaintext, truth, keys = first_names
    seeds = Guesses.from_arrays(truth["a"][:300], truth["b"][:300], np.ones(300), len(clks))
    g = pattern_attack(clks, plaintext, doc, seeds=seeds)
    assert score_guesses(g, truth, **keys).correct >= 300


def test_attacks_on_empty_input_return_no_guesses():
    schema = pprl.person_schema()
    empty = pd.DataFrame({c: [] for c in pprl.synthetic.PERSON_COLUMNS}, dtype=str)
    clks = np.zeros((0, 128), np.uint8)
    for attack in (graph_attack, frequency_attack, pattern_attack):
        g = attack(clks, empty, schema)
        assert len(g) == 0 and g.n_encoded == 0


# --- the report ---------------------------------------------------------------------------------


def test_privacy_report_is_reproducible_and_keeps_the_secret():
    r1 = privacy_report(pprl.person_schema(), n_records=120, seed=9)
    r2 = privacy_report(pprl.person_schema(), n_records=120, seed=9)
    strip = [lambda r: {k: {**v, "seconds": 0} for k, v in r["attacks"].items()}]
    assert strip[0](r1) == strip[0](r2) and r1["linkage"] == r2["linkage"]
    assert set(r1["attacks"]) == {"graph", "frequency", "pattern"}
    assert r1["seed"] == 9 and r1["linkage"]["f1"] > 0.9
    assert r1["attacks"]["graph"]["reidentification_rate"] > 0.8
    assert 0 < r1["leaks"]["fill"] < 1 and r1["leaks"]["popcount_length_correlation"] > 0.5
    secret = np.random.default_rng(9).bytes(32)  # how the report draws it
    text = json.dumps(r1)
    assert secret.hex() not in text and base64.b64encode(secret).decode() not in text
    assert not any("secret" in k for k in r1)


def test_privacy_report_refuses_non_person_columns():
    doc = _person_doc(["given_name"])
    doc["features"][0]["identifier"] = "nickname"
    with pytest.raises(InputError, match="nickname"):
        privacy_report(doc, n_records=10, seed=1)


def test_graph_attack_warns_before_a_large_run(monkeypatch):
    import pprl.privacy.graph as graph

    monkeypatch.setattr(graph, "_LARGE", 10)
    ds = pprl.make_dataset(20, overlap=1.0, rng=1)
    schema = pprl.person_schema()
    clks = pprl.encode(ds.parties[0], schema, SECRET, progress=False)
    with pytest.warns(UserWarning, match="attack a sample"):
        graph_attack(clks, ds.parties[1], schema, rng=0)
