"""Plots of linkage quality as scikit-learn-style Display objects.

Each Display holds the arrays computed by :mod:`pprl.evaluation` /
:mod:`pprl.evaluation.diagnostics`; build one with a ``from_...`` class method and
draw it with ``.plot(ax=None)``, which returns the Display with ``ax_`` and
``figure_`` set.  matplotlib is imported only when drawing.  Every plot
separates its series twice: by colour from one colour-blind-safe palette
(Okabe–Ito, ``_mpl.COLORS``) and by line style, marker or hatching, so it
stays readable printed in black and white.  Axes are fitted to the data, not
to the whole range a quantity could take, and log axes label enough ticks
to read a value off.

Examples
--------
>>> from pprl.viz.plots import PrecisionRecallDisplay      # doctest: +SKIP
>>> PrecisionRecallDisplay.from_candidates(cands, truth).plot()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..bits import popcount
from ..evaluation.diagnostics import (
    CorruptionRecall,
    ScoreHistogram,
    recall_by_corruption,
    score_histogram,
)
from ..evaluation.metrics import LinkageMetrics, ThresholdCurve, threshold_curve
from ._mpl import COLORS, HATCHES, LINESTYLES, MARKERS, log_ticks, new_axes, padded_limits

__all__ = [
    "PrecisionRecallDisplay",
    "ThresholdMetricsDisplay",
    "ScoreHistogramDisplay",
    "ParameterHeatmapDisplay",
    "PopcountDisplay",
    "CorruptionRecallDisplay",
]


def _chosen(curve: ThresholdCurve, threshold: float | None) -> LinkageMetrics:
    return curve.best_f1() if threshold is None else curve.at(threshold)


def _point_label(m: LinkageMetrics) -> str:
    return f"t = {m.threshold:.3f} (F1 {m.f1:.3f})"


def _plain_ticks(axis) -> None:
    """Label a log axis 1, 10, 1,000, ... in plain text.

    Mathtext labels cost a parse on every redraw, which dominates a widget update.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


class _Display:
    ax_: Any = None
    figure_: Any = None

    def _axes(self, ax, figsize=(5.5, 4.0)):
        self.figure_, self.ax_ = new_axes(ax, figsize)
        return self.ax_


class PrecisionRecallDisplay(_Display):
    """Precision against recall over every threshold, with one operating point marked.

    Parameters
    ----------
    precision, recall : ndarray of float, shape (m,)
        In threshold order, highest threshold first.
    chosen : LinkageMetrics, optional
        The point to mark (e.g. the best-F1 threshold).
    """

    def __init__(self, precision, recall, *, chosen: LinkageMetrics | None = None):
        self.precision = np.asarray(precision, dtype=float)
        self.recall = np.asarray(recall, dtype=float)
        self.chosen = chosen

    @classmethod
    def from_curve(cls, curve: ThresholdCurve, *, threshold: float | None = None):
        """From a labelled :class:`~pprl.evaluation.ThresholdCurve`.

        Marks ``threshold`` (default: the best-F1 threshold).
        """
        return cls(curve.precision, curve.recall, chosen=_chosen(curve, threshold))

    @classmethod
    def from_candidates(cls, candidates, truth, *, solver="none", threshold=None):
        """From scored candidates and the truth (see :func:`~pprl.threshold_curve`)."""
        return cls.from_curve(threshold_curve(candidates, truth, solver=solver),
                              threshold=threshold)

    def plot(self, ax=None, *, label: str | None = None, style: int = 0):
        """Draw the curve; ``style`` picks the line style and marker (for overlays)."""
        ax = self._axes(ax)
        ls = LINESTYLES[style % len(LINESTYLES)]
        color = COLORS[style % len(COLORS)]
        (self.line_,) = ax.step(self.recall, self.precision, where="post", color=color,
                                linestyle=ls, linewidth=1.5, label=label)
        self.marker_ = None
        if self.chosen is not None:
            c = self.chosen
            (self.marker_,) = ax.plot(
                [c.recall], [c.precision], marker=MARKERS[style % len(MARKERS)], markersize=7,
                color=color, markerfacecolor="white", markeredgewidth=1.5, linestyle="none",
                label=_point_label(c) if c.threshold is not None else None)
        # fitted to every curve drawn on these axes so far (overlays share the limits)
        xs = np.concatenate([ln.get_xdata() for ln in ax.lines if len(ln.get_xdata())])
        ys = np.concatenate([ln.get_ydata() for ln in ax.lines if len(ln.get_ydata())])
        ax.set(xlabel="recall (of all true pairs)", ylabel="precision",
               xlim=padded_limits(xs, lo=0.0, hi=1.0), ylim=padded_limits(ys, lo=0.0, hi=1.0),
               title="Precision / recall")
        ax.grid(True, color="0.85", linewidth=0.6)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(loc="lower left", fontsize="small")
        return self


class ThresholdMetricsDisplay(_Display):
    """Precision, recall and F1 against the threshold, the chosen threshold marked.

    Optionally the number of pairs kept, on a log-scale second axis.
    """

    def __init__(self, curve: ThresholdCurve, *, threshold: float | None = None):
        curve._labelled()  # raises for a label-free curve
        self.curve = curve
        self.chosen = _chosen(curve, threshold)

    @classmethod
    def from_curve(cls, curve: ThresholdCurve, *, threshold: float | None = None):
        """From a labelled curve; ``threshold`` defaults to the best-F1 threshold."""
        return cls(curve, threshold=threshold)

    @classmethod
    def from_candidates(cls, candidates, truth, *, solver="none", threshold=None):
        """From scored candidates and the truth."""
        return cls(threshold_curve(candidates, truth, solver=solver), threshold=threshold)

    def plot(self, ax=None, *, show_size: bool = True):
        """Draw the three metrics (solid, dashed, dotted) and the threshold (vertical line)."""
        ax = self._axes(ax, figsize=(6.0, 4.0))
        c = self.curve
        t = c.thresholds
        self.lines_ = []
        for i, (y, name) in enumerate(((c.precision, "precision"), (c.recall, "recall"),
                                       (c.f1, "F1"))):
            (line,) = ax.step(t, y, where="post", color=COLORS[i], linestyle=LINESTYLES[i],
                              label=name, linewidth=2.0 if name == "F1" else 1.5)
            self.lines_.append(line)
        if self.chosen.threshold is not None:
            self.vline_ = ax.axvline(self.chosen.threshold, color="0.35", linewidth=2.5,
                                     alpha=0.45, linestyle="-",
                                     label=f"threshold {self.chosen.threshold:.3f}")
        ax.set(xlabel="Dice threshold (link pairs with score ≥ t)", ylabel="metric",
               ylim=(-0.02, 1.02), title="Quality against threshold")
        if len(t):
            ax.set_xlim(max(0.0, float(t.min()) - 0.02), min(1.0, float(t.max()) + 0.02))
        ax.grid(True, color="0.85", linewidth=0.6)
        handles, labels = ax.get_legend_handles_labels()
        if show_size and len(t):
            self.size_ax_ = ax.twinx()
            kept = np.maximum(c.n_pairs, 1)
            (sl,) = self.size_ax_.step(t, kept, where="post", color=COLORS[3],
                                       linestyle=LINESTYLES[3], linewidth=1.3,
                                       label="pairs kept (right, log)")
            self.size_ax_.set_yscale("log")
            log_ticks(self.size_ax_.yaxis, float(kept.min()), float(kept.max()))
            self.size_ax_.set_ylabel("pairs kept (log scale)", color=COLORS[3])
            self.size_ax_.tick_params(axis="y", colors=COLORS[3])
            handles.append(sl)
            labels.append(sl.get_label())
        ax.legend(handles, labels, loc="best", fontsize="small")
        return self


class ScoreHistogramDisplay(_Display):
    """Score histogram; true matches and non-matches hatched differently when known."""

    def __init__(self, hist: ScoreHistogram, *, threshold: float | None = None):
        self.hist = hist
        self.threshold = threshold

    @classmethod
    def from_histogram(cls, hist: ScoreHistogram, *, threshold: float | None = None):
        """From a :class:`~pprl.evaluation.ScoreHistogram`; marks ``threshold`` if given."""
        return cls(hist, threshold=threshold)

    @classmethod
    def from_scores(cls, scores, truth=None, *, bins=50, range=(0.0, 1.0),  # noqa: A002
                    threshold: float | None = None):
        """From candidates or a Dice matrix (see :func:`~pprl.score_histogram`)."""
        return cls(score_histogram(scores, truth, bins=bins, range=range), threshold=threshold)

    def plot(self, ax=None, *, log: bool = True, label_prefix: str = ""):
        """Draw stacked outlines: non-matches hatched ``////``, matches filled grey."""
        ax = self._axes(ax)
        h = self.hist
        if h.match_counts is None:
            self.artists_ = [ax.stairs(h.counts, h.edges, fill=True, facecolor=COLORS[5],
                                       edgecolor=COLORS[0], alpha=0.8,
                                       label=f"{label_prefix}all pairs")]
        else:
            self.artists_ = [
                ax.stairs(h.nonmatch_counts, h.edges, fill=True, facecolor="white",
                          edgecolor=COLORS[0], hatch=HATCHES[0],
                          label=f"{label_prefix}non-matches"),
                ax.stairs(h.match_counts, h.edges, fill=True, facecolor=COLORS[1],
                          edgecolor="black", alpha=0.75, label=f"{label_prefix}true matches"),
            ]
        self.vline_ = None
        if self.threshold is not None:
            self.vline_ = ax.axvline(self.threshold, color="black", linestyle="--",
                                     linewidth=1.2, label=f"threshold {self.threshold:.3f}")
        filled = np.flatnonzero(np.asarray(h.counts) > 0)  # the bins that hold pairs
        if filled.size:
            edges = np.asarray(h.edges, dtype=float)
            shown = [edges[filled[0]], edges[filled[-1] + 1]]
            if self.threshold is not None:
                shown.append(self.threshold)
            ax.set_xlim(*padded_limits(shown, pad=0.03))
        top = float(np.max(h.counts, initial=0))
        if log:
            ax.set_yscale("symlog", linthresh=1)
            _plain_ticks(ax.yaxis)
            ax.set_ylim(0, max(top, 1) * 6)  # headroom above the tallest bar for the legend
        else:
            ax.set_ylim(0, max(top, 1) * 1.15)
        ax.set(xlabel="Dice score", ylabel="pairs" + (" (log scale)" if log else ""),
               title="Score distribution")
        ax.legend(loc="best", fontsize="small")
        return self


class ParameterHeatmapDisplay(_Display):
    """A grid of values (e.g. best F1) over two encoding parameters, in grey with numbers."""

    def __init__(self, values, x_values, y_values, *, x_label: str, y_label: str,
                 value_label: str = "best F1"):
        self.values = np.asarray(values, dtype=float)
        self.x_values = list(x_values)
        self.y_values = list(y_values)
        if self.values.shape != (len(self.y_values), len(self.x_values)):
            raise ValueError(f"values must have shape (len(y_values), len(x_values)) = "
                             f"{(len(self.y_values), len(self.x_values))}; got "
                             f"{self.values.shape}")
        self.x_label, self.y_label, self.value_label = x_label, y_label, value_label

    @classmethod
    def from_frame(cls, df, *, x: str, y: str, value: str = "f1"):
        """From a long table with one row per (x, y) setting and a ``value`` column."""
        grid = df.pivot_table(index=y, columns=x, values=value, aggfunc="max")
        return cls(grid.to_numpy(), grid.columns, grid.index, x_label=x, y_label=y,
                   value_label=value)

    def plot(self, ax=None, *, fmt: str = ".3f", cmap: str = "Greys"):
        """Draw the grid in grey, each cell labelled with its value (``fmt``), and a colour bar."""
        ax = self._axes(ax)
        v = self.values
        finite = v[np.isfinite(v)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.image_ = ax.imshow(v, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1e-9,
                                origin="lower", aspect="auto")
        mid = (lo + hi) / 2
        for (i, j), val in np.ndenumerate(v):
            if np.isfinite(val):
                ax.text(j, i, format(val, fmt), ha="center", va="center", fontsize="small",
                        color="white" if val > mid else "black")
        ax.set_xticks(range(len(self.x_values)), [str(x) for x in self.x_values])
        ax.set_yticks(range(len(self.y_values)), [str(y) for y in self.y_values])
        ax.set(xlabel=self.x_label, ylabel=self.y_label,
               title=f"{self.value_label} by {self.x_label} and {self.y_label}")
        self.colorbar_ = self.figure_.colorbar(self.image_, ax=ax, label=self.value_label)
        return self


class PopcountDisplay(_Display):
    """Histogram of bits set per CLK, one outline per party."""

    def __init__(self, counts: list[np.ndarray], labels: list[str], n_bits: int):
        self.counts = [np.asarray(c) for c in counts]
        self.labels = list(labels)
        self.n_bits = int(n_bits)

    @classmethod
    def from_clks(cls, *clks, labels=None):
        """From one or more CLK arrays of equal length (uint8, shape (n, l // 8))."""
        if not clks:
            raise ValueError("PopcountDisplay.from_clks needs at least one CLK array")
        labels = labels or [f"party {chr(65 + i)}" for i in range(len(clks))]
        return cls([popcount(c) for c in clks], labels, clks[0].shape[1] * 8)

    def plot(self, ax=None, *, bins: int = 40):
        """Draw each party's popcount histogram as an outline, one line style per party."""
        ax = self._axes(ax)
        hi = max((int(c.max()) for c in self.counts if c.size), default=1)
        lo = min((int(c.min()) for c in self.counts if c.size), default=0)
        edges = np.linspace(lo, hi + 1, bins + 1)  # the observed range, not 0 .. l
        for i, (c, lab) in enumerate(zip(self.counts, self.labels, strict=True)):
            n, _ = np.histogram(c, bins=edges)
            ax.stairs(n, edges, color=COLORS[i % len(COLORS)],
                      linestyle=LINESTYLES[i % len(LINESTYLES)], linewidth=1.5,
                      label=f"{lab} (mean {c.mean():.0f})" if c.size else lab)
        ax.set(xlabel=f"bits set (of {self.n_bits})", ylabel="CLKs",
               title="Popcount of CLKs")
        ax.legend(fontsize="small")
        return self


class CorruptionRecallDisplay(_Display):
    """Recall by corruption kind as hatched horizontal bars, each labelled found / total."""

    def __init__(self, result: CorruptionRecall):
        self.result = result

    @classmethod
    def from_result(cls, result: CorruptionRecall):
        """From a :class:`~pprl.evaluation.CorruptionRecall`."""
        return cls(result)

    @classmethod
    def from_links(cls, links, truth, corruptions, *, parties=("a", "b")):
        """From links, the truth and the synthetic corruption log."""
        return cls(recall_by_corruption(links, truth, corruptions, parties=parties))

    def plot(self, ax=None):
        """Draw one bar per corruption kind: recall, labelled found/true pairs."""
        r = self.result
        ax = self._axes(ax, figsize=(5.5, 0.5 + 0.35 * max(len(r.kinds), 2)))
        y = np.arange(len(r.kinds))
        self.bars_ = ax.barh(y, r.recall, color=COLORS[5], edgecolor=COLORS[0],
                             hatch=HATCHES[0], alpha=0.85)
        for yi, rec, f, n in zip(y, r.recall, r.n_found, r.n_pairs, strict=True):
            ax.text(min(rec, 1.0) + 0.01, yi, f"{f}/{n}", va="center", fontsize="small")
        ax.set_yticks(y, list(r.kinds))
        ax.set(xlim=(0, 1.15), xlabel="recall of true pairs with this corruption",
               title="Recall by corruption kind")
        ax.invert_yaxis()
        return self
