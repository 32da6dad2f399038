"""Places other than this process where candidate pairs can be found, registered by name.

:func:`pprl.candidate_pairs` (``client=``) looks a runner up here instead of
importing the module that provides it, so the facade never imports
:mod:`.distributed` (which imports :mod:`.blocking`, which imports the
facade): :mod:`.distributed` registers its Dask runner when it is imported,
and ``pprl.linkage`` imports it (cheaply: dask itself only when it runs).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["register", "runner"]

_RUNNERS: dict[str, Callable] = {}


def register(kind: str, fn: Callable) -> None:
    """Make ``fn(client, a, b, threshold, k=, backend=)`` the runner of ``kind``."""
    _RUNNERS[kind] = fn


def runner(kind: str, func: str) -> Callable:
    """The runner registered for ``kind``; ImportError naming ``func`` when there is none."""
    try:
        return _RUNNERS[kind]
    except KeyError:
        raise ImportError(
            f"{func} has no {kind} runner: import pprl.linkage.distributed "
            "(pip install 'pprl[dask]')"
        ) from None
