"""Draw every figure the README and docs show, into docs/figures/, from synthetic data.

Run from the repository root (needs the viz extra; about two minutes on two cores):

    MPLBACKEND=Agg python docs/make_figures.py            # every figure
    MPLBACKEND=Agg python docs/make_figures.py demo tune  # only these

Every figure comes from the same Display classes users call (pprl.viz), on
seeded synthetic people, so a change to how pprl draws shows up here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import pprl
from pprl.evaluation.diagnostics import recall_by_corruption, score_histogram
from pprl.viz.plots import (
    CorruptionRecallDisplay,
    ParameterHeatmapDisplay,
    PopcountDisplay,
    ScoreHistogramDisplay,
    ThresholdMetricsDisplay,
)

OUT = Path(__file__).resolve().parent / "figures"
SEED = 22
SECRET = b"docs/make_figures.py: a made-up secret for the figures"


def _data(n: int = 1000):
    ds = pprl.make_dataset(n, overlap=0.5, rng=SEED)
    schema = pprl.person_schema()
    a, b = (pprl.encode(p, schema, SECRET, progress=False) for p in ds.parties[:2])
    cands = pprl.candidate_pairs(a, b, 0.3)
    return ds, a, b, cands, ds.truth[["a", "b"]]


def demo(data) -> list[Path]:
    """What ``pprl demo`` writes: precision/recall and the metrics against the threshold."""
    from pprl.cli.demo import _plot

    ds, a, b, cands, truth = data
    curve = pprl.threshold_curve(cands, truth, solver="greedy")
    path = OUT / "demo_precision_recall.png"
    _plot(curve, 0.8, path)
    return [path]


def _save(fig, name: str) -> Path:
    path = OUT / name
    fig.savefig(path, dpi=110)
    return path


def quality(data) -> list[Path]:
    """Score histogram (notebook 02), popcounts, recall by corruption, the metrics alone."""
    ds, a, b, cands, truth = data
    out = []
    d = ScoreHistogramDisplay.from_histogram(score_histogram(cands, truth), threshold=0.8).plot()
    out.append(_save(d.figure_, "score_histogram.png"))
    out.append(_save(PopcountDisplay.from_clks(a, b).plot().figure_, "popcounts.png"))
    links = pprl.greedy_match(cands.above(0.8))
    r = recall_by_corruption(links, truth, ds.corruptions)
    out.append(_save(CorruptionRecallDisplay.from_result(r).plot().figure_,
                     "recall_by_corruption.png"))
    curve = pprl.threshold_curve(cands, truth, solver="none")
    out.append(_save(ThresholdMetricsDisplay.from_curve(curve).plot().figure_,
                     "threshold_metrics.png"))
    rng = np.random.default_rng(SEED)
    grid = np.clip(0.9 + 0.02 * rng.standard_normal((3, 4)), 0, 1)
    d = ParameterHeatmapDisplay(grid, [500, 1000, 2000, 4000], [2, 3, 4],
                                x_label="CLK bits", y_label="q-gram length").plot()
    out.append(_save(d.figure_, "parameter_heatmap.png"))
    return out


def frontier(data) -> list[Path]:
    """The privacy-utility frontier (notebook 05, docs/hardening.md) at 300 records a party."""
    from pprl.privacy import frontier as run_frontier
    from pprl.viz.privacy import FrontierDisplay

    result = run_frontier(n_records=300, rng=SEED, progress=False)
    return [_save(FrontierDisplay.from_frontier(result).plot().figure_, "frontier.png")]


def tune(data) -> list[Path]:
    """``pprl tune``'s search.png, from a short search (12 trials, 400 records)."""
    from pprl.viz.tuning import TuneSearchDisplay

    columns = {"rec_id": "ignore", "given_name": "first_name", "surname": "last_name",
               "date_of_birth": "date_of_birth:%Y%m%d", "postcode": "postcode"}
    result = pprl.tune(columns, records=400, n_trials=12, budget_minutes=2, rng=SEED,
                       progress=False)
    return [_save(TuneSearchDisplay.from_result(result).plot().figure_, "tune_search.png")]


FIGURES = {"demo": demo, "quality": quality, "frontier": frontier, "tune": tune}


def main(argv: list[str]) -> int:
    """Draw the named figure groups (default: all); print each file written."""
    import matplotlib

    matplotlib.use("Agg")
    names = argv or list(FIGURES)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        print(f"make_figures: unknown figure {unknown[0]!r}; choose from {', '.join(FIGURES)}",
              file=sys.stderr)
        return 2
    OUT.mkdir(exist_ok=True)
    data = _data()
    for name in names:
        t = time.perf_counter()
        for path in FIGURES[name](data):
            print(f"{path.relative_to(OUT.parent.parent)}  ({time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
