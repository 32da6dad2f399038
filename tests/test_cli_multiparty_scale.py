"""``pprl link A B C``: blocking per pair of parties (auto, lsh, the sidecar) and --max-memory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from peak_rss import pprl_peak

import pprl
from pprl.cli import main
from pprl.cli._memory import WORK_BYTES
from pprl.errors import InputError
from pprl.linkage import autoblock


@pytest.fixture
def noisy(tmp_path):
    """Three parties of noisy copies of 400 entities (300, 310, 320 records), 1,024 bits."""
    rng = np.random.default_rng(31)
    base = np.packbits(rng.random((400, 1024)) < 0.3, axis=1)
    clks, paths, rows = [], [], []
    for p, n in enumerate((300, 310, 320)):
        ent = rng.permutation(400)[:n]
        x = base[ent] ^ np.packbits(rng.random((n, 1024)) < 0.02, axis=1)
        clks.append(x)
        paths.append(tmp_path / f"{'abc'[p]}.npy")
        np.save(paths[-1], x)
        rows += [(p, r, int(e)) for r, e in enumerate(ent)]
    pd.DataFrame(rows, columns=["party", "row", "entity"]).to_csv(tmp_path / "truth.csv",
                                                                 index=False)
    return clks, paths


def _run(*argv):
    return main([str(a) for a in argv] + ["--no-progress"])


def _pairs(frame) -> set:
    return set(map(tuple, frame[["party_a", "row_a", "party_b", "row_b"]].values.tolist()))


def test_lsh_writes_one_sidecar_entry_per_pair(tmp_path, noisy, capsys):
    clks, paths = noisy
    out = tmp_path / "c.csv"
    assert _run("link", *paths, "--threshold", 0.7, "--solver", "none", "--blocking", "lsh",
                "--blocking-seed", 5, "-o", out) == 0
    err = capsys.readouterr().err
    doc = json.loads((tmp_path / "c.blocking.json").read_text())
    assert doc["method"] == "lsh" and doc["threshold"] == 0.7 and len(doc["parties"]) == 3
    assert [(e["party_a"], e["party_b"]) for e in doc["pairs"]] == [(0, 1), (0, 2), (1, 2)]
    for e in doc["pairs"]:
        assert e["method"] == "lsh" and e["params"]["tables"] >= 1
        assert e["clks_a"] == str(paths[e["party_a"]].resolve())
        assert e["total_pairs"] == len(clks[e["party_a"]]) * len(clks[e["party_b"]])
        assert f"parties {e['party_a']} and {e['party_b']}: LSH blocking" in err
    got = _pairs(pd.read_csv(out))
    want = _pairs(pprl.multiparty_candidates(clks, 0.7).to_frame())
    assert got <= want and len(got) >= 0.9 * len(want) > 500
    # pprl evaluate finds the sidecar: pair completeness of the truth, per pair of parties
    groups = tmp_path / "g.csv"
    assert _run("link", *paths, "--threshold", 0.7, "--blocking", "lsh", "-o", groups) == 0
    capsys.readouterr()
    truth = tmp_path / "truth.csv"
    assert main(["evaluate", str(groups), str(truth)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["pair_completeness"] >= 0.95 and len(res["blocking_pairs"]) == 3
    assert [b["method"] for b in res["blocking_pairs"]] == ["lsh"] * 3
    assert sum(b["true_pairs"] for b in res["blocking_pairs"]) > 500
    # negative control: a truth of shuffled entities pairs unrelated records (chance: ~0)
    t = pd.read_csv(truth)
    t["entity"] = np.random.default_rng(0).permutation(t["entity"].to_numpy())
    t.to_csv(tmp_path / "shuffled.csv", index=False)
    assert main(["evaluate", str(groups), str(tmp_path / "shuffled.csv")]) == 0
    assert json.loads(capsys.readouterr().out)["pair_completeness"] < 0.05
    # without blocking the stale sidecar goes
    assert _run("link", *paths, "--threshold", 0.7, "--blocking", "none", "-o", out) == 0
    assert not (tmp_path / "c.blocking.json").exists()


def test_auto_decides_per_pair_and_says_so(tmp_path, noisy, capsys, monkeypatch):
    clks, paths = noisy
    out = tmp_path / "g.csv"
    assert _run("link", *paths, "--threshold", 0.7, "--blocking", "auto", "-o", out) == 0
    err = capsys.readouterr().err
    for i, j in ((0, 1), (0, 2), (1, 2)):  # small: exhaustive, said per pair when asked
        assert f"--blocking auto chose the exhaustive scan for parties {i} and {j}: " \
               f"{len(clks[i]):,} x {len(clks[j]):,} pairs are too few" in err
    assert not (tmp_path / "g.blocking.json").exists()
    # estimate every pair; LSH estimated cheaper only where B is party 2
    monkeypatch.setattr(autoblock, "AUTO_MIN_PAIRS", 0)
    monkeypatch.setattr(autoblock, "_lsh_seconds",
                        lambda a, b, *r: 0.0 if len(b) == 320 else float("inf"))
    assert _run("link", *paths, "--threshold", 0.7, "--solver", "none", "--blocking-seed", 3,
                "-o", out) == 0
    err = capsys.readouterr().err
    assert "chose LSH for parties 0 and 2: estimated CPU time" in err
    assert "chose LSH for parties 1 and 2" in err
    assert "chose the exhaustive scan for parties 0 and 1: estimated CPU time" in err
    doc = json.loads((tmp_path / "g.blocking.json").read_text())
    assert [e["method"] for e in doc["pairs"]] == ["none", "lsh", "lsh"]
    got = pd.read_csv(out)
    exhaustive = pprl.multiparty_candidates(clks, 0.7).to_frame()
    pair01 = (got["party_a"] == 0) & (got["party_b"] == 1)
    want01 = (exhaustive["party_a"] == 0) & (exhaustive["party_b"] == 1)
    assert _pairs(got[pair01]) == _pairs(exhaustive[want01])  # the exhaustive pair is whole


def test_library_blocking_per_pair():
    rng = np.random.default_rng(2)
    base = np.packbits(rng.random((200, 512)) < 0.3, axis=1)
    clks = [base ^ np.packbits(rng.random((200, 512)) < 0.02, axis=1) for _ in range(3)]
    c = pprl.multiparty_candidates(clks, 0.7, blocking={(0, 2): "lsh"}, rng=1)
    assert set(c.blocking) == {(0, 2)} and c.blocking[(0, 2)].n_a == 200
    full = pprl.multiparty_candidates(clks, 0.7)
    assert full.blocking == {} and set(_pairs(c.to_frame())) <= set(_pairs(full.to_frame()))
    with pytest.raises(InputError, match=r"entry \(2, 0\)"):
        pprl.multiparty_candidates(clks, 0.7, blocking={(2, 0): "lsh"})


# --- --max-memory ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """Three parties of 1,500 random half-full CLKs: at 0.3 nearly all 6.75M pairs are
    candidates (175 MB at 26 bytes)."""
    d = tmp_path_factory.mktemp("dense3")
    rng = np.random.default_rng(23)
    for name in "abc":
        np.save(d / f"{name}.npy", np.packbits(rng.random((1500, 1024)) < 0.5, axis=1))
        np.save(d / f"t{name}.npy", np.packbits(rng.random((20, 1024)) < 0.5, axis=1))
    rc, base, err = pprl_peak("link", d / "ta.npy", d / "tb.npy", d / "tc.npy", "--threshold",
                              "0.3", "-o", d / "tiny.csv", "--no-progress")
    assert rc == 0, err
    return d, base


def test_a_bad_cap_is_one_line(tmp_path, noisy, capsys):
    _, paths = noisy
    out = tmp_path / "g.csv"
    assert _run("link", *paths, "--threshold", 0.7, "--max-memory", "1M", "-o", out) == 2
    err = capsys.readouterr().err
    assert "--max-memory 1M is too small" in err and len(err.strip().splitlines()) == 1
    assert _run("link", *paths, "--threshold", 0.7, "--max-memory", "1G", "--out-dir",
                tmp_path / "d", "-o", out) == 2
    assert "not supported" in capsys.readouterr().err and not out.exists()


def test_the_cap_stops_early_in_flags_and_bounds_the_peak(tmp_path, dense):
    d, base = dense
    out = tmp_path / "c.csv"
    cap = 64 << 20
    rc, peak, err = pprl_peak("link", d / "a.npy", d / "b.npy", d / "c.npy", "--threshold",
                              "0.3", "--solver", "none", "--threads", "1", "--max-memory",
                              "64M", "-o", out, "--no-progress")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "stopped early" in err
    for flag in ("--threshold (now 0.3)", "--k K", "--blocking lsh", "--max-memory"):
        assert flag in err
    for param in ("max_bytes", "out_dir", "k="):
        assert param not in err
    assert not out.exists()
    assert peak <= base + cap + WORK_BYTES, f"peak {peak >> 20} MiB"


def test_a_cap_that_holds_the_result_finishes_under_it(tmp_path, dense):
    d, base = dense  # at 0.52 about a tenth of the pairs: ~0.7M candidates x 26 B = 18 MB
    out = tmp_path / "c.csv"
    cap = 64 << 20
    rc, peak, err = pprl_peak("link", d / "a.npy", d / "b.npy", d / "c.npy", "--threshold",
                              "0.52", "--solver", "none", "--threads", "1", "--max-memory",
                              "64M", "-o", out, "--no-progress")
    assert rc == 0, err
    assert peak <= base + cap + WORK_BYTES, f"peak {peak >> 20} MiB"
    assert sum(1 for _ in open(out)) > 500_000


def test_out_dir_streams_each_pair_and_gives_the_same_candidates(tmp_path, noisy):
    _, paths = noisy
    mem, disk = tmp_path / "m.csv", tmp_path / "d.csv"
    assert _run("link", *paths, "--threshold", 0.7, "--solver", "none", "-o", mem) == 0
    assert _run("link", *paths, "--threshold", 0.7, "--solver", "none", "--out-dir",
                tmp_path / "chunks", "-o", disk) == 0
    assert disk.read_text() == mem.read_text()
    assert (tmp_path / "chunks" / "pair-0-2").is_dir()


def test_a_cap_holds_the_native_group_solver(tmp_path, dense):
    """With the native solver's share (72 bytes a candidate) a cap that the Python solver's
    170 would refuse finishes, and the peak stays under it."""
    from pprl.cli._mp_memory import NATIVE_PAIR_BYTES, SOLVER_PAIR_BYTES
    from pprl.linkage import backend

    if backend.choose("auto", "solve_groups")[0] != "native":
        pytest.skip("the native group solver was not built")
    d, base = dense  # at 0.52 about 1.0M candidates: 98 MB at 98 bytes, 196 MB at 196
    out = tmp_path / "g.csv"
    cap = 160 << 20
    assert NATIVE_PAIR_BYTES["greedy"] < SOLVER_PAIR_BYTES["greedy"]
    rc, peak, err = pprl_peak("link", d / "a.npy", d / "b.npy", d / "c.npy", "--threshold",
                              "0.52", "--solver", "greedy", "--threads", "1", "--max-memory",
                              "160M", "-o", out, "--no-progress")
    assert rc == 0, err
    assert peak <= base + cap + WORK_BYTES, f"peak {peak >> 20} MiB"
