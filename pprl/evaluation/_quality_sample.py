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
  partner under the floor (``x`` of them) or has none, in which case its
  best score is a draw from ``H`` below the floor.  With ``y`` sampled
  records truly linked above the floor (from the main estimate),
  ``n_lo = x + (s - y - x) * H(< floor)`` gives ``x``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["below_floor_share"]

#: the sample is never smaller than this (unless A is)
MIN_SAMPLE = 200


def below_floor_share(a: np.ndarray, b: np.ndarray, floor: float, other: np.ndarray,
                      tp_floor: float, sample_pairs: int,
                      rng: np.random.Generator) -> tuple[float, dict]:
    """Estimated share of true matches scoring under ``floor``, and what was sampled."""
    from ..linkage.similarity import candidate_pairs

    n_a, n_b = a.shape[0], b.shape[0]
    if n_a == 0 or n_b == 0 or floor <= 0.0:
        return 0.0, {"below_floor_sample": 0}
    s = int(min(n_a, max(MIN_SAMPLE, sample_pairs // max(n_b, 1))))
    rows = np.sort(rng.choice(n_a, size=s, replace=False))
    top = candidate_pairs(a[rows], b, 0.0, k=2, progress=False)
    s1 = np.full(s, -np.inf)
    s2 = np.full(s, -np.inf)
    np.maximum.at(s1, top.a, top.score)
    first = np.zeros(len(top), dtype=bool)
    first[np.unique(top.a, return_index=True)[1]] = True  # score-descending: first is best
    np.maximum.at(s2, top.a[~first], top.score[~first])
    finite = other[np.isfinite(other)]
    clear = float(np.quantile(finite, 0.99)) if len(finite) else floor
    matched = s1 > max(clear, floor)
    info = {"below_floor_sample": s, "below_floor_clear": round(clear, 6)}
    if matched.sum() < 20:
        info["below_floor_note"] = "too few clear matches in the sample to measure it"
        return 0.0, info
    h_lo = float(np.mean(s2[matched] < floor))
    n_lo = float(np.sum(s1 < floor))
    y = tp_floor * s / n_a
    x = (n_lo - max(s - y, 0.0) * h_lo) / max(1.0 - h_lo, 1e-9)
    x = min(max(x, 0.0), float(s))
    share = x / (x + y) if x + y > 0 else 0.0
    info["below_floor_records"] = round(x * n_a / s, 1)
    return float(share), info
