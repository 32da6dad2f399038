"""The N-party merges that do not pack keys: three arrays by ``searchsorted``, and to disk.

:mod:`._mpkeys` merges the pairs of parties' candidates in memory when one
int64 key holds a candidate; otherwise :func:`merge_arrays` merges the
per-pair results field by field (the peak: the per-pair results, 24 bytes a
candidate, plus one merged field and the code, about 34), and with
``out_dir`` :func:`merge_to_disk` merges chunked streams into memory-mapped
``.npy`` files.  Each returns ``(row_a, row_b, score, code)`` in the
canonical order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .candidates import Candidates
from .chunks import CandidateChunks

__all__ = ["as_chunks", "merge_arrays", "merge_to_disk"]

_STEP = 1 << 16  # pairs per merge step: bounds the scratch to about 2 MiB


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


def merge_arrays(streams: list) -> tuple:
    """Merge the pairs' Candidates field by field, dropping each stream's field once copied."""
    if len(streams) == 1:
        c = streams[0]
        return c.a, c.b, c.score, np.zeros(len(c), np.uint16)
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
    return merged["a"], merged["b"], merged["score"], code


def as_chunks(c: Candidates, path: Path, n_a: int, n_b: int, threshold: float) -> CandidateChunks:
    from .chunks import ChunkWriter

    w = ChunkWriter(path, n_a, n_b, threshold, None, "multiparty_candidates")
    w.write(c)
    return w.close()


def merge_to_disk(streams: list, out: Path) -> tuple:
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
    return res["row_a"], res["row_b"], res["score"], res["pair"]
