"""``pprl attack`` and ``pprl privacy report``: files in, files out, the error contract."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import pprl
from pprl.cli import main

GOLDEN = Path(__file__).parent / "data" / "attack"
SECRET = b"attack golden secret, not a real one"  # also in tests/data/attack/make_golden.py


def _attack(kind, clks, plaintext, schema, out):
    return main(["attack", kind, str(clks), str(plaintext), "--schema", str(schema),
                 "-o", str(out), "--no-progress"])


def test_golden_inputs_encode_as_recorded():
    df = pd.read_csv(GOLDEN / "encoded.csv", dtype=str, keep_default_na=False)
    clks = pprl.encode(df, GOLDEN / "schema.json", SECRET, progress=False)
    assert (clks == pprl.read_clks(GOLDEN / "clks.json")).all()


def test_frequency_attack_writes_the_golden_guesses(tmp_path):
    out = tmp_path / "g.csv"
    rc = _attack("frequency", GOLDEN / "clks.json", GOLDEN / "plaintext.csv",
                 GOLDEN / "schema.json", out)
    assert rc == 0
    assert out.read_bytes() == (GOLDEN / "guesses_frequency.csv").read_bytes()
    got = pd.read_csv(out)
    assert list(got.columns) == ["clk_row", "plaintext_row", "score"]
    assert got["clk_row"].is_unique and (got["score"].diff().dropna() <= 0).all()
    # every guess names a plaintext record with the encoded record's first name
    enc = pd.read_csv(GOLDEN / "encoded.csv")["given_name"]
    pt = pd.read_csv(GOLDEN / "plaintext.csv")["given_name"]
    assert (enc[got["clk_row"]].to_numpy() == pt[got["plaintext_row"]].to_numpy()).all()


@pytest.mark.parametrize("kind", ["graph", "pattern"])
def test_other_attacks_run_on_the_golden_inputs(tmp_path, kind, capsys):
    out = tmp_path / "g.csv"
    assert _attack(kind, GOLDEN / "clks.json", GOLDEN / "plaintext.csv",
                   GOLDEN / "schema.json", out) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["clk_row", "plaintext_row", "score"]
    assert got["clk_row"].is_unique and got["clk_row"].between(0, 19).all()
    assert got["plaintext_row"].between(0, 17).all()
    err = capsys.readouterr().err
    assert "Traceback" not in err and SECRET.decode() not in err


def test_zero_guesses_earn_a_one_line_warning(tmp_path, capsys):
    folder = tmp_path / "in"
    shutil.copytree(GOLDEN, folder)
    plain = folder / "plaintext.csv"  # no name repeats: frequencies say nothing
    plain.write_text("rec_id,given_name\n" + "".join(f"p{i},N{i}x\n" for i in range(18)))
    df = pd.read_csv(plain, dtype=str, keep_default_na=False)
    pprl.write_clks(pprl.encode(df, folder / "schema.json", SECRET, progress=False),
                    folder / "clks.json")
    out = tmp_path / "g.csv"
    assert _attack("frequency", folder / "clks.json", plain, folder / "schema.json", out) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if "warning" in x]
    assert lines == [lines[0]] and lines[0].startswith("pprl attack: warning: ")
    assert pd.read_csv(out).empty


@pytest.mark.parametrize("case, needle", [
    ("missing_column", "no column 'given_name'"),
    ("missing_plaintext", "not found"),
    ("bad_clks", "clks.json"),
    ("missing_schema", "schema.json"),
    ("no_folder", "does not exist"),
])
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, capsys, case, needle):
    folder = tmp_path / "in"
    shutil.copytree(GOLDEN, folder)
    clks, plain, schema = folder / "clks.json", folder / "plaintext.csv", folder / "schema.json"
    out = tmp_path / "g.csv"
    if case == "missing_column":
        plain.write_text("rec_id,first\np0,Anna\n")
    elif case == "missing_plaintext":
        plain.unlink()
    elif case == "bad_clks":
        clks.write_text('{"clks": ["not base64!"]}')
    elif case == "missing_schema":
        schema.unlink()
    else:
        out = tmp_path / "nowhere" / "g.csv"
    rc = _attack("graph", clks, plain, schema, out)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("pprl attack: error: ") and needle in err[0]
    assert not out.exists()
    assert not any(p.name.startswith(".g.csv") for p in out.parent.glob(".*")) \
        if out.parent.exists() else True


def test_privacy_report_command(tmp_path, capsys):
    out = tmp_path / "r.json"
    rc = main(["privacy", "report", str(pprl.person_schema().source), "--records", "80",
               "--seed", "5", "-o", str(out), "--no-progress"])
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["seed"] == 5 and report["n_records"] == 80
    assert set(report["linkage"]) >= {"f1", "threshold"}
    for name in ("graph", "frequency", "pattern"):
        assert set(report["attacks"][name]) >= {"reidentification_rate", "precision"}
    assert set(report["leaks"]) >= {"fill", "popcount_length_correlation"}
    assert "re-identified" in capsys.readouterr().err


@pytest.mark.parametrize("args, needle", [
    (["--overlap", "1.5"], "--overlap"),
    (["--records", "0"], "--records"),
    (["--seed", "-1"], "--seed"),
])
def test_privacy_report_bad_options(tmp_path, capsys, args, needle):
    out = tmp_path / "r.json"
    rc = main(["privacy", "report", str(pprl.person_schema().source), *args, "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0] and not out.exists()


def test_privacy_report_refuses_a_schema_with_foreign_columns(tmp_path, capsys):
    """Without --columns a foreign column is refused, and the error names the flag."""
    doc = json.loads((GOLDEN / "schema.json").read_text())
    doc["features"][1]["identifier"] = "nickname"
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(doc))
    out = tmp_path / "r.json"
    rc = main(["privacy", "report", str(schema), "--records", "20", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "nickname" in err[0] and not out.exists()
    assert "--columns" in err[0]


# --- attacks on real sizes, scored from the command line ---------------------------------------


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """pprl synth + pprl encode of party A: what a user attacks."""
    d = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--records", "150", "--overlap", "1.0", "--seed", "3", "--out",
                 str(d / "ds"), "--no-progress"]) == 0
    (d / "key").write_text("k" * 32)
    assert main(["encode", str(d / "ds" / "a.csv"), str(pprl.person_schema().source),
                 "--secret-file", str(d / "key"), "-o", str(d / "a.json"),
                 "--no-progress"]) == 0
    return d


def _attack_args(synth, kind, out, *extra):
    return ["attack", kind, str(synth / "a.json"), str(synth / "ds" / "b.csv"), "--schema",
            str(pprl.person_schema().source), "-o", str(out), *extra]


def test_attack_estimates_shows_status_lines_and_scores_with_truth(synth, tmp_path, capsys):
    """Off a terminal: an estimate first, status lines, and --truth prints the rate the
    privacy report's scorer gives for the same guesses."""
    out = tmp_path / "g.csv"
    assert main(_attack_args(synth, "graph", out, "--truth",
                             str(synth / "ds" / "truth.csv"))) == 0
    cap = capsys.readouterr()
    err = cap.err.splitlines()
    assert err[0].startswith("pprl attack: graph attack on 150 CLKs and 150 plaintext "
                             "records: about ")
    assert any(x.startswith("pprl attack: graph attack: ") and " steps, " in x for x in err)
    printed = json.loads(cap.out)
    g = pd.read_csv(out)
    guesses = pprl.privacy.Guesses.from_arrays(g["clk_row"], g["plaintext_row"], g["score"],
                                               n_encoded=150)
    truth = pd.read_csv(synth / "ds" / "truth.csv")[["a", "b"]]
    expected = pprl.score_guesses(guesses, truth, n_plaintext=150)
    assert printed["reidentification_rate"] == pytest.approx(expected.reidentification_rate)
    assert printed["reidentification_rate"] >= 0.8 and printed["chance_rate"] < 0.01

    # pprl evaluate reads the guesses by their header; negative scores are fine
    g.loc[g.index[-5:], "score"] = -0.25
    g.to_csv(tmp_path / "neg.csv", index=False)
    assert main(["evaluate", str(tmp_path / "neg.csv"), str(synth / "ds" / "truth.csv")]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["reidentification_rate"] == printed["reidentification_rate"]
    assert "pprl evaluate: warning: " in cap.err


def test_attack_sample_with_truth_keeps_the_files_rows(synth, tmp_path, capsys):
    """(The graph attack is fragile on tiny samples: 0-7 % at 60 of these records, 82-100 %
    at 100.)"""
    out = tmp_path / "g.csv"
    assert main(_attack_args(synth, "graph", out, "--sample", "100", "--seed", "1", "--truth",
                             str(synth / "ds" / "truth.csv"), "--no-progress")) == 0
    cap = capsys.readouterr()
    assert "graph attack on 100 CLKs and 100 plaintext records" in cap.err
    g = pd.read_csv(out)
    assert len(g) == 100 and g["clk_row"].max() < 150 and g["clk_row"].max() >= 100
    result = json.loads(cap.out)
    assert result["n_encoded"] == 100 and result["reidentification_rate"] >= 0.5
    again = tmp_path / "g2.csv"  # without the truth the samples are independent
    assert main(_attack_args(synth, "graph", again, "--sample", "100", "--seed", "1",
                             "--no-progress")) == 0
    assert "independently" in capsys.readouterr().err


def test_attack_warns_up_front_when_it_will_take_too_long(synth, tmp_path, capsys):
    out = tmp_path / "g.csv"
    assert main(_attack_args(synth, "graph", out, "--max-minutes", "0.00001",
                             "--no-progress")) == 0
    warning = [x for x in capsys.readouterr().err.splitlines() if "warning" in x]
    assert len(warning) == 1 and "--sample" in warning[0] and "--max-minutes" in warning[0]


@pytest.mark.parametrize("args, needle", [
    (["--sample", "0"], "--sample"),
    (["--encoded", "x.csv"], "--encoded needs --truth"),
    (["--ranks-only"], "frequency attack only"),
])
def test_attack_bad_options(synth, tmp_path, capsys, args, needle):
    out = tmp_path / "g.csv"
    rc = main(_attack_args(synth, "graph", out, *args))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and needle in err[0] and not out.exists()


def test_attack_truth_outside_the_files_is_refused(synth, tmp_path, capsys):
    truth = tmp_path / "t.csv"
    truth.write_text("a,b\n0,0\n1,150\n")
    out = tmp_path / "g.csv"
    rc = main(_attack_args(synth, "frequency", out, "--truth", str(truth)))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "line 3" in err[0] and not out.exists()


def test_evaluate_refuses_bad_guesses(tmp_path, capsys):
    bad = tmp_path / "g.csv"
    bad.write_text("clk_row,plaintext_row,score\n0,1,0.5\n0,2,0.4\n")
    truth = tmp_path / "t.csv"
    truth.write_text("a,b\n0,1\n")
    assert main(["evaluate", str(bad), str(truth)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "guessed twice" in err[0]


def test_privacy_report_with_a_column_description(tmp_path, capsys):
    """A FEBRL-like schema (address_1, ...) is measured on people with those columns."""
    columns = {"rec_id": "ignore", "given_name": "first_name", "surname": "last_name",
               "address_1": "street_address", "date_of_birth": "date_of_birth:%Y%m%d"}
    (tmp_path / "columns.json").write_text(json.dumps(columns))
    doc = json.loads(Path(pprl.person_schema().source).read_text())
    person = {f["identifier"]: f for f in doc["features"]}
    doc["features"] = [person["rec_id"], person["given_name"], person["surname"],
                       dict(person["street_address"], identifier="address_1"),
                       dict(person["date_of_birth"], format={"type": "string"})]
    (tmp_path / "s.json").write_text(json.dumps(doc))
    out = tmp_path / "r.json"
    assert main(["privacy", "report", str(tmp_path / "s.json"), "--columns",
                 str(tmp_path / "columns.json"), "--records", "100", "--seed", "1",
                 "-o", str(out), "--no-progress"]) == 0
    report = json.loads(out.read_text())
    assert report["columns"] == columns
    assert report["attacks"]["graph"]["reidentification_rate"] > 0.5
    err = capsys.readouterr().err
    assert "pprl privacy report: BAD: the graph matching attack" in err


def test_status_lines_come_while_a_long_step_runs(capsys):
    """Off a terminal a line comes every few seconds even when no step finishes (a step
    of the graph attack at 5,000 records takes minutes)."""
    import time

    from pprl.cli._status import StatusLines

    s = StatusLines("attack", "graph attack", every=0.05)
    s.reset(total=2)
    time.sleep(0.4)
    s.update(2)
    s.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 4
    assert all(x.startswith("pprl attack: graph attack: 0/2 steps, ") for x in lines[:-1])
    assert lines[-1].startswith("pprl attack: graph attack: 2/2 steps, ")
