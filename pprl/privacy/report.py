"""The privacy report: what a schema buys in linkage quality and leaks to known attacks.

:func:`privacy_report` generates a synthetic population and corrupted copies
of it (:func:`pprl.make_dataset`), encodes both parties with a random secret
drawn from the seed (never returned or written), measures linkage F1 at the
best threshold, and runs each attack with party B as the attacker's
plaintext database against party A's encodings.

It measures resistance to known attacks on synthetic data; it is not a
privacy guarantee.
"""

from __future__ import annotations

import numbers
import time

import numpy as np

from .._validation import param_error
from .._version import __version__
from ..encoding.encode import encode
from ..encoding.schema import load_schema
from ..errors import InputError
from ..evaluation.metrics import threshold_curve
from ..linkage.similarity import candidate_pairs, popcounts
from ..synthetic import PERSON_COLUMNS, make_dataset
from ._plaintext import plaintext_view
from .frequency import frequency_attack
from .graph import graph_attack
from .guesses import score_guesses
from .pattern import pattern_attack

__all__ = ["privacy_report", "ATTACKS"]

#: The attacks a report runs, by name.
ATTACKS = {"graph": graph_attack, "frequency": frequency_attack, "pattern": pattern_attack}

#: Candidates kept per record when measuring linkage quality (best-F1 search).
_LINK_K = 20


def _check_schema_columns(schema) -> list[str]:
    hashed = [f.identifier for f in schema.features if not f.ignored]
    unknown = [c for c in hashed if c not in PERSON_COLUMNS]
    if unknown:
        where = f"{schema.source}: " if schema.source else ""
        raise InputError(
            f"{where}feature {unknown[0]!r} is not one of pprl's person columns "
            f"({', '.join(PERSON_COLUMNS)}); the privacy report encodes synthetic people")
    return hashed


def _leaks(clks: np.ndarray, df, hashed: list[str]) -> dict:
    pop = popcounts(clks).astype(np.float64)
    length = np.zeros(len(df), dtype=np.float64)
    for c in hashed:
        length += df[c].astype(str).str.len().to_numpy(np.float64)
    corr = 0.0
    if pop.size > 1 and pop.std() > 0 and length.std() > 0:
        corr = float(np.corrcoef(pop, length)[0, 1])
    n_bits = clks.shape[1] * 8
    return {
        "fill": float(pop.mean() / n_bits) if pop.size and n_bits else 0.0,
        "popcount_length_correlation": corr,
        "distinct_fraction": float(np.unique(clks, axis=0).shape[0] / clks.shape[0])
        if clks.shape[0] else 0.0,
    }


def privacy_report(
    schema,
    *,
    n_records: int = 1000,
    overlap: float = 1.0,
    seed: int | None = None,
    locale: str = "en_AU",
    attacks: tuple[str, ...] = ("graph", "frequency", "pattern"),
    progress: bool = False,
) -> dict:
    """Linkage quality and attack success of a schema on synthetic people.

    Parameters
    ----------
    schema : Schema, path-like or dict
        Its hashed features must be pprl's person columns (``given_name``,
        ``surname``, ``date_of_birth``, ...).
    n_records : int, default=1000
        People per party.
    overlap : float in [0, 1], default=1.0
        Fraction of party B's people that are in party A: the overlap
        between the encodings and the attacker's database.
    seed : int, optional
        Seeds the data and the secret; drawn at random (and reported) if None.
    locale : str, default="en_AU"
        Passed to :func:`pprl.make_dataset`.
    attacks : tuple of str, default=("graph", "frequency", "pattern")
        Names from :data:`ATTACKS`.
    progress : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    dict
        JSON-ready: ``seed``, ``n_records``, ``overlap``, ``locale``,
        ``linkage`` (``f1``, ``threshold``, ``precision``, ``recall``),
        ``attacks`` (per attack ``reidentification_rate``, ``precision``,
        ``correct``, ``n_guesses``, ``n_encoded``, ``seconds``), ``leaks``
        (``fill``, ``popcount_length_correlation``, ``distinct_fraction``),
        ``pprl_version`` and a ``note``.  A guess counts as correct when it
        names the true record or one with the same encoded values.

    Examples
    --------
    >>> import pprl
    >>> r = privacy_report(pprl.person_schema(), n_records=80, seed=1,
    ...                    attacks=("frequency",))
    >>> sorted(r["attacks"]), 0.0 <= r["linkage"]["f1"] <= 1.0
    (['frequency'], True)
    """
    f = "privacy_report"
    schema = load_schema(schema)
    hashed = _check_schema_columns(schema)
    if isinstance(n_records, bool) or not isinstance(n_records, numbers.Integral) \
            or n_records < 1:
        raise param_error("n_records", f, "a positive integer", n_records)
    if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real) \
            or not 0.0 <= overlap <= 1.0:
        raise param_error("overlap", f, "a float in [0, 1]", overlap)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise param_error("seed", f, "a non-negative integer or None", seed)
    unknown = [a for a in attacks if a not in ATTACKS]
    if isinstance(attacks, str) or unknown:
        raise param_error("attacks", f, f"a tuple of names from {sorted(ATTACKS)}", attacks)
    rng = np.random.default_rng(int(seed))
    secret = rng.bytes(32)
    data_seed = int(rng.integers(2**62))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 + len(attacks), desc="privacy report", unit="step", leave=False)
    try:
        ds = make_dataset(int(n_records), overlap=float(overlap), locale=locale, rng=data_seed)
        a_df, b_df = ds.parties
        clks_a = encode(a_df, schema, secret, match="name", progress=False)
        clks_b = encode(b_df, schema, secret, match="name", progress=False)
        truth = ds.truth[["a", "b"]]
        if bar is not None:
            bar.update(1)
        cands = candidate_pairs(clks_a, clks_b, threshold=0.0, k=_LINK_K)
        best = threshold_curve(cands, truth, solver="greedy").best_f1()
        linkage = {"f1": float(best.f1), "threshold": best.threshold,
                   "precision": float(best.precision), "recall": float(best.recall)}
        if bar is not None:
            bar.update(1)
        keys = {"clk_keys": plaintext_view(a_df, schema, func=f).keys,
                "plaintext_keys": plaintext_view(b_df, schema, func=f).keys}
        results = {}
        for name in attacks:
            t0 = time.perf_counter()
            extra = {"rng": data_seed} if name == "graph" else {}
            guesses = ATTACKS[name](clks_a, b_df, schema, **extra)
            seconds = time.perf_counter() - t0
            results[name] = {**score_guesses(guesses, truth, **keys).to_dict(),
                             "seconds": round(seconds, 3)}
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    secret = None  # noqa: F841 -- never kept beyond the encodings
    return {
        "seed": int(seed),
        "n_records": int(n_records),
        "overlap": float(overlap),
        "locale": locale,
        "schema": schema.source,
        "linkage": linkage,
        "attacks": results,
        "leaks": _leaks(clks_a, a_df, hashed),
        "pprl_version": __version__,
        "note": ("Success of known attacks on synthetic data (attacker: party B's plaintext, "
                 "the schema, no secret); not a privacy guarantee."),
    }
