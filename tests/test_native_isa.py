"""The PPRL_DICE_ISA switch, in fresh interpreters (the path is chosen at import)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ALL_ISAS, NATIVE, NATIVE_REASON

pytestmark = pytest.mark.skipif(not NATIVE, reason=NATIVE_REASON)

SCRIPT = r"""
import json, numpy as np, pprl
from pprl.linkage import similarity
rng = np.random.default_rng(7)
a = np.packbits(rng.random((60, 1000)) < 0.3, axis=1)
b = np.concatenate([a[::2] ^ np.packbits(rng.random((30, 1000)) < 0.02, axis=1),
                    np.packbits(rng.random((40, 1000)) < 0.3, axis=1)])
out = {"info": pprl.available_backends()}
try:
    c = similarity.candidate_pairs(a, b, 0.6, threads=2)
    out["pairs"] = [c.a.tolist(), c.b.tolist(), c.score.tolist()]
    out["matrix"] = similarity.dice_matrix(a, b).tolist()
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
c = similarity.candidate_pairs(a, b, 0.6, backend="numpy")
out["numpy_pairs"] = [c.a.tolist(), c.b.tolist(), c.score.tolist()]
out["numpy_matrix"] = similarity.dice_matrix(a, b, backend="numpy").tolist()
print(json.dumps(out))
"""


def run_with_isa(value: str | None) -> dict:
    env = dict(os.environ)
    env.pop("PPRL_DICE_ISA", None)
    if value is not None:
        env["PPRL_DICE_ISA"] = value
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


def supported() -> list[str]:
    from pprl.linkage import _native as _dice_native

    return _dice_native.isas()


def test_default_is_the_best_path():
    out = run_with_isa(None)
    assert out["info"]["isa"] == supported()[0]
    assert out["info"]["forced"] is None and out["info"]["error"] is None


@pytest.mark.parametrize("name", ALL_ISAS)
def test_forced_path_gives_identical_results(name):
    if name not in supported():
        pytest.skip(f"this CPU cannot run the {name} path")
    out = run_with_isa(name.upper())  # case does not matter
    assert out["info"]["isa"] == name
    assert out["pairs"] == out["numpy_pairs"]
    assert out["matrix"] == out["numpy_matrix"]
    assert len(out["pairs"][0]) >= 30  # the planted matches are found


@pytest.mark.parametrize("value, reason", [("sse4", "Unknown instruction-set path"),
                                           *[(x, "lacks|not compiled into") for x in ALL_ISAS]])
def test_refused_path_is_an_error_not_a_silent_fallback(value, reason):
    if value in supported():
        pytest.skip(f"this CPU can run {value}")
    out = run_with_isa(value)
    assert out["error"].startswith("NativeKernelError: PPRL_DICE_ISA=")
    assert re.search(reason, out["error"]) and re.search(reason, out["info"]["error"])
    assert out["numpy_pairs"]  # the numpy backend keeps working


def test_without_the_compiled_kernel_numpy_takes_over():
    script = (
        "import sys; sys.modules['pprl.linkage._dice_cffi'] = None\n"  # as if never built
        "import warnings, numpy as np, pprl\n"
        "info = pprl.available_backends()\n"
        "assert info['native'] is False and info['isa'] is None, info\n"
        "a = np.array([[255, 0], [255, 1]], dtype=np.uint8)\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    assert len(pprl.candidate_pairs(a, a, 0.5, backend='numpy')) == 4\n"
        "    assert not seen, 'explicit numpy must not warn'\n"
        "    assert len(pprl.candidate_pairs(a, a, 0.5)) == 4\n"
        "    assert len(pprl.candidate_pairs(a, a, 0.5)) == 4\n"
        "kinds = [w.category.__name__ for w in seen]\n"
        "assert kinds == ['NativeKernelWarning'], kinds  # said once, not silent\n"
        "assert 'Using the numpy backend' in str(seen[0].message)\n"
        "try:\n"
        "    pprl.candidate_pairs(a, a, 0.5, backend='native')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=True)
    assert "native Dice kernel of pprl is not available" in proc.stdout
    assert "pip install -e . --no-build-isolation" in proc.stdout
