"""``pprl synth``: files, reproducibility, the error contract and atomic output."""

from __future__ import annotations

import json

import pytest

from pprl.cli import main
from pprl.synthetic import PERSON_COLUMNS, read_dataset


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_writes_a_two_party_set(tmp_path, capsys):
    out = tmp_path / "set"
    assert main(["synth", "--records", "120", "--seed", "4", "--out", str(out)]) == 0
    assert set(_files(out)) == {"a.csv", "b.csv", "truth.csv", "entities.csv",
                                "corruptions.csv", "manifest.json"}
    ds = read_dataset(out)
    assert [len(p) for p in ds.parties] == [120, 120] and len(ds.truth) == 60
    assert tuple(ds.parties[0].columns) == PERSON_COLUMNS
    header = (out / "truth.csv").read_text().splitlines()[0]
    assert header.startswith("a,b,")
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 4 and m["locale"] == "en_AU" and "config" in m and "versions" in m
    assert "seed 4" in capsys.readouterr().err


def test_same_seed_same_bytes(tmp_path):
    args = ["synth", "-n", "80", "--parties", "3", "--overlap", "0.3", "--locale", "en_US",
            "--duplicates", "0.1:poisson:3:1.5", "--seed", "9"]
    assert main(args + ["--out", str(tmp_path / "x")]) == 0
    assert main(args + ["--out", str(tmp_path / "y")]) == 0
    assert _files(tmp_path / "x") == _files(tmp_path / "y")
    m = read_dataset(tmp_path / "x").manifest
    assert m["duplicates"] == {"rate": 0.1, "distribution": "poisson", "max_per_record": 3,
                               "param": 1.5}
    assert (tmp_path / "x" / "c.csv").exists()
    # each duplicate record has one line in corruptions.csv naming its source row
    ds = read_dataset(tmp_path / "x")
    log = ds.corruptions[ds.corruptions["kind"] == "duplicate"]
    extra = sum(len(p) for p in ds.parties) - 3 * 80
    assert extra > 0 and len(log) == extra and set(log["field"]) == {"record"}
    e = ds.entities.set_index(["party", "row"])["entity"]
    for party, row, source in zip(log["party"], log["row"], log["before"], strict=True):
        assert e[(party, row)] == e[(party, int(source))] and int(source) < row


def test_without_seed_records_a_fresh_one(tmp_path):
    assert main(["synth", "-n", "10", "--out", str(tmp_path / "x")]) == 0
    seed = read_dataset(tmp_path / "x").manifest["seed"]
    assert main(["synth", "-n", "10", "--seed", str(seed), "--out", str(tmp_path / "y")]) == 0
    assert _files(tmp_path / "x") == _files(tmp_path / "y")


def test_config_file_is_used(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"fields": {"surname": {"missing": 1.0}}, "max_per_record": None}))
    assert main(["synth", "-n", "50", "--seed", "1", "--config", str(cfg),
                 "--out", str(tmp_path / "o")]) == 0
    ds = read_dataset(tmp_path / "o")
    assert (ds.parties[0]["surname"] == "").all()
    assert set(ds.corruptions["kind"]) == {"missing"}


def test_no_corruption_and_gzip(tmp_path):
    assert main(["synth", "-n", "30", "--seed", "1", "--no-corruption", "--gzip",
                 "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "a.csv.gz").exists()
    ds = read_dataset(tmp_path / "o")
    assert ds.corruptions.empty


@pytest.mark.parametrize(("extra", "message"), [
    (["--records", "-5"], "--records"),
    (["--records", "5", "--parties", "1"], "--parties"),
    (["--records", "5", "--overlap", "2"], "--overlap"),
    (["--records", "5", "--locale", "xx_YY"], "--locale"),
    (["--records", "5", "--duplicates", "lots"], "--duplicates"),
    (["--records", "5", "--duplicates", "0.1:gauss"], "distribution"),
    (["--records", "5", "--config", "/nonexistent/c.json"], "not found"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "o"
    assert main(["synth", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pprl synth: error:") and message in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_bad_config_names_json_path(tmp_path, capsys):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"fields": {"surname": {"nickname": 0.1}}}))
    assert main(["synth", "-n", "5", "--config", str(cfg), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "c.json" in err and "fields.surname.nickname" in err
    assert not (tmp_path / "o").exists()


def test_existing_folder_refused_unless_force(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["synth", "-n", "5", "--seed", "1", "--out", str(out)]) == 0
    before = _files(out)
    assert main(["synth", "-n", "5", "--seed", "2", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert _files(out) == before
    assert main(["synth", "-n", "5", "--seed", "2", "--force", "--out", str(out)]) == 0
    assert _files(out) != before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]
