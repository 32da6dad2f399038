"""``pprl link``'s quality estimate: ``--threshold auto``, ``--floor`` and ``MATCHES.quality.json``.

Every ``pprl link`` estimates precision, recall and F1 without a truth
(:func:`pprl.estimate_quality`), writes the estimate beside the matches
(``MATCHES.quality.json``) and prints the figures at the threshold used.
With ``--floor F`` (or ``--threshold auto``, whose floor defaults to 0.5) the
candidates are scanned from the floor, so the estimate covers every
threshold from it, and the links are then cut at the threshold (``auto``:
the estimate's suggested one).  ``evaluate`` reads the file back
(:func:`quality_path`, :func:`describe_beside`).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from ..errors import InputError
from ._common import threshold_arg, warn

__all__ = ["add_arguments", "apply", "beside", "quality_path", "scan_threshold",
           "threshold_value"]

#: the floor of ``--threshold auto`` when ``--floor`` is not given
DEFAULT_FLOOR = 0.5


def threshold_value(text: str) -> float | str:
    """``--threshold``: a number in [0, 1] or ``auto`` (argparse ``type``)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number in [0, 1] or 'auto'; got {text!r}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--floor``, and the bootstrap seed of the estimate."""
    p.add_argument(
        "--floor", type=float, default=None, metavar="F",
        help="scan candidates from F (at most the threshold) so the quality estimate covers "
             f"every threshold from F; --threshold auto picks the best one (default "
             f"{DEFAULT_FLOOR})",
    )
    p.add_argument("--quality-seed", type=int, default=0, metavar="S",
                   help="seed of the quality estimate's bootstrap and sample (default 0)")


def scan_threshold(threshold: float | str, floor: float | None) -> float:
    """The threshold the candidates are scanned at; checks ``--threshold`` and ``--floor``."""
    if floor is not None:
        threshold_arg(floor, "--floor")
    if threshold == "auto":
        return DEFAULT_FLOOR if floor is None else float(floor)
    t = threshold_arg(threshold)
    if floor is not None and floor > t:
        raise InputError(f"--floor {floor:g} is above --threshold {t:g}: the floor is where the "
                         "candidate scan starts and must be at most the threshold")
    return t if floor is None else float(floor)


def quality_path(matches: str | Path) -> Path:
    """``MATCHES.quality.json`` beside ``MATCHES.csv``."""
    p = Path(matches)
    return p.with_name(p.stem + ".quality.json") if p.suffix else p.with_name(p.name +
                                                                             ".quality.json")


class _Pending:
    """The estimate, printed and written once the matches are (no partial output)."""

    def __init__(self, est, path: Path, seconds: float):
        self.est, self.path, self.seconds = est, path, seconds

    def write(self) -> None:
        from .._atomic import atomic_open

        with atomic_open(self.path, "w", encoding="utf-8") as fh:
            json.dump(self.est.to_dict(), fh, indent=1)
            fh.write("\n")
        print(f"pprl link: quality {self.est.summary()} [{self.seconds:.2f}s] -> {self.path}",
              file=sys.stderr)


def apply(args: argparse.Namespace, cands, matches, a, b, out: Path):
    """Estimate, pick or check the threshold and cut the links at it.

    ``args.threshold`` is the scan's threshold (the floor), ``args.cut`` the
    user's ``--threshold`` (a number or ``auto``); ``matches`` are the
    solver's links at the scan threshold.  Returns the links at the chosen
    threshold and an object whose ``write()`` writes ``MATCHES.quality.json``
    and prints the estimate at that threshold.
    """
    import time

    from ..evaluation.quality import estimate_quality
    from ..linkage.matching import greedy_match, optimal_match

    t0 = time.perf_counter()
    scan_at = float(args.threshold)
    links = matches if args.solver == "greedy" else greedy_match(cands)
    if args.k is not None or getattr(args, "blocking", "none") not in (None, "none"):
        warn("link", "the quality estimate assumes every pair above the floor is a candidate; "
                     "with --k or blocking some are missing and it may be optimistic")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = estimate_quality(cands, a.shape[0], b.shape[0], links=links, floor=scan_at,
                               clks=(a, b), rng=args.quality_seed)
    for w in caught:
        warn("link", str(w.message))
    if args.cut == "auto":
        threshold = est.suggested_threshold
        print(f"pprl link: --threshold auto picked {threshold:g} (highest estimated F1 from "
              f"the floor {scan_at:g})", file=sys.stderr)
    else:
        threshold = float(args.cut)
    if threshold > scan_at:
        cut = type(cands)
        if args.solver == "greedy":  # greedy links above t are greedy on the pairs above t
            keep = matches.score >= threshold
            matches = cut(matches.a[keep], matches.b[keep], matches.score[keep])
        else:
            keep = cands.score >= threshold
            matches = cut(cands.a[keep], cands.b[keep], cands.score[keep])
            if args.solver == "optimal":
                matches = optimal_match(matches)
    est = _with_threshold(est, threshold)
    return matches, _Pending(est, quality_path(out), time.perf_counter() - t0)


def _with_threshold(est, threshold: float):
    from dataclasses import replace

    return replace(est, threshold_used=float(threshold))


def beside(matches: str | Path, true: dict, threshold: float | None) -> dict | None:
    """The estimate beside the true figures, when ``MATCHES.quality.json`` is present.

    Prints one line on stderr (true vs estimated precision, recall and F1 with
    intervals at the threshold evaluated) and returns ``{"estimated": {...}}``
    for the JSON output; None when there is no quality file.
    """
    from ..evaluation.quality import read_quality

    path = quality_path(matches)
    if not path.is_file():
        return None
    est = read_quality(path)
    t = threshold if threshold is not None else est.threshold_used
    t = est.suggested_threshold if t is None else t
    if t < est.thresholds[0]:
        warn("evaluate", f"{path}: the estimate starts at its floor {est.thresholds[0]:g}, "
                         f"above the threshold {t:g}; not compared")
        return None
    r = est.at(t)
    parts = [f"{k} {true[k]:.3f} (estimated {r[k]:.3f} [{r[k + '_low']:.3f}, "
             f"{r[k + '_high']:.3f}])" for k in ("precision", "recall", "f1")]
    flag = "" if est.reliable else "; the estimate is marked unreliable"
    print(f"pprl evaluate: at threshold {t:g}, true vs estimated without truth: "
          + ", ".join(parts) + flag, file=sys.stderr)
    keys = ("precision", "precision_low", "precision_high", "recall", "recall_low",
            "recall_high", "f1", "f1_low", "f1_high")
    return {"estimated": {"file": str(path), "threshold": t, "reliable": est.reliable,
                          **{k: round(r[k], 6) for k in keys}}}
