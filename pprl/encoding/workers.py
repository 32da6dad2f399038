"""Run a function over a stream of items on forked processes, results in input order.

Encoding a chunk of records is mostly Python work that holds the GIL, so
threads do not help; forked processes do, and need nothing pickled but the
items and the results (the function and its state -- schema, secret -- are
inherited at the fork and never leave the machine's memory).  The calling
process takes every ``workers``-th item itself, so ``workers=2`` keeps two
cores busy with one extra process.

The workers are forked before the items are first drawn, so before the
caller's reader threads start (forking a process with threads can copy a
held lock).  Where ``fork`` is unavailable, or ``workers <= 1``, everything
runs in the calling process.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["Outcome", "ordered_map", "available_cpus"]

_FN: Callable | None = None
_STATE: Any = None


class Outcome:
    """The result of one call, or the exception it raised (see :meth:`get`)."""

    __slots__ = ("_value", "_error")

    def __init__(self, value: Any = None, error: BaseException | None = None):
        self._value = value
        self._error = error

    def get(self) -> Any:
        """The call's return value; re-raises its exception in this process."""
        if self._error is not None:
            raise self._error
        return self._value


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _run(fn: Callable, item: Any, state: Any) -> Outcome:
    try:
        return Outcome(fn(item, state))
    except Exception as exc:  # noqa: BLE001 - handed to the caller's get()
        return Outcome(error=exc)


def _in_worker(item: Any) -> Outcome:
    out = _run(_FN, item, _STATE)
    if out._error is not None:
        try:
            pickle.dumps(out._error)
        except Exception:  # noqa: BLE001 - an exception that cannot travel back
            out = Outcome(error=RuntimeError(f"{type(out._error).__name__}: {out._error}"))
    return out


def _noop() -> int:
    return os.getpid()


def ordered_map(fn: Callable[[Any, Any], Any], items: Iterable, *, workers: int = 1,
                state: Any = None, share: bool = True) -> Iterator[tuple[Any, Outcome]]:
    """``(item, Outcome(fn(item, state)))`` for each item, in order.

    Parameters
    ----------
    fn : callable
        ``fn(item, state)``; runs in this process or a forked worker.
    items : iterable
        Drawn lazily, at most ``workers`` ahead of the consumer.
    workers : int, default 1
        Processes computing at once, this one included.
    state : object
        Passed to every call (inherited by the workers, not pickled).
    share : bool, default True
        This process computes every ``workers``-th item itself; False: it
        only hands items out (when it is busy with other work, such as
        reading the items), and ``workers`` processes are forked.

    Examples
    --------
    >>> [(i, o.get()) for i, o in ordered_map(lambda x, s: x * s, range(4), state=10)]
    [(0, 0), (1, 10), (2, 20), (3, 30)]
    """
    if workers <= 1 or sys.platform != "linux":
        for item in items:
            yield item, _run(fn, item, state)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _FN, _STATE
    _FN, _STATE = fn, state
    ahead = workers if share else workers + 1
    try:
        with ProcessPoolExecutor(workers - 1 if share else workers,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            with warnings.catch_warnings():  # Python >= 3.12 warns when a progress
                warnings.filterwarnings(      # bar's monitor thread exists; it stays
                    "ignore", message=".*fork.*", category=DeprecationWarning)  # here
                pool.submit(_noop).result()  # fork now, before iter(items) starts threads
            window: deque = deque()
            it = iter(items)
            k = 0
            done = False
            while True:
                while not done and len(window) < ahead:
                    try:
                        item = next(it)
                    except StopIteration:
                        done = True
                        break
                    mine = share and k % workers == 0
                    window.append((item, None if mine else pool.submit(_in_worker, item)))
                    k += 1
                if not window:
                    return
                item, future = window.popleft()
                yield item, (_run(fn, item, state) if future is None else future.result())
    finally:
        _FN, _STATE = None, None
