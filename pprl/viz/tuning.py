"""The plot of a schema search (:func:`pprl.tune`): trials, and F1 by threshold on held-out sets."""

from __future__ import annotations

import numpy as np

from ._mpl import COLORS, LINESTYLES, MARKERS, padded_limits, require_matplotlib

__all__ = ["TuneSearchDisplay"]


class TuneSearchDisplay:
    """Left: each trial's score and the best so far; right: held-out F1 by threshold.

    Parameters
    ----------
    scores : sequence of float
        Trial scores in trial order (window-averaged F1 on the tuning sets).
    grid, f1 : ndarray
        Thresholds and the validation sets' mean F1 under the chosen schema.
    threshold : float
        The chosen threshold.
    expected_f1 : float
        F1 at it on the synthetic test set.

    Examples
    --------
    >>> disp = TuneSearchDisplay.from_result(result).plot()   # doctest: +SKIP
    >>> disp.figure_.savefig("search.png")                    # doctest: +SKIP
    """

    def __init__(self, scores, grid, f1, *, threshold: float, expected_f1: float):
        self.scores = np.asarray(scores, dtype=np.float64)
        self.grid = np.asarray(grid, dtype=np.float64)
        self.f1 = np.asarray(f1, dtype=np.float64)
        self.threshold = float(threshold)
        self.expected_f1 = float(expected_f1)
        self.figure_ = None
        self.axes_ = None

    @classmethod
    def from_result(cls, result) -> TuneSearchDisplay:
        """From a :class:`pprl.TuneResult`."""
        return cls([t["score"] for t in result.trials], result.grid, result.validation_curve,
                   threshold=result.threshold, expected_f1=result.expected_f1)

    def plot(self, axes=None) -> TuneSearchDisplay:
        """Draw on two axes (new figure if ``axes`` is None); returns self."""
        plt = require_matplotlib()
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        else:
            fig = axes[0].figure
        left, right = axes
        n = np.arange(len(self.scores))
        left.plot(n, self.scores, linestyle="none", marker=MARKERS[0], markersize=3,
                  color=COLORS[4], label="trial")
        if len(self.scores):
            left.step(n, np.maximum.accumulate(self.scores), where="post",
                      linestyle=LINESTYLES[0], color=COLORS[0], label="best so far")
            lo = float(np.quantile(self.scores, 0.25))
            left.set_ylim(max(0.0, lo - 0.01), min(1.0, float(self.scores.max()) + 0.005))
        left.set_xlabel("trial")
        left.set_ylabel("F1 around the best threshold (tuning sets)")
        left.set_title("schema search")
        left.legend(loc="lower right")
        right.plot(self.grid, self.f1, linestyle=LINESTYLES[0], color=COLORS[0],
                   label="mean F1, validation sets")
        right.axvline(self.threshold, linestyle=LINESTYLES[1], color=COLORS[1],
                      label=f"threshold {self.threshold:.3f} (test F1 {self.expected_f1:.4f})")
        right.set_xlabel("Dice threshold (greedy one-to-one)")
        right.set_ylabel("F1")
        low = max(0.0, float(self.f1.max()) - 0.2) if len(self.f1) else 0.0
        right.set_ylim(low, 1.005)
        shown = self.grid[self.f1 >= low]  # the thresholds whose F1 is on the panel
        if shown.size:
            right.set_xlim(*padded_limits(np.append(shown, self.threshold), pad=0.05))
        right.set_title("threshold on held-out synthetic sets")
        right.legend(loc="best")
        self.figure_, self.axes_ = fig, axes
        return self
