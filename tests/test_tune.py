"""pprl.tune at CI size: a schema and threshold from a column description, seeded."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pprl
from pprl.cli import main
from pprl.errors import InputError
from pprl.synthetic import ColumnSpec
from pprl.tuning import CorruptionProfile, tune
from pprl.tuning.threshold import (
    GRID,
    MAX_RANDOM_PASS_RATE,
    choose_threshold,
    max_random_pass_rate,
    plateau_point,
    random_pass_rates,
    smooth,
    true_pass_rates,
)

COLUMNS = {"id": "ignore", "given": "first_name", "family": "last_name",
           "born": "date_of_birth:%Y%m%d", "zip": "postcode", "town": "locality"}


def _strip(trials):
    return [{k: v for k, v in t.items() if k != "seconds"} for t in trials]


@pytest.fixture(scope="module")
def result():
    return tune(COLUMNS, overlap=0.5, records=150, n_trials=6, rng=11, progress=False)


def test_tune_gives_a_valid_schema_over_the_users_columns(result):
    schema = pprl.load_schema(result.schema)  # validates as clkhash v3
    assert [f["identifier"] for f in result.schema["features"]] == list(COLUMNS)
    assert result.schema["features"][0]["ignored"] is True
    assert schema is not None
    assert 0.3 <= result.threshold <= 1.0
    assert len(result.trials) == 6
    # the first trial is the hand-written template
    first = result.trials[0]["params"]["features"]
    assert first["given"] == {"comparison": "ngram2", "bitsPerToken": 15}
    assert first["born"] == {"comparison": "pos1", "bitsPerToken": 10}
    # the chosen schema is the best trial's
    best = max(result.trials, key=lambda t: t["score"])
    assert result.choice == best["params"]


def test_clkhash_reads_the_tuned_schema_and_encodes_the_same_bytes(result):
    clk = pytest.importorskip("clkhash.clk")
    from clkhash.schema import from_json_dict

    ds = pprl.make_dataset(20, columns=COLUMNS, rng=3)
    rows = ds.parties[0].to_numpy().tolist()
    schema = json.loads(json.dumps(result.schema))  # clkhash fills defaults into its input
    ref = clk.generate_clks(rows, from_json_dict(schema), "secret")
    ours = pprl.encode(ds.parties[0], result.schema, b"secret", progress=False)
    assert [r.tobytes() for r in ref] == [bytes(o) for o in ours]


def test_the_tuned_choice_links_fresh_synthetic_data_well(result):
    """On a set the tuner never saw (another seed), F1 at the tuned threshold is near expected."""
    ds = pprl.make_dataset(150, overlap=0.5, columns=COLUMNS, rng=999)
    secret = b"a fresh secret, not the tuner's"
    ca = pprl.encode(ds.parties[0], result.schema, secret, match="name", progress=False)
    cb = pprl.encode(ds.parties[1], result.schema, secret, match="name", progress=False)
    links = pprl.greedy_match(pprl.candidate_pairs(ca, cb, result.threshold))
    f1 = pprl.evaluate_links(links, ds.truth).f1
    assert result.expected_f1 > 0.85
    assert f1 > 0.85
    assert abs(f1 - result.expected_f1) < 0.08


def test_same_seed_same_result(result):
    again = tune(COLUMNS, overlap=0.5, records=150, n_trials=6, rng=11, progress=False)
    assert again.schema == result.schema
    assert again.threshold == result.threshold
    assert _strip(again.trials) == _strip(result.trials)
    other = tune(COLUMNS, overlap=0.5, records=150, n_trials=2, rng=12, progress=False)
    assert other.schema["clkConfig"]["kdf"]["salt"] != result.schema["clkConfig"]["kdf"]["salt"]


def test_full_overlap_is_held_above_the_strangers_scores():
    """With every record partnered greedy forgives low thresholds, so F1 alone is flat far
    down (issue 22: it chose 0.43, where every pair was a candidate); the random-pair
    limit holds it up, with a warning.  With few partners F1 itself needs a high one."""
    full = tune(COLUMNS, overlap=1.0, records=200, n_trials=1, rng=5, progress=False)
    few = tune(COLUMNS, overlap=0.2, records=200, n_trials=1, rng=5, progress=False)
    assert full.choice == few.choice  # one trial: the template
    fc = full.candidates
    assert fc["f1_alone_plateau_from"] <= 0.45 < fc["lowest_admissible"] <= full.threshold
    assert fc["random_pass_rate"] <= MAX_RANDOM_PASS_RATE
    assert fc["expected_candidates_per_record"] < 1.5
    assert len(full.warnings) == 1 and "random pairs" in full.warnings[0]
    assert few.threshold >= full.threshold
    assert few.candidates["f1_alone_plateau_from"] > fc["f1_alone_plateau_from"] + 0.1


def test_report_is_json_and_holds_no_secret(result):
    text = json.dumps(result.report())
    rep = json.loads(text)
    assert rep["threshold"] == result.threshold and rep["solver"] == "greedy"
    cand = rep["candidates"]
    assert cand["random_pass_rate"] <= cand["max_random_pass_rate"] == MAX_RANDOM_PASS_RATE
    assert 0.3 <= cand["expected_candidates_per_record"] <= 1.5  # ~ overlap 0.5 partners
    assert cand["plateau"][0] <= result.threshold <= cand["plateau"][1]
    assert len(rep["validation_curve"]["thresholds"]) == len(GRID)
    assert "secret" not in text


def test_smooth_and_plateau_by_hand():
    f1 = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0] + [0.0] * 20)
    s = smooth(f1)
    assert s.shape == f1.shape and np.all(s <= 1.0)
    assert plateau_point(np.array([0.1, 0.9, 0.9, 0.9, 0.2]))[0] == 2
    assert plateau_point(np.array([0.9, 0.1, 0.9, 0.9, 0.9]))[0] == 3  # the widest run wins
    flat = np.array([0.5] + [0.9] * 10 + [0.5])
    assert plateau_point(flat) == (6, 1, 10)  # the middle, not the low edge
    # only admissible thresholds count: the plateau is cut where random pairs stop passing
    ok = np.arange(12) >= 7
    assert plateau_point(flat, ok) == (9, 7, 10)
    assert plateau_point(flat, np.zeros(12, bool))[0] == 6  # nothing admissible: everywhere


def test_threshold_keeps_random_pairs_out_and_says_so():
    """F1 flat from 0.30 to 0.70 and strangers scoring up to 0.55: the threshold is
    above 0.55, in the middle of what is left, with a one-line warning."""
    f1 = np.where(GRID <= 0.70, 0.999, 0.6)
    rates = np.where(GRID < 0.55, 0.2, np.where(GRID < 0.6, 5e-3, 0.0))
    c = choose_threshold(smooth(f1), rates)
    t = GRID[c.index]
    assert rates[c.index] <= MAX_RANDOM_PASS_RATE and 0.6 <= t <= 0.7
    assert c.lowest_admissible == 0.6 and c.unrestricted_low == 0.3
    assert c.warning is not None and "\n" not in c.warning and "0.600" in c.warning
    # strangers far below the plateau: no warning, the plateau's middle
    c = choose_threshold(smooth(f1), np.where(GRID < 0.3, 0.5, 0.0))
    assert c.warning is None and c.lowest_admissible == 0.3
    assert abs(GRID[c.index] - np.mean(c.plateau)) <= 0.005
    # the limit: half a stranger per record at the size tuned for, at most 1 in 1,000
    assert max_random_pass_rate(5000) == 1e-4 and max_random_pass_rate(50) == 1e-3
    c = choose_threshold(smooth(f1), rates, limit=1e-2)
    assert c.lowest_admissible == 0.55 and c.limit == 1e-2


def test_random_pass_rate_is_the_share_of_strangers():
    """Negative control: on random bits (no signal) every pair is a stranger at Dice ~0.5,
    and with all pairs sampled the estimate is exact."""
    rng = np.random.default_rng(7)
    a = rng.integers(0, 256, (300, 32), dtype=np.uint8)
    b = rng.integers(0, 256, (200, 32), dtype=np.uint8)
    truth = np.array([[0, 0], [5, 7]])
    rates = random_pass_rates(a, b, truth, rng=1)
    mat = pprl.dice_matrix(a, b)
    mat[0, 0] = mat[5, 7] = -1  # true pairs do not count
    want = np.array([(mat >= t).sum() for t in GRID]) / (300 * 200 - 2)
    assert np.allclose(rates, want)
    assert rates[GRID == 0.45][0] > 0.9 and rates[GRID == 0.6][0] < 0.01
    assert true_pass_rates(a, a, np.array([[3, 3], [4, 4]]))[-1] == 1.0  # identical: Dice 1


def test_profile_shapes_the_corruption():
    spec = ColumnSpec.from_dict(COLUMNS)
    clean = CorruptionProfile(typo=0.0, missing=0.0, date_swap=0.0, nickname=0.0, moved=0.0)
    cfg = clean.config(spec)
    typo = ("typo_substitute", "typo_insert", "typo_delete", "typo_transpose", "ocr",
            "phonetic", "date_digit", "date_year", "nickname", "date_swap", "missing")
    assert all(p == 0.0 for kinds in cfg.fields.values() for k, p in kinds.items() if k in typo)
    dirty = CorruptionProfile(typo=0.2, missing={"zip": 0.5, "*": 0.1}).config(spec)
    assert dirty.fields["postcode"]["missing"] == 0.5
    assert dirty.fields["given_name"]["missing"] == 0.1
    name_typos = sum(p for k, p in dirty.fields["surname"].items() if k in typo[:6])
    assert name_typos == pytest.approx(0.2)
    with pytest.raises(InputError, match="'nope'"):
        CorruptionProfile(missing={"nope": 0.1}).config(spec)
    with pytest.raises(InputError, match="unknown key 'typos'"):
        CorruptionProfile.from_dict({"typos": 0.1})
    with pytest.raises(InputError, match="'typo'"):
        CorruptionProfile.from_dict({"typo": 1.5})


@pytest.mark.parametrize("kwargs, word", [
    ({"budget_minutes": 0}, "budget_minutes"),
    ({"overlap": 0.0}, "overlap"),
    ({"records": 10}, "records"),
    ({"n_trials": 0}, "n_trials"),
])
def test_bad_parameters(kwargs, word):
    with pytest.raises(InputError, match=word):
        tune(COLUMNS, progress=False, **kwargs)


def test_cli_tune_writes_schema_report_and_plot(tmp_path, capsys):
    cols = tmp_path / "columns.json"
    cols.write_text(json.dumps(COLUMNS))
    prof = tmp_path / "profile.json"
    prof.write_text('{"typo": 0.03, "missing": {"zip": 0.1}}')
    out = tmp_path / "tuned"
    rc = main(["tune", "--columns", str(cols), "--corruption", str(prof), "--records", "100",
               "--trials", "2", "--seed", "4", "--overlap", "0.7", "--no-progress", "-o", str(out)])
    assert rc == 0
    schema = json.loads((out / "schema.json").read_text())
    report = json.loads((out / "report.json").read_text())
    pprl.load_schema(schema)
    assert report["settings"]["overlap"] == 0.7 and report["settings"]["seed"] == 4
    assert report["settings"]["profile"]["missing"] == {"zip": 0.1}
    assert (out / "search.png").read_bytes()[:4] == b"\x89PNG"
    assert report["candidates"]["random_pass_rate"] <= MAX_RANDOM_PASS_RATE
    err = capsys.readouterr().err
    assert "threshold" in err and "candidates per record" in err
    warned = [ln.split("warning: ", 1)[1] for ln in err.splitlines() if "warning: " in ln]
    assert warned == report["warnings"]


@pytest.mark.parametrize("args, word", [
    (["--budget-minutes", "0"], "--budget-minutes"),
    (["--overlap", "1.5"], "--overlap"),
    (["--corruption", "PROFILE"], "'nope'"),
    (["--columns", "BAD"], "'when'"),
])
def test_cli_tune_bad_input_is_one_line_exit_2(tmp_path, capsys, args, word):
    cols = tmp_path / "columns.json"
    cols.write_text(json.dumps(COLUMNS))
    (tmp_path / "p.json").write_text('{"missing": {"nope": 0.2}}')
    (tmp_path / "bad.json").write_text('{"when": "date_of_birth:%Y"}')
    args = [{"PROFILE": str(tmp_path / "p.json"), "BAD": str(tmp_path / "bad.json")}.get(a, a)
            for a in args]
    if "--columns" not in args:
        args += ["--columns", str(cols)]
    out = tmp_path / "tuned"
    assert main(["tune", *args, "--no-progress", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and word in err
    assert not out.exists()
