"""Plots and notebook widgets for pprl (needs the ``viz`` extra: ``pip install 'pprl[viz]'``).

This package is never imported by ``import pprl``.  Importing it does not
import matplotlib or ipywidgets either: they load when something is drawn
or a widget is built.

* :mod:`pprl.viz.plots` -- Display objects (``from_...(...)``, ``.plot(ax=None)``).
* :mod:`pprl.viz.privacy` -- :class:`FrontierDisplay`, the privacy-utility frontier.
* :mod:`pprl.viz.quality` -- :class:`QualityDisplay`, the quality estimated without truth.
* :mod:`pprl.viz.groups` -- :class:`GroupSizeDisplay`, group sizes of N-party linkage.
* :mod:`pprl.viz.tuning` -- :class:`TuneSearchDisplay`, the plot of a :func:`pprl.tune` search.
* :mod:`pprl.viz.widgets` -- the threshold and parameter explorers.
"""

from __future__ import annotations

from .groups import GroupSizeDisplay
from .plots import (
    CorruptionRecallDisplay,
    ParameterHeatmapDisplay,
    PopcountDisplay,
    PrecisionRecallDisplay,
    ScoreHistogramDisplay,
    ThresholdMetricsDisplay,
)
from .privacy import FrontierDisplay
from .quality import QualityDisplay
from .tuning import TuneSearchDisplay

__all__ = [
    "PrecisionRecallDisplay",
    "ThresholdMetricsDisplay",
    "ScoreHistogramDisplay",
    "ParameterHeatmapDisplay",
    "PopcountDisplay",
    "CorruptionRecallDisplay",
    "FrontierDisplay",
    "QualityDisplay",
    "TuneSearchDisplay",
    "GroupSizeDisplay",
]
