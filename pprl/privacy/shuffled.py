"""An attack run as a measurement: against a seeded shuffle of the plaintext, scored once.

An attack that receives encoded row ``i`` beside plaintext row ``i`` can score
well without learning anything: a matching that breaks ties toward the
identity (``scipy.optimize.linear_sum_assignment`` on tied costs does)
"re-identifies" every record of 200 identical CLKs.  :class:`ShuffledAttack`
therefore hands the attack the plaintext rows in an order drawn from its
seed, maps the guesses back to the caller's rows and scores them with
:func:`pprl.privacy.score_guesses`, the one scorer of the report, the
frontier, the parameter explorer and the benchmarks.  Whatever the attack
does inside, its rate can then only come from what the encodings carry.

The same seed gives the same shuffle and the same attack rng on every call,
so a measurement repeats exactly.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InputError
from .guesses import AttackScore, Guesses, score_guesses

__all__ = ["ShuffledAttack"]


def _takes_rng(attack: Callable) -> bool:
    try:
        params = inspect.signature(attack).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return any(p.name == "rng" or p.kind is p.VAR_KEYWORD for p in params)


def _as_guesses(out: Any, n_encoded: int) -> Guesses:
    """An attack's answer as :class:`Guesses` (a DataFrame or a (k, 2) array also do)."""
    if isinstance(out, Guesses):
        return out
    if hasattr(out, "columns"):
        for c in ("clk_row", "plaintext_row"):
            if c not in out.columns:
                raise InputError(f"ShuffledAttack: the attack's guesses have no column {c!r}")
        score = out["score"] if "score" in out.columns else np.zeros(len(out))
        return Guesses.from_arrays(out["clk_row"], out["plaintext_row"], score, n_encoded)
    arr = np.asarray(out, dtype=np.int64).reshape(-1, 2)
    return Guesses.from_arrays(arr[:, 0], arr[:, 1], np.zeros(len(arr)), n_encoded)


class ShuffledAttack:
    """Run an attack on a seeded shuffle of the plaintext rows; score with :func:`score_guesses`.

    Parameters
    ----------
    attack : callable, optional
        ``attack(clks, plaintext, schema[, rng=]) -> Guesses`` (a DataFrame
        with ``clk_row``, ``plaintext_row`` and optionally ``score``, or a
        ``(k, 2)`` array, also do); default :func:`pprl.privacy.graph_attack`.
        An attack that takes ``rng`` gets a generator drawn from the seed.
    rng : int, SeedSequence or Generator, default=0
        Seeds the shuffle and the attack's rng; a Generator is drawn from
        once, here.  ``None`` draws fresh entropy, kept in :attr:`seed`.

    Attributes
    ----------
    seed : int
        The seed every call starts from.

    Examples
    --------
    Two hundred identical CLKs carry nothing: a matching that breaks ties
    toward the identity would score 1.0 on aligned rows, the shuffle leaves
    chance (about 1 in 200).

    >>> import pandas as pd
    >>> def identity_attack(clks, plaintext, schema):
    ...     n = len(clks)
    ...     return Guesses.from_arrays(range(n), range(n), [0.0] * n, n)
    >>> clks = np.zeros((200, 8), dtype=np.uint8)
    >>> people = pd.DataFrame({"name": ["x"] * 200})
    >>> truth = np.column_stack([np.arange(200), np.arange(200)])
    >>> ShuffledAttack(identity_attack, rng=0).score(clks, people, None, truth).correct <= 3
    True
    """

    def __init__(self, attack: Callable | None = None, *, rng: Any = 0):
        if attack is None:
            from .graph import graph_attack

            attack = graph_attack
        if isinstance(attack, ShuffledAttack):
            attack = attack.attack
        if not callable(attack):
            raise InputError(f"ShuffledAttack: 'attack' must be callable, got "
                             f"{type(attack).__name__}")
        self.attack = attack
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
            self.seed = int(rng)
        elif isinstance(rng, np.random.SeedSequence):
            self.seed = int(rng.generate_state(2, np.uint64)[0] >> np.uint64(1))
        elif rng is None or isinstance(rng, np.random.Generator):
            self.seed = int(np.random.default_rng(rng).integers(2**63 - 1))
        else:
            raise InputError("The 'rng' parameter of ShuffledAttack must be an int, a "
                             f"SeedSequence, a Generator or None. Got {rng!r} instead.")
        self._takes_rng = _takes_rng(attack)

    def __repr__(self) -> str:
        name = getattr(self.attack, "__name__", type(self.attack).__name__)
        return f"ShuffledAttack({name}, rng={self.seed})"

    def guesses(self, clks: np.ndarray, plaintext: Any, schema: Any) -> Guesses:
        """The attack's guesses, ``plaintext_row`` in the caller's order.

        The attack sees ``plaintext`` with its rows permuted (drawn from
        :attr:`seed`); nothing else changes.
        """
        shuffle_seed, attack_seed = np.random.SeedSequence(self.seed).spawn(2)
        perm = np.random.default_rng(shuffle_seed).permutation(len(plaintext))
        shuffled = plaintext.iloc[perm].reset_index(drop=True)
        kwargs = {"rng": np.random.default_rng(attack_seed)} if self._takes_rng else {}
        g = _as_guesses(self.attack(clks, shuffled, schema, **kwargs), len(clks))
        if len(g) and (g.plaintext_row.min() < 0 or g.plaintext_row.max() >= len(perm)):
            raise InputError("ShuffledAttack: the attack guessed a plaintext row outside "
                             f"0..{len(perm) - 1}")
        return Guesses.from_arrays(g.clk_row, perm[g.plaintext_row], g.score, g.n_encoded)

    __call__ = guesses  # stands in wherever an attack is expected

    def score(self, clks: np.ndarray, plaintext: Any, schema: Any, truth: Any, *,
              clk_keys: Any = None, plaintext_keys: Any = None) -> AttackScore:
        """Run the attack (:meth:`guesses`) and score it with :func:`score_guesses`.

        Parameters
        ----------
        clks : ndarray of uint8, shape (n, l // 8)
        plaintext : pandas.DataFrame
        schema : schema dict, path or Schema (without the secret)
        truth : DataFrame with columns ``a`` (clk row), ``b`` (plaintext row), or array (m, 2)
        clk_keys, plaintext_keys : optional
            Passed to :func:`score_guesses`.

        Returns
        -------
        AttackScore
        """
        return score_guesses(self.guesses(clks, plaintext, schema), truth,
                             clk_keys=clk_keys, plaintext_keys=plaintext_keys)
