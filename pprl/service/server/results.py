"""A run's result as the entity service's JSON, streamed in pieces.

* ``{"similarity_scores": [[[0, a], [1, b], score], …]}``, best score first;
* ``{"groups": [[[party, row], …], …]}``;
* ``{"permutation": […], "rows": n}`` for a party, ``{"mask": […]}`` for the result token.

Scores are written with Python's ``repr`` of the float, which reads back to
the same double, so a client gets exactly the library's scores.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["similarity_scores", "groups", "permutation", "mask"]

_CHUNK = 50_000


def similarity_scores(arrays: dict[str, np.ndarray]) -> Iterator[bytes]:
    """The pairs as ``[[0, a], [1, b], score]``."""
    a, b, s = arrays["a"], arrays["b"], arrays["score"]
    yield b'{"similarity_scores": ['
    for lo in range(0, len(a), _CHUNK):
        hi = lo + _CHUNK
        body = ",".join(f"[[0,{x}],[1,{y}],{z!r}]" for x, y, z in
                        zip(a[lo:hi].tolist(), b[lo:hi].tolist(), s[lo:hi].tolist(), strict=False))
        yield (("," if lo else "") + body).encode("ascii")
    yield b"]}"


def groups(arrays: dict[str, np.ndarray]) -> Iterator[bytes]:
    """The groups (of two or more records) as lists of ``[party, row]``."""
    g, p, r = arrays["group"], arrays["party"], arrays["row"]
    order = np.lexsort((r, p, g))
    g, p, r = g[order], p[order], r[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, np.int64)
    ends = np.r_[starts[1:], len(g)].astype(np.int64)
    keep = ends - starts >= 2  # a record alone is no group (the entity service omits them)
    starts, ends = starts[keep], ends[keep]
    yield b'{"groups": ['
    pl, rl = p.tolist(), r.tolist()
    for lo in range(0, len(starts), _CHUNK):
        parts = []
        for st, en in zip(starts[lo:lo + _CHUNK].tolist(), ends[lo:lo + _CHUNK].tolist(),
                          strict=True):
            parts.append("[" + ",".join(f"[{pl[i]},{rl[i]}]" for i in range(st, en)) + "]")
        yield (("," if lo else "") + ",".join(parts)).encode("ascii")
    yield b"]}"


def permutation(arrays: dict[str, np.ndarray], party: int) -> bytes:
    """Party ``party``'s permutation and the number of rows to keep."""
    perm = arrays[f"perm_{party}"].tolist()
    rows = len(arrays["mask"])
    return ('{"permutation": [' + ",".join(map(str, perm)) + f'], "rows": {rows}}}').encode()


def mask(arrays: dict[str, np.ndarray]) -> bytes:
    """The mask: 1 where both parties' permuted rows are a match."""
    return ('{"mask": [' + ",".join(map(str, arrays["mask"].tolist())) + "]}").encode()
