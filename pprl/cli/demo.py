"""``pprl demo``: synthesise, encode both parties, link, evaluate and plot, end to end."""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

from ..errors import InputError
from ._common import add_progress_flag, show_progress, threshold_arg

__all__ = ["add_parser", "run", "PLOT_NAME", "MATCHES_NAME"]

PLOT_NAME = "precision_recall.png"
MATCHES_NAME = "matches.csv"
DEFAULT_RECORDS = 5000
DEFAULT_THRESHOLD = 0.75
_FLOOR = 0.6  # the curve covers thresholds from here (or the chosen one, if lower)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl demo`` sub-command and its options."""
    p = sub.add_parser(
        "demo",
        help="end to end on synthetic people: synth, encode x2, link, evaluate, plot",
        description=(
            "Generate a two-party synthetic data set, encode both parties with the default "
            "person schema and a random secret (never shown), link them (Dice candidates, "
            "greedy one-to-one), evaluate against the truth, print precision, recall, F1 "
            f"and the time per stage, and write {PLOT_NAME} and {MATCHES_NAME} to DIR."
        ),
    )
    p.add_argument("--records", "-n", type=int, default=DEFAULT_RECORDS, metavar="N",
                   help=f"people per party (default {DEFAULT_RECORDS})")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the synthetic data (default: a fresh one, printed)")
    p.add_argument("--out", default="pprl-demo", metavar="DIR",
                   help="folder for the plot and matches (default ./pprl-demo; created)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help=f"Dice threshold for the links (default {DEFAULT_THRESHOLD})")
    add_progress_flag(p)
    p.set_defaults(func=run)


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder (--out)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{out}: parent folder {parent} does not exist (--out)")
    return out


def _plot(curve, threshold: float, path: Path) -> None:
    """Write the P/R curve and the metrics against threshold to ``path`` (atomically)."""
    from matplotlib.figure import Figure

    from .._atomic import atomic_path
    from ..viz.plots import PrecisionRecallDisplay, ThresholdMetricsDisplay

    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    PrecisionRecallDisplay.from_curve(curve, threshold=threshold).plot(ax=ax1)
    ThresholdMetricsDisplay.from_curve(curve, threshold=threshold).plot(ax=ax2)
    fig.suptitle("pprl demo: greedy one-to-one links on synthetic people")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), *(line(r) for r in rows)])


def run(args: argparse.Namespace) -> int:
    """Run ``pprl demo``: synthesise, encode, link, evaluate and plot; the exit status."""
    from ..encoding.encode import encode
    from ..encoding.schema import person_schema
    from ..evaluation.metrics import threshold_curve
    from ..linkage.matching import greedy_match
    from ..linkage.similarity import candidate_pairs
    from ..synthetic import make_dataset
    from .link import write_matches

    threshold = threshold_arg(args.threshold)
    if args.records < 1:
        raise InputError(f"--records must be a positive integer; got {args.records}")
    out = _out_dir(args.out)
    progress = show_progress(args)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    secret = secrets.token_bytes(32)  # made up for this run; never printed or written
    times: dict[str, float] = {}

    t = time.perf_counter()
    ds = make_dataset(args.records, rng=seed)
    times["synthesise"] = time.perf_counter() - t
    schema = person_schema()
    clks = []
    for name, party in zip("AB", ds.parties[:2], strict=True):
        t = time.perf_counter()
        clks.append(encode(party, schema, secret, progress=progress, source=f"party {name}"))
        times[f"encode {name}"] = time.perf_counter() - t
    t = time.perf_counter()
    links = greedy_match(candidate_pairs(clks[0], clks[1], threshold, progress=progress))
    times["link"] = time.perf_counter() - t
    t = time.perf_counter()  # the curve needs the candidates down to the floor
    floor = min(threshold, _FLOOR)
    cands = candidate_pairs(clks[0], clks[1], floor, progress=progress)
    truth = ds.truth[["a", "b"]]
    curve = threshold_curve(cands, truth, solver="greedy")
    chosen = curve.at(threshold)
    best = curve.best_f1()
    times["evaluate"] = time.perf_counter() - t

    out.mkdir(exist_ok=True)
    write_matches(links, out / MATCHES_NAME)
    plot_note = f"wrote {out / PLOT_NAME}"
    t = time.perf_counter()
    try:
        _plot(curve, threshold, out / PLOT_NAME)
    except ImportError:
        plot_note = "no plot: matplotlib is not installed (pip install 'pprl[viz]')"
    else:
        times["plot"] = time.perf_counter() - t

    n_a, n_b = (len(p) for p in ds.parties[:2])
    print(f"pprl demo: {n_a} + {n_b} synthetic records, {len(truth)} true pairs "
          f"(seed {seed}); person schema, l={schema.l}, random secret")
    print(f"{len(links):,} greedy one-to-one links at threshold {threshold:g} "
          f"(evaluated over {len(cands):,} candidate pairs with Dice >= {floor:g})\n")
    import numpy as np

    grid = sorted({round(x, 2) for x in np.arange(0.6, 0.96, 0.05)} | {threshold},
                  reverse=True)
    rows = []
    for tv in grid:
        if tv < floor:
            continue
        m = curve.at(tv)
        mark = " <-" if tv == threshold else ""
        rows.append((f"{tv:.2f}", f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}{mark}"))
    print(_table(rows, ("threshold", "precision", "recall", "F1")))
    print(f"\nat {threshold:g}: tp {chosen.tp}, fp {chosen.fp}, fn {chosen.fn}; "
          f"best F1 {best.f1:.3f} at threshold {best.threshold or 0:.3f}\n")
    print(_table([(k, f"{v:.2f}") for k, v in times.items()], ("stage", "seconds")))
    print(f"\nwrote {out / MATCHES_NAME}; {plot_note}")
    sys.stdout.flush()
    return 0
