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
field by ``searchsorted`` (:mod:`._mpmerge`).

Storage is 26 bytes per candidate: rows (int64), score (float64) and a 2-byte
code of the pair of parties; ``party_a`` and ``party_b`` are built from the
code on access.  The groups that solve them are in :mod:`._groups`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import combinations
from pathlib import Path

import numpy as np

from .._validation import check_bits_array, param_error
from ..errors import InputError, TooManyCandidatesError
from . import _mpkeys, _mpmerge
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

#: bytes per candidate of the merged result, the N-party peak (``max_bytes`` counts these)
RESULT_BYTES = 26


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
        self.blocking: dict = {}  # (i, j) -> BlockingReport of the pairs LSH blocked

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


def multiparty_candidates(
    clks: Sequence[np.ndarray],
    threshold: float,
    *,
    k: int | None = None,
    backend: str = "auto",
    threads: int | None = None,
    max_bytes: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    blocking: LSHParams | str | Mapping | None = None,
    target_pc: float = 0.99,
    estimate: str = "sample",
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
        Memory the merged result may take, at 26 bytes per candidate (the
        peak, ``RESULT_BYTES``): each pair of parties' scan may hold what the
        earlier ones left and stops early (``TooManyCandidatesError``) when
        its result would not fit; with ``out_dir``, each scan's chunk size.
        Default: each scan is bounded by the memory available.
    out_dir : path or None, default=None
        Each pair of parties streams its scan to ``out_dir/pair-I-J`` and the
        merged result is written to ``out_dir`` as ``.npy`` files that the
        returned arrays map from disk.
    blocking : None, "lsh", LSHParams or mapping, default=None
        Compare only records that share a Hamming-LSH bucket
        (:func:`pprl.lsh_candidate_pairs`; ``"lsh"`` chooses parameters per
        pair of parties with ``target_pc``, ``estimate`` and ``rng``).  A
        mapping ``{(i, j): None | "lsh" | LSHParams}`` decides per pair of
        parties (a pair it leaves out is scanned exhaustively), as
        ``pprl link --blocking auto`` does with
        :func:`~pprl.linkage.autoblock.choose_blocking`.
    target_pc, estimate : see :func:`pprl.lsh_candidate_pairs`
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
        row_a, row_b (anonlink's).  Its ``blocking`` attribute maps each
        pair of parties ``(i, j)`` that LSH blocked to its
        :class:`~pprl.linkage.blocking.BlockingReport`.

    Raises
    ------
    InputError
        Fewer than two parties, parties of different widths (naming both),
        bad parameters.
    TooManyCandidatesError
        A result larger than ``max_bytes`` (or the memory available); its
        ``pairs`` counts the candidates of every pair of parties so far.

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
    n = len(arrays)
    pairs = np.array(list(combinations(range(n), 2)), dtype=np.int64)
    per_pair = _blocking_per_pair(blocking, pairs, f)
    if any(b is not None for b in per_pair) and (client is not None or out_dir is not None):
        raise InputError(f"{f}: blocking cannot be combined with client or out_dir.")
    if rng is not None and not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    out = Path(out_dir) if out_dir is not None else None
    streams: list = []
    total = 0
    reports = {}
    nbits = 8 * max(x.shape[1] for x in arrays)
    keys = _mpkeys.plan(nbits, [len(x) for x in arrays], len(pairs)) if out is None else None
    room = None if max_bytes is None or out is not None else max_bytes // RESULT_BYTES
    for (i, j), how in zip(pairs.tolist(), per_pair, strict=True):
        try:
            if how is not None:
                c, reports[(i, j)] = lsh_candidate_pairs(
                    arrays[i], arrays[j], threshold, params=how if how != "lsh" else None,
                    target_pc=target_pc, estimate=estimate, k=k, threads=threads,
                    progress=progress, rng=rng, backend=backend)
            else:  # the scan may hold what the earlier pairs of parties left of the bound
                budget = max_bytes if room is None else max(
                    least_max_bytes(), 24 * (room - total))
                c = candidate_pairs(arrays[i], arrays[j], threshold, k=k, backend=backend,
                                    threads=threads, progress=progress, max_bytes=budget,
                                    out_dir=None if out is None else out / f"pair-{i}-{j}",
                                    client=client)
        except TooManyCandidatesError as exc:
            raise _too_many(f, i, j, total + exc.pairs, exc.estimated, max_bytes) from None
        if k is not None:
            c = _cap_b(c.load() if isinstance(c, CandidateChunks) else c, k)
            if out is not None:  # keep the streamed form: rewrite the capped pairs as one chunk
                c = _mpmerge.as_chunks(c, out / f"pair-{i}-{j}-k", len(arrays[i]),
                                       len(arrays[j]), threshold)
        total += len(c)
        if room is not None and total > room:
            raise _too_many(f, i, j, total, False, max_bytes)
        if keys is not None:  # packed at once into 8 bytes a candidate, its arrays freed
            keys.add(len(streams), c)
            streams.append(None)
        else:
            streams.append(c)
        del c  # the list holds the only reference: the merge frees each stream as it goes
    if out is not None:
        parts = _mpmerge.merge_to_disk(streams, out)
    elif keys is not None:
        parts = keys.result([popcounts(x, backend=backend) for x in arrays], pairs)
    else:
        parts = _mpmerge.merge_arrays(streams)
    result = MultipartyCandidates._from_parts(*parts, pairs)
    result.blocking = reports
    return result


def _blocking_per_pair(blocking, pairs: np.ndarray, f: str) -> list:
    """``blocking`` as one entry per pair of parties: None, ``"lsh"`` or an LSHParams."""
    def ok(b) -> bool:
        return b is None or isinstance(b, LSHParams) or (isinstance(b, str) and b == "lsh")

    if isinstance(blocking, Mapping):
        known = {tuple(p) for p in pairs.tolist()}
        bad = [key for key, b in blocking.items() if key not in known or not ok(b)]
        if bad:
            raise param_error("blocking", f, 'a mapping of pairs of parties (i, j), i < j, to '
                              'None, "lsh" or an LSHParams', f"one with the entry {bad[0]!r}")
        return [blocking.get(tuple(p)) for p in pairs.tolist()]
    if not ok(blocking):
        raise param_error("blocking", f, 'None, "lsh", an LSHParams or a mapping per pair of '
                          "parties", blocking)
    return [blocking] * len(pairs)


def _too_many(f: str, i: int, j: int, found: int, estimated: bool, max_bytes: int | None):
    how = "would hold about" if estimated else "hold"
    bound = "the memory available" if max_bytes is None else f"max_bytes={max_bytes}"
    return TooManyCandidatesError(
        f"{f}: the pairs of parties up to ({i}, {j}) {how} {found:,} candidates "
        f"({RESULT_BYTES} bytes each), more than {bound}; raise max_bytes or the threshold, "
        "give k, or give out_dir.", pairs=found, estimated=estimated, max_bytes=max_bytes or 0)
