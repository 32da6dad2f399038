"""A run's computation: uploaded CLKs in, the entity service's result arrays out.

The linkage itself is pprl's library code, so a run's result is the
library's result for the same inputs:

* ``similarity_scores`` (2 parties): :func:`pprl.candidate_pairs` (or
  :func:`pprl.linkage.blocking.lsh_candidate_pairs` with ``blocking="lsh"``),
  the pairs and scores ``pprl link --solver none`` writes;
* ``permutations`` (2 parties): the greedy (or optimal) one-to-one matches of
  those candidates, each pair placed at the same random position of both
  parties' permutations and marked in the mask;
* ``groups`` (2 or more parties): the multi-party engine's greedy groups
  (:mod:`pprl.linkage.multiparty`).

The exhaustive scan runs over slices of party A's rows so that progress can be
reported between them; top-``k`` is per row of A, so the merged result is
identical to one call over all rows.  Nothing here reads plaintext.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from pprl.linkage.candidates import Candidates

__all__ = ["compute", "permutations", "stages", "estimate", "QUALITY_ESTIMATOR", "Progress"]

#: progress callback: (absolute, relative in [0, 1], description)
Progress = Callable[[int, float, str], None]



def estimate(cands: Candidates, a: np.ndarray, b: np.ndarray, threshold: float,
             params: dict) -> dict:
    """The quality estimate without truth of a 2-party run (``MATCHES.quality.json``'s dict).

    :func:`pprl.estimate_quality` on the run's candidates and both parties' CLKs,
    seeded by the run's ``seed`` (default 0).  Candidates from LSH blocking or a
    top-k limit miss pairs the estimate counts on, so it is then marked unreliable.
    An estimate that cannot be made is reported, never a failed run.
    """
    from pprl.evaluation.quality import estimate_quality

    try:
        with warnings.catch_warnings():  # the reasons travel in the estimate itself
            warnings.simplefilter("ignore")
            q = estimate_quality(cands, a.shape[0], b.shape[0], floor=threshold,
                                 clks=(a, b), threshold_used=threshold,
                                 rng=params.get("seed") or 0).to_dict()
    except Exception as exc:  # noqa: BLE001 -- the run's result stands without it
        return {"reliable": False, "reasons": [f"no estimate: {type(exc).__name__}: {exc}"]}
    if params.get("blocking") == "lsh" or params.get("k") is not None:
        q["reliable"] = False
        q["reasons"] = [*q.get("reasons", []), "candidates from LSH blocking or a top-k "
                        "limit: pairs the estimate counts on were never scored"]
    return q


#: The quality estimate of every 2-party run's result (issue 20): ``f(candidates, a, b,
#: threshold, params) -> dict``, stored with the run; its status shows it as ``quality``
#: to the result token's holder only.  None turns it off.
QUALITY_ESTIMATOR: Callable[[Candidates, np.ndarray, np.ndarray, float, dict], dict] | None = (
    estimate)

_SLICES_EXHAUSTIVE = 16
_SLICES_LSH = 4


def stages(result_type: str) -> int:
    """How many stages a run of ``result_type`` goes through (waiting, comparing, solving)."""
    return 2 if result_type == "similarity_scores" else 3


def _slices(n: int, parts: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, n, min(parts, max(n, 1)) + 1).astype(np.int64)
    return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:], strict=True) if hi > lo]


def _merge(pieces: list[Candidates], offsets: list[int]) -> Candidates:
    if not pieces:
        return Candidates.empty()
    a = np.concatenate([p.a + off for p, off in zip(pieces, offsets, strict=True)])
    b = np.concatenate([p.b for p in pieces])
    s = np.concatenate([p.score for p in pieces])
    return Candidates.from_unsorted(a, b, s)


def candidates(a: np.ndarray, b: np.ndarray, threshold: float, params: dict,
               progress: Progress, client=None,
               blocks: tuple[list, list] | None = None) -> Candidates:
    """The candidate pairs of two parties for a run's parameters (see the module doc)."""
    from pprl.linkage import blocking, distributed
    from pprl.linkage.similarity import candidate_pairs

    k = params.get("k")
    n, m = a.shape[0], b.shape[0]
    total = n * m
    desc = "number of comparisons made"
    if blocks is not None:
        return _blocked(a, b, threshold, k, blocks, progress)
    if params.get("blocking") == "lsh":
        lsh = blocking.choose_lsh(a, b, threshold, params.get("target_pc", 0.99),
                                  rng=params.get("seed"))
        if client is not None:
            cands, _ = distributed.lsh_candidate_pairs(client, a, b, threshold,
                                                       params=lsh.params, k=k)
            progress(total, 1.0, desc)
            return cands
        pieces, offsets = [], []
        for lo, hi in _slices(n, _SLICES_LSH):
            c, _ = blocking.lsh_candidate_pairs(a[lo:hi], b, threshold, params=lsh.params, k=k)
            pieces.append(c)
            offsets.append(lo)
            progress(hi * m, hi / max(n, 1), "number of record pairs considered (LSH blocking)")
        return _merge(pieces, offsets)
    if client is not None:
        cands = distributed.candidate_pairs(client, a, b, threshold, k=k)
        progress(total, 1.0, desc)
        return cands
    pieces, offsets = [], []
    for lo, hi in _slices(n, _SLICES_EXHAUSTIVE):
        pieces.append(candidate_pairs(a[lo:hi], b, threshold, k=k))
        offsets.append(lo)
        progress(hi * m, hi / max(n, 1), desc)
    return _merge(pieces, offsets)


def _blocked(a, b, threshold, k, blocks, progress) -> Candidates:
    """Pairs that share an uploaded block id, each once; ``k`` best per row of A after."""
    from pprl.linkage._lsh import merge_pairs
    from pprl.linkage.similarity import candidate_pairs

    index = []
    for rows_blocks in blocks:
        d: dict[str, list[int]] = {}
        for row, ids in enumerate(rows_blocks):
            for bid in ids:
                d.setdefault(bid, []).append(row)
        index.append(d)
    common = sorted(set(index[0]) & set(index[1]))
    parts = []
    for i, bid in enumerate(common):
        ra = np.asarray(index[0][bid], dtype=np.int64)
        rb = np.asarray(index[1][bid], dtype=np.int64)
        c = candidate_pairs(a[ra], b[rb], threshold)
        parts.append({"a": ra[c.a], "b": rb[c.b], "score": c.score})
        progress(i + 1, (i + 1) / len(common), "number of blocks compared")
    if not parts:
        return Candidates.empty()
    ca, cb, cs = merge_pairs(parts, b.shape[0], k)  # a pair in two blocks counts once
    return Candidates.from_unsorted(ca, cb, cs)


def permutations(matches: Candidates, n_a: int, n_b: int,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each party's permutation and the mask: matched pairs share a random position.

    ``perm_i[row]`` is the new position of party ``i``'s ``row``.  The
    ``k`` matched pairs take ``k`` random positions below ``min(n_a, n_b)``
    (the same one for both records of a pair), where the mask is 1; every
    other record takes one of the remaining positions at random.

    Examples
    --------
    >>> m = Candidates(np.array([0, 2]), np.array([1, 0]), np.array([0.9, 0.8]))
    >>> r = permutations(m, 3, 2, np.random.default_rng(0))
    >>> rows = {int(r["perm_0"][0]), int(r["perm_0"][2])}
    >>> rows == {int(r["perm_1"][1]), int(r["perm_1"][0])} and int(r["mask"].sum()) == 2
    True
    """
    size = min(n_a, n_b)
    slots = rng.permutation(size)
    used = slots[: len(matches)]
    mask = np.zeros(size, dtype=np.int8)
    mask[used] = 1
    out = {"mask": mask}
    for name, n, rows in (("perm_0", n_a, matches.a), ("perm_1", n_b, matches.b)):
        perm = np.full(n, -1, dtype=np.int64)
        perm[rows] = used
        free = rng.permutation(np.concatenate([slots[len(matches):],
                                               np.arange(size, n, dtype=np.int64)]))
        perm[perm < 0] = free
        out[name] = perm
    return out


def compute(result_type: str, clks: Sequence[np.ndarray], threshold: float, params: dict,
            progress: Progress, *, client=None,
            blocks: Sequence[list] | None = None) -> tuple[dict[str, np.ndarray], dict | None]:
    """Run a linkage and return ``(result arrays, quality estimate or None)``.

    The arrays are ``a``, ``b``, ``score`` (similarity_scores), ``perm_0``,
    ``perm_1``, ``mask`` (permutations) or ``group``, ``party``, ``row`` (groups).
    """
    if result_type == "groups":
        from pprl.linkage.multiparty import greedy_groups, multiparty_candidates

        progress(0, 0.0, "comparing every pair of parties")
        cands = multiparty_candidates(list(clks), threshold, k=params.get("k"),
                                      blocking=params.get("blocking") if
                                      params.get("blocking") == "lsh" else None,
                                      client=client)
        progress(len(cands.score), 1.0, "number of candidate pairs found")
        groups = greedy_groups(cands)
        return ({"group": np.asarray(groups.group, np.int64),
                 "party": np.asarray(groups.party, np.int64),
                 "row": np.asarray(groups.row, np.int64)}, None)
    a, b = clks
    cands = candidates(a, b, threshold, params, progress, client,
                       tuple(blocks) if blocks is not None else None)
    quality = None
    if QUALITY_ESTIMATOR is not None:
        quality = QUALITY_ESTIMATOR(cands, a, b, threshold, params)
    if result_type == "similarity_scores":
        return {"a": cands.a, "b": cands.b, "score": cands.score}, quality
    from pprl.linkage.matching import greedy_match, optimal_match

    solver = params.get("solver", "greedy")
    matches = optimal_match(cands) if solver == "optimal" else greedy_match(cands)
    rng = np.random.default_rng(params.get("seed"))
    return permutations(matches, a.shape[0], b.shape[0], rng), quality
