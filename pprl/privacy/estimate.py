"""How long an attack will take, estimated from the number of records before it starts.

The graph attack's time is dominated by dense ``n x n`` matrix products and
one-to-one assignments, both cubic in the number of records.  Rather than
quote seconds measured on someone else's machine, :func:`estimate_seconds`
times one small product and one small assignment here (about 0.1 s) and
scales them by the cube of the size, with the step counts of the attack:

* **settled** (the node-feature mapping agrees with itself, the usual case
  for unhardened CLKs with a good plaintext copy): ``refine + 2`` products
  and about four full assignments;
* **graph matching** (FAQ, when the mapping does not settle; only up to
  :data:`pprl.privacy.graph.FAQ_LIMIT` records): ``max_iter`` iterations of
  two products and an assignment, for each of up to ``n_init`` starts.

The frequency and pattern attacks are near-linear and take seconds.  The
estimates are rough (a factor of two either way; more on a loaded machine)
and are printed by ``pprl attack`` before it starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

__all__ = ["AttackEstimate", "estimate_seconds"]

_PROBE = 400
#: Full assignments of the settled path (the first refinement rounds), measured.
_SETTLED_ASSIGNMENTS = 4


@dataclass(frozen=True)
class AttackEstimate:
    """Estimated seconds of one attack.

    Attributes
    ----------
    typical : float
        When the attack takes its usual path (for the graph attack: the
        node-feature mapping settles).
    worst : float
        When it does not (graph matching from every start).
    graph_matching : bool
        Whether graph matching may run at this size.
    """

    typical: float
    worst: float
    graph_matching: bool


def _probe() -> tuple[float, float]:
    """Seconds of one ``_PROBE``-sized product and one assignment on this machine."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(0)
    x = rng.random((_PROBE, _PROBE))
    t = time.perf_counter()
    for _ in range(3):
        x @ x
    product = (time.perf_counter() - t) / 3
    t = time.perf_counter()
    linear_sum_assignment(x)
    return product, time.perf_counter() - t


def estimate_seconds(kind: str, n_encoded: int, n_plaintext: int, *, refine: int = 6,
                     n_init: int = 2, max_iter: int = 30) -> AttackEstimate:
    """Estimate an attack's seconds on this machine before running it.

    Parameters
    ----------
    kind : {"graph", "frequency", "pattern"}
    n_encoded, n_plaintext : int
        Rows of the CLKs and of the attacker's plaintext.
    refine, n_init, max_iter : int
        The graph attack's parameters (:func:`pprl.privacy.graph_attack`).

    Returns
    -------
    AttackEstimate

    Examples
    --------
    >>> e = estimate_seconds("graph", 2000, 2000)
    >>> 0 < e.typical <= e.worst and e.graph_matching
    True
    """
    from .graph import FAQ_LIMIT

    size = max(int(n_encoded), int(n_plaintext), 1)
    if kind != "graph":
        secs = 1.0 + 2e-3 * size + (1e-9 * size ** 3 if kind == "pattern" else 0.0)
        return AttackEstimate(secs, secs, False)
    product, assignment = _probe()
    scale = (size / _PROBE) ** 3
    typical = scale * ((refine + 2) * product + _SETTLED_ASSIGNMENTS * assignment)
    typical += 2e-7 * size * size  # the Dice and expected-Dice matrices
    faq = size <= FAQ_LIMIT
    worst = typical
    if faq:
        worst += n_init * (scale * max_iter * (2 * product + assignment)
                           + scale * ((refine + 1) * product + 3 * assignment))
    return AttackEstimate(typical, worst, faq)
