"""Tests of ``pprl evaluate``: JSON output, thresholds, and one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pprl.cli import main


def _write(path, text):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def files(tmp_path):
    matches = _write(tmp_path / "m.csv", "a,b,score\n0,0,0.95\n1,2,0.9\n3,3,0.7\n")
    truth = _write(tmp_path / "t.csv", "a,b,kinds\n0,0,typo\n1,1,\n3,3,ocr\n4,4,\n")
    return matches, truth


def test_prints_json_metrics(files, capsys):
    assert main(["evaluate", *files]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "precision": pytest.approx(2 / 3), "recall": 0.5, "f1": pytest.approx(4 / 7),
        "tp": 2, "fp": 1, "fn": 2, "n_matches": 3, "n_true": 4,
    }


def test_threshold_option(files, capsys):
    assert main(["evaluate", *files, "--threshold", "0.8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["tp"], out["fp"], out["threshold"]) == (1, 1, 0.8)


def test_matches_without_score_are_fine_unless_thresholded(tmp_path, capsys):
    m = _write(tmp_path / "m.csv", "a,b\n0,0\n")
    t = _write(tmp_path / "t.csv", "a,b\n0,0\n")
    assert main(["evaluate", m, t]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == 1.0
    assert main(["evaluate", m, t, "--threshold", "0.5"]) == 2
    assert "no 'score' column" in capsys.readouterr().err


def test_empty_matches_file_with_header(tmp_path, capsys):
    m = _write(tmp_path / "m.csv", "a,b,score\n")
    t = _write(tmp_path / "t.csv", "a,b\n0,0\n")
    assert main(["evaluate", m, t]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["n_matches"], out["recall"], out["precision"]) == (0, 0.0, 1.0)


@pytest.mark.parametrize(
    ("matches", "expect"),
    [
        ("a,b,score\n0,0,0.9\n1,x,0.8\n", "m.csv: row 1 (line 3), column 'b': expected a non"),
        ("a,b,score\n0,-1,0.9\n", "row 0 (line 2), column 'b'"),
        ("a,b,score\n0,1.5,0.9\n", "column 'b'"),
        ("a,b,score\n0,1,1.9\n", "column 'score': expected a score in [0, 1]"),
        ("x,b\n0,1\n", "missing column(s) a"),
        ("", "empty file"),
        ("a,b\n0,1\n0,1\n", "row 1 (line 3): the pair a=0, b=1 is listed twice"),
        ("a,b\n0,1,2,3\n", "row 0 (line 2) has 4 fields but the header has 2"),
        (b"a,b\n\xff\xfe,1\n", "not a readable CSV"),
    ],
)
def test_bad_matches_file_is_one_line_exit_2(tmp_path, capsys, matches, expect):
    m = _write(tmp_path / "m.csv", matches)
    t = _write(tmp_path / "t.csv", "a,b\n0,0\n")
    assert main(["evaluate", m, t]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pprl evaluate: error: ") and err.count("\n") == 1
    assert expect in err


def test_missing_truth_file_and_bad_threshold(files, tmp_path, capsys):
    assert main(["evaluate", files[0], str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert main(["evaluate", *files, "--threshold", "1.5"]) == 2
    assert "'threshold'" in capsys.readouterr().err


def test_command_line_entry_point(files):
    r = subprocess.run([sys.executable, "-m", "pprl.cli", "evaluate", *files],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tp"] == 2
