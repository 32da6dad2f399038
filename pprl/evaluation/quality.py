"""Linkage quality without the truth: estimated precision, recall and F1 at every threshold.

The linkage unit has candidates, links and the two files' sizes, never a
truth.  :func:`estimate_quality` turns them into an estimated precision /
recall / F1 curve on a grid of thresholds, with bootstrap intervals, a
suggested threshold and a ``reliable`` verdict.  The method (the best
*other* score of each linked record as the non-match null, false links
subtracted from the observed links, the recall denominator by inverse
probability weighting) is in :mod:`._quality_model` and ``docs/quality.md``.
"""

from __future__ import annotations

import json
import numbers
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import check_rng, check_threshold, param_error
from ..errors import InputError
from ..linkage.candidates import Candidates
from ..linkage.chunks import CandidateChunks
from ._quality_model import fit_curves, histogram
from ._quality_sample import below_floor_share, duplicate_share

__all__ = ["QualityEstimate", "QualityWarning", "estimate_quality", "read_quality"]

#: fewer links than this and nothing can be estimated
MIN_LINKS = 30
#: fewer estimated true links than this at the floor: "about no true matches"
MIN_TRUE = 10.0
#: an F1 interval wider than this at the suggested threshold is not a basis for sign-off
MAX_WIDTH = 0.15


class QualityWarning(UserWarning):
    """The estimate rests on too little evidence; it is marked unreliable."""


@dataclass(frozen=True)
class QualityEstimate:
    """Estimated linkage quality on a grid of thresholds (no truth used).

    Attributes
    ----------
    thresholds : ndarray of float64, shape (g,)
        The grid, ascending from the floor (the candidates' threshold) to 1.
    links : ndarray of float64, shape (g,)
        One-to-one links scoring at or above each threshold (observed).
    true_links, true_links_low, true_links_high : ndarray, shape (g,)
        Estimated true links among them, and the interval.
    precision, recall, f1 : ndarray, shape (g,)
        Point estimates.
    precision_low, precision_high, recall_low, recall_high, f1_low, f1_high : ndarray
        Intervals at ``level``: percentiles of a bootstrap over the
        linked records (and of the below-floor sample), widened to include the
        estimate without the recall denominator's inverse-probability weighting.
    n_true, n_true_low, n_true_high : float
        Estimated records with a partner (the recall denominator), and interval.
    suggested_threshold : float
        The grid point with the highest estimated F1.
    threshold_used : float or None
        The threshold the links were cut at, when known.
    reliable : bool
        False when any of ``reasons`` applies.
    reasons : tuple of str
        Why the estimate should not be trusted (empty when reliable).
    level : float
        Interval coverage (0.9).
    n_bootstrap : int
        Bootstrap replicates behind the intervals.
    """

    thresholds: np.ndarray
    links: np.ndarray
    true_links: np.ndarray
    true_links_low: np.ndarray
    true_links_high: np.ndarray
    precision: np.ndarray
    precision_low: np.ndarray
    precision_high: np.ndarray
    recall: np.ndarray
    recall_low: np.ndarray
    recall_high: np.ndarray
    f1: np.ndarray
    f1_low: np.ndarray
    f1_high: np.ndarray
    n_true: float
    n_true_low: float
    n_true_high: float
    suggested_threshold: float
    threshold_used: float | None = None
    reliable: bool = True
    reasons: tuple[str, ...] = ()
    level: float = 0.9
    n_bootstrap: int = 0
    extra: dict = field(default_factory=dict)

    _ARRAYS = ("thresholds", "links", "true_links", "true_links_low", "true_links_high",
               "precision", "precision_low", "precision_high", "recall", "recall_low",
               "recall_high", "f1", "f1_low", "f1_high")

    def index(self, threshold: float) -> int:
        """The grid point at or just below ``threshold`` (its links are a superset)."""
        t = check_threshold(threshold, "QualityEstimate.index")
        if t < self.thresholds[0] - 1e-9:
            raise InputError(f"threshold {t:g} is below the estimate's floor "
                             f"{self.thresholds[0]:g}: no candidates scored there")
        return int(np.searchsorted(self.thresholds, t + 1e-9, side="right") - 1)

    def at(self, threshold: float) -> dict[str, float]:
        """Estimates and intervals at ``threshold`` (the grid point at or below it)."""
        i = self.index(threshold)
        return {name: float(getattr(self, name)[i]) for name in self._ARRAYS}

    def summary(self, threshold: float | None = None) -> str:
        """One line: estimated precision, recall and F1 with intervals at ``threshold``."""
        t = self.threshold_used if threshold is None else threshold
        t = self.suggested_threshold if t is None else t
        r = self.at(t)
        pct = f"{self.level:.0%}"

        def one(name: str) -> str:
            return f"{name} {r[name]:.3f} [{r[name + '_low']:.3f}, {r[name + '_high']:.3f}]"

        line = (f"estimated at {t:g} ({pct} intervals): {one('precision')}, {one('recall')}, "
                f"{one('f1')}; suggested threshold {self.suggested_threshold:g}")
        if not self.reliable:
            line += "; UNRELIABLE: " + "; ".join(self.reasons)
        return line

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``MATCHES.quality.json`` format)."""
        out: dict[str, Any] = {"format": "pprl-quality/1", "method": "other-score null, "
                               "bootstrap over linked records (docs/quality.md)"}
        for name in self._ARRAYS:
            out[name] = [round(float(x), 6) for x in getattr(self, name)]
        out.update(n_true=self.n_true, n_true_low=self.n_true_low,
                   n_true_high=self.n_true_high,
                   suggested_threshold=self.suggested_threshold,
                   threshold_used=self.threshold_used, reliable=self.reliable,
                   reasons=list(self.reasons), level=self.level,
                   n_bootstrap=self.n_bootstrap, **self.extra)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityEstimate:
        """The inverse of :meth:`to_dict`."""
        arrays = {name: np.asarray(data[name], dtype=np.float64) for name in cls._ARRAYS}
        known = {"n_true", "n_true_low", "n_true_high", "suggested_threshold",
                 "threshold_used", "reliable", "level", "n_bootstrap"}
        extra = {k: v for k, v in data.items()
                 if k not in known and k not in cls._ARRAYS
                 and k not in ("format", "method", "reasons")}
        return cls(**arrays, n_true=float(data["n_true"]), n_true_low=float(data["n_true_low"]),
                   n_true_high=float(data["n_true_high"]),
                   suggested_threshold=float(data["suggested_threshold"]),
                   threshold_used=data.get("threshold_used"),
                   reliable=bool(data["reliable"]), reasons=tuple(data.get("reasons", ())),
                   level=float(data.get("level", 0.9)),
                   n_bootstrap=int(data.get("n_bootstrap", 0)), extra=extra)


def read_quality(path: str | os.PathLike[str]) -> QualityEstimate:
    """Read a ``MATCHES.quality.json`` written by ``pprl link``."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return QualityEstimate.from_dict(data)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a pprl quality file ({exc})") from None


# --- per-record summaries ----------------------------------------------------------


def _record_summary(candidates: Candidates | CandidateChunks, links: Candidates, n_a: int,
                    n_b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Link scores, best other scores of each link's record of A and of B, best scores of A.

    The best other score of a link's record is its best score with any other
    record of the other file; ``-inf`` when none reached the floor.
    """
    partner = np.full(n_a, -1, dtype=np.int64)
    partner[links.a] = links.b
    partner_b = np.full(n_b, -1, dtype=np.int64)
    partner_b[links.b] = links.a
    other = np.full(n_a, -np.inf)
    other_b = np.full(n_b, -np.inf)
    best = np.full(n_a, -np.inf)
    batches = candidates.batches() if isinstance(candidates, CandidateChunks) else [candidates]
    for c in batches:
        np.maximum.at(best, c.a, c.score)
        keep = c.b != partner[c.a]
        np.maximum.at(other, c.a[keep], c.score[keep])
        keep = c.a != partner_b[c.b]
        np.maximum.at(other_b, c.b[keep], c.score[keep])
    return links.score, other[links.a], other_b[links.b], best


def _grid(floor: float, step: float) -> np.ndarray:
    n = int(np.floor((1.0 - floor) / step + 1e-9))
    return np.round(floor + step * np.arange(n + 1), 9)


def _rates(tp: np.ndarray, links: np.ndarray, m: np.ndarray | float):
    m = np.asarray(m, dtype=np.float64)
    p = np.where(links > 0, tp / np.maximum(links, 1e-12), 1.0)
    r = np.where(m > 0, tp / np.maximum(m, 1e-12), 1.0) if np.ndim(m) == 0 else \
        np.where(m > 0, tp / np.maximum(m, 1e-12), 1.0)
    den = links + m
    f = np.where(den > 0, 2 * tp / np.maximum(den, 1e-12), 0.0)
    return np.clip(p, 0, 1), np.clip(r, 0, 1), np.clip(f, 0, 1)


def _check_size(x: object, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or int(x) < 0:
        raise param_error(name, "estimate_quality", "a non-negative integer", x)
    return int(x)


def estimate_quality(
    candidates: Candidates | CandidateChunks,
    n_a: int,
    n_b: int,
    *,
    links: Candidates | None = None,
    floor: float | None = None,
    clks: tuple[np.ndarray, np.ndarray] | None = None,
    threshold_used: float | None = None,
    step: float = 0.005,
    n_bootstrap: int = 200,
    level: float = 0.9,
    sample_pairs: int = 20_000_000,
    rng: object = None,
) -> QualityEstimate:
    """Estimate precision, recall and F1 of one-to-one links at every threshold, without truth.

    Parameters
    ----------
    candidates : Candidates or CandidateChunks
        Every pair scoring at or above ``floor`` (as :func:`pprl.candidate_pairs`
        gives them: no ``k`` limit, no blocking, or the estimate is optimistic).
    n_a, n_b : int
        Records in A and in B.
    links : Candidates, optional
        The one-to-one links; default :func:`pprl.greedy_match` of ``candidates``.
    floor : float, optional
        The candidates' threshold (default: the chunks' threshold, else the
        lowest candidate score).  The grid starts here.
    clks : (ndarray, ndarray), optional
        A's and B's CLKs: a seeded sample of records of A is compared with all
        of B to measure the true matches scoring *under* the floor (at most
        ``sample_pairs`` comparisons).  Without them the recall assumes
        none do.
    threshold_used : float, optional
        The threshold the links are cut at (reported in the result).
    step : float, default=0.005
        Grid step (at most 0.01).
    n_bootstrap : int, default=200
        Bootstrap replicates over linked records for the intervals (0: none).
    level : float, default=0.9
        Interval coverage.
    sample_pairs : int, default=20_000_000
        Bound on the comparisons of the below-floor sample.
    rng : None, int or numpy.random.Generator
        Seed of the bootstrap and the sample.

    Returns
    -------
    QualityEstimate

    Raises
    ------
    InputError
        Bad parameters, or ``threshold_used`` below ``floor``.

    Warns
    -----
    QualityWarning
        Too few links or true links to estimate anything: the result is
        marked ``reliable=False``.

    Examples
    --------
    >>> import numpy as np, pprl
    >>> ds = pprl.make_dataset(300, overlap=0.5, rng=3)
    >>> a = pprl.encode(ds.parties[0], pprl.person_schema(), "secret", progress=False)
    >>> b = pprl.encode(ds.parties[1], pprl.person_schema(), "secret", progress=False)
    >>> cands = pprl.candidate_pairs(a, b, 0.6)
    >>> q = pprl.estimate_quality(cands, len(a), len(b), floor=0.6, rng=0)
    >>> bool(q.reliable), 0.6 <= q.suggested_threshold <= 0.8
    (True, True)
    >>> 120 < q.n_true < 180   # 150 people are in both files
    True
    """
    func = "estimate_quality"
    if not isinstance(candidates, (Candidates, CandidateChunks)):
        raise param_error("candidates", func, "a Candidates or CandidateChunks", candidates)
    n_a, n_b = _check_size(n_a, "n_a"), _check_size(n_b, "n_b")
    if floor is None:
        if isinstance(candidates, CandidateChunks):
            floor = candidates.threshold
        else:
            floor = float(candidates.score.min()) if len(candidates) else 0.0
    floor = check_threshold(floor, func)
    if threshold_used is not None:
        threshold_used = check_threshold(threshold_used, func)
        if threshold_used < floor - 1e-12:
            raise InputError(f"The floor {floor:g} is above the threshold {threshold_used:g}: "
                             "the candidates cannot say anything below their own threshold; "
                             "lower the floor or raise the threshold.")
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or not 0 < step <= 0.01:
        raise param_error("step", func, "a float in (0, 0.01]", step)
    if not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise param_error("level", func, "a float in (0, 1)", level)
    n_bootstrap = _check_size(n_bootstrap, "n_bootstrap")
    gen = check_rng(rng)
    if links is None:
        from ..linkage.matching import greedy_match

        links = greedy_match(candidates)
    elif not isinstance(links, Candidates):
        raise param_error("links", func, "a Candidates", links)
    grid = _grid(floor, float(step))
    link, other, other_b, best = _record_summary(candidates, links, n_a, n_b)
    hist = histogram(link, other, grid)
    hist_b = histogram(link, other_b, grid)
    fit = fit_curves(hist, n_a, n_b, grid, hist_b=hist_b)
    below, below_boot, sample_info = 0.0, np.zeros(n_bootstrap), {}
    if clks is not None and len(link) >= MIN_LINKS:
        below, below_boot, sample_info = below_floor_share(
            clks[0], clks[1], floor, other, float(fit["tp"][0]), sample_pairs, gen, n_bootstrap)
        fit = fit_curves(hist, n_a, n_b, grid, below, hist_b=hist_b)
    tp, m = fit["tp"], float(fit["m"])
    p, r, f = _rates(tp, fit["links"], m)
    boot_tp, boot_m, boot_links = [], [], []
    flat = hist.ravel() / max(hist.sum(), 1.0)
    flat_b = hist_b.ravel() / max(hist_b.sum(), 1.0)
    for rep in range(n_bootstrap if len(link) >= MIN_LINKS else 0):
        # resampling the linked records = a multinomial draw of their histogram
        bh = gen.multinomial(len(link), flat).reshape(hist.shape).astype(np.float64)
        bhb = gen.multinomial(len(link), flat_b).reshape(hist.shape).astype(np.float64)
        bf = fit_curves(bh, n_a, n_b, grid, float(below_boot[rep]), start=fit["weight"],
                        hist_b=bhb)
        boot_tp.append(bf["tp"])
        boot_links.append(bf["links"])
        boot_m.append(bf["m"])
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    if boot_tp:
        btp, bm = np.array(boot_tp), np.array(boot_m)
        bl = np.array(boot_links)
        bp, br, bf1 = _rates(btp, bl, bm[:, None])
        # model sensitivity: the recall denominator without its inverse-probability
        # weighting (a lower bound of it) widens the recall and F1 intervals
        _, r_alt, f_alt = _rates(tp, fit["links"], float(fit["m_plain"]))
        # and the curve of the fixed point's start (the links clearly above the best
        # other scores are the true ones): the number of true links is not identified
        # at the floor, and the rounds can drift from the start when the false-link
        # model errs (docs/quality.md, failure modes); the intervals span both
        start = fit_curves(hist, n_a, n_b, grid, below, hist_b=hist_b, rounds=1)
        p_0, r_0, f_0 = _rates(start["tp"], start["links"], float(start["m"]))
        # percentile intervals, always containing the point estimate
        def band(x, point):
            lo, hi = np.quantile(x, [lo_q, hi_q], axis=0)
            return np.minimum(lo, point), np.maximum(hi, point)
        tpl, tph = band(btp, tp)
        tpl, tph = np.minimum(tpl, start["tp"]), np.maximum(tph, start["tp"])
        pl, ph = band(bp, p)
        pl, ph = np.minimum(pl, p_0), np.maximum(ph, p_0)
        rl, rh = band(br, r)
        rl, rh = np.minimum(np.minimum(rl, r_alt), r_0), np.maximum(np.maximum(rh, r_alt), r_0)
        fl, fh = band(bf1, f)
        fl, fh = np.minimum(np.minimum(fl, f_alt), f_0), np.maximum(np.maximum(fh, f_alt), f_0)
        ml, mh = (min(float(x), m) if i == 0 else max(float(x), m)
                  for i, x in enumerate(np.quantile(bm, [lo_q, hi_q])))
        ml, mh = min(ml, float(start["m"])), max(mh, float(start["m"]))
    else:
        tpl, tph, pl, ph, rl, rh, fl, fh = (tp, tp, p, p, r, r, f, f)
        ml = mh = m
    suggested = float(grid[int(np.argmax(np.round(f, 6)))]) if len(grid) else floor
    reasons = _reasons(link, tp, f, fl, fh, grid, suggested, n_bootstrap)
    if clks is not None and len(link) >= MIN_LINKS:
        reasons += _duplicates(clks, grid, fit["weight"], other, sample_pairs, gen, sample_info)
    for why in reasons:
        warnings.warn(f"estimate_quality: {why}", QualityWarning, stacklevel=2)
    extra = {"floor": floor, "n_a": n_a, "n_b": n_b, "n_links": int(len(link)),
             "n_candidates": int(len(candidates)),
             "records_with_candidates": int(np.isfinite(best).sum()),
             "below_floor_share": float(below), **sample_info}
    return QualityEstimate(
        thresholds=grid, links=fit["links"], true_links=tp, true_links_low=tpl,
        true_links_high=tph, precision=p, precision_low=pl, precision_high=ph, recall=r,
        recall_low=rl, recall_high=rh, f1=f, f1_low=fl, f1_high=fh, n_true=m, n_true_low=ml,
        n_true_high=mh, suggested_threshold=suggested, threshold_used=threshold_used,
        reliable=not reasons, reasons=tuple(reasons), level=float(level),
        n_bootstrap=n_bootstrap if boot_tp else 0, extra=extra)


#: more records than this with a likely duplicate in their own file: unreliable
MAX_DUPLICATES = 0.02


def _duplicates(clks, grid, weight, other, sample_pairs, gen, info) -> list[str]:
    """A reason when either file holds many likely duplicates.

    A likely duplicate scores like a likely true link (posterior >= 0.9) and
    above the 99th percentile of the linked records' best other scores.
    """
    likely = np.flatnonzero(weight >= 0.9)
    finite = other[np.isfinite(other)]
    if len(likely) == 0 or len(finite) == 0:
        return []
    t = max(float(grid[likely[0]]), float(np.quantile(finite, 0.99)))
    out = []
    for side, x in zip("AB", clks, strict=True):
        share, s = duplicate_share(x, t, sample_pairs, gen)
        info[f"duplicates_{side.lower()}"] = round(share, 4)
        if share > MAX_DUPLICATES:
            out.append(f"{share:.0%} of {s} sampled records of {side} have a likely duplicate "
                       f"within {side} (Dice >= {t:g}); the estimate assumes one record per "
                       "person per file: deduplicate first (pprl dedupe)")
    return out


def _reasons(link, tp, f, fl, fh, grid, suggested, n_bootstrap) -> list[str]:
    """Why the estimate should not be trusted (empty: reliable)."""
    if len(link) < MIN_LINKS:
        return [f"only {len(link)} links (at least {MIN_LINKS} are needed to estimate "
                "anything); lower the floor or check the secret and schema"]
    out = []
    if tp[0] < MIN_TRUE:
        out.append(f"about {tp[0]:.0f} of {len(link)} links look true: the scores show no "
                   "matching population (different secrets or schemas, or no overlap)")
    i = int(np.searchsorted(grid, suggested))
    if n_bootstrap and fh[i] - fl[i] > MAX_WIDTH:
        out.append(f"the F1 interval at the suggested threshold is {fh[i] - fl[i]:.2f} wide "
                   "(too few true links to pin the curve)")
    return out
