"""``pprl link --max-memory``: a bound too small, a result too large, and the path reported."""

import numpy as np
import pandas as pd
import pytest
from peak_rss import pprl_peak

import pprl
from pprl import write_clks
from pprl.cli import main
from pprl.cli._memory import THREAD_BYTES, WORK_BYTES


@pytest.fixture
def parties(tmp_path):
    rng = np.random.default_rng(4)
    a = np.packbits(rng.random((300, 128)) < 0.3, axis=1)
    b = np.packbits(rng.random((300, 128)) < 0.3, axis=1)
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    write_clks(a, pa)
    write_clks(b, pb)
    return pa, pb


@pytest.mark.parametrize("size, message", [
    ("1000", "pprl link: error: --max-memory 1000 is too small: the CLKs, record IDs and scan "
             "buffers take about"),
    ("1K", "--max-memory 1K is too small"),
    ("banana", "--max-memory must be a size such as 4G, 500M or 1048576; got 'banana'"),
    ("0", "--max-memory must be a positive size such as 4G or 500M; got '0'"),
])
def test_a_bad_bound_is_one_line_and_exit_2(tmp_path, parties, capsys, size, message):
    pa, pb = parties
    out = tmp_path / "m.csv"
    rc = main(["link", str(pa), str(pb), "--threshold", "0.5", "--max-memory", size,
               "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_result_over_the_bound_stops_with_advice_in_flags(tmp_path, parties, capsys):
    pa, pb = parties  # threshold 0: all 90,000 pairs (2.1 MiB), more than the cap leaves
    out = tmp_path / "m.csv"
    cap = THREAD_BYTES + (2 << 20)  # one thread's buffers and 2 MiB for the pairs
    args = ["link", str(pa), str(pb), "--threshold", "0", "--threads", "1", "--max-memory",
            str(cap), "-o", str(out), "--no-progress"]
    rc = main(args)
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "stopped early" in err and "90,000 pairs" in err
    for flag in ("--threshold (now 0)", "--k K", "--blocking lsh", "--out-dir DIR",
                 "--max-memory"):
        assert flag in err
    for param in ("k=", "max_bytes=", "out_dir="):  # Python's names are not the command's
        assert param not in err
    assert not out.exists()
    assert main(args[:-5] + ["--max-memory", "40M"] + args[-3:]) == 0
    # --out-dir streams under the first cap: the same matches, the chunks kept in the folder
    capsys.readouterr()
    streamed = tmp_path / "s.csv"
    assert main(args[:-3] + ["--out-dir", str(tmp_path / "chunks"), "-o", str(streamed),
                             "--no-progress"]) == 0
    assert streamed.read_text() == out.read_text()
    assert pprl.CandidateChunks(tmp_path / "chunks").n_chunks >= 1


def test_out_dir_with_solver_none_writes_every_pair(tmp_path, parties):
    pa, pb = parties
    out = tmp_path / "all.csv"
    assert main(["link", str(pa), str(pb), "--threshold", "0.3", "--solver", "none",
                 "--out-dir", str(tmp_path / "c"), "-o", str(out), "--no-progress"]) == 0
    want = pprl.candidate_pairs(pprl.read_clks(pa), pprl.read_clks(pb), 0.3)
    got = pd.read_csv(out)
    assert list(got.columns) == ["a", "b", "score"] and len(got) == len(want)
    assert (got["a"].to_numpy() == want.a).all() and (got["b"].to_numpy() == want.b).all()


def test_out_dir_is_refused_with_blocking(tmp_path, parties, capsys):
    pa, pb = parties
    out = tmp_path / "m.csv"
    rc = main(["link", str(pa), str(pb), "--threshold", "0.5", "--blocking", "lsh",
               "--out-dir", str(tmp_path / "c"), "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "--out-dir streams the exhaustive comparison" in err and not out.exists()


# --- the cap measured: peak resident memory of the command in a child process ---------------

@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """2,500 x 2,500 random half-full CLKs: at 0.3 nearly all 6.25M pairs are candidates
    (150 MiB of pairs), as with a schema whose random pairs score about 0.5."""
    d = tmp_path_factory.mktemp("dense")
    rng = np.random.default_rng(22)
    for name in ("a", "b"):
        np.save(d / f"{name}.npy", np.packbits(rng.random((2500, 1024)) < 0.5, axis=1))
    tiny = np.packbits(rng.random((20, 1024)) < 0.5, axis=1)
    np.save(d / "tiny.npy", tiny)
    rc, base, err = pprl_peak("link", d / "tiny.npy", d / "tiny.npy", "--threshold", "0.3",
                          "-o", d / "tiny.csv", "--no-progress")
    assert rc == 0, err
    return d, base


def test_the_cap_bounds_the_peak_with_threads(tmp_path, dense):
    d, base = dense  # base: Python, numpy, pandas and pprl with nothing to do
    cap = 64 << 20
    allowed = base + cap + WORK_BYTES
    out = tmp_path / "m.csv"
    rc, peak, err = pprl_peak("link", d / "a.npy", d / "b.npy", "--threshold", "0.3", "--threads",
                          "2", "--max-memory", "64M", "-o", out, "--no-progress")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--out-dir DIR" in err, err
    assert not out.exists()
    assert peak <= allowed, f"peak {peak >> 20} MiB > {allowed >> 20} MiB"
    # the same cap with --out-dir finishes, still under it
    rc, peak, err = pprl_peak("link", d / "a.npy", d / "b.npy", "--threshold", "0.3", "--threads",
                          "2", "--max-memory", "64M", "--out-dir", tmp_path / "c", "-o", out,
                          "--no-progress")
    assert rc == 0, err
    assert peak <= allowed, f"peak {peak >> 20} MiB > {allowed >> 20} MiB"
    assert len(pd.read_csv(out)) == 2500


def test_the_summary_names_the_path_that_ran(tmp_path, parties, capsys):
    pa, pb = parties
    assert main(["link", str(pa), str(pb), "--threshold", "0.5", "-o", str(tmp_path / "m.csv"),
                 "--no-progress"]) == 0
    isa = pprl.available_backends()["last_isa"] or "numpy"
    assert f"s on {isa}, solve" in capsys.readouterr().err
