"""Candidate pairs on a Dask cluster: tiles of A x B run as tasks in the workers.

Exhaustive: B is scattered to every worker once, A is cut into blocks of
rows, and each task runs :func:`pprl.candidate_pairs` (the native kernel, one
thread) on its block against all of B.  Top-``k`` is per row of A, so
tiling A alone keeps it exact.  Blocked: A and B are scattered once and each
task runs a group of LSH tables (:mod:`.blocking`).  Either way the pieces
are merged into the canonical order, so the result is identical to the
single-machine run.

dask is imported here only, and only when a function of this module runs
(``pip install "pprl[dask]"``).
"""

from __future__ import annotations

import contextlib
import math
import re

import numpy as np

from .._validation import check_k, check_threshold, param_error
from ..errors import InputError
from . import _lsh, _runners
from ._inputs import check_backend, check_clks_pair
from ._lsh_report import BlockingReport, LSHParams, merge, warn_skipped, warn_useless
from .blocking import choose_lsh, describe
from .candidates import Candidates

__all__ = ["candidate_pairs", "lsh_candidate_pairs", "connect"]

_CONNECT_TIMEOUT = "5s"
_SPEC = re.compile(r"^(local:(?P<n>\d+)|(?P<addr>(tcp|tls|ucx|inproc)://.+))$")


def _client_of(client, func: str):
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - dask is a test/extra dependency
        raise ImportError(
            f"{func} needs dask.distributed: pip install 'pprl[dask]'"
        ) from exc
    if not isinstance(client, Client):
        raise param_error("client", func, "a dask.distributed.Client", type(client).__name__)
    return client


@contextlib.contextmanager
def connect(spec: str):
    """A Dask client for ``local:N`` or a scheduler address, closed on exit.

    ``local:N`` starts a :class:`distributed.LocalCluster` of ``N`` worker
    processes with one thread each (no dashboard) and shuts it down at the
    end; ``tcp://HOST:PORT`` (or ``tls://``) connects to a running scheduler
    -- one started by ``dask scheduler``, dask-jobqueue or dask-kubernetes --
    and gives up after 5 seconds.

    Raises
    ------
    InputError
        A spec of another form, or a scheduler that cannot be reached.
    """
    match = _SPEC.match(str(spec))
    if match is None or (match["n"] is not None and int(match["n"]) < 1):
        raise InputError(
            f"--dask must be local:N (N >= 1 worker processes) or a scheduler address "
            f"such as tcp://HOST:PORT; got {spec!r}"
        )
    from distributed import Client, LocalCluster

    if match["n"] is not None:
        with LocalCluster(n_workers=int(match["n"]), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(match["addr"], timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {match['addr']} "
            f"(no answer within {_CONNECT_TIMEOUT}: {type(exc).__name__}); check the address "
            "and that `dask scheduler` is running"
        ) from None
    try:
        yield client
    finally:
        client.close()


def _exhaustive_task(a_block, b, threshold, k, offset, backend="auto"):
    from .similarity import candidate_pairs as local

    c = local(a_block, b, threshold, k=k, backend=backend, threads=1)
    return c.a + offset, c.b, c.score


def candidate_pairs(
    client,
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    k: int | None = None,
    rows_per_task: int | None = None,
    backend: str = "auto",
) -> Candidates:
    """:func:`pprl.candidate_pairs` with blocks of rows of A as tasks on a Dask cluster.

    Parameters
    ----------
    client : distributed.Client
    a, b : ndarray of uint8, shape (n, l // 8) and (m, l // 8)
    threshold : float in [0, 1]
    k : int or None, default=None
        Best ``k`` per row of A, as in :func:`pprl.candidate_pairs`.
    rows_per_task : int or None, default=None
        Rows of A per task; None makes about four tasks per worker thread.
    backend : {"auto", "native", "numpy"}, default="auto"
        The kernel the workers use, as in :func:`pprl.candidate_pairs`.

    Returns
    -------
    Candidates
        Identical to ``pprl.candidate_pairs(a, b, threshold, k=k)``.
    """
    func = "pprl.linkage.distributed.candidate_pairs"
    client = _client_of(client, func)
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    k = check_k(k, func)
    check_backend(backend, func)
    n = a.shape[0]
    if n == 0 or b.shape[0] == 0:
        return Candidates.empty()
    if rows_per_task is None:
        slots = max(1, sum(client.nthreads().values()))
        rows_per_task = max(1, math.ceil(n / (4 * slots)))
    elif isinstance(rows_per_task, bool) or not isinstance(rows_per_task, int) \
            or rows_per_task < 1:
        raise param_error("rows_per_task", func, "a positive integer or None", rows_per_task)
    # hash=False: unique keys per call. Content-hashed keys are shared by calls that scatter
    # the same array, and one call releasing them makes the other lose its dependencies.
    b_remote = client.scatter(b, broadcast=True, hash=False)
    starts = range(0, n, rows_per_task)
    blocks = client.scatter([a[i:i + rows_per_task] for i in starts], hash=False)
    futures = [client.submit(_exhaustive_task, blk, b_remote, threshold, k, i, backend,
                             pure=False)
               for blk, i in zip(blocks, starts, strict=True)]
    parts = client.gather(futures)
    ca = np.concatenate([p[0] for p in parts])
    cb = np.concatenate([p[1] for p in parts])
    cs = np.concatenate([p[2] for p in parts])
    return Candidates.from_unsorted(ca, cb, cs)


def _lsh_task(a, b, threshold, params, tables, max_bucket_pairs, backend="auto"):
    from .similarity import popcounts

    nbits = a.shape[1] * 8
    positions = _lsh.table_positions(params.seed, params.tables, params.bits, nbits)[tables]
    part = _lsh.run_tables(a, b, _lsh.words(a), _lsh.words(b),
                           popcounts(a).astype(np.int32), popcounts(b).astype(np.int32),
                           threshold, positions, max_bucket_pairs, backend=backend)
    part["skipped"] = [(int(tables[t]), *rest) for t, *rest in part["skipped"]]
    return part


def lsh_candidate_pairs(
    client,
    a: np.ndarray,
    b: np.ndarray,
    threshold: float,
    params: LSHParams | None = None,
    target_pc: float = 0.99,
    estimate: str = "sample",
    k: int | None = None,
    rng=None,
    max_bucket_pairs: int = 50_000_000,
    tables_per_task: int | None = None,
    backend: str = "auto",
) -> tuple[Candidates, BlockingReport]:
    """:func:`pprl.linkage.blocking.lsh_candidate_pairs` with groups of tables as Dask tasks.

    The parameters are chosen here (as the single-machine function does, for
    the same ``rng``); A and B are scattered once; ``backend`` scores the
    pairs in the workers.  Returns the same candidates and report as the
    single-machine run.
    """
    func = "pprl.linkage.distributed.lsh_candidate_pairs"
    client = _client_of(client, func)
    a, b = check_clks_pair(a, b, func)
    threshold = check_threshold(threshold, func)
    k = check_k(k, func)
    check_backend(backend, func)
    if params is None:
        report = choose_lsh(a, b, threshold, target_pc, estimate, rng=rng)
        params = report.params
    elif isinstance(params, LSHParams):
        report = describe(params, a, b, threshold)
    elif isinstance(params, BlockingReport) and (params.n_a, params.n_b) == (len(a), len(b)) \
            and params.threshold == threshold:
        report, params = params, params.params  # chosen before (choose_lsh, choose_blocking)
    else:
        raise param_error("params", func, "an LSHParams, a BlockingReport of these inputs "
                          "and threshold, or None", params)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return Candidates.empty(), report
    warn_useless(report)
    if tables_per_task is None:
        slots = max(1, sum(client.nthreads().values()))
        tables_per_task = max(1, math.ceil(params.tables / (2 * slots)))
    a_remote, b_remote = client.scatter([a, b], broadcast=True, hash=False)
    groups = [np.arange(t, min(params.tables, t + tables_per_task))
              for t in range(0, params.tables, tables_per_task)]
    futures = [client.submit(_lsh_task, a_remote, b_remote, threshold, params, g,
                             max_bucket_pairs, backend, pure=False) for g in groups]
    parts = client.gather(futures)
    cands, report = merge(parts, report, k)
    warn_skipped(report, max_bucket_pairs)
    return cands, report


_runners.register("dask", candidate_pairs)  # pprl.candidate_pairs(client=) finds it here
