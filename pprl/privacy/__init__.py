"""Privacy: measure what a linkage schema leaks to known attacks.

Attacks on Bloom-filter encodings (graph matching, frequency, pattern
mining), the privacy report and the privacy-utility frontier live here.
They measure resistance to known attacks; they are not a formal guarantee.

Every attack takes the encodings, the attacker's plaintext database (a
DataFrame with the schema's feature identifiers as columns) and the schema
without the secret, and returns :class:`Guesses`; :func:`score_guesses`
counts the correct ones.  :class:`ShuffledAttack` runs an attack against a
seeded shuffle of the plaintext rows and scores it: the frontier and the
parameter explorer measure through it.  The privacy-utility frontier is
:func:`pprl.frontier` (the function lives in :mod:`pprl.privacy.frontier` and is
not re-exported here, so that the module keeps its name).
"""

from __future__ import annotations

from .controls import random_bits_like, wrong_schema
from .frequency import frequency_attack
from .frontier import DEFAULT_SETTINGS, FrontierResult
from .graph import graph_attack
from .guesses import AttackScore, Guesses, score_guesses, shuffle_plaintext
from .pattern import pattern_attack
from .report import privacy_report
from .shuffled import ShuffledAttack

__all__ = [
    "AttackScore",
    "DEFAULT_SETTINGS",
    "FrontierResult",
    "Guesses",
    "frequency_attack",
    "graph_attack",
    "pattern_attack",
    "privacy_report",
    "score_guesses",
    "shuffle_plaintext",
    "random_bits_like",
    "wrong_schema",
    "ShuffledAttack",
]
