"""``pprl link --max-memory``: a bound too small, a result too large, and the path reported."""

import numpy as np
import pytest

import pprl
from pprl import write_clks
from pprl.cli import main


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
    ("1000", "pprl link: error: --max-memory 1000 is too small for even one tile of the scan: give "
             "at least 1572864 bytes (1.5M)"),
    ("1K", "--max-memory 1K is too small for even one tile"),
    ("banana", "--max-memory must be a size such as 4G, 500M or 1048576; got 'banana'"),
])
def test_a_bad_bound_is_one_line_and_exit_2(tmp_path, parties, capsys, size, message):
    pa, pb = parties
    out = tmp_path / "m.csv"
    rc = main(["link", str(pa), str(pb), "--threshold", "0.5", "--max-memory", size,
               "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_result_over_the_bound_stops_with_advice(tmp_path, parties, capsys):
    pa, pb = parties  # threshold 0: all 90,000 pairs, more than 1.5M / 24 = 65,536
    out = tmp_path / "m.csv"
    rc = main(["link", str(pa), str(pb), "--threshold", "0", "--max-memory", "1.5M",
               "-o", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "stopped early" in err and "k=" in err and "blocking" in err and "out_dir" in err
    assert not out.exists()
    assert main(["link", str(pa), str(pb), "--threshold", "0.4", "--max-memory", "1.5M",
                 "-o", str(out), "--no-progress"]) == 0


def test_the_summary_names_the_path_that_ran(tmp_path, parties, capsys):
    pa, pb = parties
    assert main(["link", str(pa), str(pb), "--threshold", "0.5", "-o", str(tmp_path / "m.csv"),
                 "--no-progress"]) == 0
    isa = pprl.available_backends()["last_isa"] or "numpy"
    assert f"s on {isa}, solve" in capsys.readouterr().err
