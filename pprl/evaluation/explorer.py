"""The parameter explorer's model: re-encode a sample under changing knobs, evaluate, cache."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._validation import check_rng, check_threshold
from ..errors import InputError
from ._pairs import as_pairs
from .diagnostics import ScoreHistogram, score_histogram
from .metrics import LinkageMetrics, ThresholdCurve
from .params import EncodingParams, apply_params, hashed_features

__all__ = ["ExplorerResult", "ExplorerModel", "matrix_curve", "parameter_grid"]

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
        Time of each stage (``encode``, ``compare``, ``evaluate``, and
        ``attack`` with an attack) for the call that computed it.
    reidentification : float or None
        The model's attack's re-identification rate (correct guesses /
        attacked records), None without an attack.
    """

    params: EncodingParams
    clks_a: np.ndarray
    clks_b: np.ndarray
    histogram: ScoreHistogram
    curve: ThresholdCurve
    seconds: dict = field(default_factory=dict)
    reidentification: float | None = None

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
    attack : measured attack, optional
        An object with ``score(clks, plaintext, schema, truth)`` returning
        something with a ``reidentification_rate``: a
        :class:`pprl.privacy.ShuffledAttack`, e.g.
        ``ShuffledAttack(graph_attack, rng=0)``, which runs the attack on
        party A's CLKs against party B's plaintext *in a seeded random row
        order* and scores it with :func:`pprl.privacy.score_guesses` (a bare
        attack function is refused: given aligned rows, an attack whose
        matching breaks ties toward the identity scores high with no
        information).  Each result then carries its ``reidentification``
        rate, computed once per setting (results are cached).
    attack_records : int, optional
        Attack only the first ``attack_records`` true pairs (A's CLKs against
        B's plaintext of the same people), to keep a new setting fast; default all.
    rng : seed or Generator, optional
    """

    def __init__(self, records_a, records_b, truth, *, schema: Any = None,
                 secret: bytes | None = None, floor: float = 0.5, bins: int = 50,
                 cache_size: int = 256, attack: Any = None,
                 attack_records: int | None = None, rng: Any = None):
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
        if attack is not None and not callable(getattr(attack, "score", None)):
            raise InputError(
                "The 'attack' parameter of ExplorerModel must be a measured attack with a "
                "score(clks, plaintext, schema, truth) method, e.g. "
                "pprl.privacy.ShuffledAttack(graph_attack, rng=0), which attacks a seeded "
                "shuffle of the plaintext and scores it with pprl.privacy.score_guesses. "
                f"Got {getattr(attack, '__name__', type(attack).__name__)} instead.")
        self.attack = attack
        self._lock = threading.Lock()
        if attack_records is not None and (not isinstance(attack_records, int)
                                           or attack_records < 1):
            raise InputError("The 'attack_records' parameter of ExplorerModel must be a "
                             f"positive integer or None. Got {attack_records!r} instead.")
        self.attack_records = attack_records
        self._attacks: OrderedDict[tuple, float] = OrderedDict()  # by CLK bytes: knobs that
        # give the same CLKs (a k the schema's strategy ignores) never re-run the attack

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
        single["clkConfig"].pop("hardening", None)  # applied to the OR of the features
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
        from ..encoding.encode import encode
        from ..encoding.hardening import apply_hardening, hardening_keys, xor_fold
        from ..encoding.schema import load_schema

        doc = apply_params(self.schema, params)
        schema = load_schema(doc)
        if schema.salt is not None:  # salting changes every feature's hashing: no cache
            return tuple(encode(r, schema, self._secret, match="name", progress=False)
                         for r in self.records)
        keys = hardening_keys(self._secret, schema)
        hash_l = params.l << params.xor_folds
        out = []
        for party in (0, 1):
            acc = np.zeros((len(self.records[party]), hash_l // 8), dtype=np.uint8)
            for i, f in enumerate(doc["features"]):
                if not f.get("ignored"):
                    acc |= self._feature_filters(party, doc, i, hash_l)
            acc = xor_fold(acc, params.xor_folds)
            out.append(apply_hardening(acc, schema.hardening, keys))
        return out[0], out[1]

    def _reidentification(self, clks_a: np.ndarray, params: EncodingParams) -> float:
        """The attack's correct guesses / attacked records, on A's CLKs and B's plaintext."""
        import hashlib

        pairs = self.truth[:self.attack_records] if self.attack_records else self.truth
        if len(pairs) == 0:
            return 0.0
        key = (hashlib.blake2b(np.ascontiguousarray(clks_a).tobytes()).hexdigest(),
               clks_a.shape)
        with self._lock:
            if key in self._attacks:
                self._attacks.move_to_end(key)
                return self._attacks[key]
        plaintext = self.records[1].iloc[pairs[:, 1]].reset_index(drop=True)
        n = len(pairs)  # attacked CLK row i and plaintext row i are the same person
        score = self.attack.score(clks_a[pairs[:, 0]], plaintext,
                                  apply_params(self.schema, params),
                                  np.column_stack([np.arange(n), np.arange(n)]))
        rate = float(score.reidentification_rate)
        with self._lock:
            self._attacks[key] = rate
            while len(self._attacks) > 64:
                self._attacks.popitem(last=False)
        return rate

    def evaluate(self, params: EncodingParams | None = None, *, attack: bool = True,
                 **changes) -> ExplorerResult:
        """Encode, compare all pairs and evaluate; ``changes`` update ``params``.

        With ``attack=False`` the model's attack is not run (the result's
        ``reidentification`` is None unless it is cached), so a widget can
        show F1 at once and ask for the attack afterwards.  Thread-safe: the
        caches are locked, the work is not.

        Examples
        --------
        >>> model.evaluate(l=512, q=3).best.f1        # doctest: +SKIP
        """
        from ..linkage.similarity import dice_matrix

        params = replace(params or EncodingParams(), **changes)
        if params.include is not None:
            params = replace(params, include=tuple(sorted(params.include)))
        want_attack = attack and self.attack is not None
        with self._lock:
            res = self._results.get(params)
            if res is not None:
                self._results.move_to_end(params)
                if not want_attack or res.reidentification is not None:
                    self.stats["result_hits"] += 1
                    return res
        if res is None:
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
        if want_attack:
            t3 = time.perf_counter()
            reid = self._reidentification(res.clks_a, params)
            res = replace(res, reidentification=reid,
                          seconds={**res.seconds, "attack": time.perf_counter() - t3})
        with self._lock:
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
