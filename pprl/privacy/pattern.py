"""The pattern attack: learn which bits each q-gram sets, then re-encode the plaintext.

After the bit-pattern attacks of Christen, Schnell, Vatsalan and Ranbaduge
(PAKDD 2017) and Christen, Vidanage, Ranbaduge and Schnell (PAKDD 2018).
Keyed hashing hides *which* bits a q-gram sets, but every filter of a value
containing the q-gram has those bits set; so once an attacker knows the
values behind some filters, it can mine that evidence and then encode any
value itself, without the secret.

1. **Seeds.**  Encoded records whose value the attacker believes it knows:
   by default the frequency attack's alignments of patterns shared by at
   least 0.5 % of the records (:func:`pprl.privacy.frequency_attack`); any
   attack's :class:`Guesses`
   can be passed instead (e.g. the graph attack's most confident ones).
2. **Mining.**  Seeds are first reduced to distinct (filter, value) pairs:
   a hundred copies of one frequent name are one piece of evidence, not a
   hundred.  For each token ``t`` of the seeds' plaintext values and each
   bit position ``j``: the fraction of seed filters whose value contains
   ``t`` that have ``j`` set.  Positions set in at least ``min_agreement``
   of them, and clearly more often than in filters whose value lacks ``t``,
   are ``t``'s positions.  A token needs ``min_support`` distinct seed
   *values* containing it.  (Evidence is voted, not intersected, so a few
   wrong seeds do not erase true positions.)
3. **Re-encoding.**  Each plaintext record is encoded with the learnt
   positions of its tokens; a record with a token that was not learnt is
   left out.  Each CLK gets the plaintext record whose re-encoding has the
   highest Dice coefficient with it (:func:`pprl.dice_matrix`), matched one
   to one (:func:`scipy.optimize.linear_sum_assignment`); the score is that
   Dice coefficient.  Guesses below ``min_dice`` are dropped.  The plaintext
   rows are put in a random order first (seeded by ``rng``), so equal Dice
   coefficients are not resolved towards the encodings' own order.

What the attack adds to its seeds is the guesses whose values are *not*
among the seeds' values: only those show that the mined positions encode
values the attacker was never told.  With the frequency attack's seeds on a
first-name filter that is little (docs/attacks.md gives the figures); with
true seeds it is most of the records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_fraction, check_int, check_rng
from ..bits import pack_bits, unpack_bits
from ..encoding.schema import load_schema
from ..errors import InputError
from ..linkage.similarity import dice_matrix
from ._plaintext import check_clks, permuted, plaintext_view
from ._progress import close_bar, open_bar
from .frequency import frequency_attack
from .guesses import Guesses

__all__ = ["pattern_attack"]


def _learn_positions(bits: np.ndarray, has_token: np.ndarray, value: np.ndarray,
                     min_support: int, min_agreement: float) -> np.ndarray:
    """Boolean (T, L): the positions each token is believed to set.

    ``bits`` (s, L) are the seed filters, ``has_token`` (s, T) whether each
    seed's value contains each token, ``value`` (s,) a code of each seed's
    value: support is counted in distinct values.
    """
    b = bits.astype(np.float64)
    h = has_token.astype(np.float64)
    with_t = h.sum(axis=0)  # seed filters containing each token
    without_t = h.shape[0] - with_t
    on_with = h.T @ b  # (T, L): seeds with the token that have the bit
    on_without = b.sum(axis=0)[None, :] - on_with
    frac_with = on_with / np.maximum(with_t, 1)[:, None]
    frac_without = on_without / np.maximum(without_t, 1)[:, None]
    learnt = (frac_with >= min_agreement) & (frac_with - frac_without >= 0.5)
    first = np.unique(value, return_index=True)[1]  # one seed per distinct value
    support = h[first].sum(axis=0)
    learnt[support < min_support] = False
    return learnt


def pattern_attack(
    clks: np.ndarray,
    plaintext: pd.DataFrame,
    schema,
    *,
    seeds: Guesses | None = None,
    min_support: int = 2,
    min_agreement: float = 0.6,
    min_dice: float = 0.85,
    rng=0,
    progress: bool | object = False,
) -> Guesses:
    """Re-identify encoded records from mined q-gram to bit-position evidence.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
        The encodings under attack.
    plaintext : pandas.DataFrame
        The attacker's database, a column per hashed feature (by identifier).
    schema : Schema, path-like or dict
        The linkage schema, without the secret.
    seeds : Guesses, optional
        Encoded records with a believed plaintext row; default: the
        frequency attack's guesses for bit patterns shared by at least 0.5 %
        of the records (rarer patterns are too often misaligned to teach
        anything).
    min_support : int, default=2
        Distinct seed values containing a token needed to learn its positions.
    min_agreement : float in [0, 1], default=0.6
        Fraction of those seeds that must have a position set.
    min_dice : float in [0, 1], default=0.85
        Drop guesses whose re-encoding scores below this.
    rng : None, int or numpy.random.Generator, default=0
        Orders the plaintext rows at random (and seeds the default seeds'
        frequency attack); the same seed gives the same guesses.
    progress : bool or tqdm-like, default=False
        Show a progress bar (or update the given tqdm-like object).

    Returns
    -------
    Guesses
        At most one per encoded record; the score is the Dice coefficient
        of the CLK with the attacker's re-encoding of the guessed record.

    Examples
    --------
    >>> import pprl
    >>> ds = pprl.make_dataset(200, overlap=1.0, rng=1)
    >>> schema = {"version": 3, "clkConfig": {"l": 256, "kdf": {"type": "HKDF"}},
    ...           "features": [{"identifier": "given_name",
    ...                         "format": {"type": "string"},
    ...                         "hashing": {"comparison": {"type": "ngram", "n": 2},
    ...                                     "strategy": {"bitsPerToken": 10}}}]}
    >>> clks = pprl.encode(ds.parties[0][["given_name"]], schema, b"k", progress=False)
    >>> t = ds.truth  # seeds the attacker believes it knows: here 100 true pairs
    >>> seeds = Guesses.from_arrays(t["a"][:100], t["b"][:100], [1.0] * 100, n_encoded=200)
    >>> g = pattern_attack(clks, ds.parties[1], schema, seeds=seeds)
    >>> bool(len(g) > 0)
    True
    """
    f = "pattern_attack"
    min_support = check_int(min_support, "min_support", f, 1)
    min_agreement = check_fraction(min_agreement, "min_agreement", f)
    min_dice = check_fraction(min_dice, "min_dice", f)
    if seeds is not None and not isinstance(seeds, Guesses):
        raise InputError(f"The 'seeds' parameter of {f} must be Guesses or None. "
                         f"Got a {type(seeds).__name__} instead.")
    rng = check_rng(rng)
    schema = load_schema(schema)
    clks = check_clks(clks, schema, f)
    bar = open_bar(progress, 3, "pattern attack")
    try:
        return _mine(clks, plaintext, schema, seeds, min_support, min_agreement, min_dice,
                     rng, bar)
    finally:
        close_bar(bar, progress)


def _mine(clks, plaintext, schema, seeds, min_support, min_agreement, min_dice, rng,
          bar) -> Guesses:
    """Seeds, mining, re-encoding and matching (see the module docstring)."""
    from scipy.optimize import linear_sum_assignment

    f = "pattern_attack"
    view = plaintext_view(plaintext, schema, func=f)
    n, m = clks.shape[0], view.tokens.shape[0]
    empty = np.zeros(0, dtype=np.int64)
    if seeds is None:  # only patterns seen in >= 0.5 % of records: rarer ones misalign often
        seeds = frequency_attack(clks, plaintext, schema, min_count=max(2, -(-n // 200)),
                                 rng=rng)
    if bar is not None:
        bar.update(1)
    ok = (seeds.clk_row < n) & (seeds.plaintext_row < m)
    if n == 0 or m == 0 or not ok.any():
        return Guesses.from_arrays(empty, empty, np.zeros(0), n)
    # distinct (filter, value) pairs: copies of one frequent value are one piece of evidence
    s_clk, s_pt = seeds.clk_row[ok], seeds.plaintext_row[ok]
    pattern = np.unique(clks[s_clk], axis=0, return_inverse=True)[1].ravel()
    value = pd.factorize(view.keys[s_pt])[0]
    first = np.unique(np.column_stack([pattern, value]), axis=0, return_index=True)[1]
    s_clk, s_pt, value = s_clk[first], s_pt[first], value[first]
    has_token = (view.tokens[s_pt] > 0).toarray()
    learnt = _learn_positions(unpack_bits(clks[s_clk]), has_token, value, min_support,
                              min_agreement)
    known = learnt.any(axis=1)
    if bar is not None:
        bar.update(1)
    shuffled, order = permuted(view, rng)
    tokens = (shuffled.tokens > 0).astype(np.float64).tocsr()
    unknown_per_row = np.asarray(tokens[:, ~known].sum(axis=1)).ravel()
    usable = np.flatnonzero((unknown_per_row == 0) & (np.diff(tokens.indptr) > 0))
    if usable.size == 0:
        return Guesses.from_arrays(empty, empty, np.zeros(0), n)
    reenc = (tokens[usable] @ learnt.astype(np.float64)) > 0
    sims = dice_matrix(clks, pack_bits(reenc))
    rows, cols = linear_sum_assignment(sims, maximize=True)
    score = sims[rows, cols]
    if bar is not None:
        bar.update(1)
    keep = score >= min_dice
    return Guesses.from_arrays(rows[keep], order[usable[cols[keep]]], score[keep], n)
