"""``pprl link A B C``, ``pprl dedupe`` and ``pprl evaluate GROUPS.csv``: outputs and errors."""

import json

import numpy as np
import pandas as pd
import pytest

import pprl
from pprl import write_clks
from pprl.cli import main


@pytest.fixture
def three(tmp_path):
    """Three parties of noisy copies of 50 entities (40 per party), with IDs, and the truth."""
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    clks, rows = [], []
    for p in range(3):
        ent = rng.permutation(50)[:40]
        noise = np.packbits(rng.random((40, 256)) < 0.03, axis=1)
        clks.append(base[ent] ^ noise)
        path = tmp_path / f"{'abc'[p]}.json"
        write_clks(clks[-1], path, ids=[f"{'abc'[p]}{i}" for i in range(40)])
        rows += [("abc"[p], r, int(e)) for r, e in enumerate(ent)]
    truth = tmp_path / "truth.csv"
    pd.DataFrame(rows, columns=["party", "row", "entity"]).to_csv(truth, index=False)
    return clks, [str(tmp_path / f"{x}.json") for x in "abc"], str(truth)


def _run(*argv):
    args = [str(a) for a in argv]
    return main(args + (["--no-progress"] if args[0] != "evaluate" else []))


@pytest.mark.parametrize("solver", ["greedy", "probabilistic", "none"])
def test_link_three_files(tmp_path, three, solver):
    clks, paths, _ = three
    out = tmp_path / "g.csv"
    assert _run("link", *paths, "--threshold", 0.75, "--solver", solver, "-o", out) == 0
    got = pd.read_csv(out)
    cands = pprl.multiparty_candidates(clks, 0.75)
    if solver == "none":
        assert list(got.columns) == ["party_a", "row_a", "party_b", "row_b", "score", "id_a",
                                     "id_b"]
        assert got[["party_a", "row_a", "party_b", "row_b"]].values.tolist() == \
            cands.to_frame()[["party_a", "row_a", "party_b", "row_b"]].values.tolist()
        return
    want = pprl.greedy_groups(cands) if solver == "greedy" else pprl.probabilistic_groups(cands)
    assert list(got.columns) == ["group", "party", "row", "id"]
    assert got[["group", "party", "row"]].values.tolist() == want.to_frame().values.tolist()
    want_ids = ["abc"[p] + str(r) for p, r in zip(got["party"], got["row"], strict=True)]
    assert got["id"].tolist() == want_ids
    assert want.n_groups > 20


def test_evaluate_groups_file(tmp_path, three, capsys):
    _, paths, truth = three
    out = tmp_path / "g.csv"
    _run("link", *paths, "--threshold", 0.75, "-o", out)
    capsys.readouterr()
    assert main(["evaluate", str(out), truth, "--clks", *paths]) == 0
    res = json.loads(capsys.readouterr().out)
    assert {"precision", "recall", "f1", "tp", "fp", "fn", "ari", "v_measure",
            "homogeneity", "completeness", "n_records"} <= set(res)
    assert res["precision"] > 0.9 and res["recall"] > 0.8 and res["n_records"] == 120


def test_two_files_unchanged(tmp_path, three):
    clks, paths, _ = three
    out = tmp_path / "m.csv"
    assert _run("link", paths[0], paths[1], "--threshold", 0.75, "-o", out) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["a", "b", "score", "a_id", "b_id"]
    m = pprl.greedy_match(pprl.candidate_pairs(clks[0], clks[1], 0.75))
    assert got["a"].tolist() == m.a.tolist()


def test_dedupe_command(tmp_path, three, capsys):
    clks, _, _ = three
    x = np.concatenate([clks[0], clks[0][:10] ^ np.uint8(1)])
    path = tmp_path / "x.npy"
    write_clks(x, path)
    out = tmp_path / "d.csv"
    assert _run("dedupe", path, "--threshold", 0.8, "-o", out) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["group", "row"]
    pairs = {tuple(sorted(g["row"])) for _, g in got.groupby("group")}
    assert pairs == {(i, 40 + i) for i in range(10)}
    capsys.readouterr()
    truth = tmp_path / "t.csv"
    pd.DataFrame({"row": range(50), "entity": list(range(40)) + list(range(10))}).to_csv(
        truth, index=False)
    assert main(["evaluate", str(out), str(truth)]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == 1.0


def _one_error(capsys, name):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and name in err[0], err
    return err[0]


def test_bad_inputs_exit_2_one_line_no_file(tmp_path, three, capsys):
    clks, paths, truth = three
    out = tmp_path / "o.csv"
    assert _run("link", paths[0], "--threshold", 0.8, "-o", out) == 2
    assert "two or more" in _one_error(capsys, paths[0]) and not out.exists()
    narrow = tmp_path / "n.npy"
    write_clks(clks[0][:, :16], narrow)
    assert _run("link", *paths, narrow, "--threshold", 0.8, "-o", out) == 2
    line = _one_error(capsys, str(narrow))
    assert paths[0] in line and not out.exists()
    g = tmp_path / "g.csv"
    _run("link", *paths, "--threshold", 0.75, "-o", g)
    capsys.readouterr()
    t = pd.read_csv(truth)
    bad = tmp_path / "bad.csv"
    pd.concat([t, pd.DataFrame([["c", 40, 99]], columns=t.columns)]).to_csv(bad, index=False)
    assert main(["evaluate", str(g), str(bad), "--clks", *paths]) == 2
    assert "row 40 of party 2" in _one_error(capsys, "bad.csv")
    pd.concat([t, pd.DataFrame([["d", 0, 99]], columns=t.columns)]).to_csv(bad, index=False)
    assert main(["evaluate", str(g), str(bad), "--clks", *paths]) == 2
    assert "party 3" in _one_error(capsys, "bad.csv")
    pd.concat([t, t.iloc[[3]]]).to_csv(bad, index=False)
    assert main(["evaluate", str(g), str(bad)]) == 2
    assert "listed twice" in _one_error(capsys, "bad.csv")
