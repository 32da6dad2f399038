"""Shared fixtures: ``backend`` (numpy / native), ``isa`` (each native path), ``rng``.

``backend`` and ``isa`` are opt-in (a test asks for them by name); they are
not autouse, so test files that do not compare kernels run once.
"""

from __future__ import annotations

import numpy as np
import pytest

from pprl.linkage import similarity

NATIVE = similarity.available_backends()["native"]
NATIVE_REASON = f"native Dice kernel not built ({similarity.available_backends()['error']})"
ALL_ISAS = ("avx512", "avx2", "popcnt", "portable")


@pytest.fixture(
    params=["numpy", pytest.param("native", marks=pytest.mark.skipif(not NATIVE,
                                                                    reason=NATIVE_REASON))]
)
def backend(request) -> str:
    """Each Dice backend in turn; native is skipped when it was not built."""
    return request.param


@pytest.fixture(params=ALL_ISAS)
def isa(request):
    """Switch the native kernel to each instruction-set path this CPU can run.

    Paths the CPU lacks (AVX-512 on most machines) are skipped, not faked;
    the previous path is restored afterwards.
    """
    if not NATIVE:
        pytest.skip(NATIVE_REASON)
    from pprl.linkage import _native as _dice_native

    if request.param not in _dice_native.isas():
        pytest.skip(f"this CPU cannot run the {request.param} path")
    before = _dice_native.isa()
    _dice_native.set_isa(request.param)
    try:
        yield request.param
    finally:
        _dice_native.set_isa(before)


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator: every random test input is reproducible."""
    return np.random.default_rng(20261128)
