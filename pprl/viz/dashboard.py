"""The workshop dashboard: the explorers as tabs of one page.

``pprl dashboard`` serves this page through Voila (the ``dashboard`` extra)
from a notebook shipped in the package; in Jupyter, ``Dashboard(data)`` as
the last expression of a cell shows the same page.  Tabs:

1. **threshold**: the candidate pairs' scores, P/R/F1 against the threshold
   and the confusion counts (:class:`~pprl.viz.widgets.ThresholdExplorer`);
2. **parameters**: l, k, q, fields and hardening, with F1 and the privacy
   readout of an attack (:class:`~pprl.viz.widgets.ParameterExplorer`);
3. **one record**: a true pair's journey from tokens to bits and to their
   Dice coefficient (:class:`JourneyExplorer`, the workshop view of notebook 04);
4. **quality without truth**: :func:`pprl.estimate_quality`'s precision, recall
   and F1 with their intervals, the truth overlaid (notebook 08).

A fresh random secret is drawn for every page (never shown).  Everything
computed comes from unit-tested functions in :mod:`pprl.evaluation`; this
module builds the controls and draws.

Examples
--------
>>> from pprl.viz.dashboard import Dashboard, load_dashboard_data   # doctest: +SKIP
>>> Dashboard(load_dashboard_data("au-1k", records=500))            # doctest: +SKIP
"""

from __future__ import annotations

import html
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._mpl import require_widgets

__all__ = ["DEFAULT_DATA", "DashboardData", "load_dashboard_data", "JourneyExplorer",
           "Dashboard", "NOTEBOOK"]

DEFAULT_DATA = "au-1k"
#: The notebook ``pprl dashboard`` serves (reads PPRL_DASHBOARD_* from the environment).
NOTEBOOK = Path(__file__).resolve().parent.parent / "data" / "dashboard" / "pprl_dashboard.ipynb"
#: How many true pairs the parameter explorer's attack re-identifies (keeps its readout quick).
ATTACK_RECORDS = 200

# Okabe & Ito's colour-blind-safe palette, one colour per field (grey: collisions).
_FIELD_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00",
                  "#CC79A7", "#000000", "#999933", "#882255", "#44AA99", "#117733")
_CLASH, _OTHER, _EMPTY = "#555555", "#c4c4c4", "#f4f4f4"


@dataclass(frozen=True)
class DashboardData:
    """Two parties' records and their true pairs, as the dashboard shows them.

    Attributes
    ----------
    name : str
        The shipped data set's name, or the files' names.
    records_a, records_b : pandas.DataFrame
    truth : ndarray of int64, shape (m, 2)
        Row in A, row in B of every true pair.
    """

    name: str
    records_a: Any
    records_b: Any
    truth: np.ndarray


def _person_columns() -> list[str]:
    from ..encoding.schema import person_schema

    return [f.identifier for f in person_schema().features if not f.ignored]


def _read_csvs(spec: str) -> tuple[Any, Any, np.ndarray]:
    import pandas as pd

    paths = [Path(p.strip()) for p in spec.split(",")]
    if len(paths) != 3 or not all(str(p) for p in paths):
        raise InputError(f"--data {spec}: expected a shipped data set's name or three CSV "
                         "files a.csv,b.csv,truth.csv")
    frames = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file (--data)")
        try:
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not a readable CSV file ({exc})") from None
    need = _person_columns()
    for path, frame in zip(paths[:2], frames[:2], strict=True):
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}; the dashboard "
                             f"encodes with the person schema, which needs {', '.join(need)}")
    truth = frames[2]
    if not {"a", "b"} <= set(truth.columns):
        raise InputError(f"{paths[2]}: expected a truth file with columns a,b "
                         f"(0-based rows of A and B); got {','.join(truth.columns)}")
    pairs = np.empty((len(truth), 2), dtype=np.int64)
    for j, (col, n, path) in enumerate([("a", len(frames[0]), paths[0]),
                                        ("b", len(frames[1]), paths[1])]):
        values = pd.to_numeric(truth[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() | (values < 0).to_numpy()
                             | (values >= n).to_numpy() | (values % 1 != 0).to_numpy())
        if len(bad):
            raise InputError(f"{paths[2]}: row {int(bad[0]) + 2}, column {col}: expected a "
                             f"row of {path} (0 to {n - 1}); got {truth[col].iloc[bad[0]]!r}")
        pairs[:, j] = values.to_numpy(dtype=np.int64)
    return frames[0], frames[1], pairs


def _subsample(a, b, truth: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` records of A at random, their true matches in B plus strangers up to ``n``."""
    if n >= len(a) and n >= len(b):
        return a, b, truth
    rows_a = np.sort(rng.choice(len(a), size=min(n, len(a)), replace=False))
    keep = np.isin(truth[:, 0], rows_a)
    matched_b = np.unique(truth[keep, 1])
    if len(matched_b) > n:
        matched_b = np.sort(rng.choice(matched_b, size=n, replace=False))
    others = np.setdiff1d(np.arange(len(b)), matched_b)
    extra = rng.choice(others, size=min(len(others), n - len(matched_b)), replace=False)
    rows_b = np.sort(np.concatenate([matched_b, extra]))
    keep &= np.isin(truth[:, 1], rows_b)
    new_a = np.full(len(a), -1)
    new_a[rows_a] = np.arange(len(rows_a))
    new_b = np.full(len(b), -1)
    new_b[rows_b] = np.arange(len(rows_b))
    pairs = np.column_stack([new_a[truth[keep, 0]], new_b[truth[keep, 1]]])
    return (a.iloc[rows_a].reset_index(drop=True), b.iloc[rows_b].reset_index(drop=True),
            pairs.astype(np.int64))


def load_dashboard_data(data: str = DEFAULT_DATA, *, records: int | None = None,
                        rng: Any = 0) -> DashboardData:
    """The records the dashboard shows: a shipped data set or the user's own CSVs.

    Parameters
    ----------
    data : str, default="au-1k"
        A shipped data set's name (:func:`pprl.list_datasets`; its first two
        parties), or ``"a.csv,b.csv,truth.csv"``: two parties with the
        person schema's columns and a truth ``a,b`` of 0-based rows.
    records : int, optional
        Records per party: that many of A at random, their true matches in
        B and strangers up to the same number.  Default: all.
    rng : int or Generator, default=0
        Seeds the sample.

    Returns
    -------
    DashboardData

    Raises
    ------
    InputError
        An unknown name, a missing file, a missing column or a truth row
        outside the files (one line naming the file and place).
    """
    from ..synthetic.datasets import list_datasets, load

    if records is not None and (isinstance(records, bool) or not isinstance(records, int)
                                or records < 10):
        raise InputError(f"--records must be an integer of at least 10; got {records}")
    if data in list_datasets():
        ds = load(data)
        if len(ds.parties) < 2:
            raise InputError(f"data set {data!r} has one party; the dashboard needs two")
        a, b = ds.parties[0], ds.parties[1]
        pairs = ds.pairs(0, 1)[["a", "b"]].to_numpy(dtype=np.int64)
        name = data
    elif "," in data:
        a, b, pairs = _read_csvs(data)
        name = ", ".join(Path(p.strip()).name for p in data.split(","))
    else:
        raise InputError(f"--data {data}: not a shipped data set ({', '.join(list_datasets())}) "
                         "nor three CSV files a.csv,b.csv,truth.csv")
    if records is not None:
        a, b, pairs = _subsample(a, b, pairs, records, np.random.default_rng(rng))
    if len(pairs) == 0:
        raise InputError(f"--data {data}: the two parties share no true pair; the explorers "
                         "need some")
    return DashboardData(name, a, b, pairs)


def _bit_grid(ax, journey, highlight: str | None, title: str) -> None:
    """Draw a CLK's bits as a grid.

    The highlighted field's bits in colour, other fields' in light grey, bits
    set by two or more fields dark grey.
    """
    from matplotlib.colors import to_rgb

    owners = journey.owners()
    names = [f.name for f in journey.fields]
    cols = 32 if journey.l >= 512 else 16
    rows = -(-journey.l // cols)
    image = np.ones((rows * cols, 3))
    image[:] = to_rgb(_EMPTY)
    for i, name in enumerate(names):
        colour = _FIELD_COLOURS[i % len(_FIELD_COLOURS)]
        if highlight is not None and name != highlight:
            colour = _OTHER
        image[: journey.l][owners == i] = to_rgb(colour)
    image[: journey.l][owners == len(names)] = to_rgb(_CLASH)
    ax.imshow(image.reshape(rows, cols, 3), interpolation="nearest", aspect="equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)


class JourneyExplorer:
    """A true pair's journey: tokens, each field's bits, the CLKs and their Dice.

    Parameters
    ----------
    records_a, records_b : pandas.DataFrame
    truth : ndarray, shape (m, 2)
        True pairs (row in A, row in B); the slider walks through them.
    schema : dict or path
        A linkage schema without hardening.
    secret : bytes
        Never shown.

    Attributes
    ----------
    pair, field : ipywidgets widgets
        The true pair shown and the field highlighted.
    comparison : pprl.evaluation.journey.PairComparison
        What the pair shown gives (updated on every change).
    widget : ipywidgets.VBox
    """

    def __init__(self, records_a, records_b, truth, schema, secret: bytes):
        from ..evaluation.journey import record_journey

        w = require_widgets()
        self._records = (records_a, records_b)
        self._truth = np.asarray(truth, dtype=np.int64)
        self._schema, self._secret = schema, secret
        self._journey = record_journey
        first = record_journey(records_a.iloc[int(self._truth[0, 0])], schema, secret)
        names = [f.name for f in first.fields]
        self.pair = w.IntSlider(value=0, min=0, max=len(self._truth) - 1,
                                description="true pair", continuous_update=False)
        self.pair.add_class("pprl-pair-slider")
        self.field = w.Dropdown(options=names, value=names[0], description="field")
        self.tokens = w.HTML()
        self.table = w.HTML()
        self.output = w.Output()
        self.output.add_class("pprl-journey-plot")
        self.table.add_class("pprl-journey-table")
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=(11.0, 3.6), dpi=80)
        self.axes = self.figure.subplots(1, 3)
        self.figure.subplots_adjust(left=0.02, right=0.98, bottom=0.03, top=0.88, wspace=0.08)
        self.widget = w.VBox([w.HBox([self.pair, self.field]), self.tokens, self.output,
                              self.table])
        self.pair.observe(self._on_change, names="value")
        self.field.observe(self._on_change, names="value")
        self.update()

    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Recompute the pair shown and redraw."""
        from ..evaluation.journey import compare_journeys
        from .widgets import _show

        ia, ib = (int(x) for x in self._truth[self.pair.value])
        a = self._journey(self._records[0].iloc[ia], self._schema, self._secret)
        b = self._journey(self._records[1].iloc[ib], self._schema, self._secret)
        self.comparison = cmp = compare_journeys(a, b)
        name = self.field.value
        fa, fb = a.field(name), b.field(name)
        shared = set(fa.tokens) & set(fb.tokens)

        def chips(tokens):
            return " ".join(
                f"<code style='background:{'#cde8d6' if t in shared else '#eee'}'>"
                f"{html.escape(repr(t)[1:-1])}</code>" for t in tokens) or "<i>none</i>"

        self.tokens.value = (
            f"<b>{html.escape(name)}</b>: A row {ia} <b>{html.escape(fa.value)!s}</b> gives "
            f"{len(fa.tokens)} tokens {chips(fa.tokens)}<br>"
            f"B row {ib} <b>{html.escape(fb.value)}</b> gives {len(fb.tokens)} tokens "
            f"{chips(fb.tokens)}<br>{len(shared)} tokens in common (green); "
            f"each token sets up to k bits, so the field sets {len(fa.bits)} and "
            f"{len(fb.bits)} bits, {len(np.intersect1d(fa.bits, fb.bits))} of them shared.")
        bold = ' style="font-weight:bold"'
        rows = "".join(
            f"<tr{bold if r['field'] == name else ''}>"
            f"<td>{html.escape(r['field'])}</td><td>{html.escape(r['a'])}</td>"
            f"<td>{html.escape(r['b'])}</td><td>{r['bits_a']}</td><td>{r['bits_b']}</td>"
            f"<td>{r['shared']}</td><td>{r['dice']:.3f}</td></tr>" for r in cmp.rows)
        self.table.value = (
            "<table><tr><th>field</th><th>A</th><th>B</th><th>bits A</th><th>bits B</th>"
            f"<th>shared</th><th>Dice</th></tr>{rows}</table>"
            f"<p class='pprl-dice'>CLKs: |A| = {cmp.bits_a}, |B| = {cmp.bits_b}, "
            f"|A &amp; B| = {cmp.shared}; Dice = 2 &times; {cmp.shared} / "
            f"({cmp.bits_a} + {cmp.bits_b}) = <b>{cmp.dice:.4f}</b></p>")
        for ax in self.axes:
            ax.clear()
        _bit_grid(self.axes[0], a, name, f"A row {ia}: {len(a.fields)} fields, "
                                         f"{cmp.bits_a} bits set")
        _bit_grid(self.axes[1], b, name, f"B row {ib}: {cmp.bits_b} bits set")
        both = np.flatnonzero(np.unpackbits(a.clk & b.clk))
        grid = np.zeros(a.l)
        grid[both] = 1
        cols = 32 if a.l >= 512 else 16
        self.axes[2].imshow(np.pad(grid, (0, -a.l % cols)).reshape(-1, cols), cmap="Greys",
                            vmin=0, vmax=1.4, interpolation="nearest")
        self.axes[2].set_xticks([])
        self.axes[2].set_yticks([])
        self.axes[2].set_title(f"shared bits: {cmp.shared} (Dice {cmp.dice:.3f})", fontsize=10)
        _show(self.output, self.figure)

    def _ipython_display_(self):  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.widget)


class Dashboard:
    """The workshop page: threshold, parameter and one-record explorers in tabs.

    Parameters
    ----------
    data : DashboardData
        From :func:`load_dashboard_data`.
    secret : bytes, optional
        Default: a fresh random secret (never shown).
    attack : bool, default=True
        Read out the graph attack's re-identification rate in the parameter tab
        (on :data:`ATTACK_RECORDS` true pairs, on a seeded shuffle of the rows).
    floor : float, default=0.5
        The lowest threshold the threshold explorer covers.
    rng : int, default=0
        Seeds the attack.

    Attributes
    ----------
    threshold, parameters, journey : explorers
        The three tabs' explorers.
    tabs : ipywidgets.Tab
    widget : ipywidgets.VBox
    """

    TITLES = ("threshold", "parameters", "one record", "quality without truth")

    def __init__(self, data: DashboardData, *, secret: bytes | None = None,
                 attack: bool = True, floor: float = 0.5, rng: int = 0):
        from ..encoding.encode import encode
        from ..encoding.schema import PERSON_SCHEMA_PATH
        from ..evaluation.explorer import ExplorerModel
        from ..evaluation.metrics import threshold_curve
        from ..evaluation.quality import estimate_quality
        from ..linkage.similarity import candidate_pairs
        from .widgets import ParameterExplorer, ThresholdExplorer

        w = require_widgets()
        secret = secret if secret is not None else secrets.token_bytes(32)
        a, b, truth = data.records_a, data.records_b, data.truth
        clks_a = encode(a, PERSON_SCHEMA_PATH, secret, progress=False)
        clks_b = encode(b, PERSON_SCHEMA_PATH, secret, progress=False)
        candidates = candidate_pairs(clks_a, clks_b, threshold=floor)
        with warnings.catch_warnings():  # an unreliable estimate says so in its own tab
            warnings.simplefilter("ignore")
            self.quality = estimate_quality(candidates, len(a), len(b), floor=floor,
                                            clks=(clks_a, clks_b), rng=rng)
        self.threshold = ThresholdExplorer(candidates, truth, quality=self.quality)
        self.threshold.slider.add_class("pprl-threshold-slider")
        self.threshold.table.add_class("pprl-threshold-summary")
        self.threshold.output.add_class("pprl-threshold-plot")
        attacker = None
        if attack:
            attacker = _measured_attack(rng)
        model = ExplorerModel(a, b, truth, secret=secret, floor=floor, attack=attacker,
                              attack_records=min(ATTACK_RECORDS, len(truth)), rng=rng)
        self.parameters = ParameterExplorer(model)
        self.parameters.status.add_class("pprl-parameter-status")
        self.parameters.output.add_class("pprl-parameter-plot")
        self.parameters.controls["xor_folds"].add_class("pprl-xor-slider")
        self.journey = JourneyExplorer(a, b, truth, PERSON_SCHEMA_PATH, secret)
        self.quality_tab = _quality_tab(w, self.quality,
                                        threshold_curve(candidates, truth, solver="greedy"))
        self.tabs = w.Tab(children=[self.threshold.widget, self.parameters.widget,
                                    self.journey.widget, self.quality_tab])
        for i, title in enumerate(self.TITLES):
            self.tabs.set_title(i, title)
        header = w.HTML(
            f"<h2 style='margin:0.2em 0'>pprl workshop dashboard</h2>"
            "<p>Move the sliders: the page re-encodes and re-links the records as you go. "
            f"Data: <b>{html.escape(data.name)}</b>, {len(a):,} &times; {len(b):,} records, "
            f"{len(truth):,} true pairs; encoded with the person schema and a secret drawn "
            "for this page (never shown).</p>")
        self.widget = w.VBox([header, self.tabs])

    def _ipython_display_(self):  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.widget)


def _measured_attack(rng: int):
    """The graph attack as the parameter explorer measures it.

    On a seeded shuffle of the plaintext rows, scored by :func:`pprl.privacy.score_guesses`.
    """
    from ..privacy import ShuffledAttack

    return ShuffledAttack(rng=rng)


def _quality_tab(w, quality, true_curve):
    """The estimate a linkage unit gets without truth, beside what the truth says."""
    from matplotlib.figure import Figure

    from .quality import QualityDisplay
    from .widgets import _show

    fig = Figure(figsize=(8.0, 4.2), dpi=80)
    ax = fig.subplots()
    QualityDisplay.from_estimate(quality, true_curve=true_curve).plot(ax=ax)
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.13, top=0.92)
    out = w.Output()
    out.add_class("pprl-quality-plot")
    _show(out, fig)
    text = w.HTML(
        "<p>What the linkage unit can say <i>without</i> the truth, from the scores alone "
        "(lines and bands: the estimate and its interval; dots: the truth, which only "
        "synthetic data has; the method and when it fails: docs/quality.md).</p>"
        f"<p>{html.escape(quality.summary(quality.suggested_threshold))}</p>")
    text.add_class("pprl-quality-summary")
    return w.VBox([text, out])
