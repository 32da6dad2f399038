"""Progress of an attack: a tqdm bar, the caller's own progress object, or nothing."""

from __future__ import annotations

__all__ = ["open_bar", "close_bar"]


def open_bar(progress: object, total: int, desc: str):
    """The bar to update, or None.

    ``progress`` is ``False``/``None`` (no bar), ``True`` (a tqdm bar; terminal
    or notebook) or any object with tqdm's ``reset(total=)``, ``update(n)``
    and ``close()`` (the command line passes one that prints a status line
    now and then when stderr is not a terminal); the caller closes its own.
    """
    if progress is None or progress is False:
        return None
    if progress is True:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=desc, unit="step", leave=False)
    progress.reset(total=total)
    return progress


def close_bar(bar, progress: object) -> None:
    """Close ``bar`` if the attack opened it."""
    if bar is not None and progress is True:
        bar.close()
