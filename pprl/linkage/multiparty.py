"""Candidate pairs among three or more parties (anonlink's ``find_candidate_pairs``).

Every pair of parties ``i < j`` is scanned with the 2-party scan
(:func:`pprl.candidate_pairs`, or :func:`pprl.lsh_candidate_pairs` with
``blocking``, or on Dask with ``client``): the same kernel, threads and memory
bound; two records of the same party are never compared.  The per-pair
results are merged into one canonical order: **score descending, then
party_a, party_b, row_a, row_b**, which is the order anonlink's
``find_candidate_pairs`` returns, so that its solvers and ours see the
candidates in the same order.  In memory each pair's result is packed into
one int64 key per candidate as its scan ends, and one sort of the keys
gives the order (:mod:`._mpkeys`, 26 bytes per candidate at the peak); when
the keys do not fit in 63 bits, the per-pair results are merged field by
field by ``searchsorted`` (:func:`_merge`).

Storage is 26 bytes per candidate: rows (int64), score (float64) and a 2-byte
code of the pair of parties; ``party_a`` and ``party_b`` are built from the
code on access.  The groups that solve them are in :mod:`._groups`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from .._validation import check_bits_array, param_error
from ..errors import InputError
from . import _mpkeys
from ._groups import Groups, greedy_groups, probabilistic_groups
from .blocking import LSHParams, lsh_candidate_pairs
from .candidates import Candidates
from .chunks import CandidateChunks
from .similarity import candidate_pairs, least_max_bytes, popcounts

__all__ = [
    "Groups",
    "MultipartyCandidates",
    "greedy_groups",
    "multiparty_candidates",
    "probabilistic_groups",
]

_STEP = 1 << 16  # pairs per merge step: bounds the scratch to about 2 MiB


class MultipartyCandidates:
    """Scored pairs of records from two different parties, in the canonical order.

    Parameters
    ----------
    party_a, row_a, party_b, row_b : array-like of int, shape (n,)
        The two records of each pair, ``party_a < party_b`` (0-based party
        index and row).
    score : array-like of float, shape (n,)
        The pair's Dice coefficient.

    The pairs are sorted into the canonical order (score descending, then
    ``party_a``, ``party_b``, ``row_a``, ``row_b``) if they are not in it.

    Attributes
    ----------
    party_a, row_a, party_b, row_b : ndarray of int64, shape (n,)
    score : ndarray of float64, shape (n,)
    n_parties : int
        One more than the highest party index seen (or given).

    Examples
    --------
    >>> c = MultipartyCandidates([0, 1, 0], [3, 0, 1], [2, 2, 1], [1, 4, 1], [0.9, 0.95, 0.9])
    >>> c.to_frame().values.tolist()
    [[1.0, 0.0, 2.0, 4.0, 0.95], [0.0, 1.0, 1.0, 1.0, 0.9], [0.0, 3.0, 2.0, 1.0, 0.9]]
    """

    def __init__(self, party_a, row_a, party_b, row_b, score, *, n_parties: int | None = None):
        pa = np.asarray(party_a, dtype=np.int64).ravel()
        pb = np.asarray(party_b, dtype=np.int64).ravel()
        ra = np.asarray(row_a, dtype=np.int64).ravel()
        rb = np.asarray(row_b, dtype=np.int64).ravel()
        s = np.asarray(score, dtype=np.float64).ravel()
        if not len(pa) == len(pb) == len(ra) == len(rb) == len(s):
            raise InputError("MultipartyCandidates needs five arrays of equal length; got lengths "
                             f"{[len(x) for x in (pa, ra, pb, rb, s)]}.")
        if len(pa) and (pa.min() < 0 or ra.min() < 0 or rb.min() < 0 or np.any(pa >= pb)):
            raise InputError("MultipartyCandidates needs party_a < party_b and rows >= 0.")
        k = max(int(pb.max()) + 1 if len(pb) else 0, n_parties or 0, 2)
        pairs = np.array(list(combinations(range(k), 2)), dtype=np.int64).reshape(-1, 2)
        code = (_pair_index(pa, pb, k)).astype(np.uint16 if len(pairs) < 65536 else np.int64)
        order = np.lexsort((rb, ra, code, -s))
        if np.any(order != np.arange(len(order))):
            code, ra, rb, s = code[order], ra[order], rb[order], s[order]
        self._init(ra, rb, s, code, pairs)

    @classmethod
    def _from_parts(cls, row_a, row_b, score, code, pairs) -> MultipartyCandidates:
        self = cls.__new__(cls)
        self._init(row_a, row_b, score, code, pairs)
        return self

    def _init(self, row_a, row_b, score, code, pairs) -> None:
        self.row_a, self.row_b, self.score = row_a, row_b, score
        self.code, self.pairs = code, pairs  # code: index into pairs ((i, j) in combinations order)
        self.n_parties = int(pairs.max()) + 1 if len(pairs) else 2

    @property
    def party_a(self) -> np.ndarray:
        """The first record's party (int64), built from the pair code."""
        return self.pairs[:, 0][self.code]

    @property
    def party_b(self) -> np.ndarray:
        """The second record's party (int64), built from the pair code."""
        return self.pairs[:, 1][self.code]

    def __len__(self) -> int:
        return len(self.score)

    def __repr__(self) -> str:
        return f"MultipartyCandidates(n={len(self)}, n_parties={self.n_parties})"

    @classmethod
    def empty(cls, n_parties: int = 2) -> MultipartyCandidates:
        """No pairs."""
        e = np.empty(0, np.int64)
        return cls(e, e, e, e, np.empty(0), n_parties=n_parties)

    def to_anonlink(self):
        """The candidates in anonlink's format ``(sims, (dset0, dset1), (rec0, rec1))``.

        float64 similarities and uint32 indices, as anonlink's solvers expect.
        """
        u = np.uint32
        return (np.ascontiguousarray(self.score), (self.party_a.astype(u), self.party_b.astype(u)),
                (self.row_a.astype(u), self.row_b.astype(u)))

    def to_frame(self):
        """The pairs as a DataFrame ``party_a, row_a, party_b, row_b, score``."""
        import pandas as pd

        return pd.DataFrame({"party_a": self.party_a, "row_a": self.row_a,
                             "party_b": self.party_b, "row_b": self.row_b, "score": self.score})


def _pair_index(pa: np.ndarray, pb: np.ndarray, k: int) -> np.ndarray:
    """Index of (pa, pb), pa < pb, in ``combinations(range(k), 2)`` order."""
    return pa * (2 * k - pa - 1) // 2 + (pb - pa - 1)


def _cap_b(c: Candidates, k: int) -> Candidates:
    """Cap each row of B as anonlink does: keep a pair while its B row has < k before it."""
    if len(c) == 0:
        return c
    order = np.argsort(c.b, kind="stable")
    sb = c.b[order]
    start = np.flatnonzero(np.r_[True, sb[1:] != sb[:-1]])
    rank = np.arange(len(sb)) - np.repeat(start, np.diff(np.r_[start, len(sb)]))
    keep = np.empty(len(c), dtype=bool)
    keep[order] = rank < k
    return Candidates(c.a[keep], c.b[keep], c.score[keep])


def _merge_positions(neg_scores: list, p: int, lo: int, hi: int) -> np.ndarray:
    """Final positions of stream ``p``'s pairs ``lo:hi`` in the merged order.

    ``neg_scores`` are the streams' scores negated (ascending within each
    stream); at equal scores a lower stream (a lower pair of parties) comes
    first, so the merge is a sum of ``searchsorted`` counts over the other
    streams.
    """
    s = np.asarray(neg_scores[p][lo:hi])
    pos = np.arange(lo, hi, dtype=np.int64)
    for q, other in enumerate(neg_scores):
        if q != p and len(other):
            pos += np.searchsorted(other, s, side="right" if q < p else "left")
    return pos


def multiparty_candidates(
    clks: Sequence[np.ndarray],
    threshold: float,
    *,
    k: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
    max_bytes: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    blocking: LSHParams | str | None = None,
    client=None,
    progress: bool = False,
    rng=None,
) -> MultipartyCandidates:
    """Candidate pairs at Dice ``>= threshold`` between every two of N parties.

    Parameters
    ----------
    clks : sequence of ndarray of uint8, shape (n_i, l // 8)
        The parties' CLKs (N >= 2, one width).
    threshold : float in [0, 1]
        Keep pairs with ``score >= threshold``.
    k : int or None, default=None
        At most ``k`` pairs per record per pair of parties, on both sides, as
        anonlink's ``find_candidate_pairs``: the best ``k`` of each row of the
        lower party, then a row of the higher party keeps the pairs that have
        fewer than ``k`` pairs of that row before them in the canonical order.
    backend, threads : see :func:`pprl.candidate_pairs`
    max_bytes : int or None, default=None
        Memory all the pairs of all pairs of parties may take (see
        :func:`pprl.candidate_pairs`); with ``out_dir``, each scan's chunk size.
    out_dir : path or None, default=None
        Each pair of parties streams its scan to ``out_dir/pair-I-J`` and the
        merged result is written to ``out_dir`` as ``.npy`` files that the
        returned arrays map from disk.
    blocking : None, "lsh" or LSHParams, default=None
        Compare only records that share a Hamming-LSH bucket
        (:func:`pprl.lsh_candidate_pairs`; ``"lsh"`` chooses parameters per
        pair of parties with ``rng``).
    client : distributed.Client or None, default=None
        Run each scan on this Dask cluster (identical results).
    progress : bool, default=False
        Progress bars of the scans.
    rng : None, int or numpy.random.Generator
        For ``blocking="lsh"``'s choice of parameters.

    Returns
    -------
    MultipartyCandidates
        In the canonical order: score descending, then party_a, party_b,
        row_a, row_b (anonlink's).

    Raises
    ------
    InputError
        Fewer than two parties, parties of different widths (naming both),
        bad parameters, or a result larger than ``max_bytes``.

    Examples
    --------
    >>> a = np.array([[0b11110000], [0b00001111]], dtype=np.uint8)
    >>> b = np.array([[0b11100000]], dtype=np.uint8)
    >>> c = np.array([[0b00001111], [0b11110000]], dtype=np.uint8)
    >>> m = multiparty_candidates([a, b, c], 0.8)
    >>> m.party_a.tolist(), m.row_a.tolist(), m.party_b.tolist(), m.row_b.tolist()
    ([0, 0, 0, 1], [0, 1, 0, 0], [2, 2, 1, 2], [1, 0, 0, 1])
    >>> m.score.round(3).tolist()
    [1.0, 1.0, 0.857, 0.857]
    """
    f = "multiparty_candidates"
    if isinstance(clks, np.ndarray) or not isinstance(clks, Sequence) or len(clks) < 2:
        raise param_error("clks", f, "a list of two or more CLK arrays",
                          type(clks).__name__ if not isinstance(clks, Sequence) else clks)
    arrays = [check_bits_array(x, f"clks[{i}]", f) for i, x in enumerate(clks)]
    width = {}
    for i, x in enumerate(arrays):
        if x.shape[0] == 0 and x.shape[1] == 0:
            continue
        w0 = next(iter(width.items()), None)
        if w0 is not None and w0[1] != x.shape[1]:
            raise InputError(f"{f}: party {w0[0]} has {w0[1] * 8}-bit CLKs but party {i} has "
                             f"{x.shape[1] * 8}-bit CLKs; every party must use one width.")
        width.setdefault(i, x.shape[1])
    if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
        raise param_error("k", f, "a positive integer or None", k)
    if blocking is not None and blocking != "lsh" and not isinstance(blocking, LSHParams):
        raise param_error("blocking", f, 'None, "lsh" or an LSHParams', blocking)
    if blocking is not None and (client is not None or out_dir is not None):
        raise InputError(f"{f}: blocking cannot be combined with client or out_dir.")
    n = len(arrays)
    pairs = np.array(list(combinations(range(n), 2)), dtype=np.int64)
    if rng is not None and not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    out = Path(out_dir) if out_dir is not None else None
    streams: list = []
    used = 0
    nbits = 8 * max(x.shape[1] for x in arrays)
    keys = _mpkeys.plan(nbits, [len(x) for x in arrays], len(pairs)) if out is None else None
    for i, j in pairs.tolist():
        if blocking is not None:
            params = blocking if isinstance(blocking, LSHParams) else None
            c, _ = lsh_candidate_pairs(arrays[i], arrays[j], threshold, params=params, k=k,
                                       threads=threads, progress=progress, rng=rng,
                                       backend=backend)
        else:
            budget = max_bytes if max_bytes is None or out is not None \
                else max(least_max_bytes(), max_bytes - used)
            c = candidate_pairs(arrays[i], arrays[j], threshold, k=k, backend=backend,
                                threads=threads, progress=progress, max_bytes=budget,
                                out_dir=None if out is None else out / f"pair-{i}-{j}",
                                client=client)
        if k is not None:
            c = _cap_b(c.load() if isinstance(c, CandidateChunks) else c, k)
            if out is not None:  # keep the streamed form: rewrite the capped pairs as one chunk
                c = _as_chunks(c, out / f"pair-{i}-{j}-k", len(arrays[i]), len(arrays[j]),
                               threshold)
        used += 24 * len(c)
        if max_bytes is not None and out is None and used > max_bytes:
            raise InputError(f"{f}: the pairs of parties up to ({i}, {j}) already take {used} "
                             f"bytes, more than max_bytes={max_bytes}; raise max_bytes or the "
                             "threshold, or give out_dir.")
        if keys is not None:  # packed at once into 8 bytes a candidate, its arrays freed
            keys.add(len(streams), c)
            streams.append(None)
        else:
            streams.append(c)
        del c  # the list holds the only reference: the merge frees each stream as it goes
    if out is not None:
        return _merge_to_disk(streams, pairs, out)
    if keys is not None:
        pops = [popcounts(x, backend=backend) for x in arrays]
        return MultipartyCandidates._from_parts(*keys.result(pops, pairs), pairs)
    return _merge(streams, pairs)


def _merge(streams: list, pairs: np.ndarray) -> MultipartyCandidates:
    """Merge the pairs' Candidates field by field, dropping each stream's field once copied."""
    if len(streams) == 1:
        c = streams[0]
        return MultipartyCandidates._from_parts(c.a, c.b, c.score,
                                                np.zeros(len(c), np.uint16), pairs)
    sizes = [len(c) for c in streams]
    total = sum(sizes)
    fields = {"score": [c.score for c in streams], "a": [c.a for c in streams],
              "b": [c.b for c in streams]}
    streams.clear()
    code = np.empty(total, np.uint16)
    scores = fields["score"]
    for x in scores:  # negated in place (no copy): ascending, as searchsorted wants
        np.negative(x, out=x)
    merged = {}
    # Field by field, each stream's array dropped once copied: the peak is the streams
    # (24 B per candidate) plus one merged field (8 B) and the code (2 B).
    for name in ("code", "a", "b", "score"):  # score last: the positions are computed from it
        arr = code if name == "code" else np.empty(
            total, np.float64 if name == "score" else np.int64)
        for p, size in enumerate(sizes):
            for lo in range(0, size, _STEP):  # positions a step at a time
                pos = _merge_positions(scores, p, lo, min(size, lo + _STEP))
                arr[pos] = p if name == "code" else fields[name][p][lo:lo + _STEP]
            if name in ("a", "b"):
                fields[name][p] = None
        if name == "score":
            np.negative(arr, out=arr)
        if name != "code":
            merged[name] = arr
    return MultipartyCandidates._from_parts(merged["a"], merged["b"], merged["score"], code, pairs)


def _as_chunks(c: Candidates, path: Path, n_a: int, n_b: int, threshold: float) -> CandidateChunks:
    from .chunks import ChunkWriter

    w = ChunkWriter(path, n_a, n_b, threshold, None, "multiparty_candidates")
    w.write(c)
    return w.close()


def _merge_to_disk(streams: list, pairs: np.ndarray, out: Path) -> MultipartyCandidates:
    """Merge chunked streams into memory-mapped ``.npy`` files in ``out``, a batch at a time."""
    from numpy.lib.format import open_memmap

    scores = []
    for p, c in enumerate(streams):  # each stream's sorted scores, on disk
        s = open_memmap(out / f"_scores-{p}.npy", mode="w+", dtype=np.float64, shape=(len(c),))
        at = 0
        for batch in c.batches(_STEP):
            s[at:at + len(batch)] = -batch.score  # negated: ascending, for searchsorted
            at += len(batch)
        scores.append(s)
    total = sum(len(c) for c in streams)
    res = {name: open_memmap(out / f"{name}.npy", mode="w+", dtype=dt, shape=(total,))
           for name, dt in (("row_a", np.int64), ("row_b", np.int64), ("score", np.float64),
                            ("pair", np.uint16))}
    for p, c in enumerate(streams):
        at = 0
        for batch in c.batches(_STEP):
            pos = _merge_positions(scores, p, at, at + len(batch))
            res["row_a"][pos], res["row_b"][pos] = batch.a, batch.b
            res["score"][pos], res["pair"][pos] = batch.score, p
            at += len(batch)
    for name in res:
        res[name].flush()
    del scores
    for p in range(len(streams)):
        (out / f"_scores-{p}.npy").unlink()
    return MultipartyCandidates._from_parts(res["row_a"], res["row_b"], res["score"],
                                            res["pair"], pairs)
