"""True matches *under* the candidate floor, from a bounded sample of full rows.

The candidates stop at the floor, so a true pair scoring below it is never
seen; recall's denominator still counts it.  A seeded sample of ``s``
records of A is compared with *all* of B (top 2 per record, ``s * n_b``
comparisons, bounded by ``sample_pairs``) through the same kernel
(:func:`pprl.candidate_pairs` with ``k=2``).  For each sampled record its
best score ``s1`` and second best ``s2`` are then known at any score:

* records whose ``s1`` clearly beats every non-match (above the 99th
  percentile of linked records' best *other* score) are matched; their
  ``s2`` is a draw of "a record's best non-match score", ``H``;
* a sampled record whose best score is under the floor either has a true
  partner under the floor (``x`` of them) or has none (``u``), in which
  case its best score is a draw from ``H``.  Below ``H``'s median true
  matches are assumed absent, so ``u`` is the records there divided by
  ``1/2``, and ``x = n_lo - u * H(< floor)``; with ``y`` sampled records
  truly linked above the floor (from the main estimate) the share under the
  floor is ``x / (x + y)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["below_floor_share", "duplicate_share", "sample_rows"]

#: the sample is never smaller than this (unless A is)
MIN_SAMPLE = 200


def sample_rows(n_a: int, n_b: int, sample_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """A seeded sample of rows of A to compare with all of B (``sample_pairs`` comparisons)."""
    s = int(min(n_a, max(MIN_SAMPLE, sample_pairs // max(n_b, 1))))
    return np.sort(rng.choice(n_a, size=s, replace=False)) if s < n_a else np.arange(n_a)


def below_floor_share(s1: np.ndarray, s2: np.ndarray, n_a: int, floor: float,
                      other: np.ndarray, tp_floor: float, rng: np.random.Generator,
                      n_bootstrap: int = 0) -> tuple[float, np.ndarray, dict]:
    """Estimated share of true matches scoring under ``floor``, its bootstrap, the sample.

    ``s1``, ``s2``: the best and second-best score of each sampled record of
    A against all of B.  The bootstrap (``n_bootstrap`` resamples of the
    sampled records) gives the share's sampling error to the intervals of
    :func:`estimate_quality`.
    """
    s = len(s1)
    if s == 0 or floor <= 0.0:
        return 0.0, np.zeros(n_bootstrap), {"below_floor_sample": s}
    finite = other[np.isfinite(other)]
    clear = float(np.quantile(finite, 0.99)) if len(finite) else floor
    matched = s1 > max(clear, floor)
    info = {"below_floor_sample": s, "below_floor_clear": round(clear, 6)}
    if matched.sum() < 20:
        info["below_floor_note"] = "too few clear matches in the sample to measure it"
        return 0.0, np.zeros(n_bootstrap), info
    y = tp_floor * s / max(n_a, 1)
    share = _share(s1, s2, matched, floor, y)
    boot = np.empty(n_bootstrap)
    for i in range(n_bootstrap):
        j = rng.integers(0, s, s)
        boot[i] = _share(s1[j], s2[j], matched[j], floor, y)
    info["below_floor_records"] = round(share * tp_floor / max(1.0 - share, 1e-9), 1)
    return share, boot, info


def _share(s1, s2, matched, floor: float, y: float) -> float:
    s = len(s1)
    null = s2[matched]
    if len(null) == 0:
        return 0.0
    h_lo = float(np.mean(null < floor))
    n_lo = float(np.sum(s1 < floor))
    # unmatched records: their best score is a draw from the null; count them where
    # true matches are absent (below the null's median) and scale up
    median = float(np.median(null))
    u = float(np.sum(s1 < median)) / max(float(np.mean(null < median)), 1e-9)
    x = min(max(n_lo - u * h_lo, 0.0), float(s))
    return float(x / (x + y)) if x + y > 0 else 0.0


def duplicate_share(x: np.ndarray, threshold: float, sample_pairs: int,
                    rng: np.random.Generator) -> tuple[float, int]:
    """Share of a seeded sample of ``x``'s records with another record of ``x`` at ``>= threshold``.

    The estimate assumes one record per person in each file; a record with a
    likely duplicate in its own file (a score as high as a likely true link)
    breaks it.  ``sample_pairs`` bounds the comparisons.  Returns the share and
    the sample size.
    """
    from ..linkage.similarity import candidate_pairs

    n = x.shape[0]
    if n < 2:
        return 0.0, 0
    s = int(min(n, max(MIN_SAMPLE, sample_pairs // n)))
    rows = np.sort(rng.choice(n, size=s, replace=False))
    top = candidate_pairs(x[rows], x, threshold, k=2, progress=False)
    other = top.b != rows[top.a]  # not the record itself
    return float(len(np.unique(top.a[other])) / s), s
