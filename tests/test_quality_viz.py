"""The quality estimate in pictures: ``QualityDisplay`` and the threshold explorer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import pprl

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def linked():
    ds = pprl.make_dataset(300, overlap=0.5, rng=4)
    a, b = (pprl.encode(p, pprl.person_schema(), "k", progress=False) for p in ds.parties)
    cands = pprl.candidate_pairs(a, b, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = pprl.estimate_quality(cands, len(a), len(b), floor=0.5, rng=0, n_bootstrap=30)
    return cands, ds.truth[["a", "b"]], q


def test_quality_display_draws_bands_and_truth(linked, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from pprl.viz import QualityDisplay

    cands, truth, q = linked
    curve = pprl.threshold_curve(cands, truth, solver="greedy")
    disp = QualityDisplay.from_estimate(q, true_curve=curve).plot()
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    for name in ("precision", "recall", "f1"):
        assert f"{name} (estimated)" in labels and f"{name} (true)" in labels
    styles = {disp.lines_[n].get_linestyle() for n in ("precision", "recall", "f1")}
    assert len(styles) == 3  # told apart without colour
    assert len(disp.ax_.collections) == 3  # one band per measure
    true = disp.true_values()
    assert np.allclose(true["f1"][q.index(0.8)], curve.at(0.8).f1)
    path = tmp_path / "m.quality.json"
    path.write_text(__import__("json").dumps(q.to_dict()))
    again = QualityDisplay.from_file(path).plot()
    assert f"suggested {q.suggested_threshold:g}" in [
        t.get_text() for t in again.ax_.get_legend().get_texts()]


def test_threshold_explorer_shows_the_estimate(linked):
    pytest.importorskip("ipywidgets")
    from pprl.viz.widgets import ThresholdExplorer

    cands, truth, q = linked
    ex = ThresholdExplorer(cands, truth, threshold=0.7, quality=q)
    r = q.at(0.7)
    assert f"f1 {r['f1']:.3f} [{r['f1_low']:.3f}, {r['f1_high']:.3f}]" in ex.table.value
    ex.slider.value = 0.8
    assert f"f1 {q.at(0.8)['f1']:.3f}" in ex.table.value
    assert "F1 estimated without truth" in [
        t.get_text() for t in ex.axes[1].get_legend().get_texts()]
    plain = ThresholdExplorer(cands, truth, threshold=0.7)
    assert "estimated without truth" not in plain.table.value
