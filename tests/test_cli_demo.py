"""Tests of ``pprl demo``: end to end on a small set, secret never shown, plot optional."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from pprl.cli import demo as demo_mod
from pprl.cli import main

SECRET = b"0123456789abcdef-demo-secret-xyz"


@pytest.fixture
def fixed_secret(monkeypatch):
    monkeypatch.setattr(demo_mod.secrets, "token_bytes", lambda n: SECRET[:n])


def test_demo_end_to_end(tmp_path, capsys, fixed_secret):
    out = tmp_path / "demo"
    rc = main(["demo", "--records", "300", "--seed", "3", "--out", str(out), "--no-progress",
               "--threshold", "0.8"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "threshold  precision  recall" in text
    assert "0.80" in text and "<-" in text
    for stage in ("synthesise", "encode A", "encode B", "link", "evaluate", "plot"):
        assert stage in text
    assert "(seed 3)" in text
    png = out / demo_mod.PLOT_NAME
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    matches = pd.read_csv(out / demo_mod.MATCHES_NAME)
    assert list(matches.columns) == ["a", "b", "score"] and (matches["score"] >= 0.8).all()
    assert matches["a"].is_unique and matches["b"].is_unique  # one-to-one
    # the secret appears nowhere
    for blob in (text.encode(), (out / demo_mod.MATCHES_NAME).read_bytes(), png.read_bytes()):
        assert SECRET not in blob and SECRET.hex().encode() not in blob


def test_demo_numbers_agree_with_pprl_evaluate(tmp_path, capsys, fixed_secret):
    from pprl.synthetic import make_dataset

    out = tmp_path / "d"
    assert main(["demo", "-n", "200", "--seed", "5", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    truth = tmp_path / "truth.csv"
    make_dataset(200, rng=5).truth.to_csv(truth, index=False)
    assert main(["evaluate", str(out / demo_mod.MATCHES_NAME), str(truth)]) == 0
    import json

    m = json.loads(capsys.readouterr().out)
    assert f"tp {m['tp']}, fp {m['fp']}, fn {m['fn']}" in text


def test_demo_without_matplotlib_still_prints(tmp_path, capsys, monkeypatch, fixed_secret):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    out = tmp_path / "d"
    assert main(["demo", "-n", "100", "--seed", "1", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "pip install 'pprl[viz]'" in text and "F1" in text
    assert not (out / demo_mod.PLOT_NAME).exists()


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--threshold", "1.5"], "--threshold must be a number in [0, 1]; got 1.5"),
        (["--records", "0"], "--records"),
    ],
)
def test_demo_bad_input_exit_2(tmp_path, capsys, args, expect):
    assert main(["demo", "--out", str(tmp_path / "x"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pprl demo: error:") and expect in err


def test_demo_out_must_be_a_folder(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert main(["demo", "-n", "10", "--out", str(f)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["demo", "-n", "10", "--out", str(tmp_path / "no" / "such")]) == 2
    assert "does not exist" in capsys.readouterr().err
