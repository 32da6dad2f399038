"""Negative controls: inputs on which an honest attack must fall to chance.

A re-identification rate is evidence only if the attack loses it when the
signal it claims to use is taken away.  These functions take it away:

* :func:`random_bits_like` keeps which encoded records are equal and every
  popcount, but gives each distinct CLK random bits: no q-gram structure is
  left, so the graph and pattern attacks must fall to chance, and the
  frequency attack may keep only what counts (and popcounts) explain.
* :func:`wrong_schema` gives the attacker the schema with every q-gram
  length changed (2 becomes 3, anything else 2): each attack that models
  the tokens should degrade.

The privacy report runs them with ``controls=True``
(``pprl privacy report --controls``); the tests run them on every attack.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import check_bits_array, check_rng
from ..bits import pack_bits
from ..encoding.model import NgramComparison, Schema
from ..encoding.schema import load_schema

__all__ = ["random_bits_like", "wrong_schema"]


def random_bits_like(clks: np.ndarray, rng=0) -> np.ndarray:
    """CLKs with each distinct row replaced by random bits of the same popcount.

    Equal rows stay equal (so value frequencies survive) and every row keeps
    its popcount; which bits are set is random, independently per distinct
    row.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
    rng : None, int or numpy.random.Generator, default=0

    Returns
    -------
    ndarray of uint8, shape (n, l // 8)

    Examples
    --------
    >>> import numpy as np, pprl
    >>> x = np.array([[255, 0], [255, 0], [1, 0]], dtype=np.uint8)
    >>> y = random_bits_like(x, rng=1)
    >>> pprl.popcount(y).tolist(), bool((y[0] == y[1]).all())
    ([8, 8, 1], True)
    """
    clks = check_bits_array(clks, "clks", "random_bits_like")
    rng = check_rng(rng)
    n_bits = clks.shape[1] * 8
    if clks.shape[0] == 0:
        return clks.copy()
    distinct, inverse = np.unique(clks, axis=0, return_inverse=True)
    ones = np.unpackbits(distinct, axis=1).sum(axis=1)
    keys = rng.random((distinct.shape[0], n_bits))
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)  # a random order of positions per row
    fresh = pack_bits(rank < ones[:, None])
    return np.ascontiguousarray(fresh[inverse.ravel()])


def wrong_schema(schema) -> Schema:
    """The schema with every q-gram length changed: 2 becomes 3, any other q becomes 2.

    Examples
    --------
    >>> import pprl
    >>> s = wrong_schema(pprl.person_schema())
    >>> s.features[1].hashing.comparison.n
    3
    """
    schema = load_schema(schema)
    features = []
    for f in schema.features:
        comp = f.hashing.comparison if f.hashing is not None else None
        if isinstance(comp, NgramComparison):
            other = dataclasses.replace(comp, n=3 if comp.n == 2 else 2)
            f = dataclasses.replace(f, hashing=dataclasses.replace(f.hashing, comparison=other))
        features.append(f)
    return dataclasses.replace(schema, features=tuple(features))
