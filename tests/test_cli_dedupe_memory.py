"""``pprl dedupe --max-memory``: a cap on the CLKs, the self-scan and the clustering."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from peak_rss import pprl_peak

from pprl.cli import main
from pprl.cli._memory import WORK_BYTES
from pprl.cli._mp_memory import DedupePlan
from pprl.linkage import backend
from pprl.linkage.dedupe import self_candidates


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """3,000 random half-full CLKs: at 0.3 nearly all 4.5M pairs are candidates (333 MB at
    74 bytes), at 0.52 about a tenth of them."""
    d = tmp_path_factory.mktemp("dedupe_dense")
    rng = np.random.default_rng(24)
    np.save(d / "a.npy", np.packbits(rng.random((3000, 1024)) < 0.5, axis=1))
    np.save(d / "tiny.npy", np.packbits(rng.random((20, 1024)) < 0.5, axis=1))
    rc, base, err = pprl_peak("dedupe", d / "tiny.npy", "--threshold", "0.3", "-o",
                              d / "tiny.csv", "--no-progress")
    assert rc == 0, err
    return d, base


def _run(*argv):
    return main([str(a) for a in argv] + ["--no-progress"])


def test_a_cap_too_small_for_the_inputs_is_one_line(tmp_path, dense, capsys):
    d, _ = dense
    out = tmp_path / "g.csv"
    assert _run("dedupe", d / "a.npy", "--threshold", 0.5, "--max-memory", "1M", "-o", out) == 2
    err = capsys.readouterr().err
    assert "--max-memory 1M is too small" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


@pytest.mark.parametrize("method", ["greedy", "components"])
def test_the_cap_stops_early_in_flags_and_bounds_the_peak(tmp_path, dense, method):
    d, base = dense
    out = tmp_path / "g.csv"
    rc, peak, err = pprl_peak("dedupe", d / "a.npy", "--threshold", "0.3", "--method", method,
                              "--threads", "1", "--max-memory", "64M", "-o", out,
                              "--no-progress")
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "stopped early" in err and f"--method {method}" in err
    for flag in ("--threshold (now 0.3)", "--blocking lsh", "--max-memory"):
        assert flag in err
    for param in ("max_bytes", "out_dir", "k=", "candidate_pairs"):
        assert param not in err
    assert not out.exists()
    assert peak <= base + (64 << 20) + WORK_BYTES, f"peak {peak >> 20} MiB"


def test_a_cap_that_holds_the_result_finishes_under_it_with_the_same_clusters(tmp_path, dense):
    d, base = dense
    capped, free = tmp_path / "c.csv", tmp_path / "f.csv"
    native = backend.choose("auto", "solve_groups")[0] == "native"
    pairs = len(self_candidates(np.load(d / "a.npy"), 0.52))
    # the CLKs and buffers (about 26 MiB with one thread) and the pairs at the plan's figure
    cap_mib = 32 + pairs * DedupePlan(None, "greedy", native).per_pair() * 5 // 4 // (1 << 20)
    cap = cap_mib << 20
    rc, peak, err = pprl_peak("dedupe", d / "a.npy", "--threshold", "0.52", "--threads", "1",
                              "--max-memory", f"{cap_mib}M", "-o", capped, "--no-progress")
    assert rc == 0, err
    assert peak <= base + cap + WORK_BYTES, f"peak {peak >> 20} MiB"
    assert _run("dedupe", d / "a.npy", "--threshold", 0.52, "-o", free) == 0
    got, want = pd.read_csv(capped), pd.read_csv(free)
    assert len(got) > 1000
    pd.testing.assert_frame_equal(got, want)


def test_lsh_says_the_cap_is_not_applied(tmp_path, dense, capsys):
    d, _ = dense
    out = tmp_path / "g.csv"
    assert _run("dedupe", d / "a.npy", "--threshold", 0.7, "--blocking", "lsh",
                "--max-memory", "64M", "-o", out) == 0
    err = capsys.readouterr().err
    assert "pprl dedupe: warning: --max-memory bounds the exhaustive comparison only" in err
