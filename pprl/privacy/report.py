"""The privacy report: what a schema buys in linkage quality and leaks to known attacks.

:func:`privacy_report` generates a synthetic population and corrupted copies
of it (:func:`pprl.make_dataset`; with ``columns=`` people with the user's
columns, as ``pprl synth --columns`` makes them), encodes both parties with
a random secret drawn from the seed (never returned or written), measures
linkage F1 at the best threshold, and runs each attack with party B as the
attacker's plaintext database (in a seeded random order, the truth
renumbered to match: :func:`~pprl.privacy.shuffle_plaintext`) against
party A's encodings.  Guesses are
scored by :func:`pprl.privacy.score_guesses` (one definition of correct,
with the chance rate beside each figure), and ``assessment`` says in plain
words which figures are bad and why (:mod:`pprl.privacy.assessment`).

It measures resistance to known attacks on synthetic data; it is not a
privacy guarantee.
"""

from __future__ import annotations

import numbers
import time

import numpy as np

from .._validation import check_int, param_error
from .._version import __version__
from ..encoding.encode import encode
from ..encoding.schema import load_schema
from ..errors import InputError
from ..evaluation.metrics import threshold_curve
from ..linkage.similarity import candidate_pairs, popcounts
from ..synthetic import PERSON_COLUMNS, make_dataset
from ..synthetic.columns import read_columns
from ._plaintext import plaintext_view
from .assessment import assess
from .controls import random_bits_like, wrong_schema
from .frequency import frequency_attack
from .graph import graph_attack
from .guesses import score_guesses, shuffle_plaintext
from .pattern import pattern_attack

__all__ = ["privacy_report", "ATTACKS"]

#: The attacks a report runs, by name.
ATTACKS = {"graph": graph_attack, "frequency": frequency_attack, "pattern": pattern_attack}
#: Run beside ``frequency``: its alignment on ranks of counts alone.
_RANKS_ONLY = "frequency_ranks"

#: Candidates kept per record when measuring linkage quality (best-F1 search).
_LINK_K = 20


def _check_schema_columns(schema, spec) -> list[str]:
    hashed = [f.identifier for f in schema.features if not f.ignored]
    known = PERSON_COLUMNS if spec is None else spec.names
    unknown = [c for c in hashed if c not in known]
    if unknown:
        where = f"{schema.source}: " if schema.source else ""
        if spec is None:
            raise InputError(
                f"{where}feature {unknown[0]!r} is not one of pprl's person columns "
                f"({', '.join(PERSON_COLUMNS)}); describe your columns with a column "
                "description (columns=, pprl privacy report --columns COLUMNS.json, as for "
                "pprl synth and pprl tune)")
        raise InputError(
            f"{where}feature {unknown[0]!r} is not described by the column description "
            f"(it has {', '.join(spec.names)}); add it there, e.g. "
            f"\"{unknown[0]}\": \"first_name\"")
    ignored = [c.name for c in spec.columns if c.kind == "ignore"] if spec is not None else []
    generated = [c for c in hashed if c in ignored]
    if generated:
        raise InputError(f"column {generated[0]!r} is hashed by the schema but 'ignore' in the "
                         "column description; give it a kind")
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


def _rate(guesses, truth, keys) -> float:
    return score_guesses(guesses, truth, **keys).reidentification_rate


def privacy_report(
    schema,
    *,
    n_records: int = 1000,
    overlap: float = 1.0,
    seed: int | None = None,
    locale: str = "en_AU",
    attacks: tuple[str, ...] = ("graph", "frequency", "pattern"),
    columns=None,
    controls: bool = False,
    progress: bool = False,
) -> dict:
    """Linkage quality and attack success of a schema on synthetic people.

    Parameters
    ----------
    schema : Schema, path-like or dict
        Its hashed features must be pprl's person columns (``given_name``,
        ``surname``, ``date_of_birth``, ...), or columns of ``columns``.
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
        Names from :data:`ATTACKS`.  ``frequency`` also reports
        ``frequency_ranks``: the same attack aligned on ranks of counts alone
        (what any encoding that keeps equal values equal leaks), so that
        what the popcount term adds is seen apart.
    columns : ColumnSpec, dict or path, optional
        A column description (:mod:`pprl.synthetic.columns`, as for
        ``pprl synth --columns`` and ``pprl tune``): the synthetic people
        get these columns, so any schema over them can be measured.
    controls : bool, default=False
        Also run each attack on two negative controls: CLKs whose distinct
        values got random bits of the same popcount
        (:func:`~pprl.privacy.random_bits_like`) and a wrong schema (every
        q-gram length changed, :func:`~pprl.privacy.wrong_schema`).  Each
        attack's entry gets ``controls``; the assessment says whether the
        attack degraded as it should.
    progress : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    dict
        JSON-ready: ``seed``, ``n_records``, ``overlap``, ``locale``,
        ``columns`` (the description, or None), ``linkage`` (``f1``,
        ``threshold``, ``precision``, ``recall``), ``attacks`` (per attack
        ``reidentification_rate``, ``precision``, ``correct``,
        ``n_guesses``, ``n_encoded``, ``chance_rate``, ``seconds``, and
        ``controls`` when asked), ``leaks`` (``fill``,
        ``popcount_length_correlation``, ``distinct_fraction``),
        ``assessment`` (one plain sentence per finding, each starting with
        ``BAD``, ``WARN`` or ``OK``), ``pprl_version`` and a ``note``.  A
        guess counts as correct when it names the true record or one with
        the same encoded values (:func:`~pprl.privacy.score_guesses`).  The
        same seed gives the same numbers (but ``seconds``).

    Examples
    --------
    >>> import pprl
    >>> r = privacy_report(pprl.person_schema(), n_records=80, seed=1,
    ...                    attacks=("frequency",))
    >>> sorted(r["attacks"]), 0.0 <= r["linkage"]["f1"] <= 1.0
    (['frequency', 'frequency_ranks'], True)
    """
    f = "privacy_report"
    schema = load_schema(schema)
    spec = None if columns is None else read_columns(columns)
    hashed = _check_schema_columns(schema, spec)
    n_records = check_int(n_records, "n_records", f, 1)
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

        bar = tqdm(total=2 + len(attacks) * (3 if controls else 1), desc="privacy report",
                   unit="step", leave=False)
    try:
        ds = make_dataset(int(n_records), overlap=float(overlap), locale=locale, rng=data_seed,
                          columns=spec)
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
        # the attacker's copy in a seeded random order, the truth renumbered to it
        b_df, truth = shuffle_plaintext(b_df, truth, rng=data_seed)
        keys = {"clk_keys": plaintext_view(a_df, schema, func=f).keys,
                "plaintext_keys": plaintext_view(b_df, schema, func=f).keys}
        runs = [(name, ATTACKS[name], {}) for name in attacks]
        if "frequency" in attacks:
            runs.insert([r[0] for r in runs].index("frequency") + 1,
                        (_RANKS_ONLY, frequency_attack, {"popcount": False}))
        results = {}
        for name, attack, extra in runs:
            t0 = time.perf_counter()
            guesses = attack(clks_a, b_df, schema, rng=data_seed, **extra)
            seconds = time.perf_counter() - t0
            results[name] = {**score_guesses(guesses, truth, **keys).to_dict(),
                             "seconds": round(seconds, 3)}
            if controls:
                fake = random_bits_like(clks_a, rng=data_seed)
                results[name]["controls"] = {
                    "random_bits": _rate(attack(fake, b_df, schema, rng=data_seed, **extra),
                                         truth, keys),
                    "wrong_schema": _rate(attack(clks_a, b_df, wrong_schema(schema),
                                                 rng=data_seed, **extra), truth, keys),
                }
                if bar is not None:
                    bar.update(2)
            if bar is not None and name != _RANKS_ONLY:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    secret = None  # noqa: F841 -- never kept beyond the encodings
    leaks = _leaks(clks_a, a_df, hashed)
    return {
        "seed": int(seed),
        "n_records": int(n_records),
        "overlap": float(overlap),
        "locale": locale,
        "schema": schema.source,
        "columns": None if spec is None else spec.to_dict(),
        "linkage": linkage,
        "attacks": results,
        "leaks": leaks,
        "assessment": assess(linkage, results, leaks),
        "pprl_version": __version__,
        "note": ("Success of known attacks on synthetic data (attacker: party B's plaintext, "
                 "the schema, no secret); not a privacy guarantee."),
    }
