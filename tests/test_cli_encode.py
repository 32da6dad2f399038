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
    # the schema's ignored rec_id column is unique: its values are kept as record IDs
    assert json.loads(out.read_text())["ids"] == ["a1", "b2", "c3"]
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
    assert "row 1, column 'sex'" in err and "(line 3)" in err and "--invalid skip" in err
    assert len(err.strip().splitlines()) == 1 and "male" not in err  # no value unless asked
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                      "-o", str(out), "--no-progress", "--show-values"], capsys)
    assert rc == 2 and "got 'male'" in err
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key,
                      "-o", str(out), "--no-progress", "--skip-invalid"], capsys)
    assert rc == 0
    clks = read_clks(out)
    assert clks.shape[0] == 3 and not clks[1].any() and clks[0].any()
    assert "1 invalid rows" in err and "sex: 1" in err
    assert "pprl encode: warning: --skip-invalid is deprecated; use --invalid skip" in err


@pytest.mark.parametrize("show", [False, True])
def test_invalid_missing_keeps_the_rest_and_reports_every_field(files, capsys, show):
    tmp, _, key = files
    rows = [list(r) for r in ROWS]
    rows[1][3] = "male"
    rows[1][4] = "19450493"
    rows[2][3] = "?"
    data = write_csv(tmp / "p.csv", rows)
    out, report = tmp / "clks.npy", tmp / "bad.csv"
    argv = ["encode", str(data), str(PERSON_SCHEMA_PATH), "--secret-file", key, "-o", str(out),
            "--no-progress", "--invalid", "missing", "--report", str(report)]
    rc, _, err = run(argv + (["--show-values"] if show else []), capsys)
    assert rc == 0
    blank = [list(r) for r in ROWS]
    blank[1][3] = blank[1][4] = blank[2][3] = ""
    assert np.array_equal(read_clks(out), encode(blank, person_schema(), SECRET, progress=False))
    assert read_clks(out, with_ids=True)[1] == ["a1", "b2", "c3"]  # .npy: the ids sidecar
    assert "3 invalid fields in 2 rows left out as missing" in err
    rep = list(csv.reader(report.open(encoding="utf-8")))
    head = ["row", "line", "column", "reason"] + (["value"] if show else [])
    assert rep[0] == head
    assert [r[:3] for r in rep[1:]] == [["1", "3", "sex"], ["1", "3", "date_of_birth"],
                                        ["2", "4", "sex"]]
    assert ("male" in report.read_text()) == show and "male" not in err


def test_id_column(files, capsys):
    tmp, data, key = files
    out = tmp / "c.json"
    base = ["encode", data, str(PERSON_SCHEMA_PATH), "--secret-file", key, "-o", str(out),
            "--no-progress"]
    assert run(base + ["--id-column", "given_name"], capsys)[0] == 0
    assert read_clks(out, with_ids=True)[1] == ["anna", "bob", "cleo"]
    out.unlink()
    rc, _, err = run(base + ["--id-column", "sex"], capsys)  # f, m, f: not unique
    assert rc == 2 and not out.exists() and len(err.strip().splitlines()) == 1
    assert "row 2, column 'sex': the record ID repeats row 0's" in err
    rc, _, err = run(base + ["--id-column", "nope"], capsys)
    assert rc == 2 and "the header has no column 'nope' (--id-column)" in err
    rows = [list(r) for r in ROWS]
    rows[2][0] = rows[0][0]  # rec_id repeats: no IDs by default, with a warning
    dup = write_csv(tmp / "dup.csv", rows)
    rc, _, err = run(["encode", str(dup), *base[2:]], capsys)
    assert rc == 0 and read_clks(out, with_ids=True)[1] is None
    assert "pprl encode: warning: column 'rec_id' repeats a record ID (rows 0 and 2)" in err


def test_encode_warns_on_short_secret_and_no_records(files, capsys, monkeypatch):
    tmp, _, _ = files
    data = write_csv(tmp / "empty.csv", [])
    monkeypatch.setenv("PPRL_SECRET", "abc")
    rc, _, err = run(["encode", str(data), str(PERSON_SCHEMA_PATH), "-o", str(tmp / "c.json"),
                      "--no-progress"], capsys)
    assert rc == 0
    warnings = [x for x in err.splitlines() if "warning" in x]
    assert warnings[0].startswith("pprl encode: warning: the secret in $PPRL_SECRET is only 3 "
                                  "bytes; use at least 16")
    assert warnings[1] == f"pprl encode: warning: {data} has a header but no records; wrote 0 CLKs"
    assert len(warnings) == 2 and "UserWarning" not in err


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
    got = json.loads(out.read_text())
    assert got["clks"] == json.loads((golden / "clks.json").read_text())["clks"]
