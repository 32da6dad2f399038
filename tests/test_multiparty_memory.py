"""The N-party merge by packed keys: the same result as merging arrays, at <= 30 B a candidate."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import pprl
from pprl.linkage import _mpkeys


def _arrays_merge(monkeypatch, clks, t, **kw):
    """The candidates merged field by field (the path taken when keys do not fit in 63 bits)."""
    with monkeypatch.context() as m:
        m.setattr(_mpkeys, "plan", lambda *a: None)
        return pprl.multiparty_candidates(clks, t, **kw)


@pytest.mark.parametrize("seed", range(6))
def test_key_merge_equals_array_merge(monkeypatch, seed):
    rng = np.random.default_rng(seed)
    n_parties, width = 2 + seed % 4, [1, 2, 8, 16][seed % 4]
    clks = [rng.integers(0, 256, (int(rng.integers(0, 50)), width), dtype=np.uint8)
            for _ in range(n_parties)]
    clks[0] = np.concatenate([clks[0], clks[0][:4], clks[0][:4]])  # exact copies: tied scores
    for t in (0.0, 0.6):
        for kw in ({}, {"k": 2}, {"backend": "numpy"}, {"threads": 2}):
            new = pprl.multiparty_candidates(clks, t, **kw)
            old = _arrays_merge(monkeypatch, clks, t, **kw)
            assert len(new) > 0 or t > 0
            for f in ("party_a", "row_a", "party_b", "row_b", "score"):
                x, y = getattr(new, f), getattr(old, f)
                assert x.dtype == y.dtype and np.array_equal(x, y), f
            assert new.code.dtype == old.code.dtype


def test_keys_that_do_not_fit_take_the_array_merge():
    # 2**21 rows a side of 1,024-bit CLKs need 23 + 1 + 1 + 2 * 21 > 63 bits
    assert _mpkeys.plan(1024, [1 << 21, 5, 5], 3) is None
    assert _mpkeys.plan(1024, [100_000] * 3, 3) is not None


_CHILD = r"""
import json, sys
import numpy as np
import pprl
from pprl.linkage import _mpkeys

def hwm():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmHWM:"))

if sys.argv[1] == "arrays":  # the old merge, to show that the test can fail
    _mpkeys.plan = lambda *a: None
rng = np.random.default_rng(3)
clks = [np.packbits(rng.random((n, 1024)) < 0.5, axis=1) for n in (1100, 1000, 900)]
pprl.multiparty_candidates([x[:20] for x in clks], 0.3, threads=1)  # load the kernel
base = hwm()
c = pprl.multiparty_candidates(clks, 0.3, threads=1)
print(json.dumps({"n": len(c), "per": (hwm() - base) / len(c)}))
"""


def _peak_per_candidate(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, mode], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_peak_per_candidate_is_at_most_30_bytes():
    # about 3M candidates (random half-full CLKs score ~0.5): 26 bytes each once merged
    r = _peak_per_candidate("keys")
    assert r["n"] > 2_500_000
    assert r["per"] <= 30.0, f"{r['per']:.1f} bytes per candidate at the peak"
