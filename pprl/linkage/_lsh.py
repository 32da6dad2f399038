"""The work of Hamming LSH on CLKs: table keys, buckets, pairs and their scores.

:mod:`.blocking` chooses the parameters and is the public face; this module
does the bulk work table by table: keys and buckets, whose pairs are scored
by :func:`pprl.linkage.backend.pair_scorer` (the native kernel computes the
keys and scores whole buckets without writing their pairs out; numpy scores
them in batches), so memory stays bounded by one table's keys (and numpy's
batches) plus the pairs that reach the threshold.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .backend import pair_scorer

__all__ = [
    "table_positions",
    "table_keys",
    "buckets",
    "bucket_pairs",
    "words",
    "run_tables",
    "run_table_groups",
    "merge_pairs",
]

# pairs generated and scored per batch (bounds the memory of one step)
_BATCH_PAIRS = 1 << 21


def table_positions(seed: int, tables: int, bits: int, nbits: int) -> np.ndarray:
    """The sampled bit positions, shape ``(tables, bits)``: distinct within a table.

    Table ``t`` depends only on ``(seed, t)``, so any subset of tables can be
    recomputed on its own (a Dask worker, or ``pprl evaluate`` checking the
    true pairs).
    """
    out = np.empty((tables, bits), dtype=np.int64)
    for t in range(tables):
        rng = np.random.default_rng([seed, t])
        out[t] = np.sort(rng.choice(nbits, size=bits, replace=False))
    return out


def table_keys(xt: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Key of every row for each table: the sampled bits packed into a uint64.

    ``xt`` is a CLK array transposed, ``(l // 8, n)`` (one contiguous row per
    byte position, big-endian bits as in :mod:`pprl.bits`); ``positions`` has
    shape ``(g, bits)`` with ``bits <= 64``.  Each byte a table samples adds
    its bits through a 256-entry lookup table, so a key costs one lookup per
    sampled byte.  Returns ``(g, n)`` uint64.
    """
    g, _ = positions.shape
    values = np.arange(256, dtype=np.uint64)
    out = np.zeros((g, xt.shape[1]), dtype=np.uint64)
    for t in range(g):
        luts: dict[int, np.ndarray] = {}
        for i, p in enumerate(positions[t].tolist()):
            lut = luts.setdefault(p >> 3, np.zeros(256, dtype=np.uint64))
            lut |= ((values >> np.uint64(7 - (p & 7))) & np.uint64(1)) << np.uint64(i)
        for byte, lut in luts.items():
            out[t] |= lut[xt[byte]]
    return out


def _runs(sorted_keys: np.ndarray):
    """Distinct keys of a sorted array with the start and length of each run."""
    n = len(sorted_keys)
    if n == 0:
        e = np.empty(0, np.int64)
        return sorted_keys[:0], e, e
    start = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    count = np.diff(np.append(start, n))
    return sorted_keys[start], start, count


def _sorted(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, keys[order])`` with ``keys`` sorted (ties in row order).

    When key and row number fit in 64 bits together, one sort of the packed
    ``key << r | row`` (about 2x faster than an argsort, which numpy does not
    vectorise as well); else a stable argsort.
    """
    n = len(keys)
    r = max(1, (n - 1).bit_length())
    if n == 0 or int(keys.max()).bit_length() + r > 64:
        order = np.argsort(keys, kind="stable")
        return order, keys[order]
    packed = np.sort((keys << np.uint64(r)) | np.arange(n, dtype=np.uint64))
    return (packed & np.uint64((1 << r) - 1)).astype(np.int64), packed >> np.uint64(r)


def buckets(ka: np.ndarray, kb: np.ndarray, max_bucket_pairs: int):
    """Group rows of A and B by key: the buckets both parties have rows in.

    Returns ``(order_a, order_b, (start_a, count_a, start_b, count_b),
    skipped)``: bucket ``k`` pairs rows ``order_a[start_a[k]:][:count_a[k]]``
    with rows ``order_b[start_b[k]:][:count_b[k]]``.  Buckets with more
    than ``max_bucket_pairs`` pairs are left out; ``skipped = (n_buckets,
    n_pairs, largest)``.
    """
    oa, sa = _sorted(ka)
    ob, sb = _sorted(kb)
    ua, start_a, count_a = _runs(sa)
    ub, start_b, count_b = _runs(sb)
    at = np.minimum(np.searchsorted(ub, ua), max(len(ub) - 1, 0))
    hit = ub[at] == ua if len(ub) else np.zeros(len(ua), bool)
    start_a, count_a = start_a[hit], count_a[hit]
    start_b, count_b = start_b[at[hit]], count_b[at[hit]]
    size = count_a * count_b
    big = size > max_bucket_pairs
    skipped = (int(big.sum()), int(size[big].sum()), int(size.max(initial=0)))
    if big.any():
        keep = ~big
        start_a, count_a, start_b, count_b = (
            start_a[keep], count_a[keep], start_b[keep], count_b[keep])
    return oa, ob, (start_a, count_a, start_b, count_b), skipped


def bucket_pairs(order_a, order_b, bks):
    """The pairs of buckets (see :func:`buckets`), in batches of ``(rows_a, rows_b)``."""
    start_a, count_a, start_b, count_b = bks
    size = count_a * count_b
    # batches of whole buckets (a bucket larger than a batch is a batch of its own)
    ends = np.cumsum(size)
    g0 = 0
    while g0 < len(size):
        base = ends[g0 - 1] if g0 else 0
        g1 = max(g0 + 1, int(np.searchsorted(ends, base + _BATCH_PAIRS, side="right")))
        sz = size[g0:g1]
        bucket = np.repeat(np.arange(g1 - g0), sz)
        r = np.arange(len(bucket), dtype=np.int64) - (np.cumsum(sz) - sz)[bucket]
        cb = count_b[g0:g1][bucket]
        rows_a = order_a[start_a[g0:g1][bucket] + r // cb]
        rows_b = order_b[start_b[g0:g1][bucket] + r % cb]
        yield rows_a, rows_b
        g0 = g1


def words(x: np.ndarray) -> np.ndarray:
    """Rows as ``uint64`` words, zero-padded to a multiple of 8 words."""
    nw = -(-x.shape[1] // 64) * 8
    out = np.zeros((x.shape[0], nw), dtype=np.uint64)
    out.view(np.uint8)[:, :x.shape[1]] = x
    return out


class _PairSet:
    """Pairs found so far, as packed ``a * m + b`` keys, repeats merged.

    Scores are not kept: a pair found in several tables has the same score
    each time, so the distinct pairs are scored once at the end (a plain
    sort of the keys instead of a sort that also tracks where each came from).
    """

    def __init__(self, m: int):
        self.m = m
        self.keys = np.empty(0, np.int64)
        self.pending: list = []
        self.n_pending = 0

    def add(self, ra, rb) -> None:
        if len(ra):
            self.pending.append(ra * self.m + rb)
            self.n_pending += len(ra)
            if self.n_pending > max(len(self.keys), _BATCH_PAIRS):
                self.merge()

    def merge(self) -> None:
        if self.pending:
            keys = np.sort(np.concatenate([self.keys] + self.pending))  # vectorised sort
            self.keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) \
                else keys
            self.pending, self.n_pending = [], 0


def run_tables(a, b, aw, bw, pa, pb, threshold, positions, max_bucket_pairs, on_table=None,
               backend="auto"):
    """Candidates of the tables given by ``positions`` (shape ``(g, bits)``).

    The pairs that share a bucket are scored by
    :func:`pprl.linkage.backend.pair_scorer` (``backend``): natively, whole
    buckets at a time, or with numpy in batches of pairs.

    Returns a dict with the surviving pairs (``a``, ``b``, ``score``, each
    pair once, in (a, b) order), ``generated`` (pairs that shared a bucket,
    repeats across tables counted), ``compared`` (of those, pairs whose
    words were read) and ``skipped`` (per table with a skipped bucket:
    ``(table index within positions, buckets, pairs, largest)``).
    """
    found = _PairSet(b.shape[0])
    score = pair_scorer(aw, bw, pa, pb, threshold, backend, func="lsh_candidate_pairs")
    if score.keys is None:
        at, bt = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    generated = compared = 0
    skipped = []
    group = 8  # tables whose keys are computed together
    for t0 in range(0, positions.shape[0], group):
        pos = positions[t0:t0 + group]
        if score.keys is None:
            ka, kb = table_keys(at, pos), table_keys(bt, pos)
        else:
            ka, kb = score.keys(0, pos), score.keys(1, pos)
        for j in range(pos.shape[0]):
            oa, ob, bks, skip = buckets(ka[j], kb[j], max_bucket_pairs)
            if skip[0]:
                skipped.append((t0 + j, *skip))
            generated += int((bks[1] * bks[3]).sum())
            if score.buckets is not None:
                ra, rb, _, c = score.buckets(oa, ob, bks)
                compared += c
                found.add(ra, rb)
            else:
                for rows_a, rows_b in bucket_pairs(oa, ob, bks):
                    ra, rb, _, c = score(rows_a, rows_b)
                    compared += c
                    found.add(ra, rb)
            if on_table is not None:
                on_table()
    found.merge()
    m = max(b.shape[0], 1)
    ra, rb, scores, _ = score(found.keys // m, found.keys % m)  # every one is kept
    return {"a": ra, "b": rb, "score": scores,
            "generated": generated, "compared": compared, "skipped": skipped}


def run_table_groups(a, b, aw, bw, pa, pb, threshold, positions, max_bucket_pairs,
                     threads=1, progress=False, backend="auto") -> list[dict]:
    """Run the tables in ``threads`` groups (each a :func:`run_tables` dict)."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=positions.shape[0], unit="table", desc="LSH blocking")
    tick = (lambda: bar.update(1)) if bar is not None else None
    groups = np.array_split(np.arange(positions.shape[0]), min(threads, positions.shape[0]))
    try:
        if len(groups) == 1:
            parts = [run_tables(a, b, aw, bw, pa, pb, threshold, positions,
                                max_bucket_pairs, tick, backend)]
        else:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                futs = [pool.submit(run_tables, a, b, aw, bw, pa, pb, threshold,
                                    positions[g], max_bucket_pairs, tick, backend)
                        for g in groups]
                parts = [f.result() for f in futs]
    finally:
        if bar is not None:
            bar.close()
    for g, part in zip(groups, parts, strict=True):  # table numbers within all tables
        part["skipped"] = [(int(g[t]), *rest) for t, *rest in part["skipped"]]
    return parts


def merge_pairs(parts: list[dict], n_b: int, k: int | None):
    """The pairs of table groups, each once, and the best ``k`` per row of A."""
    ca = np.concatenate([p["a"] for p in parts])
    cb = np.concatenate([p["b"] for p in parts])
    cs = np.concatenate([p["score"] for p in parts])
    if len(parts) > 1:
        _, first = np.unique(ca * max(n_b, 1) + cb, return_index=True)
        ca, cb, cs = ca[first], cb[first], cs[first]
    if k is not None and len(ca):
        order = np.lexsort((cb, -cs, ca))  # per row of A: best first, ties by lower b
        ca, cb, cs = ca[order], cb[order], cs[order]
        keep = np.arange(len(ca)) - np.searchsorted(ca, ca, side="left") < k
        ca, cb, cs = ca[keep], cb[keep], cs[keep]
    return ca, cb, cs
