"""Lazy imports of the plotting extra with an install hint, and the one palette and styles.

Every series is told apart twice: by colour, from the Okabe–Ito palette
(distinguishable with the common colour-vision deficiencies), and by line
style, marker or hatch (so a black-and-white print still reads).  Series
``i`` of any plot takes ``COLORS[i]``, ``LINESTYLES[i]`` and ``MARKERS[i]``
(:func:`series`), so the same quantity looks the same across plots.
"""

from __future__ import annotations

import math

__all__ = ["require_matplotlib", "require_widgets", "new_axes", "LINESTYLES", "MARKERS",
           "HATCHES", "COLORS", "OKABE_ITO", "series", "log_ticks", "padded_limits",
           "place_labels"]

#: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), by name
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9",
    "bluish green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish purple": "#CC79A7",
}
#: series colours in order (yellow, faint on white, is left out)
COLORS = tuple(OKABE_ITO[c] for c in ("blue", "vermillion", "bluish green", "reddish purple",
                                      "orange", "sky blue", "black"))
# ... and the same series told apart without colour: line style, marker and hatch.
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (3, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "x", "P")
HATCHES = ("////", "....", "\\\\\\\\", "xxxx", "oo", "--", "++")


def series(i: int) -> dict:
    """Colour and line style of series ``i`` (keyword arguments for ``ax.plot``)."""
    return {"color": COLORS[i % len(COLORS)], "linestyle": LINESTYLES[i % len(LINESTYLES)]}


def log_ticks(axis, lo: float, hi: float) -> None:
    """Readable ticks on a log ``axis`` whose data spans ``lo .. hi``.

    Within about a decade the ticks are 1, 1.5, 2, 3, 5, 7 times powers of
    ten; up to three decades 1, 2, 5; beyond, powers of ten.  Labels are plain
    numbers with thousands separators (no mathtext, which costs a parse on
    every redraw of a widget).
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = max(float(lo), 1e-12), max(float(hi), 1e-12)
    decades = math.log10(hi / lo) if hi > lo else 0.0
    subs = ((1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if decades < 1.3
            else (1.0, 2.0, 5.0) if decades <= 3.5 else (1.0,))
    axis.set_major_locator(LogLocator(base=10, subs=subs, numticks=40))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(range(1, 10)), numticks=40))
    axis.set_minor_formatter(NullFormatter())


def padded_limits(values, *, lo: float | None = None, hi: float | None = None,
                  pad: float = 0.04, least_span: float = 0.05) -> tuple[float, float]:
    """Axis limits around the finite ``values`` (clipped to ``lo .. hi``), with a margin.

    So a panel spends its area on the data rather than on an empty range.
    """
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return (0.0 if lo is None else lo, 1.0 if hi is None else hi)
    a, b = float(v.min()), float(v.max())
    if b - a < least_span:
        mid = (a + b) / 2
        a, b = mid - least_span / 2, mid + least_span / 2
    margin = pad * (b - a)
    a, b = a - margin, b + margin
    if lo is not None:
        a = max(a, lo - margin)
    if hi is not None:
        b = min(b, hi + margin)
    return a, b


def place_labels(ax, x, y, labels, *, fontsize="x-small") -> list:
    """Write ``labels`` beside the points ``(x, y)`` so that no two labels overlap.

    Points that fall on the same spot share one label (names joined by
    commas).  Each label tries offsets around its point in turn (right,
    above, left, below, then further out) and takes the first whose box
    overlaps no label placed before and no point, and stays inside the axes;
    a label placed away from its point gets a thin leader line.  Returns the
    text artists.  (A greedy search: enough for the dozen points of a frontier;
    adjustText would be the library for hundreds.)
    """
    import numpy as np

    fig = ax.figure
    fig.canvas.draw()  # layout and limits settled, so display coordinates are final
    renderer = fig.canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([x, y]))
    groups: list[list[int]] = []
    for i, p in enumerate(pts):  # points within 6 pixels share a label
        for g in groups:
            if np.hypot(*(pts[g[0]] - p)) < 6:
                g.append(i)
                break
        else:
            groups.append([i])
    from matplotlib.transforms import Bbox

    frame = ax.get_window_extent(renderer)
    offsets = [(6, 2), (6, -10), (-6, 2), (-6, -10), (0, 9), (0, -17)]
    for r in (22, 36, 52, 70):  # further out, with a leader line: right first, then around
        offsets += [(r, 0), (r, r // 2), (r, -r // 2 - 8), (0, r), (0, -r - 8),
                    (-r, 0), (-r, r // 2), (-r, -r // 2 - 8), (r // 2, r), (r // 2, -r - 8)]
    dots = [Bbox.from_extents(px - 5, py - 5, px + 5, py + 5) for px, py in pts]
    placed, texts = [], []
    for g in sorted(groups, key=lambda g: -pts[g[0]][1]):
        name = ", ".join(str(labels[i]) for i in g)
        xy = (float(np.asarray(x)[g[0]]), float(np.asarray(y)[g[0]]))
        best = None
        for dx, dy in offsets:
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            t = ax.annotate(name, xy, textcoords="offset points", xytext=(dx, dy),
                            fontsize=fontsize, ha=ha)
            box = t.get_window_extent(renderer).expanded(1.05, 1.15)
            inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in placed + dots):
                best = (t, box, (dx, dy))
                break
            t.remove()
        if best is None:  # nowhere free: the first spot, on top (rare)
            t = ax.annotate(name, xy, textcoords="offset points", xytext=offsets[0],
                            fontsize=fontsize)
            best = (t, t.get_window_extent(renderer), offsets[0])
        t, box, (dx, dy) = best
        if abs(dx) > 12 or abs(dy) > 18:
            t.remove()
            t = ax.annotate(name, xy, textcoords="offset points", xytext=(dx, dy),
                            fontsize=fontsize, ha=t.get_ha(),
                            arrowprops={"arrowstyle": "-", "color": "0.5", "linewidth": 0.6,
                                        "shrinkA": 0, "shrinkB": 3})
        placed.append(box)
        texts.append(t)
    return texts


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
