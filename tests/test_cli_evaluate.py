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
    assert "--threshold must be a number in [0, 1]; got 1.5" in capsys.readouterr().err


def test_command_line_entry_point(files):
    r = subprocess.run([sys.executable, "-m", "pprl.cli", "evaluate", *files],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tp"] == 2


def test_truth_keyed_by_record_ids(tmp_path, capsys):
    m = _write(tmp_path / "m.csv", "a,b,score,a_id,b_id\n0,0,0.9,x0,y0\n1,2,0.8,x1,y2\n")
    t = _write(tmp_path / "t.csv", "a_id,b_id\nx0,y0\nx1,y1\nx9,y9\n")
    assert main(["evaluate", m, t]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["tp"], out["fp"], out["fn"]) == (1, 1, 2)


def test_id_truth_needs_ids_in_matches(files, tmp_path, capsys):
    t = _write(tmp_path / "t.csv", "a_id,b_id\nx0,y0\n")
    assert main(["evaluate", files[0], t]) == 2
    err = capsys.readouterr().err
    assert "t.csv: is keyed by record IDs (a_id,b_id) but" in err and err.count("\n") == 1


def test_id_truth_with_ids_from_the_clk_files(tmp_path, capsys):
    import numpy as np

    from pprl import write_clks

    write_clks(np.zeros((3, 1), np.uint8), tmp_path / "a.json", ids=["x0", "x1", "x2"])
    write_clks(np.zeros((3, 1), np.uint8), tmp_path / "b.json", ids=["y0", "y1", "y2"])
    m = _write(tmp_path / "m.csv", "a,b,score\n0,0,0.9\n1,2,0.8\n")
    t = _write(tmp_path / "t.csv", "a_id,b_id\nx0,y0\nx1,y2\nx7,y2\n")
    argv = ["evaluate", m, t, "--clks", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main(argv) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["tp"] == 2
    assert cap.err == ("pprl evaluate: warning: 1 of 3 truth pairs in "
                       f"{t} name record IDs that are not in the linked files\n")


def test_one_based_truth_is_not_silent(tmp_path, capsys):
    m = _write(tmp_path / "m.csv", "a,b,score\n0,0,0.9\n2,2,0.8\n4,4,0.8\n")
    t = _write(tmp_path / "t.csv", "a,b\n1,1\n3,3\n5,5\n")
    assert main(["evaluate", m, t]) == 0
    err = capsys.readouterr().err
    assert err.startswith("pprl evaluate: warning: no link is a true pair")
    assert "is the truth 1-based?" in err and err.count("\n") == 1


def test_truth_outside_the_linked_files(tmp_path, capsys):
    import numpy as np

    from pprl import write_clks

    write_clks(np.zeros((3, 1), np.uint8), tmp_path / "a.json")
    write_clks(np.zeros((3, 1), np.uint8), tmp_path / "b.json")
    m = _write(tmp_path / "m.csv", "a,b,score\n0,0,0.9\n1,1,0.8\n2,2,0.8\n")
    t = _write(tmp_path / "t.csv", "a,b\n0,0\n1,1\n2,2\n3,3\n")
    argv = ["evaluate", m, t, "--clks", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.startswith("pprl evaluate: warning: 1 of 4 truth pairs in") and "1-based" in err
