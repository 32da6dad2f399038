"""The privacy-utility frontier: what each hardening setting costs in F1 and buys against attacks.

:func:`frontier` encodes one synthetic two-party data set under a list of
hardening settings and, for each, measures

* linkage quality: F1 at the best threshold of greedy one-to-one matching
  (:func:`pprl.evaluation.threshold_curve`), and
* privacy: the re-identification rate of an attack (by default the graph
  matching attack) that holds party A's CLKs, party B's plaintext and the
  schema without the secret -- correct guesses / encoded records, where a
  guess is correct when it names the record's true partner.  The attack
  sees B's rows in a seeded random order (:class:`ShuffledAttack`), so it
  cannot profit from row order, and :func:`pprl.privacy.score_guesses`
  scores it, as everywhere else;
* an attack-free indicator, :func:`graph_signal`: how well the CLKs'
  similarity graph still ranks pairs as the plaintext does.  Graph attacks
  succeed or fail abruptly; this number shows what any of them has to work with.

Settings no other setting beats on both axes (higher F1 and lower
re-identification) form the Pareto front.  This measures resistance to the
attacks run, not a formal privacy guarantee.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import check_rng
from ..errors import InputError
from .shuffled import ShuffledAttack

__all__ = ["DEFAULT_SETTINGS", "FrontierResult", "frontier", "graph_signal", "pareto_mask",
           "with_hardening"]

#: A default sweep: no hardening, each step alone at a few strengths, and salting combined.
DEFAULT_SETTINGS: dict[str, list[dict]] = {
    "none": [],
    "balance": [{"kind": "balance"}],
    "xor_fold": [{"kind": "xor_fold"}],
    "rule90": [{"kind": "rule90"}],
    "blip 0.02": [{"kind": "blip", "probability": 0.02}],
    "blip 0.05": [{"kind": "blip", "probability": 0.05}],
    "blip 0.1": [{"kind": "blip", "probability": 0.1}],
    "diffusion 3": [{"kind": "diffusion", "taps": 3}],
    "diffusion 5": [{"kind": "diffusion", "taps": 5}],
    "diffusion 10": [{"kind": "diffusion", "taps": 10}],
    "salt sex": [{"kind": "salt", "field": "sex"}],
    "salt year of birth": [{"kind": "salt", "field": "date_of_birth", "prefix": 4}],
    "salt date of birth": [{"kind": "salt", "field": "date_of_birth"}],
}


def with_hardening(schema: Mapping, steps: Sequence[Mapping]) -> dict:
    """A copy of a schema dict whose ``clkConfig.hardening`` is ``steps``.

    Examples
    --------
    >>> with_hardening({"clkConfig": {"l": 64}}, [{"kind": "rule90"}])["clkConfig"]
    {'l': 64, 'hardening': [{'kind': 'rule90'}]}
    """
    out = copy.deepcopy(dict(schema))
    cfg = out.setdefault("clkConfig", {})
    if steps:
        cfg["hardening"] = [dict(s) for s in steps]
    else:
        cfg.pop("hardening", None)
    return out


def graph_signal(clks: np.ndarray, plaintext: Any, schema: Any, *, max_records: int = 1000,
                 ) -> float:
    """How much of the plaintext similarity graph the CLKs keep: an attack-free indicator.

    The Spearman rank correlation, over all pairs of records, between the
    Dice coefficient of their CLKs and the Dice coefficient their filters
    would have unhardened (computed from the plaintext and the schema, as
    the graph attack's attacker does).  Near 1: the similarity graph is
    intact and a graph matching attack has what it needs, whether or not a
    given attack implementation succeeds; near 0: the graph is gone.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, w)
        The (hardened) CLKs of ``plaintext``'s records, row for row.
    plaintext : pandas.DataFrame
    schema : schema dict or path
    max_records : int, default=1000
        Only the first ``max_records`` records are used (the cost is quadratic).

    Returns
    -------
    float
        NaN for fewer than 3 records or when either graph is constant
        (e.g. all-identical CLKs).
    """
    from scipy.stats import spearmanr

    from ..linkage.similarity import dice_matrix
    from ._plaintext import expected_dice, plaintext_view

    n = min(len(clks), len(plaintext), max_records)
    if n < 3:
        return float("nan")
    p = expected_dice(plaintext_view(plaintext.iloc[:n], schema))
    d = dice_matrix(clks[:n], clks[:n])
    iu = np.triu_indices(n, 1)
    if np.ptp(p[iu]) == 0 or np.ptp(d[iu]) == 0:  # a constant graph: no correlation defined
        return float("nan")
    return float(spearmanr(p[iu], d[iu]).statistic)


def pareto_mask(f1: Sequence[float], reid: Sequence[float]) -> np.ndarray:
    """True for points no other point dominates.

    A point dominates another if its F1 is at least as high and its re-id at
    most as low, one of them strictly.

    Examples
    --------
    >>> pareto_mask([0.9, 0.8, 0.7], [0.5, 0.1, 0.2]).tolist()
    [True, True, False]
    """
    f = np.asarray(f1, dtype=float)
    r = np.asarray(reid, dtype=float)
    better = (f[None, :] >= f[:, None]) & (r[None, :] <= r[:, None])
    strictly = (f[None, :] > f[:, None]) | (r[None, :] < r[:, None])
    return ~(better & strictly).any(axis=1)


@dataclass(frozen=True)
class FrontierResult:
    """One row per hardening setting.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``setting``, ``hardening`` (JSON), ``f1``, ``precision``,
        ``recall``, ``threshold``, ``reidentification``, ``guess_precision``,
        ``graph_signal`` (see :func:`graph_signal`), ``pareto`` (on the front
        of F1 and re-identification), ``seconds``.
    n_records : int
    overlap : float
    seed : int or None
    """

    table: Any
    n_records: int
    overlap: float
    seed: int | None = None

    @property
    def front(self) -> Any:
        """The Pareto-optimal rows, by increasing re-identification."""
        return self.table[self.table["pareto"]].sort_values("reidentification")

    def __repr__(self) -> str:
        return (f"FrontierResult({len(self.table)} settings, n_records={self.n_records}, "
                f"overlap={self.overlap}, {int(self.table['pareto'].sum())} on the front)")


def frontier(
    settings: Mapping[str, Sequence[Mapping]] | None = None,
    *,
    n_records: int = 1000,
    overlap: float = 1.0,
    schema: Any = None,
    attack: Callable | None = None,
    data: Any = None,
    secret: bytes | None = None,
    rng: Any = 0,
    progress: bool = True,
) -> FrontierResult:
    """Sweep hardening settings; measure F1 and an attack's re-identification rate for each.

    Parameters
    ----------
    settings : mapping of name to list of step dicts, optional
        Each value is a ``clkConfig.hardening`` list; default :data:`DEFAULT_SETTINGS`.
    n_records : int, default=1000
        People per party of the synthetic data (ignored when ``data`` is given).
    overlap : float, default=1.0
        Fraction of people in both parties (the attacker's plaintext overlap).
    schema : dict or path, optional
        Base schema (its own hardening is replaced); default the person template.
    attack : callable, optional
        ``attack(clks, plaintext, schema[, rng=]) -> Guesses``; default the
        graph matching attack.  ``schema`` is the hardened schema dict (no
        secret).  It runs through :class:`ShuffledAttack` seeded from
        ``rng``: it sees B's rows shuffled, gets a seeded ``rng`` if it takes
        one, and is scored by :func:`pprl.privacy.score_guesses`.
    data : SyntheticDataset, optional
        Use these parties and truth instead of generating them.
    secret : bytes, optional
        Default: 32 random bytes from ``rng`` (never shown).
    rng : seed or Generator, default=0
        Seeds the data, the secret, the shuffle and the attack: an int gives
        the same table on every call.
    progress : bool, default=True
        A progress bar over the settings.

    Returns
    -------
    FrontierResult

    Examples
    --------
    >>> res = frontier({"none": [], "blip 0.1": [{"kind": "blip", "probability": 0.1}]},
    ...                n_records=100, rng=0, progress=False)            # doctest: +SKIP
    >>> res.table[["setting", "f1", "reidentification"]]                # doctest: +SKIP
    """
    import pandas as pd

    from ..encoding.encode import encode
    from ..encoding.schema import PERSON_SCHEMA_PATH, load_schema
    from ..evaluation.metrics import threshold_curve
    from ..linkage.similarity import candidate_pairs

    settings = dict(DEFAULT_SETTINGS if settings is None else settings)
    if not settings:
        raise InputError("frontier: 'settings' is empty; expected at least one setting")
    seed = rng if isinstance(rng, (int, np.integer)) else None
    gen = check_rng(rng)
    if data is None:
        from ..synthetic import make_dataset

        data = make_dataset(n_records, overlap=overlap, rng=int(gen.integers(2**31)))
    a_df, b_df = data.parties[:2]
    tr = data.truth
    truth = (np.column_stack([tr["a"], tr["b"]]) if hasattr(tr, "columns")
             else np.asarray(tr, dtype=np.int64)[:, :2]).astype(np.int64)
    secret = secret if secret is not None else gen.bytes(32)
    if schema is None:
        schema = PERSON_SCHEMA_PATH
    if not isinstance(schema, Mapping):
        with open(schema, encoding="utf-8") as fh:
            schema = json.load(fh)
    measured = ShuffledAttack(attack, rng=int(gen.integers(2**63 - 1)))
    for steps in settings.values():  # validate everything before the long work
        load_schema(with_hardening(schema, steps))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(settings), desc="frontier", leave=False)
    rows = []
    try:
        for name, steps in settings.items():
            t0 = time.perf_counter()
            doc = with_hardening(schema, steps)
            clks_a = encode(a_df, doc, secret, match="name", progress=False)
            clks_b = encode(b_df, doc, secret, match="name", progress=False)
            cands = candidate_pairs(clks_a, clks_b, threshold=0.3)
            best = threshold_curve(cands, truth, solver="greedy").best_f1()
            score = measured.score(clks_a, b_df, doc, truth)
            reid, gp = score.reidentification_rate, score.precision
            signal = graph_signal(clks_a, a_df, doc)
            rows.append({"setting": name, "hardening": json.dumps(list(steps)),
                         "f1": best.f1, "precision": best.precision, "recall": best.recall,
                         "threshold": best.threshold, "reidentification": reid,
                         "guess_precision": gp, "graph_signal": signal,
                         "seconds": time.perf_counter() - t0})
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    table = pd.DataFrame(rows)
    table.insert(len(table.columns) - 1, "pareto",
                 pareto_mask(table["f1"], table["reidentification"]))
    return FrontierResult(table=table, n_records=len(a_df), overlap=overlap, seed=seed)
