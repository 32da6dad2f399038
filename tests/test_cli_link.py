"""``pprl link``: files in, matches CSV out, and the error contract."""

import numpy as np
import pandas as pd
import pytest

from pprl import candidate_pairs, greedy_match, optimal_match, write_clks
from pprl.cli import main


@pytest.fixture
def parties(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, size=(60, 32), dtype=np.uint8)
    b = a[rng.permutation(60)[:40]].copy()
    flip = rng.random(b.shape) < 0.03
    b ^= (flip * rng.integers(1, 256, size=b.shape)).astype(np.uint8)
    pa, pb = tmp_path / "a.json", tmp_path / "b.npy"
    write_clks(a, pa)
    write_clks(b, pb)
    return a, b, pa, pb


@pytest.mark.parametrize("solver", ["greedy", "optimal", "none"])
def test_link_writes_expected_matches(tmp_path, parties, solver, capsys):
    a, b, pa, pb = parties
    out = tmp_path / "m.csv"
    rc = main([
        "link", str(pa), str(pb), "--threshold", "0.7", "--solver", solver,
        "-o", str(out), "--no-progress",
    ])
    assert rc == 0
    got = pd.read_csv(out, dtype={"score": str})
    assert list(got.columns) == ["a", "b", "score"]
    got["score"] = got["score"].map(float)  # Python's exact decimal -> float
    cands = candidate_pairs(a, b, 0.7)
    solve = {"greedy": greedy_match, "optimal": optimal_match, "none": lambda c: c}[solver]
    expected = solve(cands)
    assert got["a"].tolist() == expected.a.tolist()
    assert got["b"].tolist() == expected.b.tolist()
    assert np.array_equal(got["score"].to_numpy(), expected.score)  # exact round trip
    assert len(got) >= 30  # most of the 40 true pairs survive 3% noise
    assert "candidates" in capsys.readouterr().err


def test_link_k_limits_per_row(tmp_path, parties):
    _, _, pa, pb = parties
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(pb), "--threshold", "0", "--k", "2",
                 "--solver", "none", "-o", str(out), "--no-progress"]) == 0
    got = pd.read_csv(out)
    assert got.groupby("a").size().max() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threshold", "1.5"], "--threshold must be a number in [0, 1]; got 1.5"),
        (["--threshold", "0.5", "--k", "0"], "--k must be"),
    ],
)
def test_link_bad_parameters(tmp_path, parties, capsys, args, message):
    _, _, pa, pb = parties
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(pb), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not out.exists()


def test_link_bad_file_names_it(tmp_path, parties, capsys):
    _, _, pa, _ = parties
    bad = tmp_path / "bad.json"
    bad.write_text('{"clks": ["AAAA", "AA=="]}')
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(bad), "--threshold", "0.5", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "clks[1]" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.npy", "bad.json"]


def test_link_length_mismatch(tmp_path, parties, capsys):
    _, _, pa, _ = parties
    other = tmp_path / "c.json"
    write_clks(np.zeros((3, 16), dtype=np.uint8), other)
    assert main(["link", str(pa), str(other), "--threshold", "0.5",
                 "-o", str(tmp_path / "m.csv")]) == 2
    assert "same schema" in capsys.readouterr().err


def test_link_missing_output_folder(tmp_path, parties, capsys):
    _, _, pa, pb = parties
    assert main(["link", str(pa), str(pb), "--threshold", "0.5",
                 "-o", str(tmp_path / "nope" / "m.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_link_keeps_record_ids(tmp_path, parties, capsys):
    a, b, _, _ = parties
    pa, pb = tmp_path / "ia.json", tmp_path / "ib.npy"
    write_clks(a, pa, ids=[f"a{i}" for i in range(len(a))])
    write_clks(b, pb, ids=[f"b{i}" for i in range(len(b))])
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(pb), "--threshold", "0.7", "-o", str(out),
                 "--no-progress"]) == 0
    got = pd.read_csv(out, dtype=str)
    assert list(got.columns) == ["a", "b", "score", "a_id", "b_id"]
    assert (("a" + got["a"]) == got["a_id"]).all() and (("b" + got["b"]) == got["b_id"]).all()
    assert "warning" not in capsys.readouterr().err
    # only one side with IDs: row numbers only, and a one-line warning
    assert main(["link", str(pa), str(tmp_path / "b.npy"), "--threshold", "0.7", "-o",
                 str(out), "--no-progress"]) == 0
    assert list(pd.read_csv(out).columns) == ["a", "b", "score"]
    warnings = [x for x in capsys.readouterr().err.splitlines() if "warning" in x]
    assert warnings == [f"pprl link: warning: {pa} carries record IDs but {tmp_path / 'b.npy'} "
                        "does not; matches hold row numbers only (encode both with --id-column)"]


def test_link_warns_on_no_candidates_and_on_nearly_all_pairs(tmp_path, parties, capsys):
    a, _, pa, _ = parties
    other = tmp_path / "other.json"  # as if encoded with another secret
    write_clks(np.random.default_rng(9).integers(0, 256, size=(20, 32), dtype=np.uint8), other)
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(other), "--threshold", "0.9", "-o", str(out),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert ("pprl link: warning: no pair of the 60 x 20 records scores >= 0.9; check that both "
            "parties used the same secret and the same schema") in err
    assert main(["link", str(pa), str(other), "--threshold", "0.1", "--solver", "none",
                 "-o", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "of all 60 x 20 pairs at threshold 0.1; the CLKs barely discriminate" in err
    # one warning about the candidates (the quality estimate adds its own, unreliable, line)
    assert sum("warning" in x and "estimate_quality" not in x for x in err.splitlines()) == 1
