"""Lazy matplotlib import with an install hint, and black-and-white styles."""

from __future__ import annotations

__all__ = ["require_matplotlib", "new_axes", "LINESTYLES", "MARKERS", "HATCHES"]

# Distinguishable in black and white: line style, marker and hatch, not colour.
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "x")
HATCHES = ("////", "....", "\\\\\\\\", "xxxx", "oo", "--")


def require_matplotlib():
    """Import and return ``matplotlib.pyplot``, or raise an ImportError that says what to do."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised with matplotlib missing
        raise ImportError(
            "pprl.viz needs matplotlib, which is not installed. "
            "Install the plotting extra: pip install 'pprl[viz]'"
        ) from exc
    return plt


def new_axes(ax=None, figsize=(5.5, 4.0)):
    """Return ``(figure, axes)``: the given axes' figure, or a new figure."""
    plt = require_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax
