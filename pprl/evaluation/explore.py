"""The logic behind the notebook explorers, in plain functions (no plotting, no widgets).

:mod:`pprl.viz.widgets` only wires sliders to what is here, so everything an
explorer computes is unit-tested directly.

* Threshold explorer (this module): :func:`threshold_summary` -- what linking
  at one threshold gives (confusion counts with and without one-to-one
  matching, candidate-set size).
* Parameter explorer: the knobs (:class:`EncodingParams`,
  :func:`apply_params`, in :mod:`.params`) and :class:`ExplorerModel` (in
  :mod:`.explorer`), which re-encodes a synthetic sample and evaluates it,
  caching each feature's Bloom filters so a slider move re-hashes only what
  changed; with an attack it also reads out re-identification.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_threshold
from .explorer import ExplorerModel, ExplorerResult, matrix_curve, parameter_grid
from .metrics import LinkageMetrics, ThresholdCurve
from .params import EncodingParams, _text_features, apply_params, hashed_features

__all__ = [
    "ThresholdSummary",
    "threshold_summary",
    "EncodingParams",
    "apply_params",
    "hashed_features",
    "ExplorerResult",
    "ExplorerModel",
    "matrix_curve",
    "parameter_grid",
]

_text_features = _text_features  # re-exported for the tests


# --- threshold explorer ---------------------------------------------------------


@dataclass(frozen=True)
class ThresholdSummary:
    """Linking at one threshold.

    Attributes
    ----------
    threshold : float
    links : LinkageMetrics
        Every candidate with ``score >= threshold`` taken as a link.
    n_candidates : int
        Candidate-set size at the threshold (the cost side).
    greedy : LinkageMetrics or None
        Greedy one-to-one matching of those candidates, when its curve is given.
    """

    threshold: float
    links: LinkageMetrics
    n_candidates: int
    greedy: LinkageMetrics | None = None

    def rows(self) -> list[tuple[str, str, str]]:
        """Table rows ``(quantity, all candidates, greedy 1-1)`` as strings."""
        g = self.greedy
        out = []
        for name in ("n_matches", "tp", "fp", "fn", "precision", "recall", "f1"):
            vals = [getattr(self.links, name)] + ([getattr(g, name)] if g else [None])
            out.append((name, *("" if v is None else
                                (f"{v:.3f}" if isinstance(v, float) else str(v))
                                for v in vals)))
        return out

    def to_html(self) -> str:
        """A small HTML table of :meth:`rows` for a notebook."""
        head = "<tr><th></th><th>all candidates</th><th>greedy 1-1</th></tr>"
        body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>"
                       for a, b, c in self.rows())
        return (f"<b>threshold {self.threshold:.3f}</b> &middot; candidate set: "
                f"{self.n_candidates:,} pairs<table>{head}{body}</table>")


def threshold_summary(
    curve: ThresholdCurve, threshold: float, greedy_curve: ThresholdCurve | None = None
) -> ThresholdSummary:
    """What linking at ``threshold`` gives, read off precomputed curves in O(log n).

    Parameters
    ----------
    curve : ThresholdCurve
        Labelled curve of all candidates (``solver="none"``).
    threshold : float
    greedy_curve : ThresholdCurve, optional
        Labelled curve with ``solver="greedy"`` for the same candidates.

    Returns
    -------
    ThresholdSummary
    """
    threshold = check_threshold(threshold, "threshold_summary")
    links = curve.at(threshold)
    greedy = greedy_curve.at(threshold) if greedy_curve is not None else None
    return ThresholdSummary(threshold, links, links.n_matches, greedy)
