"""Evaluation: links and truth become metrics, curves and diagnostics.

:mod:`.metrics` computes precision, recall and F1, and whole threshold
curves; :mod:`.diagnostics` holds score histograms, pair completeness,
reduction ratio and recall by corruption kind; :mod:`.quality` estimates
precision, recall and F1 without a truth; :mod:`.groups` scores groups
(N-party links, deduplication) against a truth of records; :mod:`.explore` is the logic
behind the explorers in :mod:`pprl.viz` (no drawing here).
"""

from __future__ import annotations

from .diagnostics import (
    CorruptionRecall,
    ScoreHistogram,
    pair_completeness,
    recall_by_corruption,
    reduction_ratio,
    score_histogram,
)
from .groups import GroupMetrics, evaluate_groups
from .metrics import LinkageMetrics, ThresholdCurve, evaluate_links, threshold_curve
from .quality import QualityEstimate, estimate_quality, read_quality

__all__ = [
    "CorruptionRecall",
    "GroupMetrics",
    "evaluate_groups",
    "LinkageMetrics",
    "QualityEstimate",
    "ScoreHistogram",
    "ThresholdCurve",
    "estimate_quality",
    "evaluate_links",
    "pair_completeness",
    "recall_by_corruption",
    "read_quality",
    "reduction_ratio",
    "score_histogram",
    "threshold_curve",
]
