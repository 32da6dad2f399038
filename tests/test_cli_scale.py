"""``pprl link --blocking lsh`` and ``--dask``, and ``pprl evaluate`` reading the blocking."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pprl import candidate_pairs, greedy_match, write_clks
from pprl.cli import main
from pprl.linkage.blocking import LSHParams, pairs_blocked


@pytest.fixture
def parties(tmp_path):
    rng = np.random.default_rng(4)
    a = np.packbits(rng.random((300, 512)) < 0.4, axis=1)
    perm = rng.permutation(300)[:200]
    b = a[perm] ^ np.packbits(rng.random((200, 512)) < 0.04, axis=1)
    pa, pb, truth = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "truth.csv"
    write_clks(a, pa)
    write_clks(b, pb)
    pd.DataFrame({"a": perm, "b": np.arange(200)}).to_csv(truth, index=False)
    return a, b, pa, pb, truth


def _read(out):
    got = pd.read_csv(out, dtype={"score": str})
    got["score"] = got["score"].map(float)
    return got


def test_link_lsh_writes_matches_sidecar_and_evaluate_reports_pair_completeness(
        tmp_path, parties, capsys):
    a, b, pa, pb, truth = parties
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "--blocking", "lsh",
                 "--blocking-estimate", "worst-case", "--blocking-seed", "7", "-o", str(out),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "LSH blocking:" in err and "reduction ratio" in err
    # the seed given is the seed reported; the worst-case chance is stated as a guarantee
    assert "(seed 7, given)" in err
    assert "every pair at the threshold is found with chance at least" in err
    assert "(target 0.99)" in err
    side = json.loads((tmp_path / "m.blocking.json").read_text())
    assert side["method"] == "lsh" and side["pc_bound"] >= 0.99
    assert side["params"]["seed"] == 7
    assert side["total_pairs"] == 300 * 200 and 0 < side["reduction_ratio"] < 1
    params = LSHParams(**side["params"])
    # the matches are greedy over the exhaustive candidates that share a bucket
    cands = candidate_pairs(a, b, 0.8)
    keep = pairs_blocked(a, b, np.stack([cands.a, cands.b], axis=1), params)
    want = greedy_match(type(cands)(cands.a[keep], cands.b[keep], cands.score[keep]))
    got = _read(out)
    assert got["a"].tolist() == want.a.tolist() and got["b"].tolist() == want.b.tolist()
    assert np.array_equal(got["score"].to_numpy(), want.score)

    assert main(["evaluate", str(out), str(truth)]) == 0
    report = json.loads(capsys.readouterr().out)
    t = pd.read_csv(truth).to_numpy()
    assert report["pair_completeness"] == pairs_blocked(a, b, t, params).mean()
    assert report["pair_completeness_at_threshold"] >= 0.99
    assert report["reduction_ratio"] == side["reduction_ratio"]
    assert {"precision", "recall", "f1"} <= report.keys()

    # linking again without blocking removes the stale sidecar
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "-o", str(out),
                 "--no-progress"]) == 0
    assert not (tmp_path / "m.blocking.json").exists()
    assert main(["evaluate", str(out), str(truth)]) == 0
    assert "pair_completeness" not in json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("extra", "message"), [
    (["--threshold", "0", "--blocking-estimate", "worst-case", "--all-ones"],
     "cannot reach pair completeness 0.99 at threshold 0 with at most 1000 tables "
     "(a pair at Dice 0 can differ in 512 of 512 bits)"),
    (["--threshold", "0.8", "--blocking-target-pc", "1"], "--blocking-target-pc must be in"),
    (["--threshold", "0.8", "--dask", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--threshold", "0.8", "--dask", "local"], "--dask must be local:N"),
])
def test_bad_blocking_or_dask_is_one_line_exit_2_and_no_output(tmp_path, parties, capsys,
                                                                 extra, message):
    a, _, pa, pb, _ = parties
    if "--all-ones" in extra:  # with a full CLK, a pair at Dice 0 may differ in every bit
        extra = extra[:-1]
        write_clks(np.concatenate([a, np.full((1, a.shape[1]), 255, np.uint8)]), pa)
    out = tmp_path / "m.csv"
    rc = main(["link", str(pa), str(pb), *extra, "--blocking", "lsh", "-o", str(out),
               "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and not (tmp_path / "m.blocking.json").exists()


def test_link_on_a_local_dask_cluster_matches_the_single_machine_run(tmp_path, parties):
    pytest.importorskip("distributed")
    _, _, pa, pb, _ = parties
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    base = ["link", str(pa), str(pb), "--threshold", "0.7", "--no-progress"]
    assert main([*base, "-o", str(one)]) == 0
    assert main([*base, "--dask", "local:2", "-o", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()
    blocked = [*base, "--blocking", "lsh", "--blocking-seed", "3"]
    assert main([*blocked, "-o", str(one)]) == 0
    assert main([*blocked, "--dask", "local:2", "-o", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()
    side = [json.loads((tmp_path / f"{x}.blocking.json").read_text()) for x in ("one", "two")]
    assert side[0] == side[1]


def test_lsh_message_states_the_sample_estimate_against_the_target(tmp_path, parties, capsys):
    _, _, pa, pb, _ = parties
    out = tmp_path / "m.csv"
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "--blocking", "lsh",
                 "--blocking-seed", "1", "-o", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "LSH blocking:" in x)
    assert "(seed 1, given)" in line and "2175765315776882098" not in line
    # the target is met by the completeness over all pairs; the per-pair chance of the
    # farthest pair is named as that, not as a (missed) completeness
    assert "expected over the pairs at the threshold" in line and "(target 0.99)" in line
    assert "with the most differing bits is found with chance" in line
    assert "pair completeness >=" not in line
    assert json.loads((tmp_path / "m.blocking.json").read_text())["params"]["seed"] == 1
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "--blocking", "lsh",
                 "-o", str(out), "--no-progress"]) == 0
    assert "random; repeat with --blocking-seed" in capsys.readouterr().err


def test_blocking_auto_says_what_it_chose(tmp_path, parties, capsys, monkeypatch):
    a, b, pa, pb, _ = parties
    out = tmp_path / "m.csv"
    # small: the exhaustive scan without estimating; said when asked for by name
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "--blocking", "auto",
                 "-o", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "--blocking auto chose the exhaustive scan: 300 x 200 pairs are too few" in err
    assert not (tmp_path / "m.blocking.json").exists()
    # the implicit default stays quiet on a small link
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "-o", str(out),
                 "--no-progress"]) == 0
    assert "--blocking auto" not in capsys.readouterr().err
    exhaustive = _read(out)
    # estimated: the line gives both costs, and LSH writes its sidecar
    from pprl.linkage import autoblock

    monkeypatch.setattr(autoblock, "AUTO_MIN_PAIRS", 0)
    monkeypatch.setattr(autoblock, "_lsh_seconds", lambda *args: 1e-9)  # LSH "cheaper"
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "--blocking-seed", "5",
                 "-o", str(out), "--no-progress"]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "--blocking auto chose" in x)
    assert line.startswith("pprl link: --blocking auto chose LSH: estimated CPU time 1e-09 s "
                           "for LSH (") and "s for the exhaustive scan, timed on 300 rows" in line
    side = json.loads((tmp_path / "m.blocking.json").read_text())
    assert side["params"]["seed"] == 5 and side["pc_sample"] is not None
    blocked = _read(out)
    pairs = set(zip(exhaustive["a"], exhaustive["b"], strict=True))
    assert set(zip(blocked["a"], blocked["b"], strict=True)) <= pairs
    monkeypatch.setattr(autoblock, "_lsh_seconds", lambda *args: 1e9)  # LSH dearer
    assert main(["link", str(pa), str(pb), "--threshold", "0.8", "-o", str(out),
                 "--no-progress"]) == 0
    assert "--blocking auto chose the exhaustive scan: estimated CPU time 1e+09 s for LSH" \
        in capsys.readouterr().err
    assert not (tmp_path / "m.blocking.json").exists()
    assert _read(out).equals(exhaustive)
