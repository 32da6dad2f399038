"""Tests of pprl.viz.plots: each Display draws what it holds, headless (Agg)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pprl import Candidates, recall_by_corruption, threshold_curve  # noqa: E402
from pprl.viz import plots  # noqa: E402
from pprl.viz.plots import (  # noqa: E402
    CorruptionRecallDisplay,
    ParameterHeatmapDisplay,
    PopcountDisplay,
    PrecisionRecallDisplay,
    ScoreHistogramDisplay,
    ThresholdMetricsDisplay,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    n = 60
    a = np.r_[np.arange(n), rng.integers(0, n, 400)]
    b = np.r_[np.arange(n), rng.integers(0, n, 400)]
    s = np.r_[rng.uniform(0.6, 1.0, n), rng.uniform(0.2, 0.8, 400)].round(3)
    df = pd.DataFrame({"a": a, "b": b, "score": s}).drop_duplicates(["a", "b"])
    cands = Candidates.from_unsorted(df.a, df.b, df.score)
    truth = np.column_stack([np.arange(n + 5), np.arange(n + 5)])  # 5 never candidates
    return cands, truth


def test_precision_recall_display_draws_the_curve(data):
    cands, truth = data
    curve = threshold_curve(cands, truth)
    d = PrecisionRecallDisplay.from_curve(curve).plot()
    x, y = d.line_.get_data()
    np.testing.assert_allclose(x, curve.recall)
    np.testing.assert_allclose(y, curve.precision)
    assert d.chosen == curve.best_f1()
    assert max(x) < 1.0  # recall over all true pairs, 5 never candidates
    # overlay on given axes
    fig, ax = plt.subplots()
    d2 = PrecisionRecallDisplay.from_candidates(cands, truth, threshold=0.7).plot(
        ax=ax, label="second", style=1)
    assert d2.ax_ is ax and d2.figure_ is fig
    assert d2.chosen.threshold == 0.7


def test_threshold_metrics_display_marks_threshold_and_size(data):
    cands, truth = data
    d = ThresholdMetricsDisplay.from_candidates(cands, truth, threshold=0.65).plot()
    assert len(d.lines_) == 3
    assert d.vline_.get_xdata()[0] == 0.65
    styles = {line.get_linestyle() for line in d.lines_}
    assert len(styles) == 3  # told apart without colour
    assert d.size_ax_.get_yscale() == "log"
    with pytest.raises(Exception, match="without truth"):
        ThresholdMetricsDisplay.from_curve(threshold_curve(cands))


def test_score_histogram_display_split_and_unsplit(data):
    cands, truth = data
    d = ScoreHistogramDisplay.from_scores(cands, truth, bins=20, threshold=0.7).plot()
    assert len(d.artists_) == 2
    hatches = [a.get_hatch() for a in d.artists_]
    assert hatches[0] and hatches[0] != hatches[1]  # non-matches hatched, matches not
    d = ScoreHistogramDisplay.from_scores(cands, bins=20).plot(log=False)
    assert len(d.artists_) == 1


def test_parameter_heatmap_from_frame_and_shape_check():
    df = pd.DataFrame([{"l": n, "k": k, "f1": n / 4096 + k / 100}
                       for n in (512, 1024) for k in (10, 20, 30)])
    d = ParameterHeatmapDisplay.from_frame(df, x="k", y="l").plot()
    assert d.values.shape == (2, 3)
    assert d.values[1, 2] == pytest.approx(1024 / 4096 + 0.3)
    texts = [t.get_text() for t in d.ax_.texts]
    assert len(texts) == 6 and "0.550" in texts
    with pytest.raises(ValueError, match="shape"):
        ParameterHeatmapDisplay(np.zeros((2, 2)), [1, 2, 3], [1, 2], x_label="x", y_label="y")


def test_popcount_display_counts_bits():
    clks = np.zeros((10, 4), dtype=np.uint8)
    clks[:, 0] = 0b111  # 3 bits each
    other = np.full((5, 4), 255, dtype=np.uint8)  # 32 bits each
    d = PopcountDisplay.from_clks(clks, other, labels=["A", "B"]).plot(bins=32)
    assert d.n_bits == 32
    assert d.counts[0].tolist() == [3] * 10 and d.counts[1].tolist() == [32] * 5
    assert [t.get_text() for t in d.ax_.get_legend().get_texts()] == ["A (mean 3)",
                                                                       "B (mean 32)"]


def test_corruption_recall_display_labels_bars():
    log = pd.DataFrame({"party": ["a", "b"], "row": [0, 1], "kind": ["typo", "ocr"]})
    truth = [[0, 0], [1, 1], [2, 2]]
    r = recall_by_corruption([[0, 0]], truth, log)
    d = CorruptionRecallDisplay.from_result(r).plot()
    assert [t.get_text() for t in d.ax_.get_yticklabels()] == list(r.kinds)
    assert sorted(t.get_text() for t in d.ax_.texts) == ["0/1", "0/1", "1/1"]
    assert all(bar.get_hatch() for bar in d.bars_)


def test_empty_candidates_plot_without_warnings(recwarn):
    curve = threshold_curve(Candidates.empty(), [[0, 0]])
    PrecisionRecallDisplay.from_curve(curve).plot()
    ThresholdMetricsDisplay.from_curve(curve).plot()
    ScoreHistogramDisplay.from_scores(Candidates.empty(), [[0, 0]]).plot()
    assert not [w for w in recwarn if "legend" in str(w.message)]


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'pprl\[viz\]'"):
        PopcountDisplay.from_clks(np.zeros((1, 1), np.uint8)).plot()


def test_plots_module_does_not_import_matplotlib_at_import_time():
    import subprocess

    code = ("import sys, pprl.viz, pprl.viz.plots, pprl.viz.widgets; "
            "print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["False", "False"]
    assert plots.__all__


# --- widgets (headless: a simulated control change must update state) ----------------


def test_threshold_explorer_slider_updates_summary(data):
    pytest.importorskip("ipywidgets")
    from pprl.viz.widgets import ThresholdExplorer

    cands, truth = data
    ex = ThresholdExplorer(cands, truth, greedy=False)
    assert ex.summary.threshold == pytest.approx(threshold_curve(cands, truth).best_f1().threshold)
    ex.slider.value = 0.7
    assert ex.summary.threshold == pytest.approx(0.7)
    assert ex.summary.n_candidates == len(cands.above(0.7))
    assert f"candidate set: {len(cands.above(0.7)):,} pairs" in ex.table.value
    pr, tm, hist = ex._displays
    m = ex.summary.links
    assert pr.marker_.get_xdata()[0] == m.recall and pr.marker_.get_ydata()[0] == m.precision
    assert tm.vline_.get_xdata()[0] == 0.7 and hist.vline_.get_xdata()[0] == 0.7
    legend = [t.get_text() for t in ex.axes[1].get_legend().get_texts()]
    assert "threshold 0.700" in legend
    ex.slider.value = 0.9
    assert ex.summary.links.n_matches == len(cands.above(0.9))
    assert "threshold 0.900" in [t.get_text() for t in ex.axes[2].get_legend().get_texts()]


def test_threshold_explorer_with_greedy(data):
    pytest.importorskip("ipywidgets")
    from pprl.viz.widgets import ThresholdExplorer

    cands, truth = data
    ex = ThresholdExplorer(cands, truth, threshold=0.6)
    assert ex.summary.greedy is not None
    assert ex.summary.greedy.n_matches <= ex.summary.links.n_matches
    assert "greedy 1-1" in ex.table.value


def test_parameter_explorer_controls_drive_the_model():
    pytest.importorskip("ipywidgets")
    from pprl import synthetic
    from pprl.evaluation.explore import EncodingParams, ExplorerModel
    from pprl.viz.widgets import ParameterExplorer

    ds = synthetic.make_dataset(80, rng=5)
    model = ExplorerModel(ds.parties[0], ds.parties[1], ds.truth[["a", "b"]],
                          secret=b"widget-test", floor=0.3)
    ex = ParameterExplorer(model, EncodingParams(l=512))
    assert ex.result.clks_a.shape[1] == 64
    ex.controls["l"].value = 256
    assert ex.params.l == 256 and ex.result.clks_a.shape[1] == 32
    ex.set(q=3, include=("given_name", "surname"))
    assert ex.params.q == 3 and ex.params.include == ("given_name", "surname")
    assert ex.result is model.evaluate(ex.params)
    assert ex._previous is not None and ex._previous.params != ex.params
    assert "best F1" in ex.status.value and "update" in ex.status.value
    assert len(ex.axes[1].get_lines()) >= 2  # now + previous curve
    assert ex.seconds > 0


def test_group_size_display_counts_and_draws():
    import pandas as pd

    import pprl
    from pprl.viz import GroupSizeDisplay

    g = pprl.Groups.from_lists([[(0, 0), (1, 0)], [(0, 1), (1, 1), (2, 1)], [(0, 2), (2, 0)]])
    truth = pd.DataFrame({"party": [0, 1, 2, 0, 1], "row": [0, 0, 0, 1, 1],
                          "entity": [1, 1, 1, 2, 3]})
    d = GroupSizeDisplay.from_groups(g, truth=truth, labels=["greedy", "truth"]).plot()
    assert d.bins.tolist() == [2, 3]
    assert d.counts.tolist() == [[2, 1], [0, 1]]
    assert len(d.ax_.patches) == 4 and d.ax_.get_xlabel() == "records in the group"
