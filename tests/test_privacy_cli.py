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
    doc = json.loads((GOLDEN / "schema.json").read_text())
    doc["features"][1]["identifier"] = "nickname"
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(doc))
    out = tmp_path / "r.json"
    rc = main(["privacy", "report", str(schema), "--records", "20", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "nickname" in err[0] and not out.exists()
