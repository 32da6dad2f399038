"""The quality estimate without truth: estimated precision, recall and F1 with bands.

:class:`QualityDisplay` draws the curves of a :class:`pprl.QualityEstimate`
(``pprl.estimate_quality`` or a ``MATCHES.quality.json``) with their
intervals as bands, marks the suggested and the used threshold, and, when a
truth is given (a :class:`pprl.ThresholdCurve` from synthetic data), overlays
the true curves.  Each measure has its own colour *and* line style, so the
plot reads in black and white.  matplotlib is imported only when drawing.

Examples
--------
>>> q = pprl.estimate_quality(cands, len(a), len(b), floor=0.5)   # doctest: +SKIP
>>> QualityDisplay.from_estimate(q, true_curve=curve).plot()      # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from ..evaluation.metrics import ThresholdCurve
from ..evaluation.quality import QualityEstimate, read_quality
from ._mpl import HATCHES, LINESTYLES, new_axes

__all__ = ["QualityDisplay"]

_MEASURES = (("precision", "tab:blue", LINESTYLES[1], HATCHES[0]),
             ("recall", "tab:orange", LINESTYLES[2], HATCHES[1]),
             ("f1", "black", LINESTYLES[0], HATCHES[2]))


class QualityDisplay:
    """Estimated P/R/F1 against the threshold, with interval bands and the truth if known.

    Parameters
    ----------
    estimate : QualityEstimate
    true_curve : ThresholdCurve, optional
        The true curve (greedy solver) to overlay, from a truth.
    """

    ax_ = None
    figure_ = None

    def __init__(self, estimate: QualityEstimate, true_curve: ThresholdCurve | None = None):
        self.estimate = estimate
        self.true_curve = true_curve

    @classmethod
    def from_estimate(cls, estimate: QualityEstimate, *, true_curve: ThresholdCurve | None = None
                      ) -> QualityDisplay:
        """From :func:`pprl.estimate_quality`'s result."""
        return cls(estimate, true_curve)

    @classmethod
    def from_file(cls, path, *, true_curve: ThresholdCurve | None = None) -> QualityDisplay:
        """From a ``MATCHES.quality.json`` written by ``pprl link``."""
        return cls(read_quality(path), true_curve)

    def true_values(self) -> dict[str, np.ndarray] | None:
        """The true precision, recall and F1 on the estimate's grid (None without truth)."""
        if self.true_curve is None:
            return None
        grid = self.estimate.thresholds
        rows = [self.true_curve.at(float(t)) for t in grid]
        return {m: np.array([getattr(r, m) for r in rows]) for m, *_ in _MEASURES}

    def plot(self, ax=None, *, bands: bool = True):
        """Draw the curves, bands, thresholds and (if given) the truth; returns self."""
        self.figure_, ax = new_axes(ax, (6.5, 4.5))
        self.ax_ = ax
        q = self.estimate
        t = q.thresholds
        self.lines_ = {}
        for name, colour, style, hatch in _MEASURES:
            (self.lines_[name],) = ax.plot(t, getattr(q, name), color=colour, linestyle=style,
                                           label=f"{name} (estimated)")
            if bands:
                ax.fill_between(t, getattr(q, name + "_low"), getattr(q, name + "_high"),
                                color=colour, alpha=0.15, hatch=hatch, linewidth=0)
        true = self.true_values()
        if true is not None:
            for name, colour, _style, _hatch in _MEASURES:
                ax.plot(t, true[name], color=colour, linestyle="none", marker=".",
                        markersize=3, label=f"{name} (true)")
        ax.axvline(q.suggested_threshold, color="0.3", linestyle=LINESTYLES[3], linewidth=1,
                   label=f"suggested {q.suggested_threshold:g}")
        if q.threshold_used is not None and q.threshold_used != q.suggested_threshold:
            ax.axvline(q.threshold_used, color="0.5", linestyle=LINESTYLES[5], linewidth=1,
                       label=f"used {q.threshold_used:g}")
        title = f"Estimated linkage quality ({q.level:.0%} bands)"
        if not q.reliable:
            title += " - UNRELIABLE"
        ax.set(xlabel="Dice threshold", ylabel="precision / recall / F1", title=title,
               ylim=(-0.02, 1.02))
        ax.grid(True, color="0.85", linewidth=0.6)
        ax.legend(fontsize="x-small", loc="lower left", ncols=2)
        return self
