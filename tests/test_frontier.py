"""The privacy-utility frontier, its display, and the explorer's attack readout."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pprl
from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.errors import InputError, SchemaError
from pprl.evaluation.explore import EncodingParams, ExplorerModel
from pprl.privacy import ShuffledAttack, graph_attack
from pprl.privacy.frontier import (
    FrontierResult,
    frontier,
    pareto_mask,
    with_hardening,
)


@pytest.fixture(scope="module")
def data():
    return pprl.make_dataset(80, overlap=1.0, rng=5)


def nearest_attack(calls):
    """A stand-in attacker who (unrealistically) holds the secret: re-encodes the
    plaintext and guesses the most similar CLK -- hardening that keeps linkage
    keeps this attack working, salting included."""

    def attack(clks, plaintext, schema):
        calls.append(json.dumps(schema["clkConfig"].get("hardening", [])))
        enc = pprl.encode(plaintext, schema, b"frontier-secret", match="name", progress=False)
        best = pprl.dice_matrix(clks, enc).argmax(axis=1)
        return pd.DataFrame({"clk_row": np.arange(len(clks)), "plaintext_row": best})

    return attack


def test_frontier_measures_every_setting(data):
    calls: list[str] = []
    settings = {"none": [], "balance": [{"kind": "balance"}],
                "blip 0.3": [{"kind": "blip", "probability": 0.3}]}
    res = frontier(settings, data=data, attack=nearest_attack(calls),
                   secret=b"frontier-secret", progress=False)
    assert isinstance(res, FrontierResult)
    t = res.table
    assert t["setting"].tolist() == list(settings)
    assert calls == [json.dumps(s) for s in settings.values()]
    assert set(t.columns) >= {"f1", "threshold", "reidentification", "guess_precision",
                              "pareto", "hardening", "graph_signal"}
    assert ((t["f1"] > 0) & (t["f1"] <= 1)).all()
    # heavy bit flipping costs linkage quality and this attack's success
    none, blip = t.iloc[0], t.iloc[2]
    assert none["f1"] > blip["f1"] and none["reidentification"] > blip["reidentification"]
    assert none["reidentification"] > 0.8
    assert t["pareto"].tolist() == pareto_mask(t["f1"], t["reidentification"]).tolist()
    assert res.front["reidentification"].is_monotonic_increasing


def test_frontier_validates_all_settings_first(data):
    calls: list[str] = []
    with pytest.raises(SchemaError, match=r"hardening\[0\]\.taps"):
        frontier({"ok": [], "bad": [{"kind": "diffusion", "taps": 0}]}, data=data,
                 attack=nearest_attack(calls), progress=False)
    assert calls == []
    with pytest.raises(InputError, match="empty"):
        frontier({}, data=data, attack=nearest_attack(calls), progress=False)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12))
def test_pareto_front_is_exactly_the_undominated_points(points):
    f, r = np.array(points).T
    mask = pareto_mask(f, r)
    assert mask.any()
    for i in range(len(f)):
        dominated = any(f[j] >= f[i] and r[j] <= r[i] and (f[j] > f[i] or r[j] < r[i])
                        for j in range(len(f)))
        assert mask[i] == (not dominated)


def _sex_only(base):
    """The person schema with only ``sex`` hashed: three distinct CLKs, nothing to tell
    people apart beyond their sex."""
    doc = json.loads(json.dumps(base))
    for f in doc["features"]:
        if f["identifier"] != "sex":
            doc["features"][doc["features"].index(f)] = {"identifier": f["identifier"],
                                                         "ignored": True}
    return doc


def identity_attack(clks, plaintext, schema):
    """No information at all: guesses plaintext row i for CLK row i."""
    n = min(len(clks), len(plaintext))
    return pprl.Guesses.from_arrays(np.arange(n), np.arange(n), np.zeros(n), len(clks))


def test_shuffled_attack_maps_guesses_back_and_repeats_exactly(data):
    a, b = data.parties
    calls: list[str] = []
    truth = data.truth[["a", "b"]]
    clks = pprl.encode(a, PERSON_SCHEMA_PATH, b"frontier-secret", match="name", progress=False)
    with open(PERSON_SCHEMA_PATH, encoding="utf-8") as fh:
        base = json.load(fh)
    probe = ShuffledAttack(nearest_attack(calls), rng=4)
    g = probe.guesses(clks, b, base)
    # the stand-in holds the secret: after mapping back, its guesses are B's true rows
    s = probe.score(clks, b, base, truth)
    assert s.reidentification_rate > 0.9 and s.n_encoded == len(a)
    assert s == pprl.score_guesses(g, truth)  # the one scorer
    again = ShuffledAttack(nearest_attack(calls), rng=4).guesses(clks, b, base)
    assert np.array_equal(g.plaintext_row, again.plaintext_row)
    # an attack with no information scores chance, not 1.0, however it breaks ties
    n = len(a)
    aligned = np.column_stack([np.arange(n), np.arange(n)])
    assert pprl.score_guesses(identity_attack(clks, b, base), aligned).reidentification_rate == 1
    assert ShuffledAttack(identity_attack, rng=0).score(
        clks, b, base, aligned).reidentification_rate < 0.06
    with pytest.raises(InputError, match="callable"):
        ShuffledAttack("graph")


def test_graph_attack_on_identical_clks_is_chance_not_one():
    """200 all-zero CLKs: an assignment that breaks ties toward the identity re-identified
    all of them when row i was plaintext row i (issue 16); shuffled, about 1 in 200."""
    people = pprl.make_dataset(200, overlap=1.0, rng=2).parties[0]
    clks = np.zeros((200, 128), dtype=np.uint8)
    truth = np.column_stack([np.arange(200), np.arange(200)])
    s = ShuffledAttack(graph_attack, rng=0).score(clks, people, PERSON_SCHEMA_PATH, truth)
    assert s.n_guesses == 200 and s.reidentification_rate <= 0.03


def test_frontier_with_the_default_graph_attack_repeats_and_has_no_alignment_gift(data):
    """The default attack (the graph matching attack, not a stand-in): the same numbers on
    every call with rng=0; it re-identifies unhardened CLKs, less after diffusion, and a
    sex-only filter (three distinct CLKs) gives chance."""
    settings = {"none": [], "diffusion 10": [{"kind": "diffusion", "taps": 10}]}
    # at 80 records the attack fails outright for some secrets (1 in 5 tried); this one works
    first = frontier(settings, data=data, rng=0, secret=b"frontier-secret", progress=False)
    again = frontier(settings, data=data, rng=0, secret=b"frontier-secret", progress=False)
    cols = ["f1", "threshold", "reidentification", "guess_precision", "graph_signal"]
    pd.testing.assert_frame_equal(first.table[cols], again.table[cols])
    none, diffused = first.table.iloc[0], first.table.iloc[1]
    assert none["reidentification"] > 0.5
    assert diffused["reidentification"] < none["reidentification"]
    with open(PERSON_SCHEMA_PATH, encoding="utf-8") as fh:
        sex_only = _sex_only(json.load(fh))
    # chance is about 1 in 40 (a guess of the right sex); one seed can land well above it
    # (9 of 80 for rng=0 once the attacks also shuffle internally), so average four
    blind = [frontier({"none": []}, data=data, schema=sex_only, rng=r,
                      secret=b"frontier-secret", progress=False).table["reidentification"].iloc[0]
             for r in range(4)]
    assert np.mean(blind) <= 0.06, blind
    # all-zero CLKs: the only hashed field blank for everyone
    blank = SimpleNamespace(parties=[p.assign(sex="") for p in data.parties], truth=data.truth)
    zero = frontier({"none": []}, data=blank, schema=sex_only, rng=0, progress=False)
    assert zero.table["reidentification"].iloc[0] <= 0.1


def test_frontier_seeds_the_attack_and_a_guessing_attack_scores_chance(data):
    """An attack that takes ``rng`` gets one drawn from the frontier's seed: the same
    table on every call with rng=0.  Negative control: random guesses score ~1/n."""

    seen: list[list[int]] = []

    def guessing_attack(clks, plaintext, schema, rng=None):
        gen = np.random.default_rng(rng)
        n = len(clks)
        rows = gen.permutation(len(plaintext))[:n]
        seen.append(rows.tolist())
        return pprl.Guesses.from_arrays(np.arange(n), rows, np.zeros(n), n)

    runs = [frontier({"none": []}, data=data, attack=guessing_attack, rng=0,
                     progress=False).table for _ in range(2)]
    assert runs[0]["reidentification"].iloc[0] == runs[1]["reidentification"].iloc[0]
    assert seen[0] == seen[1]  # the attack drew the same guesses
    rates = [frontier({"none": []}, data=data, attack=guessing_attack, rng=r,
                      progress=False).table["reidentification"].iloc[0] for r in range(8)]
    assert len(set(rates)) > 1 and np.mean(rates) < 0.05  # chance: 1/80 each


def test_with_hardening_replaces_or_removes_the_steps():
    doc = {"clkConfig": {"l": 64, "hardening": [{"kind": "rule90"}]}}
    assert "hardening" not in with_hardening(doc, [])["clkConfig"]
    assert with_hardening(doc, [{"kind": "balance"}])["clkConfig"]["hardening"] == [
        {"kind": "balance"}]
    assert doc["clkConfig"]["hardening"] == [{"kind": "rule90"}]  # not changed in place


def test_frontier_display_marks_the_front():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from pprl.viz import FrontierDisplay

    table = pd.DataFrame({"setting": ["a", "b", "c"], "f1": [0.99, 0.95, 0.9],
                          "reidentification": [0.9, 0.02, 0.5],
                          "pareto": [True, True, False]})
    disp = FrontierDisplay.from_frontier(FrontierResult(table, 3, 1.0)).plot()
    assert disp.front_points_.get_offsets().shape == (2, 2)
    assert disp.points_.get_offsets().shape == (1, 2)
    xs, ys = disp.front_.get_data()
    assert list(xs) == [0.02, 0.9] and list(ys) == [0.95, 0.99]
    assert "graph attack" in disp.ax_.get_xlabel()
    import matplotlib.pyplot as plt

    plt.close(disp.figure_)


# --- the parameter explorer with hardening and an attack ----------------------------


def test_explorer_hardening_is_byte_identical_to_encode(data):
    a, b = data.parties
    model = ExplorerModel(a, b, data.truth, secret=b"explorer", rng=0)
    with open(PERSON_SCHEMA_PATH, encoding="utf-8") as fh:
        base = json.load(fh)
    for steps in ([{"kind": "balance"}, {"kind": "diffusion", "taps": 3}],
                  [{"kind": "salt", "field": "date_of_birth", "prefix": 4}],
                  [{"kind": "blip", "probability": 0.05}, {"kind": "xor_fold"}]):
        params = EncodingParams(l=512, hardening=json.dumps(steps))
        got_a, got_b = model.encode(params)
        doc = with_hardening(base, steps)
        doc["clkConfig"]["l"] = 512
        want = pprl.encode(a, doc, b"explorer", match="name", progress=False)
        assert np.array_equal(got_a, want), steps
    with pytest.raises(InputError, match="hardening"):
        model.encode(EncodingParams(hardening="not json"))


def test_explorer_reads_out_the_attack_once_per_setting(data):
    a, b = data.parties
    calls: list[str] = []
    model = ExplorerModel(a, b, data.truth, secret=b"frontier-secret",
                          attack=ShuffledAttack(nearest_attack(calls)), attack_records=40,
                          rng=0)
    r = model.evaluate(EncodingParams())
    assert r.reidentification is not None and r.reidentification > 0.8
    assert "attack" in r.seconds
    again = model.evaluate(EncodingParams())
    assert again is r and len(calls) == 1
    noisy = model.evaluate(EncodingParams(hardening='[{"kind": "blip", "probability": 0.3}]'))
    assert noisy.reidentification < r.reidentification
    assert len(calls) == 2
    assert ExplorerModel(a, b, data.truth, rng=0).evaluate().reidentification is None
    with pytest.raises(InputError, match="attack_records"):
        ExplorerModel(a, b, data.truth, attack_records=0)
    with pytest.raises(InputError, match="ShuffledAttack"):  # a bare attack could see rows aligned
        ExplorerModel(a, b, data.truth, attack=graph_attack)


def test_explorer_readout_of_a_blind_filter_is_chance(data):
    """Issue 16: a filter of sex alone read 0.747 re-identified through the explorer (A's
    row i was B's row i and the assignment broke ties toward the identity); now chance."""
    a, b = data.parties
    model = ExplorerModel(a, b, data.truth, secret=b"explorer",
                          attack=ShuffledAttack(graph_attack, rng=0), rng=0)
    blind = model.evaluate(EncodingParams(include=("sex",)))
    assert len({bytes(r) for r in blind.clks_a}) <= 3
    assert blind.reidentification <= 0.1
    assert model.evaluate(EncodingParams()).reidentification > 0.5
    zero_model = ExplorerModel(a.assign(sex=""), b.assign(sex=""), data.truth,
                               secret=b"explorer", attack=ShuffledAttack(graph_attack, rng=0))
    zero = zero_model.evaluate(EncodingParams(include=("sex",)))
    assert not zero.clks_a.any() and zero.reidentification <= 0.1  # all-zero CLKs: chance


def test_parameter_explorer_widget_shows_the_attack_beside_f1(data):
    pytest.importorskip("ipywidgets")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from pprl.viz.widgets import ParameterExplorer

    a, b = data.parties
    calls: list[str] = []
    model = ExplorerModel(a, b, data.truth, secret=b"frontier-secret", floor=0.3,
                          attack=ShuffledAttack(nearest_attack(calls)), attack_records=30)
    ex = ParameterExplorer(model, EncodingParams(l=512))
    assert "best F1" in ex.status.value  # drawn before the attack has run
    ex.attack_thread.join()
    assert "re-identified by the attack <b>" in ex.status.value
    assert ex.result.reidentification is not None
    ex.controls["hardening"].value = json.dumps([{"kind": "balance"}])
    assert json.loads(ex.params.hardening) == [{"kind": "balance"}]
    assert ex.result.clks_a.shape[1] == 128
    ex.attack_thread.join()
    assert ex.result.reidentification is not None and len(calls) == 2
    first = ex.attack_thread
    ex.controls["hardening"].value = None
    assert ex.attack_thread is first  # back to a cached setting: no new attack
    assert len(calls) == 2 and "re-identified by the attack <b>" in ex.status.value


def test_explorer_runs_the_attack_once_per_distinct_encoding(data):
    a, b = data.parties
    calls: list[str] = []
    model = ExplorerModel(a, b, data.truth, secret=b"frontier-secret",
                          attack=ShuffledAttack(nearest_attack(calls)), attack_records=20)
    first = model.evaluate(EncodingParams(k=15))
    same = model.evaluate(EncodingParams(k=25))  # the schema's own strategy ignores k
    assert same is not first and np.array_equal(same.clks_a, first.clks_a)
    assert same.reidentification == first.reidentification and len(calls) == 1


def test_graph_signal_falls_with_diffusion(data):
    from pprl.privacy.frontier import graph_signal

    a = data.parties[0]
    with open(PERSON_SCHEMA_PATH, encoding="utf-8") as fh:
        base = json.load(fh)
    signal = {}
    for name, steps in {"none": [], "diffusion": [{"kind": "diffusion", "taps": 5}]}.items():
        doc = with_hardening(base, steps)
        signal[name] = graph_signal(pprl.encode(a, doc, b"s", progress=False), a, doc)
    assert signal["none"] > 0.6 > 0.3 > signal["diffusion"]
    clks = pprl.encode(a, base, b"s", progress=False)
    assert np.isnan(graph_signal(clks[:2], a, base))
