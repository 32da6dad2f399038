"""``pprl encode`` and ``pprl schema check``."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pprl import encode, read_clks
from pprl.cli import main
from pprl.encoding.schema import PERSON_SCHEMA_PATH, person_schema

SECRET = "tr0ub4dor&3-never-print-me"
COLS = list(person_schema().identifiers)
ROWS = [
    ["a1", "anna", "smith", "f", "1980-01-02", "12", "main street", "springfield", "2000",
     "nsw", "02 1234 5678", "anna@example.org"],
    ["b2", "bob", "jones", "m", "1975-12-31", "3", "high st", "shelbyville", "3000", "vic",
     "", ""],
    ["c3", "cleo", "", "f", "", "", "", "", "", "", "", ""],
]


def write_csv(path, rows, header=COLS):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    data = write_csv(tmp_path / "people.csv", ROWS)
    key = tmp_path / "key.txt"
    key.write_text(SECRET + "\n")
    return tmp_path, str(data), str(key)


def run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    assert SECRET not in out and SECRET not in err
    return rc, out, err


def test_encode_json_and_summary(files, capsys):
    tmp, data, key = files
    out = tmp / "clks.json"
    rc, stdout, err = run(["encode", data, str(PERSON_SCHEMA_PATH), "--secret-file", key,
                           "-o", str(out), "--no-progress"], capsys)
    assert rc == 0
    expected = encode(ROWS, person_schema(), SECRET, progress=False)
    assert np.array_equal(read_clks(out), expected)
    assert set(json.loads(out.read_text())) == {"clks"}
    lines = err.strip().splitlines()
    assert len(lines) == 1
    mean = np.bitwise_count(expected).sum(axis=1).mean()
    assert "3 records" in lines[0] and f"mean popcount {mean:.1f}" in lines[0]
    assert SECRET not in out.read_text()


def test_encode_npy_with_env_secret(files, capsys, monkeypatch):
    tmp, data, _ = files
    monkeypatch.setenv("PPRL_SECRET", SECRET)
    out = tmp / "clks.bin"
    rc, _, _ = run(["encode", data, str(PERSON_SCHEMA_PATH), "-o", str(out), "--format", "npy",
                    "--no-progress"], capsys)
    assert rc == 0
    assert np.array_equal(np.load(out), encode(ROWS, person_schema(), SECRET, progress=False))


def test_match_by_name(files, capsys):
    tmp, _, key = files
    header = COLS[::-1]
    data = write_csv(tmp / "rev.csv", [r[::-1] for r in ROWS], header=header)
    out = tmp / "clks.json"
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                      "-o", str(out), "--no-progress"], capsys)
    assert rc == 2 and "header column 1 is 'email'" in err and "--match name" in err
    assert not out.exists()
    rc, _, _ = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                    "-o", str(out), "--match", "name", "--no-progress"], capsys)
    assert rc == 0
    assert np.array_equal(read_clks(out), encode(ROWS, person_schema(), SECRET, progress=False))


@pytest.mark.parametrize("content,fragment", [
    (b"rec_id,given_name\na,b\n", "the header has 2 columns but"),
    (",".join(COLS).encode() + b"\n" + b",".join([b"x"] * 12) + b"\n" + b"a,b\n",
     "line 3: has 2 fields but the header has 12"),
    (",".join(COLS).encode() + b"\n" + b",".join([b"x"] * 11) + b",\xff\n",
     "line 2: not UTF-8"),
    (b"", "empty file"),
])
def test_csv_problems_are_one_line_errors(tmp_path, capsys, monkeypatch, content, fragment):
    monkeypatch.setenv("PPRL_SECRET", SECRET)
    data = tmp_path / "bad.csv"
    data.write_bytes(content)
    out = tmp_path / "clks.json"
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "-o", str(out),
                      "--no-progress"], capsys)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1
    assert fragment in err and "bad.csv" in err
    assert not out.exists()


def test_invalid_value_stops_or_is_skipped(files, capsys):
    tmp, _, key = files
    rows = [list(r) for r in ROWS]
    rows[1][3] = "male"
    data = write_csv(tmp / "p.csv", rows)
    out = tmp / "clks.json"
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                      "-o", str(out), "--no-progress"], capsys)
    assert rc == 2 and not out.exists()
    assert "row 1, column 'sex'" in err and "(line 3)" in err and "--skip-invalid" in err
    assert len(err.strip().splitlines()) == 1
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                      "-o", str(out), "--no-progress", "--skip-invalid"], capsys)
    assert rc == 0
    clks = read_clks(out)
    assert clks.shape[0] == 3 and not clks[1].any() and clks[0].any()
    assert "1 invalid rows" in err and "sex: 1" in err


def test_missing_secret_and_bad_schema(files, capsys, monkeypatch):
    tmp, data, key = files
    monkeypatch.delenv("PPRL_SECRET", raising=False)
    rc, _, err = run(["encode", data, str(PERSON_SCHEMA_PATH), "-o", str(tmp / "o.json"),
                      "--no-progress"], capsys)
    assert rc == 2 and "PPRL_SECRET" in err
    bad = tmp / "bad.json"
    bad.write_text('{"version": 3, "clkConfig": {"l": 12}, "features": []}')
    rc, _, err = run(["encode", data, str(bad), "--secret-file", key, "-o",
                      str(tmp / "o.json")], capsys)
    assert rc == 2 and "clkConfig.l" in err and "clkConfig.kdf" in err
    rc, _, err = run(["encode", data, str(PERSON_SCHEMA_PATH), "--secret-file", key, "-o",
                      str(tmp / "nowhere" / "o.json")], capsys)
    assert rc == 2 and "does not exist" in err


def test_schema_check_valid_prints_summary(capsys):
    rc, out, _ = run(["schema", "check", str(PERSON_SCHEMA_PATH)], capsys)
    assert rc == 0
    assert "valid linkage schema" in out and "9 hashed, 3 ignored" in out
    assert "given_name" in out and "expected fill" in out


def test_schema_check_lists_every_problem(tmp_path, capsys):
    doc = json.loads(PERSON_SCHEMA_PATH.read_text())
    doc["features"][1]["hashing"]["strategy"] = {"bitsPerToken": "many"}
    doc["features"][3]["format"]["values"] = "fm"
    doc["clkConfig"]["l"] = 0
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc))
    rc, out, err = run(["schema", "check", str(p)], capsys)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert "3 problems" in lines[0]
    assert lines[1:] == [
        '  clkConfig.l: expected a positive multiple of 8 (CLKs are stored as bytes), got 0',
        '  features[1].hashing.strategy.bitsPerToken: expected a positive integer, got "many"',
        '  features[3].format.values: expected an array of strings, got "fm"',
    ]


def test_cli_reproduces_golden_file(tmp_path, capsys):
    from pathlib import Path

    golden = Path(__file__).parent / "data" / "golden"
    key = tmp_path / "key"
    key.write_bytes(b"golden test secret, not a real one")
    out = tmp_path / "clks.json"
    rc, _, _ = run(["encode", str(golden / "records.csv"), str(golden / "schema.json"),
                    "--secret-file", str(key), "-o", str(out), "--no-progress"], capsys)
    assert rc == 0
    assert json.loads(out.read_text()) == json.loads((golden / "clks.json").read_text())
