"""Dask: tiles of A x B as tasks on a LocalCluster of 2 worker processes give
exactly the single-machine results, exhaustive and blocked."""

from __future__ import annotations

import numpy as np
import pytest

from pprl import candidate_pairs
from pprl.errors import InputError
from pprl.linkage import distributed
from pprl.linkage.blocking import LSHParams, lsh_candidate_pairs

pytest.importorskip("distributed")


def _clks(rng, n, nbytes=64):
    a = np.packbits(rng.random((n, nbytes * 8)) < 0.4, axis=1)
    noise = np.packbits(rng.random((n, nbytes * 8)) < 0.05, axis=1)
    b = a[rng.permutation(n)] ^ noise
    return a, np.concatenate([b, b[:20] ^ np.uint8(4)])


def _same(x, y):
    for u, v in ((x.a, y.a), (x.b, y.b), (x.score, y.score)):
        np.testing.assert_array_equal(u, v)


@pytest.fixture(scope="module")
def client():
    with distributed.connect("local:2") as c:
        yield c


@pytest.mark.parametrize(("k", "rows"), [(None, 37), (2, 50), (None, None)])
def test_exhaustive_equals_single_machine(client, k, rows):
    rng = np.random.default_rng(1)
    a, b = _clks(rng, 300)
    want = candidate_pairs(a, b, 0.6, k=k)
    got = distributed.candidate_pairs(client, a, b, 0.6, k=k, rows_per_task=rows)
    assert len(want) > 300
    _same(got, want)


def test_blocked_equals_single_machine(client):
    rng = np.random.default_rng(2)
    a, b = _clks(rng, 400)
    want, want_report = lsh_candidate_pairs(a, b, 0.8, rng=5)
    got, report = distributed.lsh_candidate_pairs(client, a, b, 0.8, rng=5, tables_per_task=3)
    _same(got, want)
    assert report == want_report
    params = LSHParams(tables=7, bits=12, seed=3)
    want, _ = lsh_candidate_pairs(a, b, 0.7, params=params, k=1)
    got, _ = distributed.lsh_candidate_pairs(client, a, b, 0.7, params=params, k=1)
    _same(got, want)
    # the workers use the kernel asked for (numpy, the reference): the same pairs again
    got, _ = distributed.lsh_candidate_pairs(client, a, b, 0.7, params=params, k=1,
                                             backend="numpy")
    _same(got, want)


def test_candidate_pairs_takes_a_client(client, tmp_path):
    rng = np.random.default_rng(4)
    a, b = _clks(rng, 150)
    for k in (None, 1):
        _same(candidate_pairs(a, b, 0.6, k=k, client=client), candidate_pairs(a, b, 0.6, k=k))
    with pytest.raises(InputError, match="out_dir"):
        candidate_pairs(a, b, 0.6, client=client, out_dir=tmp_path / "chunks")
    with pytest.raises(InputError, match="client"):
        candidate_pairs(a, b, 0.6, client="tcp://127.0.0.1:8786")


def test_the_backend_reaches_the_workers(client):
    rng = np.random.default_rng(3)
    a, b = _clks(rng, 120)
    want = candidate_pairs(a, b, 0.6)
    _same(distributed.candidate_pairs(client, a, b, 0.6, backend="numpy"), want)
    with pytest.raises(InputError, match="backend"):
        distributed.candidate_pairs(client, a, b, 0.6, backend="gpu")
    with pytest.raises(InputError, match="backend"):
        distributed.lsh_candidate_pairs(client, a, b, 0.6, backend="gpu")


def test_bad_specs_and_unreachable_scheduler():
    for spec in ("local:0", "localhost:8786", "local:x"):
        with pytest.raises(InputError, match="--dask must be local:N"), \
                distributed.connect(spec):
            pass
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"), \
            distributed.connect("tcp://127.0.0.1:9"):
        pass
