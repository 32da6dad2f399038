"""Group sizes of N-party linkage or deduplication as a Display (bars by group size)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._mpl import HATCHES, new_axes

__all__ = ["GroupSizeDisplay"]


class GroupSizeDisplay:
    """How many groups have 2, 3, 4, ... records, one hatched bar series per result.

    Parameters
    ----------
    sizes : list of ndarray of int
        The group sizes of each result (e.g. ``Groups.sizes()``).
    labels : list of str

    Examples
    --------
    >>> import pprl
    >>> g = pprl.Groups.from_lists([[(0, 1), (1, 1)], [(0, 2), (1, 0), (2, 3)]])
    >>> d = GroupSizeDisplay.from_groups(g, truth=g, labels=["greedy", "truth"])
    >>> d.counts.tolist()
    [[1, 1], [1, 1]]
    """

    ax_: Any = None
    figure_: Any = None

    def __init__(self, sizes: list[np.ndarray], labels: list[str]):
        self.sizes = [np.asarray(s, dtype=np.int64) for s in sizes]
        self.labels = list(labels)
        top = max((int(s.max()) for s in self.sizes if s.size), default=2)
        self.bins = np.arange(2, max(top, 2) + 1)
        self.counts = np.array([[int((s == b).sum()) for b in self.bins] for s in self.sizes])

    @classmethod
    def from_groups(cls, *groups, truth=None, labels=None):
        """From Groups (or DataFrames with a ``group`` column); ``truth`` adds the true entities.

        ``truth`` is Groups, or a DataFrame with an ``entity`` column (entities
        of one record are not shown, as groups of one are not).
        """
        sizes = [_sizes(g) for g in groups]
        if truth is not None:
            sizes.append(_sizes(truth))
        if labels is None:
            labels = [f"result {i + 1}" for i in range(len(groups))]
            labels += ["truth"] if truth is not None else []
        return cls(sizes, labels)

    def plot(self, ax=None, *, log: bool = True):
        """Draw the counts as grouped bars, hatched per result; returns self."""
        self.figure_, ax = new_axes(ax)
        self.ax_ = ax
        n = len(self.sizes)
        width = 0.8 / max(n, 1)
        for i, (c, lab) in enumerate(zip(self.counts, self.labels, strict=True)):
            ax.bar(self.bins + (i - (n - 1) / 2) * width, c, width, facecolor="white",
                   edgecolor="black", hatch=HATCHES[i % len(HATCHES)], label=lab)
        ax.set_xticks(self.bins)
        if log and self.counts.size and self.counts.max() > 0:
            ax.set_yscale("log")
        ax.set(xlabel="records in the group", ylabel="groups", title="Group sizes")
        ax.legend(fontsize="small")
        return self


def _sizes(obj) -> np.ndarray:
    if hasattr(obj, "sizes") and callable(obj.sizes):
        s = obj.sizes()
    else:
        col = "group" if "group" in obj.columns else "entity"
        keys = ["party", "row"] if "party" in obj.columns else ["row"]
        s = obj.drop_duplicates(keys).groupby(col).size().to_numpy()
    s = np.asarray(s, dtype=np.int64)
    return s[s >= 2]
