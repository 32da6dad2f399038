"""Tuning without seeing the data: a schema and threshold chosen on synthetic people.

* :func:`tune` -- search per-column comparisons, weights and the CLK length
  with optuna on synthetic sets made from a column description, and choose
  the threshold for the expected overlap on sets it never tuned on.
* :class:`CorruptionProfile` -- what the user knows of the data's quality.

optuna is imported only when :func:`tune` runs.
"""

from __future__ import annotations

from .profile import DEFAULT_PROFILE, CorruptionProfile
from .search import TuneResult, tune

__all__ = ["tune", "TuneResult", "CorruptionProfile", "DEFAULT_PROFILE"]
