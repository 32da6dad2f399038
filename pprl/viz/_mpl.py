"""Lazy imports of the plotting extra with an install hint, and black-and-white styles."""

from __future__ import annotations

__all__ = ["require_matplotlib", "require_widgets", "new_axes", "LINESTYLES", "MARKERS", "HATCHES"]

# Distinguishable in black and white: line style, marker and hatch, not colour.
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "x")
HATCHES = ("////", "....", "\\\\\\\\", "xxxx", "oo", "--")


def _require(module: str, who_needs: str):
    """Import ``module`` or raise an ImportError that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised with the extra missing
        raise ImportError(
            f"{who_needs} {module.split('.')[0]}, which is not installed. "
            "Install the plotting extra: pip install 'pprl[viz]'"
        ) from exc


def require_matplotlib():
    """Import and return ``matplotlib.pyplot``, or raise an ImportError that says what to do."""
    return _require("matplotlib.pyplot", "pprl.viz needs")


def require_widgets():
    """Import and return ``ipywidgets``, or raise an ImportError that says what to do."""
    return _require("ipywidgets", "The pprl explorers need")


def new_axes(ax=None, figsize=(5.5, 4.0)):
    """Return ``(figure, axes)``: the given axes' figure, or a new figure."""
    plt = require_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax
