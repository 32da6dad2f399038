"""The work of Hamming LSH on CLKs: table keys, buckets, pairs and their scores.

:mod:`.blocking` chooses the parameters and is the public face; this module
does the bulk work table by table with numpy (the pairs that share a bucket
are scored by :func:`pprl.linkage.backend.pair_scorer`: the native kernel, or
numpy), so memory stays bounded by one table's pairs (in batches) plus the
pairs that reach the threshold.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = [
    "table_positions",
    "table_keys",
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


def bucket_pairs(ka: np.ndarray, kb: np.ndarray, max_bucket_pairs: int):
    """Group rows of A and B by key; yield batches of ``(rows_a, rows_b)`` pairs.

    Every pair of an A row and a B row with the same key comes out once.
    A bucket with more than ``max_bucket_pairs`` pairs is skipped; the last
    item yielded is ``("skipped", n_buckets, n_pairs, largest)``.
    """
    oa, ob = np.argsort(ka), np.argsort(kb)
    ua, start_a, count_a = _runs(ka[oa])
    ub, start_b, count_b = _runs(kb[ob])
    at = np.minimum(np.searchsorted(ub, ua), max(len(ub) - 1, 0))
    hit = ub[at] == ua if len(ub) else np.zeros(len(ua), bool)
    start_a, count_a = start_a[hit], count_a[hit]
    start_b, count_b = start_b[at[hit]], count_b[at[hit]]
    size = count_a * count_b
    big = size > max_bucket_pairs
    skipped = (int(big.sum()), int(size[big].sum()), int(size.max(initial=0)))
    if big.any():
        keep = ~big
        start_a, count_a, start_b, count_b, size = (
            start_a[keep], count_a[keep], start_b[keep], count_b[keep], size[keep])
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
        rows_a = oa[start_a[g0:g1][bucket] + r // cb]
        rows_b = ob[start_b[g0:g1][bucket] + r % cb]
        yield rows_a, rows_b
        g0 = g1
    yield ("skipped", *skipped)


def words(x: np.ndarray) -> np.ndarray:
    """Rows as ``uint64`` words, zero-padded to a multiple of 8 words."""
    nw = -(-x.shape[1] // 64) * 8
    out = np.zeros((x.shape[0], nw), dtype=np.uint64)
    out.view(np.uint8)[:, :x.shape[1]] = x
    return out


class _PairSet:
    """Pairs found so far, as packed ``a * m + b`` keys with their scores, repeats merged."""

    def __init__(self, m: int):
        self.m = m
        self.keys = np.empty(0, np.int64)
        self.scores = np.empty(0, np.float64)
        self.pending: list = []
        self.n_pending = 0

    def add(self, ra, rb, s) -> None:
        if len(ra):
            self.pending.append((ra * self.m + rb, s))
            self.n_pending += len(ra)
            if self.n_pending > max(len(self.keys), _BATCH_PAIRS):
                self.merge()

    def merge(self) -> None:
        if self.pending:
            keys = np.concatenate([self.keys] + [k for k, _ in self.pending])
            scores = np.concatenate([self.scores] + [s for _, s in self.pending])
            self.pending, self.n_pending = [], 0
            self.keys, first = np.unique(keys, return_index=True)
            self.scores = scores[first]


def run_tables(a, b, make_scorer, positions, max_bucket_pairs, on_table=None):
    """Candidates of the tables given by ``positions`` (shape ``(g, bits)``).

    ``make_scorer()`` gives this call its pair scorer (see
    :func:`pprl.linkage.backend.pair_scorer`): ``(rows_a, rows_b) -> (rows_a,
    rows_b, scores, compared)``.

    Returns a dict with the surviving pairs (``a``, ``b``, ``score``, each
    pair once, in (a, b) order), ``generated`` (pairs that shared a bucket,
    repeats across tables counted), ``compared`` (of those, pairs whose
    words were read) and ``skipped`` (per table with a skipped bucket:
    ``(table index within positions, buckets, pairs, largest)``).
    """
    found = _PairSet(b.shape[0])
    score = make_scorer()
    at, bt = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    generated = compared = 0
    skipped = []
    group = 8  # tables whose keys are computed together
    for t0 in range(0, positions.shape[0], group):
        pos = positions[t0:t0 + group]
        ka, kb = table_keys(at, pos), table_keys(bt, pos)
        for j in range(pos.shape[0]):
            for item in bucket_pairs(ka[j], kb[j], max_bucket_pairs):
                if isinstance(item[0], str):
                    if item[1]:
                        skipped.append((t0 + j, item[1], item[2], item[3]))
                    continue
                rows_a, rows_b = item
                generated += len(rows_a)
                ra, rb, s, c = score(rows_a, rows_b)
                compared += c
                found.add(ra, rb, s)
            if on_table is not None:
                on_table()
    found.merge()
    m = max(b.shape[0], 1)
    return {"a": found.keys // m, "b": found.keys % m, "score": found.scores,
            "generated": generated, "compared": compared, "skipped": skipped}


def run_table_groups(a, b, make_scorer, positions, max_bucket_pairs,
                     threads=1, progress=False) -> list[dict]:
    """Run the tables in ``threads`` groups (each a :func:`run_tables` dict)."""
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=positions.shape[0], unit="table", desc="LSH blocking")
    tick = (lambda: bar.update(1)) if bar is not None else None
    groups = np.array_split(np.arange(positions.shape[0]), min(threads, positions.shape[0]))
    try:
        if len(groups) == 1:
            parts = [run_tables(a, b, make_scorer, positions, max_bucket_pairs, tick)]
        else:
            with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                futs = [pool.submit(run_tables, a, b, make_scorer, positions[g],
                                    max_bucket_pairs, tick) for g in groups]
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
