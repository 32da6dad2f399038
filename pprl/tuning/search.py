"""``tune``: choose a linkage schema and threshold on synthetic people, never on real data.

How it works
------------
1. From the column description and the corruption profile, generate
   synthetic two-party sets with known truth (:func:`pprl.make_dataset`), at
   the expected overlap and size: two sets to *tune* on, two more to choose
   the threshold on (*validation*) and one to report the expected F1 on
   (*test*).  One set of each pair is generated a little dirtier than the
   profile says (error rates x 1.5), to hedge against an optimistic profile.
2. Search the space of :mod:`pprl.tuning.space` (per column: comparison and
   bits per token, 0 = left out; the CLK length) with optuna's seeded
   TPE sampler, starting from a hand-written template.  A trial encodes the
   tuning sets (each column's Bloom filters are cached, so only changed
   columns are re-hashed), finds candidates (:func:`pprl.candidate_pairs`)
   and reads F1 at every threshold from one greedy pass
   (:func:`pprl.threshold_curve`).  Its score is the F1 averaged over a
   window of thresholds around its best one, among the thresholds at which
   random (non-matching) pairs pass at most
   :func:`~pprl.tuning.threshold.max_random_pass_rate` of the time (half a
   stranger per record at the size tuned for, at most 1 in 1,000): a schema
   whose good thresholds form a wide plateau transfers better to data it
   has not seen than one with a sharp peak, and one whose plateau lies
   where strangers score would link everything.
3. Encode the validation sets with the best schema; the threshold is the
   middle of the plateau of their window-averaged F1, above the lowest
   threshold that keeps random pairs out (:mod:`pprl.tuning.threshold`).  The
   test set's F1 at that threshold is the F1 to expect, and its random pass
   rate gives the expected candidates per record.

The overlap matters for the threshold: with every record partnered, greedy
matching forgives a low threshold; when half the records have no partner, a
low threshold links each of them to a stranger.
"""

from __future__ import annotations

import numbers
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .._validation import param_error
from ..encoding.encode import encode
from ..errors import InputError, PPRLError
from ..evaluation.metrics import threshold_curve
from ..linkage.similarity import candidate_pairs
from ..synthetic.columns import ColumnSpec, read_columns
from ..synthetic.make import make_dataset
from .profile import CorruptionProfile
from .space import (
    CHOICES,
    LENGTHS,
    MAX_BITS,
    Choice,
    FeatureChoice,
    build_schema,
    template_choice,
)
from .threshold import (
    GRID,
    choose_threshold,
    max_random_pass_rate,
    random_pass_rates,
    smooth,
    true_pass_rates,
)

__all__ = ["TuneResult", "tune"]

_TOP_K = 8  # candidates kept per record of A: plenty for greedy one-to-one matching
_CACHE_BYTES = 400 * 2**20  # per-column filters kept (least recently used dropped first)


@dataclass
class TuneResult:
    """What :func:`tune` chose and why.

    Attributes
    ----------
    schema : dict
        The tuned clkhash v3 linkage schema over the described columns.
    threshold : float
        The Dice threshold to link at (greedy one-to-one matching).
    expected_f1 : float
        F1 at ``threshold`` on a synthetic test set used neither to tune nor
        to choose the threshold.
    validation_f1 : float
        Mean F1 at ``threshold`` on the validation sets.
    choice : dict
        Comparison and bits per token per column, and ``l``.
    trials : list of dict
        Every trial: ``number``, ``score`` (window-averaged F1 on the tuning
        sets), ``best_f1``, ``best_threshold``, ``params``, ``seconds``.
    grid, validation_curve : ndarray
        Thresholds and the validation sets' mean F1 at each (for the plot).
    settings : dict
        Columns, overlap, records, profile, seed, trials asked and run, budget.
    candidates : dict
        What the threshold costs: ``random_pass_rate`` (share of non-matching
        pairs at or above it on the validation sets; never above
        ``max_random_pass_rate``, half a stranger per record at ``records``
        and at most 1 in 1,000, when any threshold achieves that),
        ``test_random_pass_rate``, ``expected_candidates_per_record`` (at
        ``records_per_party`` records per party, on the test set: a true
        partner plus strangers), ``plateau`` (its ends),
        ``f1_alone_plateau_from`` and ``lowest_admissible``
        (:class:`pprl.tuning.threshold.ThresholdChoice`).
    warnings : list of str
        One-line warnings, e.g. when F1 alone would have let random pairs in.
    """

    schema: dict
    threshold: float
    expected_f1: float
    validation_f1: float
    choice: dict
    trials: list[dict]
    grid: np.ndarray
    validation_curve: np.ndarray
    settings: dict = field(default_factory=dict)
    candidates: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict:
        """The JSON form written to ``report.json`` (no secret, no record)."""
        return {
            "threshold": self.threshold,
            "expected_f1": self.expected_f1,
            "validation_f1": self.validation_f1,
            "solver": "greedy",
            "candidates": self.candidates,
            "warnings": self.warnings,
            "choice": self.choice,
            "settings": self.settings,
            "validation_curve": {"thresholds": self.grid.tolist(),
                                 "f1": np.round(self.validation_curve, 6).tolist()},
            "trials": self.trials,
        }

    def __repr__(self) -> str:
        return (f"TuneResult(threshold={self.threshold:.3f}, expected_f1={self.expected_f1:.4f}, "
                f"l={self.choice['l']}, trials={len(self.trials)})")


def _f1_grid(curve) -> np.ndarray:
    """F1 of the greedy curve at every threshold of :data:`GRID`."""
    k = np.searchsorted(-curve.thresholds, -GRID, side="right")
    tp = np.concatenate([[0], curve.tp]).astype(np.float64)[k]
    n = np.concatenate([[0], curve.n_pairs]).astype(np.float64)[k]
    denom = n + curve.n_true
    return np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)


class _Encoder:
    """CLKs of synthetic sets under a :class:`Choice`, caching each column's filters."""

    def __init__(self, spec: ColumnSpec, sets: list, secret: bytes, salt: bytes):
        self.spec, self.sets, self.secret, self.salt = spec, sets, secret, salt
        self.cache: OrderedDict = OrderedDict()
        self.nbytes = 0

    def _filters(self, s: int, party: int, name: str, fc: FeatureChoice, l: int) -> np.ndarray:  # noqa: E741
        key = (s, party, name, fc, l)
        hit = self.cache.get(key)
        if hit is not None:
            self.cache.move_to_end(key)
            return hit
        only = Choice(tuple((n, fc if n == name else FeatureChoice("exact", 0))
                            for n, _ in template_choice(self.spec).features), l)
        doc = build_schema(self.spec, only, salt=self.salt)
        out = encode(self.sets[s][party], doc, self.secret, match="name", progress=False)
        self.cache[key] = out
        self.nbytes += out.nbytes
        while self.nbytes > _CACHE_BYTES and len(self.cache) > 1:
            self.nbytes -= self.cache.popitem(last=False)[1].nbytes
        return out

    def clks(self, s: int, choice: Choice) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for party in (0, 1):
            acc = np.zeros((len(self.sets[s][party]), choice.l // 8), dtype=np.uint8)
            for name, fc in choice.features:
                if fc.bits:
                    acc |= self._filters(s, party, name, fc, choice.l)
            out.append(acc)
        return out[0], out[1]

    def f1_grid(self, s: int, choice: Choice) -> np.ndarray:
        """Rows: F1 on :data:`GRID`, the share of random and of true pairs passing each."""
        a, b = self.clks(s, choice)
        truth = self.sets[s][2]
        cands = candidate_pairs(a, b, float(GRID[0]), k=_TOP_K)
        f1 = _f1_grid(threshold_curve(cands, truth, solver="greedy"))
        return np.stack([f1, random_pass_rates(a, b, truth, rng=s),
                         true_pass_rates(a, b, truth)])


def _choice_from_params(spec: ColumnSpec, params: dict) -> Choice:
    feats = tuple((c.name, FeatureChoice(params[f"{c.name}.comparison"],
                                         int(params[f"{c.name}.bits"]))) for c in spec.linked)
    return Choice(feats, int(params["l"]))


def _params_of(choice: Choice) -> dict:
    out: dict = {"l": choice.l}
    for name, fc in choice.features:
        out[f"{name}.comparison"] = fc.comparison
        out[f"{name}.bits"] = fc.bits
    return out


def _check(overlap, records, budget_minutes, n_trials) -> None:
    f = "tune"
    if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real) \
            or not 0.0 < overlap <= 1.0:
        raise param_error("overlap", f, "a share in (0, 1]", overlap)
    if isinstance(records, bool) or not isinstance(records, numbers.Integral) \
            or not 50 <= records <= 200_000:
        raise param_error("records", f, "an integer from 50 to 200000", records)
    if isinstance(budget_minutes, bool) or not isinstance(budget_minutes, numbers.Real) \
            or not 0.05 <= budget_minutes <= 24 * 60:
        raise param_error("budget_minutes", f,
                          "a number of minutes from 0.05 to 1440", budget_minutes)
    if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) \
            or not 1 <= n_trials <= 100_000:
        raise param_error("n_trials", f, "an integer from 1 to 100000", n_trials)


def tune(
    columns: ColumnSpec | dict | str,
    *,
    overlap: float = 0.5,
    records: int = 2000,
    profile: CorruptionProfile | dict | str | None = None,
    budget_minutes: float = 5.0,
    n_trials: int = 80,
    locale: str = "en_AU",
    rng: object = None,
    progress: bool = True,
) -> TuneResult:
    """Choose a linkage schema and threshold for the described columns, on synthetic data.

    Parameters
    ----------
    columns : ColumnSpec, dict or path
        The column description (:mod:`pprl.synthetic.columns`).
    overlap : float in (0, 1], default=0.5
        The share of records you expect to have a partner in the other party;
        the threshold is chosen for it.
    records : int, default=2000
        Records per party in the synthetic sets; near the real size is best
        (more records, more strangers to mistake for a partner).
    profile : CorruptionProfile, dict or path, optional
        What you know of the data's quality; default :data:`DEFAULT_PROFILE`.
    budget_minutes : float, default=5.0
        Wall-clock budget; the search stops early when it is spent (then a
        rerun with the same seed may differ: give more time or fewer trials).
    n_trials : int, default=80
        Trials of the search.  The same seed and trials give the same result.
    locale : str, default="en_AU"
        Locale of the synthetic people.
    rng : None, int, SeedSequence or Generator
        Seed of the data sets, the secret they are encoded with and the sampler.
    progress : bool, default=True
        Show a progress bar (terminal or notebook).

    Returns
    -------
    TuneResult

    Raises
    ------
    InputError
        For a bad description, profile or parameter.

    Examples
    --------
    >>> res = tune({"fn": "first_name", "ln": "last_name", "dob": "date_of_birth:%Y%m%d"},
    ...            records=200, n_trials=3, rng=1, progress=False)   # doctest: +SKIP
    >>> res.threshold, res.expected_f1                               # doctest: +SKIP
    """
    try:
        import optuna
    except ImportError:  # pragma: no cover - exercised without the extra
        raise PPRLError("pprl.tune needs optuna, which is not installed: "
                        "pip install 'pprl[tune]'") from None
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    spec = read_columns(columns)
    _check(overlap, records, budget_minutes, n_trials)
    if profile is None:
        profile = CorruptionProfile()
    elif isinstance(profile, dict):
        profile = CorruptionProfile.from_dict(profile)
    elif not isinstance(profile, CorruptionProfile):
        profile = CorruptionProfile.from_json(profile)
    seed = int(np.random.default_rng(rng).integers(0, 2**63 - 1)) if not (
        isinstance(rng, numbers.Integral) and not isinstance(rng, bool)) else int(rng)
    ss = np.random.SeedSequence(seed)
    data_seeds = ss.spawn(5)
    key_rng = np.random.default_rng(ss.spawn(1)[0])
    secret, salt = key_rng.bytes(32), key_rng.bytes(16)
    scales = (1.0, 1.5, 1.0, 1.5, 1.0)  # tune, tune, validate, validate, test
    configs = {s: profile.config(spec, s) for s in set(scales)}
    budget_s = float(budget_minutes) * 60.0

    bar = tqdm(total=n_trials + 2, desc="tune", unit="trial", disable=not progress)
    try:
        bar.set_postfix_str("synthetic data")
        sets = []
        for sd, scale in zip(data_seeds, scales, strict=True):
            ds = make_dataset(int(records), overlap=float(overlap), locale=locale,
                              config=configs[scale], rng=np.random.default_rng(sd), columns=spec)
            truth = ds.truth[["a", "b"]].to_numpy(np.int64)
            sets.append((ds.parties[0], ds.parties[1], truth))
        bar.update()
        enc = _Encoder(spec, sets, secret, salt)
        limit = max_random_pass_rate(records)
        trials: list[dict] = []

        def objective(trial: optuna.Trial) -> float:
            t0 = time.perf_counter()
            params = {"l": trial.suggest_categorical("l", list(LENGTHS))}
            for c in spec.linked:
                params[f"{c.name}.comparison"] = trial.suggest_categorical(
                    f"{c.name}.comparison", list(CHOICES[c.kind]))
                params[f"{c.name}.bits"] = trial.suggest_int(f"{c.name}.bits", 0, MAX_BITS)
            choice = _choice_from_params(spec, params)
            if not any(fc.bits for _, fc in choice.features):
                score, f1, ok = 0.0, np.zeros(len(GRID)), np.ones(len(GRID), bool)
            else:
                f1, rates, _ = np.mean([enc.f1_grid(s, choice) for s in (0, 1)], axis=0)
                ok = rates <= limit
                sm = smooth(f1)
                # only thresholds that keep random pairs out count; a schema with none
                # scores below every schema that has one
                score = float(sm[ok].max()) if ok.any() else float(sm.max()) - 1.0
            i = int(np.argmax(np.where(ok, f1, -1.0)))
            trials.append({"number": trial.number, "score": round(score, 6),
                           "best_f1": round(float(f1[i]), 6), "best_threshold": float(GRID[i]),
                           "params": choice.to_dict(),
                           "seconds": round(time.perf_counter() - t0, 3)})
            bar.update()
            bar.set_postfix_str(f"best {max(t['score'] for t in trials):.4f}")
            return score

        level = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            sampler = optuna.samplers.TPESampler(seed=seed % 2**32,
                                                 n_startup_trials=min(10, n_trials))
            study = optuna.create_study(direction="maximize", sampler=sampler)
            study.enqueue_trial(_params_of(template_choice(spec)))
            remaining = budget_s - (time.perf_counter() - t_start)
            if remaining <= 0:
                raise InputError(f"tune: the budget ({budget_minutes} minutes) was spent making "
                                 f"the synthetic data; give more minutes or fewer records")
            study.optimize(objective, n_trials=int(n_trials), timeout=remaining)
        finally:
            optuna.logging.set_verbosity(level)
        best = _choice_from_params(spec, study.best_trial.params)

        bar.set_postfix_str("held-out sets")
        val, val_rates, _ = np.mean([enc.f1_grid(s, best) for s in (2, 3)], axis=0)
        chosen = choose_threshold(smooth(val), val_rates, limit)
        i = chosen.index
        threshold = float(GRID[i])
        test, test_rates, test_true = enc.f1_grid(4, best)
        bar.update()
    finally:
        bar.close()
    schema = build_schema(spec, best, salt=salt)
    settings = {
        "columns": spec.to_dict(), "overlap": float(overlap), "records": int(records),
        "profile": profile.to_dict(), "locale": locale, "seed": seed,
        "trials_asked": int(n_trials), "trials_run": len(trials),
        "budget_minutes": float(budget_minutes),
        "stopped_by_budget": len(trials) < n_trials,
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    n_a, n_b = (len(p) for p in sets[4][:2])
    candidates = {
        "max_random_pass_rate": limit,
        "random_pass_rate": float(chosen.random_pass_rate),
        "test_random_pass_rate": float(test_rates[i]),
        "expected_candidates_per_record": round(
            float(test_true[i]) * len(sets[4][2]) / n_a + float(test_rates[i]) * n_b, 4),
        "records_per_party": int(n_b),
        "plateau": list(chosen.plateau),
        "f1_alone_plateau_from": chosen.unrestricted_low,
        "lowest_admissible": chosen.lowest_admissible,
    }
    return TuneResult(schema=schema, threshold=threshold, expected_f1=round(float(test[i]), 6),
                      validation_f1=round(float(val[i]), 6), choice=best.to_dict(),
                      trials=trials, grid=GRID.copy(), validation_curve=val, settings=settings,
                      candidates=candidates,
                      warnings=[w for w in (chosen.warning,) if w])
