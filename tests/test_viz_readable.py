"""Plots that show their numbers: readable log ticks, panels fitted to the data,
series told apart by colour (Okabe–Ito) and style, frontier labels that never overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from pprl import Candidates, score_histogram, threshold_curve  # noqa: E402
from pprl.viz._mpl import OKABE_ITO, log_ticks  # noqa: E402
from pprl.viz.plots import (  # noqa: E402
    PopcountDisplay,
    PrecisionRecallDisplay,
    ScoreHistogramDisplay,
    ThresholdMetricsDisplay,
)
from pprl.viz.privacy import FrontierDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def curve():
    """400 true pairs (150 of them exact, 1.0) and 600 strangers at 0.3-0.75: greedy keeps
    150-400 pairs, under a decade, as in the demo (where the old axis labelled only 1,000)."""
    rng = np.random.default_rng(8)
    n = 400
    strangers = rng.choice(n * n, 600, replace=False)  # distinct (a, b), b not a's partner
    a = np.concatenate([np.arange(n), strangers // n])
    b = np.concatenate([np.arange(n), n + strangers % n])
    s = np.concatenate([np.ones(150), rng.uniform(0.7, 1.0, n - 150), rng.uniform(0.3, 0.75, 600)])
    truth = pd.DataFrame({"a": np.arange(n), "b": np.arange(n)})
    return threshold_curve(Candidates.from_unsorted(a, b, s), truth, solver="greedy"), \
        Candidates.from_unsorted(a, b, s), truth


def _labels_in_view(ax, axis):
    ax.figure.canvas.draw()
    lo, hi = ax.get_ylim() if axis is ax.yaxis else ax.get_xlim()
    return [t.get_text() for t, v in zip(axis.get_ticklabels(), axis.get_ticklocs(), strict=True)
            if t.get_text() and lo <= v <= hi]


def test_the_pairs_kept_axis_labels_several_ticks(curve):
    c, _, _ = curve
    d = ThresholdMetricsDisplay.from_curve(c).plot()
    kept = np.maximum(c.n_pairs, 1)
    assert kept.max() / kept.min() < 10  # under a decade: the case that showed one label
    labels = _labels_in_view(d.size_ax_, d.size_ax_.yaxis)
    assert len(labels) >= 3, labels
    assert all("$" not in t for t in labels)  # plain text, no mathtext parse per redraw


@pytest.mark.parametrize("lo, hi, least", [(150, 1000, 3), (3, 20_000, 4), (1, 1e7, 5)])
def test_log_ticks_label_every_span_readably(lo, hi, least):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [lo, hi])
    ax.set_yscale("log")
    log_ticks(ax.yaxis, lo, hi)
    labels = _labels_in_view(ax, ax.yaxis)
    assert least <= len(labels) <= 14, labels


def test_panels_fit_their_data(curve):
    c, cands, truth = curve
    pr = PrecisionRecallDisplay.from_curve(c).plot()
    (x0, x1), (y0, y1) = pr.ax_.get_xlim(), pr.ax_.get_ylim()
    rec, prec = c.recall, c.precision
    # the data fills most of each axis: no half-empty panel
    # (a range under 0.05 is shown 0.05 wide: no zooming into noise)
    assert max(rec.max() - rec.min(), 0.05) / (x1 - x0) > 0.8
    assert max(prec.max() - prec.min(), 0.05) / (y1 - y0) > 0.8
    assert x0 <= rec.min() and x1 >= rec.max() and y0 <= prec.min() and y1 >= prec.max()
    h = ScoreHistogramDisplay.from_histogram(score_histogram(cands, truth), threshold=0.8).plot()
    lo, hi = h.ax_.get_xlim()
    assert 0.25 < lo <= 0.3 and 1.0 <= hi < 1.05  # candidates start at 0.3, not at 0
    clks = np.packbits(np.random.default_rng(1).random((50, 256)) < 0.4, axis=1)
    p = PopcountDisplay.from_clks(clks).plot()
    assert p.ax_.get_xlim()[0] > 50  # popcounts ~100 of 256, not from 0


def test_series_differ_in_colour_and_style(curve):
    c, _, _ = curve
    d = ThresholdMetricsDisplay.from_curve(c).plot()
    lines = d.lines_ + d.size_ax_.lines
    colours = [to_hex(ln.get_color()).upper() for ln in lines]
    styles = [str(ln.get_linestyle()) for ln in lines]
    assert len(set(colours)) == len(lines) and len(set(styles)) == len(lines)
    assert set(colours) <= set(OKABE_ITO.values())
    fig, ax = plt.subplots()
    for i in range(3):  # overlays of the precision/recall curve
        PrecisionRecallDisplay.from_curve(c).plot(ax=ax, style=i, label=f"run {i}")
    steps = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]
    assert len({to_hex(ln.get_color()) for ln in steps}) == 3
    assert len({str(ln.get_linestyle()) for ln in steps}) == 3


def _boxes(texts):
    r = texts[0].figure.canvas.get_renderer()
    out = []
    for t in texts:  # the text itself (an Annotation's own extent includes its leader line)
        t.update_positions(r)
        out.append(mpl.text.Text.get_window_extent(t, r))
    return out


def test_frontier_labels_never_overlap():
    # the crowd of notebook 05: settings at the same spot, and near one another
    names = ["none", "balance", "xor_fold", "rule90", "diffusion 3", "person-hardened",
             "blip 0.02", "blip 0.05", "blip 0.1", "salt sex", "salt year of birth",
             "diffusion 5"]
    reid = [0.83, 0.10, 0.003, 0.003, 0.003, 0.004, 0.99, 0.99, 0.077, 0.027, 0.003, 0.003]
    f1 = [1.0, 1.0, 1.0, 1.0, 1.0, 0.999, 1.0, 1.0, 1.0, 0.997, 0.973, 0.955]
    d = FrontierDisplay(f1, reid, names).plot()
    texts = list(d.ax_.texts)  # every label drawn
    shown = ", ".join(t.get_text() for t in texts)
    assert all(n in shown for n in names)
    boxes = _boxes(texts)
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    frame = d.ax_.get_window_extent(texts[0].figure.canvas.get_renderer())
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)  # inside the axes
