"""Notebook explorers: thin ipywidgets wiring over :mod:`pprl.evaluation.explore`.

Everything computed here comes from plain, unit-tested functions
(:func:`pprl.evaluation.explore.threshold_summary`, :class:`pprl.evaluation.explore.ExplorerModel`);
the classes below only build controls, call those functions when a control
changes and redraw.  ipywidgets and matplotlib are imported when an explorer
is built, never at import time.  Show an explorer by leaving it as the last
expression of a cell (or ``display(explorer)``).

Examples
--------
>>> from pprl.viz.widgets import ThresholdExplorer          # doctest: +SKIP
>>> ThresholdExplorer(candidates, truth)                    # doctest: +SKIP
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from typing import Any

from ..errors import InputError
from ..evaluation.diagnostics import score_histogram
from ..evaluation.explore import EncodingParams, ExplorerModel, threshold_summary
from ..evaluation.metrics import threshold_curve
from ._mpl import require_widgets
from .plots import (
    PrecisionRecallDisplay,
    ScoreHistogramDisplay,
    ThresholdMetricsDisplay,
    _point_label,
)

__all__ = ["ThresholdExplorer", "ParameterExplorer"]

L_CHOICES = (256, 512, 1024, 2048, 4096)
_SCHEMA = "schema"  # a dropdown's "as the schema says" (None in EncodingParams)


def _widget_value(value):
    return _SCHEMA if value is None else value


def _param_value(value):
    return None if value == _SCHEMA else value


def _figure(ncols: int, width: float):
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) so notebooks do not show it a second time, with a
    # fixed layout: constrained layout would cost more than the update itself.
    fig = Figure(figsize=(width, 4.0), dpi=80)
    axes = fig.subplots(1, ncols)
    fig.subplots_adjust(left=0.09 if ncols == 2 else 0.06, right=0.94 if ncols == 3 else 0.98,
                        bottom=0.13, top=0.91, wspace=0.85 if ncols == 3 else 0.3)
    return fig, axes


def _reset(ax) -> None:
    """Remove what was drawn but keep the axes.

    Cheaper than ``ax.clear()``, which rebuilds every tick.
    """
    for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()


def _show(output, figure) -> None:
    """Render the figure to PNG ourselves, so any matplotlib backend shows it."""
    import io

    from IPython.display import Image, display

    buf = io.BytesIO()
    figure.savefig(buf, format="png")
    with output:
        output.clear_output(wait=True)
        display(Image(data=buf.getvalue(), format="png"))


class _Explorer:
    widget: Any = None

    def _ipython_display_(self):  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.widget)


class ThresholdExplorer(_Explorer):
    """A threshold slider over the candidate pairs' diagnostics.

    Moving it redraws the P/R curve, the metric curves, the score histogram,
    the confusion counts and the candidate-set size.

    Parameters
    ----------
    candidates : Candidates
        Scored candidate pairs (e.g. :func:`pprl.candidate_pairs` at a low threshold).
    truth : pairs
        All true pairs.
    threshold : float, optional
        Initial threshold; default the best-F1 threshold.
    greedy : bool, default=True
        Also show greedy one-to-one matching counts.
    bins : int, default=50
    quality : QualityEstimate, optional
        An estimate without truth (:func:`pprl.estimate_quality`): its
        precision, recall and F1 with intervals at the slider's threshold are
        shown under the true figures, and its F1 curve and band on the metric plot.

    Attributes
    ----------
    slider : ipywidgets.FloatSlider
    summary : pprl.evaluation.explore.ThresholdSummary
        What the current threshold gives (updated on every change).
    widget : ipywidgets.VBox
    """

    def __init__(self, candidates, truth, *, threshold: float | None = None,
                 greedy: bool = True, bins: int = 50, quality=None):
        w = require_widgets()
        self.quality = quality
        self.curve = threshold_curve(candidates, truth)
        self.greedy_curve = threshold_curve(candidates, truth, solver="greedy") if greedy else None
        self.histogram = score_histogram(candidates, truth, bins=bins)
        if threshold is None:
            threshold = self.curve.best_f1().threshold or 0.5
        lo = float(self.curve.thresholds.min()) if len(self.curve) else 0.0
        self.slider = w.FloatSlider(value=threshold, min=round(lo, 3), max=1.0, step=0.005,
                                    description="threshold", continuous_update=False,
                                    readout_format=".3f")
        self.table = w.HTML()
        self.output = w.Output()
        self.figure, self.axes = _figure(3, 15.0)
        self.widget = w.VBox([self.slider, self.table, self.output])
        self._displays = None
        self.slider.observe(self._on_change, names="value")
        self.update(threshold)

    def _on_change(self, change) -> None:
        self.update(change["new"])

    def update(self, threshold: float) -> None:
        """Recompute the summary at ``threshold`` and redraw.

        The curves do not depend on the threshold: after the first draw only
        the marker, the two threshold lines and their legend entries move.
        """
        self.summary = threshold_summary(self.curve, threshold, self.greedy_curve)
        self.table.value = self.summary.to_html() + _quality_html(self.quality, threshold)
        t = self.summary.threshold
        if self._displays is None:
            self._displays = (
                PrecisionRecallDisplay.from_curve(self.curve, threshold=t).plot(ax=self.axes[0]),
                ThresholdMetricsDisplay.from_curve(self.curve, threshold=t).plot(ax=self.axes[1]),
                ScoreHistogramDisplay(self.histogram, threshold=t).plot(ax=self.axes[2]),
            )
            if self.quality is not None:  # the estimate without truth, over the true curves
                q = self.quality
                self.axes[1].plot(q.thresholds, q.f1, color="black", linestyle="-.",
                                  label="F1 estimated without truth")
                self.axes[1].fill_between(q.thresholds, q.f1_low, q.f1_high, color="0.5",
                                          alpha=0.2, hatch="////", linewidth=0)
                self.axes[1].legend(fontsize="x-small")
        else:
            pr, tm, hist = self._displays
            m = self.summary.links
            _move(pr.marker_, [m.recall], [m.precision], _point_label(m), self.axes[0])
            _move(tm.vline_, [t, t], None, f"threshold {t:.3f}", self.axes[1])
            _move(hist.vline_, [t, t], None, f"threshold {t:.3f}", self.axes[2])
        _show(self.output, self.figure)


def _quality_html(quality, threshold: float) -> str:
    """The estimate without truth at ``threshold``, one HTML line ('' without one)."""
    if quality is None or threshold < quality.thresholds[0]:
        return ""
    r = quality.at(threshold)
    cells = ", ".join(f"{k} {r[k]:.3f} [{r[k + '_low']:.3f}, {r[k + '_high']:.3f}]"
                      for k in ("precision", "recall", "f1"))
    flag = " (unreliable)" if not quality.reliable else ""
    return f"<p>estimated without truth{flag}: {cells}</p>"


def _move(artist, x, y, label: str, ax) -> None:
    """Move a line (``y=None`` keeps its y data) and rename its legend entry."""
    if artist is None:
        return
    old = artist.get_label()
    artist.set_xdata(x)
    if y is not None:
        artist.set_ydata(y)
    artist.set_label(label)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            if text.get_text() == old:
                text.set_text(label)


class ParameterExplorer(_Explorer):
    """Controls for the encoding knobs that re-encode a sample and redraw its quality.

    Parameters
    ----------
    model : pprl.evaluation.explore.ExplorerModel
        The sample, truth and caches (see :class:`~pprl.evaluation.explore.ExplorerModel`).
    params : EncodingParams, optional
        Initial knobs.

    Attributes
    ----------
    controls : dict of str to ipywidgets widget
        ``l``, ``xor_folds``, ``strategy``, ``k``, ``q``, ``positional``,
        ``hardening`` (a setting of :data:`pprl.privacy.frontier.DEFAULT_SETTINGS`)
        and one checkbox per feature under ``"include:<name>"``.  With a
        model that has an ``attack``, the status line reads out its
        re-identification rate beside F1: F1 is drawn at once and the attack
        runs on a thread (``attack_thread``) for a setting not seen before,
        its readout filled in when done (cached per setting).
    params : EncodingParams
        The knobs shown now.
    result : pprl.evaluation.explore.ExplorerResult
    seconds : float
        Wall time of the last update (evaluate and draw).
    model_seconds : float
        Of which the model (encode, compare, evaluate; cache hits are instant).
    """

    def __init__(self, model: ExplorerModel, params: EncodingParams | None = None):
        from ..privacy.frontier import DEFAULT_SETTINGS

        w = require_widgets()
        self.model = model
        p = params or EncodingParams()
        hardening = [("schema", None)] + [(name, json.dumps(steps))
                                          for name, steps in DEFAULT_SETTINGS.items()]
        if p.hardening is not None and p.hardening not in {v for _, v in hardening}:
            hardening.append((p.hardening, p.hardening))
        included = set(p.include) if p.include is not None else set(model.features)
        c: dict[str, Any] = {
            "l": w.SelectionSlider(options=sorted(set(L_CHOICES) | {p.l}), value=p.l,
                                   description="l (bits)", continuous_update=False),
            "xor_folds": w.IntSlider(value=p.xor_folds, min=0, max=2, description="xor folds",
                                     continuous_update=False),
            "strategy": w.ToggleButtons(options=["schema", "bitsPerToken", "bitsPerFeature"],
                                        value=p.strategy, description="k is"),
            "k": w.IntSlider(value=p.k, min=1, max=400, description="k",
                             continuous_update=False),
            # ipywidgets 8 shows a value of None as no selection (a blank box in a
            # browser): "as the schema says" is the string _SCHEMA, mapped back to None
            "q": w.Dropdown(options=[("schema", _SCHEMA), ("1", 1), ("2", 2), ("3", 3),
                                     ("4", 4)],
                            value=_widget_value(p.q), description="q (text)"),
            "positional": w.Dropdown(options=[("schema", _SCHEMA), ("off", False),
                                              ("on", True)],
                                     value=_widget_value(p.positional), description="positional"),
            "hardening": w.Dropdown(options=[(n, _widget_value(v)) for n, v in hardening],
                                    value=_widget_value(p.hardening), description="hardening"),
        }
        for name in model.features:
            c[f"include:{name}"] = w.Checkbox(value=name in included, description=name,
                                              indent=False)
        self.controls = c
        self.status = w.HTML()
        self.output = w.Output()
        self.figure, self.axes = _figure(2, 11.0)
        self._previous = None
        feature_box = w.HBox([c[f"include:{n}"] for n in model.features],
                             layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox([
            w.HBox([c["l"], c["xor_folds"]]),
            w.HBox([c["strategy"], c["k"]]),
            w.HBox([c["q"], c["positional"]]),
            c["hardening"],
            w.HTML("<b>features hashed</b>"), feature_box,
            self.status, self.output,
        ])
        for ctl in c.values():
            ctl.observe(self._on_change, names="value")
        self.attack_thread: threading.Thread | None = None
        self.update()

    def params_from_controls(self) -> EncodingParams:
        """The knobs the controls show now."""
        c = self.controls
        include = tuple(n for n in self.model.features if c[f"include:{n}"].value)
        return EncodingParams(l=c["l"].value, xor_folds=c["xor_folds"].value,
                              strategy=c["strategy"].value, k=c["k"].value,
                              q=_param_value(c["q"].value),
                              positional=_param_value(c["positional"].value), include=include,
                              hardening=_param_value(c["hardening"].value))

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Evaluate the knobs shown and redraw (previous P/R curve dotted for comparison)."""
        t0 = time.perf_counter()
        params = self.params_from_controls()
        try:
            result = self.model.evaluate(params, attack=False)  # the attack runs after
            self.model_seconds = time.perf_counter() - t0
        except InputError as exc:
            self.status.value = f"<span>cannot encode: {exc}</span>"
            return
        if getattr(self, "result", None) is not None and self.result.params != params:
            self._previous = self.result
        self.params, self.result = params, result
        best = result.best
        for ax in self.axes:
            _reset(ax)
        ScoreHistogramDisplay(result.histogram, threshold=best.threshold).plot(ax=self.axes[0])
        if self._previous is not None:
            PrecisionRecallDisplay.from_curve(self._previous.curve).plot(
                ax=self.axes[1], label="previous", style=2)
        PrecisionRecallDisplay.from_curve(result.curve).plot(ax=self.axes[1], label="now")
        _show(self.output, self.figure)
        self.seconds = time.perf_counter() - t0
        self._write_status(result)
        if self.model.attack is not None and result.reidentification is None:
            # a new setting: F1 is shown now, the attack's readout follows from a thread
            self.attack_thread = threading.Thread(target=self._run_attack, args=(params,),
                                                  daemon=True)
            self.attack_thread.start()

    def _run_attack(self, params: EncodingParams) -> None:
        result = self.model.evaluate(params)
        if self.params == params:  # still the setting shown
            self.result = result
            self._write_status(result)

    def _write_status(self, result) -> None:
        best, s = result.best, result.seconds
        attack = ""
        if result.reidentification is not None:
            attack = (f"re-identified by the attack <b>{result.reidentification:.1%}</b> "
                      f"(attack {s.get('attack', 0.0) * 1e3:.0f} ms) &middot; ")
        elif self.model.attack is not None:
            attack = "re-identified by the attack: <i>computing...</i> &middot; "
        self.status.value = (
            f"best F1 <b>{best.f1:.3f}</b> at threshold {best.threshold or 0:.3f} "
            f"(precision {best.precision:.3f}, recall {best.recall:.3f}) &middot; {attack}"
            f"encode {s['encode'] * 1e3:.0f} ms, compare {s['compare'] * 1e3:.0f} ms, "
            f"evaluate {s['evaluate'] * 1e3:.0f} ms; update {self.seconds * 1e3:.0f} ms"
        )

    def set(self, **changes) -> None:
        """Set controls programmatically (as a user would), e.g. ``set(l=512, q=3)``."""
        for name, value in changes.items():
            if name == "include":
                for n in self.model.features:
                    self.controls[f"include:{n}"].value = n in value
            elif name in ("q", "positional", "hardening"):
                self.controls[name].value = _widget_value(value)
            else:
                self.controls[name].value = value

    def params_with(self, **changes) -> EncodingParams:
        """The current knobs with some changed (does not touch the controls)."""
        return replace(self.params, **changes)
