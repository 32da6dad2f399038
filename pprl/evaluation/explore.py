"""The logic behind the notebook explorers, in plain functions (no plotting, no widgets).

:mod:`pprl.viz.widgets` only wires sliders to what is here, so everything an
explorer computes is unit-tested directly.

* Threshold explorer: :func:`threshold_summary` -- what linking at one
  threshold gives (confusion counts with and without one-to-one matching,
  candidate-set size).
* Parameter explorer: :class:`EncodingParams` (the knobs), :func:`apply_params`
  (knobs applied to a clkhash v3 schema dict) and :class:`ExplorerModel`,
  which re-encodes a synthetic sample and evaluates it, caching each
  feature's Bloom filters so a slider move re-hashes only what changed.
"""

from __future__ import annotations

import copy
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from .._validation import check_rng, check_threshold, param_error
from ..errors import InputError
from ._pairs import as_pairs
from .diagnostics import ScoreHistogram, score_histogram
from .metrics import LinkageMetrics, ThresholdCurve

__all__ = [
    "ThresholdSummary",
    "threshold_summary",
    "EncodingParams",
    "apply_params",
    "hashed_features",
    "ExplorerResult",
    "ExplorerModel",
    "matrix_curve",
    "parameter_grid",
]


# --- threshold explorer ---------------------------------------------------------


@dataclass(frozen=True)
class ThresholdSummary:
    """Linking at one threshold.

    Attributes
    ----------
    threshold : float
    links : LinkageMetrics
        Every candidate with ``score >= threshold`` taken as a link.
    n_candidates : int
        Candidate-set size at the threshold (the cost side).
    greedy : LinkageMetrics or None
        Greedy one-to-one matching of those candidates, when its curve is given.
    """

    threshold: float
    links: LinkageMetrics
    n_candidates: int
    greedy: LinkageMetrics | None = None

    def rows(self) -> list[tuple[str, str, str]]:
        """Table rows ``(quantity, all candidates, greedy 1-1)`` as strings."""
        g = self.greedy
        out = []
        for name in ("n_matches", "tp", "fp", "fn", "precision", "recall", "f1"):
            vals = [getattr(self.links, name)] + ([getattr(g, name)] if g else [None])
            out.append((name, *("" if v is None else
                                (f"{v:.3f}" if isinstance(v, float) else str(v))
                                for v in vals)))
        return out

    def to_html(self) -> str:
        """A small HTML table of :meth:`rows` for a notebook."""
        head = "<tr><th></th><th>all candidates</th><th>greedy 1-1</th></tr>"
        body = "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>"
                       for a, b, c in self.rows())
        return (f"<b>threshold {self.threshold:.3f}</b> &middot; candidate set: "
                f"{self.n_candidates:,} pairs<table>{head}{body}</table>")


def threshold_summary(
    curve: ThresholdCurve, threshold: float, greedy_curve: ThresholdCurve | None = None
) -> ThresholdSummary:
    """What linking at ``threshold`` gives, read off precomputed curves in O(log n).

    Parameters
    ----------
    curve : ThresholdCurve
        Labelled curve of all candidates (``solver="none"``).
    threshold : float
    greedy_curve : ThresholdCurve, optional
        Labelled curve with ``solver="greedy"`` for the same candidates.

    Returns
    -------
    ThresholdSummary
    """
    threshold = check_threshold(threshold, "threshold_summary")
    links = curve.at(threshold)
    greedy = greedy_curve.at(threshold) if greedy_curve is not None else None
    return ThresholdSummary(threshold, links, links.n_matches, greedy)


# --- parameter explorer ---------------------------------------------------------

Strategy = Literal["schema", "bitsPerToken", "bitsPerFeature"]


@dataclass(frozen=True)
class EncodingParams:
    """The knobs of the parameter explorer; ``None`` keeps the schema's own value.

    Attributes
    ----------
    l : int, default=1024
        CLK length in bits after folding (multiple of 8).
    xor_folds : int, default=0
        XOR folds (the filter is hashed at ``l * 2**xor_folds`` bits, then folded).
    strategy : {"schema", "bitsPerToken", "bitsPerFeature"}, default="schema"
        ``"schema"`` keeps each feature's own strategy; otherwise every hashed
        feature uses ``k`` bits per token or per feature.
    k : int, default=15
    q : int or None
        n-gram length for the free-text features (n-gram, not positional in the schema).
    positional : bool or None
        Positional n-grams for those features.
    include : tuple of str or None
        Hashed features to keep; the others are ignored.  None keeps all.
    """

    l: int = 1024  # noqa: E741 -- the schema's name
    xor_folds: int = 0
    strategy: Strategy = "schema"
    k: int = 15
    q: int | None = None
    positional: bool | None = None
    include: tuple[str, ...] | None = None


def _text_features(schema: dict) -> list[str]:
    """Identifiers of n-gram features on strings that the schema does not make positional."""
    out = []
    for f in schema.get("features", []):
        comp = f.get("hashing", {}).get("comparison", {})
        if (not f.get("ignored") and comp.get("type") == "ngram"
                and f.get("format", {}).get("type") == "string" and not comp.get("positional")):
            out.append(f["identifier"])
    return out


def hashed_features(schema: dict) -> list[str]:
    """Identifiers of the features a schema dict hashes (not ignored)."""
    return [f["identifier"] for f in schema.get("features", []) if not f.get("ignored")]


def apply_params(schema: dict, params: EncodingParams) -> dict:
    """A copy of a clkhash v3 schema dict with the explorer's knobs applied.

    ``q`` and ``positional`` change only free-text features (string n-gram
    features that are not positional in ``schema``); dates, numbers and
    positional codes keep their comparison.

    Raises
    ------
    InputError
        For an ``include`` name that is not a hashed feature, or a bad knob.
    """
    func = "apply_params"
    if params.l < 8 or params.l % 8:
        raise param_error("l", func, "a positive multiple of 8", params.l)
    if params.xor_folds < 0:
        raise param_error("xor_folds", func, "a non-negative integer", params.xor_folds)
    if params.strategy not in ("schema", "bitsPerToken", "bitsPerFeature"):
        raise param_error("strategy", func, "'schema', 'bitsPerToken' or 'bitsPerFeature'",
                          params.strategy)
    if params.k < 1:
        raise param_error("k", func, "a positive integer", params.k)
    if params.q is not None and params.q < 1:
        raise param_error("q", func, "a positive integer or None", params.q)
    out = copy.deepcopy(schema)
    hashed = hashed_features(out)
    if params.include is not None:
        unknown = sorted(set(params.include) - set(hashed))
        if unknown:
            raise param_error("include", func, f"names of hashed features {hashed}", unknown)
    text = set(_text_features(out))
    cfg = out.setdefault("clkConfig", {})
    cfg["l"] = int(params.l)
    cfg.pop("xorFolds", None)  # clkhash 0.18 reads only 'xor_folds'
    cfg["xor_folds"] = int(params.xor_folds)
    for i, f in enumerate(out["features"]):
        ident = f["identifier"]
        if f.get("ignored"):
            continue
        if params.include is not None and ident not in params.include:
            out["features"][i] = {"identifier": ident, "ignored": True}
            continue
        h = f["hashing"]
        if ident in text:
            if params.q is not None:
                h["comparison"]["n"] = int(params.q)
            if params.positional is not None:
                h["comparison"]["positional"] = bool(params.positional)
        if params.strategy != "schema":
            h["strategy"] = {params.strategy: int(params.k)}
    return out


@dataclass(frozen=True)
class ExplorerResult:
    """One evaluation of the sample under one set of knobs.

    Attributes
    ----------
    params : EncodingParams
    clks_a, clks_b : ndarray of uint8, shape (n_a, l // 8), (n_b, l // 8)
    histogram : ScoreHistogram
        Scores of **all** ``n_a * n_b`` pairs, split by the truth.
    curve : ThresholdCurve
        Candidates with score >= the model's ``floor``; recall over all true pairs.
    seconds : dict
        Time of each stage (``encode``, ``compare``, ``evaluate``) for the
        call that computed it.
    """

    params: EncodingParams
    clks_a: np.ndarray
    clks_b: np.ndarray
    histogram: ScoreHistogram
    curve: ThresholdCurve
    seconds: dict = field(default_factory=dict)

    @property
    def best(self) -> LinkageMetrics:
        """The best-F1 operating point."""
        return self.curve.best_f1()


def matrix_curve(matrix: np.ndarray, truth: Any, floor: float = 0.0) -> ThresholdCurve:
    """:func:`~pprl.threshold_curve` of every pair of a Dice matrix scoring ``>= floor``.

    The same curve as building the candidates and calling
    :func:`~pprl.threshold_curve`, but it sorts bare scores instead of
    labelled pairs, several times faster on millions of pairs.

    Parameters
    ----------
    matrix : ndarray of float64, shape (n_a, n_b)
    truth : pairs
        True pairs; recall is over all of them, including those under ``floor``.
    floor : float, default=0.0
    """
    floor = check_threshold(floor, "matrix_curve")
    ta, tb, _ = as_pairs(truth, "truth", "matrix_curve")
    mat = np.asarray(matrix, dtype=np.float64)
    if len(ta) and (ta.max() >= mat.shape[0] or tb.max() >= mat.shape[1]):
        raise InputError("matrix_curve: the truth names rows outside the score matrix.")
    if len(np.unique(ta.astype(np.int64) << 31 | tb)) != len(ta):
        raise InputError("matrix_curve: the truth lists a pair more than once.")
    scores = np.sort(mat[mat >= floor])[::-1]
    match = np.sort(mat[ta, tb])
    if scores.size:
        thresholds = scores[np.append(np.flatnonzero(np.diff(scores) != 0), scores.size - 1)]
    else:
        thresholds = scores
    asc = scores[::-1]
    n_pairs = scores.size - np.searchsorted(asc, thresholds, side="left")
    tp = match.size - np.searchsorted(match, thresholds, side="left")
    return ThresholdCurve(thresholds=thresholds, n_pairs=n_pairs.astype(np.int64),
                          tp=tp.astype(np.int64), n_true=len(ta))


class ExplorerModel:
    """Re-encode a two-party sample under changing knobs and evaluate it, with caching.

    Each hashed feature's Bloom filters (before OR-ing and folding) are cached
    per party, keyed by the feature's JSON spec and the hashing length, so a
    knob that touches one feature re-hashes only that feature and toggling
    features re-hashes nothing.  Whole results are cached by knobs too.

    Parameters
    ----------
    records_a, records_b : pandas.DataFrame
        The parties, with a column per schema feature (e.g. from
        :func:`pprl.synthetic.make_dataset`).
    truth : pairs
        True pairs ``(a, b)``.
    schema : dict or path, optional
        Base clkhash v3 schema; default the shipped person schema.
    secret : bytes, optional
        Default: 32 random bytes from ``rng`` (never shown).
    floor : float, default=0.5
        Lowest threshold the P/R curve covers (candidates are pairs above it).
    bins : int, default=50
        Bins of the score histogram.
    cache_size : int, default=256
        Feature filters kept per party (least recently used dropped).
    rng : seed or Generator, optional
    """

    def __init__(self, records_a, records_b, truth, *, schema: Any = None,
                 secret: bytes | None = None, floor: float = 0.5, bins: int = 50,
                 cache_size: int = 256, rng: Any = None):
        from ..encoding.schema import PERSON_SCHEMA_PATH

        if schema is None:
            schema = PERSON_SCHEMA_PATH
        if not isinstance(schema, dict):
            with open(schema, encoding="utf-8") as fh:
                schema = json.load(fh)
        self.schema = schema
        self.records = (records_a, records_b)
        ta, tb, _ = as_pairs(truth, "truth", "ExplorerModel")
        self.truth = np.column_stack([ta, tb])
        self._secret = secret if secret is not None else check_rng(rng).bytes(32)
        self.floor = check_threshold(floor, "ExplorerModel")
        self.bins = bins
        self.cache_size = cache_size
        self._features: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._results: OrderedDict[EncodingParams, ExplorerResult] = OrderedDict()
        self.stats = {"feature_hits": 0, "feature_misses": 0, "result_hits": 0}

    def __repr__(self) -> str:  # never shows the secret
        return (f"ExplorerModel(n_a={len(self.records[0])}, n_b={len(self.records[1])}, "
                f"n_true={len(self.truth)})")

    @property
    def features(self) -> list[str]:
        """Hashed features of the base schema (the ones ``include`` may name)."""
        return hashed_features(self.schema)

    def _feature_filters(self, party: int, doc: dict, index: int, hash_l: int) -> np.ndarray:
        from ..encoding.encode import encode

        spec = json.dumps(doc["features"][index], sort_keys=True)
        kdf = json.dumps(doc["clkConfig"].get("kdf"), sort_keys=True)
        key = (party, index, spec, kdf, len(doc["features"]), hash_l)
        hit = self._features.get(key)
        if hit is not None:
            self._features.move_to_end(key)
            self.stats["feature_hits"] += 1
            return hit
        self.stats["feature_misses"] += 1
        single = copy.deepcopy(doc)
        single["clkConfig"]["l"] = hash_l
        single["clkConfig"]["xor_folds"] = 0
        single["features"] = [
            f if i == index else {"identifier": f["identifier"], "ignored": True}
            for i, f in enumerate(doc["features"])
        ]
        filters = encode(self.records[party], single, self._secret, match="name",
                         progress=False)
        self._features[key] = filters
        while len(self._features) > self.cache_size:
            self._features.popitem(last=False)
        return filters

    def encode(self, params: EncodingParams) -> tuple[np.ndarray, np.ndarray]:
        """CLKs of both parties under ``params`` (byte-identical to :func:`pprl.encode`)."""
        doc = apply_params(self.schema, params)
        hash_l = params.l << params.xor_folds
        out = []
        for party in (0, 1):
            acc = np.zeros((len(self.records[party]), hash_l // 8), dtype=np.uint8)
            for i, f in enumerate(doc["features"]):
                if not f.get("ignored"):
                    acc |= self._feature_filters(party, doc, i, hash_l)
            for _ in range(params.xor_folds):
                half = acc.shape[1] // 2
                acc = acc[:, :half] ^ acc[:, half:]
            out.append(np.ascontiguousarray(acc))
        return out[0], out[1]

    def evaluate(self, params: EncodingParams | None = None, **changes) -> ExplorerResult:
        """Encode, compare all pairs and evaluate; ``changes`` update ``params``.

        Examples
        --------
        >>> model.evaluate(l=512, q=3).best.f1        # doctest: +SKIP
        """
        from ..linkage.similarity import dice_matrix

        params = replace(params or EncodingParams(), **changes)
        if params.include is not None:
            params = replace(params, include=tuple(sorted(params.include)))
        cached = self._results.get(params)
        if cached is not None:
            self._results.move_to_end(params)
            self.stats["result_hits"] += 1
            return cached
        t0 = time.perf_counter()
        clks_a, clks_b = self.encode(params)
        t1 = time.perf_counter()
        mat = dice_matrix(clks_a, clks_b)
        t2 = time.perf_counter()
        hist = score_histogram(mat, self.truth, bins=self.bins)
        curve = matrix_curve(mat, self.truth, self.floor)
        t3 = time.perf_counter()
        res = ExplorerResult(params, clks_a, clks_b, hist, curve,
                             {"encode": t1 - t0, "compare": t2 - t1, "evaluate": t3 - t2})
        self._results[params] = res
        while len(self._results) > 32:
            self._results.popitem(last=False)
        return res


def parameter_grid(model: ExplorerModel, x: str, xs, y: str, ys,
                   base: EncodingParams | None = None) -> Any:
    """Best F1 for every combination of two knobs, as a long table for a heat map.

    Parameters
    ----------
    model : ExplorerModel
    x, y : str
        Names of :class:`EncodingParams` fields (e.g. ``"l"`` and ``"k"``).
    xs, ys : sequences
        Values to try.
    base : EncodingParams, optional
        Values of the other knobs.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``x``, ``y``, ``f1``, ``precision``,
        ``recall``, ``threshold``.
    """
    import pandas as pd

    fields = set(EncodingParams.__dataclass_fields__)
    for name in (x, y):
        if name not in fields:
            raise InputError(f"parameter_grid: {name!r} is not a knob; expected one of "
                             f"{sorted(fields)}")
    rows = []
    for yv in ys:
        for xv in xs:
            best = model.evaluate(base, **{x: xv, y: yv}).best
            rows.append({x: xv, y: yv, "f1": best.f1, "precision": best.precision,
                         "recall": best.recall, "threshold": best.threshold})
    return pd.DataFrame(rows)
