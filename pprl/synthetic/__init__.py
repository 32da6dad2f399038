"""Synthetic people with realistic errors and exact ground truth.

* :func:`make_dataset` -- multi-party data sets with overlap, duplicates,
  truth, a log of every corruption and a manifest; :func:`read_dataset`.
* :class:`ColumnSpec` -- a column description (user column names -> kinds), so
  :func:`make_dataset` can write the user's columns.
* :func:`make_people` -- clean person records (faker value pools, numpy sampling).
* :class:`CorruptionConfig` and :func:`corrupt` -- composable corruptors applied
  per field with configurable probabilities.

Everything is driven by a caller-seeded ``numpy.random.Generator``; faker is
imported lazily, only when value pools are first built.
"""

from __future__ import annotations

from .columns import COLUMN_KINDS, ColumnSpec
from .config import CorruptionConfig, CorruptionConfigError
from .corruptors import CORRUPTORS, FIELD_KINDS, RECORD_KINDS, Corruptor
from .dataset import SyntheticDataset, read_dataset
from .generate import LOCALES, PERSON_COLUMNS, make_people
from .make import Duplicates, make_dataset
from .pipeline import corrupt

__all__ = [
    "PERSON_COLUMNS",
    "LOCALES",
    "make_people",
    "make_dataset",
    "read_dataset",
    "SyntheticDataset",
    "Duplicates",
    "CorruptionConfig",
    "CorruptionConfigError",
    "corrupt",
    "Corruptor",
    "CORRUPTORS",
    "COLUMN_KINDS",
    "ColumnSpec",
    "FIELD_KINDS",
    "RECORD_KINDS",
]
