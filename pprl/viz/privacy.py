"""Privacy plots: the privacy-utility frontier.

:class:`FrontierDisplay` plots linkage F1 against an attack's
re-identification rate, one point per hardening setting, and joins the
Pareto-optimal settings (no other setting has higher F1 *and* lower
re-identification).  matplotlib is imported only when drawing.

Examples
--------
>>> from pprl import frontier                              # doctest: +SKIP
>>> FrontierDisplay.from_frontier(frontier()).plot()       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..privacy.frontier import FrontierResult, pareto_mask
from ._mpl import COLORS, new_axes, place_labels

__all__ = ["FrontierDisplay"]


class FrontierDisplay:
    """F1 against re-identification rate, one point per setting, the Pareto front joined.

    Parameters
    ----------
    f1, reidentification : array-like of float, shape (m,)
    labels : sequence of str, length m
        Setting names, written next to the points.
    pareto : array-like of bool, optional
        Which points are on the front; computed from the two axes if omitted.
    attack : str, default="graph attack"
        Named on the x axis.
    """

    ax_ = None
    figure_ = None

    def __init__(self, f1, reidentification, labels: Sequence[str], *, pareto=None,
                 attack: str = "graph attack"):
        self.f1 = np.asarray(f1, dtype=float)
        self.reidentification = np.asarray(reidentification, dtype=float)
        self.labels = list(labels)
        self.pareto = (pareto_mask(self.f1, self.reidentification) if pareto is None
                       else np.asarray(pareto, dtype=bool))
        self.attack = attack

    @classmethod
    def from_frontier(cls, result: FrontierResult, *, attack: str = "graph attack"):
        """From the result of :func:`pprl.frontier`."""
        t = result.table
        return cls(t["f1"], t["reidentification"], t["setting"].tolist(),
                   pareto=t["pareto"], attack=attack)

    def plot(self, ax=None, *, annotate: bool = True):
        """Draw the points (front filled, others hollow) and the front as a step line."""
        self.figure_, ax = new_axes(ax, (6.0, 4.5))
        self.ax_ = ax
        on = self.pareto
        self.points_ = ax.scatter(self.reidentification[~on], self.f1[~on], marker="o", s=36,
                                  facecolors="white", edgecolors=COLORS[0], linewidths=1.3,
                                  label="dominated setting", zorder=3)
        self.front_points_ = ax.scatter(self.reidentification[on], self.f1[on], marker="s",
                                        s=36, color=COLORS[1], label="Pareto front", zorder=3)
        order = np.argsort(self.reidentification[on], kind="stable")
        (self.front_,) = ax.step(self.reidentification[on][order], self.f1[on][order],
                                 where="post", color=COLORS[1], linestyle="--", linewidth=1.2)
        ax.set(xlabel=f"re-identified by the {self.attack} (fraction of records)",
               ylabel="linkage F1 (best threshold)",
               title="Privacy-utility frontier (up and left is better)")
        ax.set_xlim(-0.03, max(1.0, float(self.reidentification.max(initial=0))) + 0.03)
        lo = float(self.f1.min(initial=1.0))
        ax.set_ylim(lo - 0.12 * max(1.0 - lo, 0.01), 1.0 + 0.12 * max(1.0 - lo, 0.01))
        ax.grid(True, color="0.85", linewidth=0.6)
        ax.legend(loc="lower right", fontsize="small")
        self.labels_ = (place_labels(ax, self.reidentification, self.f1, self.labels)
                        if annotate else [])
        return self
