"""Linkage quality without the truth: estimated precision, recall and F1 at every threshold.

The linkage unit has candidates, links and the two files' sizes, never a
truth.  :func:`estimate_quality` turns them into an estimated precision /
recall / F1 curve on a grid of thresholds, with bootstrap intervals, a
suggested threshold and a ``reliable`` verdict.  The method (each record's
own non-match null, :mod:`._quality_null`; each link's posterior of being
true and the true-pair density by EM, with the recall denominator by
inverse probability weighting, :mod:`._quality_model`) is explained in
``docs/quality.md``.
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
from ._quality_model import BOOT_ROUNDS, LinkNull, fit_batch, fit_links, identity_start, ipw
from ._quality_null import locations, ranks, shape, top_two
from ._quality_sample import below_floor_share, duplicate_share, sample_rows

__all__ = ["QualityEstimate", "QualityWarning", "estimate_quality", "read_quality"]

#: the bootstrap redraws at most this many links (more: an m-out-of-n bootstrap)
BOOT_LINKS = 20_000
#: bootstrap replicates x links fitted at once (memory: about 15 arrays of this many floats)
BOOT_CELLS = 500_000
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
        out: dict[str, Any] = {"format": "pprl-quality/1", "method": "per-record non-match "
                               "nulls, link posteriors by EM, bootstrap over links and null "
                               "shapes (docs/quality.md)"}
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
                    n_b: int) -> tuple[np.ndarray, ...]:
    """Link scores, best other scores of each link's record of A and of B, best scores of A, of B.

    The best other score of a link's record is its best score with any other
    record of the other file; ``-inf`` when none reached the floor.
    """
    partner, partner_b = _partners(links, n_a, n_b)
    other = np.full(n_a, -np.inf)
    other_b = np.full(n_b, -np.inf)
    best = np.full(n_a, -np.inf)
    best_b = np.full(n_b, -np.inf)
    for c in _batches(candidates):
        np.maximum.at(best, c.a, c.score)
        np.maximum.at(best_b, c.b, c.score)
        keep = c.b != partner[c.a]
        np.maximum.at(other, c.a[keep], c.score[keep])
        keep = c.a != partner_b[c.b]
        np.maximum.at(other_b, c.b[keep], c.score[keep])
    return links.score, other[links.a], other_b[links.b], best, best_b


def _pairs_per_link(candidates, links: Candidates, loc_a, loc_b, clear_a: float,
                    clear_b: float, n_a: int, n_b: int) -> np.ndarray:
    """True pairs each link's entity holds per link, ``1 + max(x_a, x_b)``.

    ``x_a``: the other records of B that score with the link's record of A as far
    above its location as a clear match (``>= clear_a``): further partners, i.e.
    within-file duplicates of B.  An entity with ``k_a`` records in A and ``k_b``
    in B has ``k_a k_b`` true pairs and ``min(k_a, k_b)`` one-to-one links, so
    each link stands for ``max(k_a, k_b)`` pairs.  1 everywhere on files
    without duplicates (a non-match never gets that far above a location).
    """
    partner, partner_b = _partners(links, n_a, n_b)
    x_a, x_b = np.zeros(n_a), np.zeros(n_b)
    for c in _batches(candidates):
        far = (c.b != partner[c.a]) & (c.score - loc_a[c.a] >= clear_a)
        x_a += np.bincount(c.a[far], minlength=n_a)
        far = (c.a != partner_b[c.b]) & (c.score - loc_b[c.b] >= clear_b)
        x_b += np.bincount(c.b[far], minlength=n_b)
    return 1.0 + np.maximum(x_a[links.a], x_b[links.b])


def _partners(links: Candidates, n_a: int, n_b: int) -> tuple[np.ndarray, np.ndarray]:
    """Each record's linked record in the other file (-1: unlinked), for A and for B."""
    partner = np.full(n_a, -1, dtype=np.int64)
    partner[links.a] = links.b
    partner_b = np.full(n_b, -1, dtype=np.int64)
    partner_b[links.b] = links.a
    return partner, partner_b


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
        A's and B's CLKs.  Every record's non-match null is located against a
        seeded reference sample of the other file (at most 2,000 records), and a
        seeded sample of each file is compared with all of the other (at most
        ``sample_pairs`` comparisons each) to measure the nulls' shape and the
        true matches scoring *under* the floor.  Without them both come from
        the candidates, which needs a low floor (every record with 22
        candidates); otherwise the estimate is marked unreliable.
    threshold_used : float, optional
        The threshold the links are cut at (reported in the result).
    step : float, default=0.005
        Grid step (at most 0.01).
    n_bootstrap : int, default=200
        Bootstrap replicates (links and the records behind the null shapes
        redrawn) for the intervals (0: none).
    level : float, default=0.9
        Interval coverage.
    sample_pairs : int, default=20_000_000
        Bound on the comparisons of each file's full-row sample.
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
    >>> q = pprl.estimate_quality(cands, len(a), len(b), floor=0.6, clks=(a, b), rng=0)
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
    link, other, other_b, best, best_b = _record_summary(candidates, links, n_a, n_b)
    idx = np.clip(np.searchsorted(grid, link + 1e-9, side="right") - 1, 0, len(grid) - 1)
    nulls, reasons, info = _nulls(candidates, n_a, n_b, floor, clks, sample_pairs, gen)
    fit = boot = None
    below, below_boot = 0.0, np.zeros(n_bootstrap)
    if nulls is not None and len(link) >= MIN_LINKS:
        loc_a, loc_b, null_a, null_b, (s1, s2) = nulls
        taken = np.cumsum(np.bincount(idx, minlength=len(grid))[::-1])[::-1]
        above = (taken - np.bincount(idx, minlength=len(grid)))[idx]  # links above the bin
        phi_a, phi_b = 1.0 - above / max(n_b, 1), 1.0 - above / max(n_a, 1)
        per_link = _pairs_per_link(candidates, links, loc_a, loc_b, null_a.clear, null_b.clear,
                                   n_a, n_b)
        ln = LinkNull(link, idx, loc_a[links.a], loc_b[links.b], null_a, null_b, phi_a, phi_b,
                      per_link)
        begin = identity_start(best, best_b, loc_a, loc_b, null_a, null_b, grid)
        fit = fit_links(ln, n_a, n_b, grid, begin)
        if s1 is not None:
            below, below_boot, sample_info = below_floor_share(
                s1, s2, n_a, floor, other, float(fit["tp"][0]), gen, n_bootstrap)
            info.update(sample_info)
        boot = _bootstrap(fit, link, idx, loc_a[links.a], loc_b[links.b], null_a, null_b,
                          phi_a, phi_b, per_link, n_a, n_b, grid, below_boot, n_bootstrap, gen)
    if fit is None:
        n_links = np.cumsum(np.bincount(idx, minlength=len(grid))[::-1])[::-1] \
            .astype(np.float64) if len(link) else np.zeros(len(grid))
        # nothing measured: no link is counted as true (the estimate says why it is not
        # reliable)
        fit = {"tp": np.zeros(len(grid)), "links": n_links, "m": 0.0,
               "post": np.zeros(len(link)), "pairs": np.zeros(len(grid))}
        ln = None
    tp, n_links = fit["tp"], fit["links"]
    m = _total(float(fit["m"]), below, n_a, n_b)
    p, r, f = _rates(tp, n_links, m)
    if boot:
        doubt = np.minimum(fit["post"], 1.0 - fit["post"])
        amb = np.cumsum(np.bincount(idx, weights=doubt, minlength=len(grid))[::-1])[::-1]
        amb_m = float(np.sum(doubt * ln.ipw)) if ln is not None else 0.0
        tpl, tph, pl, ph, rl, rh, fl, fh, ml, mh = _intervals(
            boot, tp, n_links, m, p, r, f, amb, amb_m, float(fit["m"]), below, n_a, n_b, level)
    else:
        tpl, tph, pl, ph, rl, rh, fl, fh = (tp, tp, p, p, r, r, f, f)
        ml = mh = m
    suggested = float(grid[int(np.argmax(np.round(f, 6)))]) if len(grid) else floor
    reasons = _reasons(link, tp, f, fl, fh, grid, suggested, n_bootstrap) + reasons
    if clks is not None and len(link) >= MIN_LINKS:
        reasons += _duplicates(clks, link, fit["post"], other, sample_pairs, gen, info)
    for why in reasons:
        warnings.warn(f"estimate_quality: {why}", QualityWarning, stacklevel=2)
    extra = {"floor": floor, "n_a": n_a, "n_b": n_b, "n_links": int(len(link)),
             "n_candidates": int(len(candidates)),
             "records_with_candidates": int(np.isfinite(best).sum()),
             "below_floor_share": float(below), **info}
    return QualityEstimate(
        thresholds=grid, links=fit["links"], true_links=tp, true_links_low=tpl,
        true_links_high=tph, precision=p, precision_low=pl, precision_high=ph, recall=r,
        recall_low=rl, recall_high=rh, f1=f, f1_low=fl, f1_high=fh, n_true=m, n_true_low=ml,
        n_true_high=float(mh), suggested_threshold=suggested, threshold_used=threshold_used,
        reliable=not reasons, reasons=tuple(reasons), level=float(level),
        n_bootstrap=n_bootstrap if boot else 0, extra=extra)


def _bootstrap(fit, link, idx, loc_a, loc_b, null_a, null_b, phi_a, phi_b, per_link, n_a,
               n_b, grid, below_boot, n_bootstrap, gen) -> list[tuple]:
    """Replicates of (true links, links, true pairs): links and null shapes redrawn.

    The bootstrap runs on at most ``BOOT_LINKS`` links: an m-out-of-n bootstrap,
    each replicate's deviation from the subsample's own fit shrunk by
    ``sqrt(m / n)``.  Each replicate runs ``BOOT_ROUNDS`` rounds from the point
    estimate's true pairs; replicates are fitted ``BOOT_CELLS // links`` at a
    time (:func:`fit_batch`).
    """
    sub = np.arange(len(link)) if len(link) <= BOOT_LINKS else \
        np.sort(gen.choice(len(link), size=BOOT_LINKS, replace=False))
    scale, shrink = len(link) / len(sub), np.sqrt(len(sub) / len(link))
    la, lb, pa, pb, pl = loc_a[sub], loc_b[sub], phi_a[sub], phi_b[sub], per_link[sub]
    sub_ln = LinkNull(link[sub], idx[sub], la, lb, null_a, null_b, pa, pb, pl)
    sub_fit = fit_links(sub_ln, n_a, n_b, grid, fit["pairs"], weights=np.full(len(sub), scale),
                        rounds=BOOT_ROUNDS)
    xa, xb = link[sub] - la, link[sub] - lb
    na_v, nb_v = len(null_a.values), len(null_b.values)
    boot = []
    for r0 in range(0, n_bootstrap, max(BOOT_CELLS // len(sub), 1)):
        r = min(max(BOOT_CELLS // len(sub), 1), n_bootstrap - r0)
        w = gen.poisson(1.0, (r, len(sub))) * scale
        Ga, ga = null_a.replicates(xa, gen.multinomial(na_v, np.full(na_v, 1.0 / na_v), r))
        Gb, gb = null_b.replicates(xb, gen.multinomial(nb_v, np.full(nb_v, 1.0 / nb_v), r))
        bf = fit_batch(Ga, ga, Gb, gb, ipw(Ga, Gb, pa, pb, pl), idx[sub], w, n_a, n_b, grid,
                       fit["pairs"], rounds=BOOT_ROUNDS)
        for j in range(r):
            btp = fit["tp"] + shrink * (bf["tp"][j] - sub_fit["tp"])
            bl = fit["links"] + shrink * (bf["links"][j] - sub_fit["links"])
            bm = float(fit["m"]) + shrink * (float(bf["m"][j]) - float(sub_fit["m"]))
            boot.append((btp, bl, _total(bm, float(below_boot[r0 + j]), n_a, n_b)))
    return boot


def _intervals(boot, tp, n_links, m, p, r, f, amb, amb_m, m_fit, below, n_a, n_b, level):
    """Percentile intervals of the bootstrap, widened by the links' posterior doubt.

    Each link between "surely true" and "surely false" could go the other way by
    its posterior's doubt, ``min(post, 1 - post)`` (summed: ``amb`` at each
    threshold, ``amb_m`` for the true pairs); the bootstrap cannot see a wrong
    model, so the intervals span that too.  Every interval holds the point.
    """
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    btp = np.array([b[0] for b in boot])
    bl = np.array([b[1] for b in boot])
    bm = np.array([b[2] for b in boot])
    btp = btp * (n_links / np.maximum(bl, 1e-12))  # as shares of the observed links
    bp, br, bf1 = _rates(btp, n_links, bm[:, None])
    tp_lo, tp_hi = np.maximum(tp - amb, 0.0), np.minimum(tp + amb, n_links)
    m_lo = max(_total(m_fit - amb_m, below, n_a, n_b), float(tp_lo[0]))
    m_hi = _total(m_fit + amb_m, below, n_a, n_b)

    def band(x, point, *alts):
        lo, hi = np.quantile(x, [lo_q, hi_q], axis=0)
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
        for alt in alts:
            lo, hi = np.minimum(lo, alt), np.maximum(hi, alt)
        return lo, hi

    tpl, tph = band(btp, tp, tp_lo, tp_hi)
    pl, ph = band(bp, p, _rates(tp_lo, n_links, m)[0], _rates(tp_hi, n_links, m)[0])
    rl, rh = band(br, r, _rates(tp_lo, n_links, m_hi)[1], _rates(tp_hi, n_links, m_lo)[1])
    fl, fh = band(bf1, f, _rates(tp_lo, n_links, m_hi)[2], _rates(tp_hi, n_links, m_lo)[2])
    ml, mh = np.quantile(bm, [lo_q, hi_q])
    ml, mh = min(float(ml), m, m_lo), max(float(mh), m, m_hi)
    return tpl, tph, pl, ph, rl, rh, fl, fh, ml, mh


def _total(m: float, below: float, n_a: int, n_b: int) -> float:
    """All true pairs: those at or above the floor, scaled up by the share under it."""
    return float(min(max(m, 0.0) / max(1.0 - below, 1e-9), min(n_a, n_b)))


def _nulls(candidates, n_a, n_b, floor, clks, sample_pairs, gen):
    """Every record's location, both files' null shapes, and A's sampled top two scores.

    With the CLKs: locations against a reference sample of the other file, the
    shapes from a seeded sample of each file's records compared with all of
    the other (their best and second-best scores).  Without them: both from
    the candidates, which needs a floor low enough that every record has
    ``LOC_RANK + 2`` candidates and its second best above the floor.
    Returns ``(None, reasons, info)`` when the shapes cannot be measured.
    """
    from ._quality_null import LOC_RANK

    info: dict[str, Any] = {}
    if clks is not None:
        a, b = clks
        loc_a, loc_b = locations(a, b, gen), locations(b, a, gen)
        rows_a = sample_rows(n_a, n_b, sample_pairs, gen)
        rows_b = sample_rows(n_b, n_a, sample_pairs, gen)
        s1, s2 = top_two(a, b, rows_a)
        t1, t2 = top_two(b, a, rows_b)
        null_a, null_b = shape(s1, s2, loc_a[rows_a]), shape(t1, t2, loc_b[rows_b])
        top = (s1, s2)
    else:
        locs, tops = [], []
        for side, n in (("a", n_a), ("b", n_b)):
            rec = np.concatenate([getattr(c, side) for c in _batches(candidates)])
            sc = np.concatenate([c.score for c in _batches(candidates)])
            stack = ranks(rec, sc, n, range(LOC_RANK - 3, LOC_RANK + 2))
            got = np.isfinite(stack).sum(axis=0)
            loc = np.where(got > 0, np.nansum(stack, axis=0) / np.maximum(got, 1), np.nan)
            known = got == stack.shape[0]
            info[f"located_{side}"] = round(float(known.mean()) if n else 0.0, 4)
            loc = np.where(known, loc, np.nanmin(loc) if known.any() else floor)
            first, second = np.nan_to_num(ranks(rec, sc, n, (0, 1)), nan=-np.inf)
            locs.append(loc)
            tops.append((first, second))
        loc_a, loc_b = locs
        null_a, null_b = shape(*tops[0], loc_a), shape(*tops[1], loc_b)
        top = (None, None)
        if min(info["located_a"], info["located_b"]) < 0.9:
            return None, [f"without the CLKs the non-match null is read from the candidates, "
                          f"and only {min(info['located_a'], info['located_b']):.0%} of "
                          f"records have {LOC_RANK + 2} of them: pass the CLKs or lower the "
                          "floor"], info
    if null_a is None or null_b is None:
        return None, ["too few records clearly match (their best score far above their "
                      "own non-matches) to measure the non-match null; check the secret "
                      "and schema, or the overlap"], info
    info.update(null_records_a=len(null_a.values), null_records_b=len(null_b.values))
    return (loc_a, loc_b, null_a, null_b, top), [], info


def _batches(candidates):
    return candidates.batches() if isinstance(candidates, CandidateChunks) else [candidates]


#: more records than this with a likely duplicate in their own file: unreliable
MAX_DUPLICATES = 0.02


def _duplicates(clks, link, post, other, sample_pairs, gen, info) -> list[str]:
    """A reason when either file holds many likely duplicates.

    A likely duplicate scores like a likely true link (posterior >= 0.9) and
    above the 99th percentile of the linked records' best other scores.
    """
    likely = link[post >= 0.9]
    finite = other[np.isfinite(other)]
    if len(likely) == 0 or len(finite) == 0:
        return []
    t = max(float(likely.min()), float(np.quantile(finite, 0.99)))
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
