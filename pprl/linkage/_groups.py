"""Groups of records that are one entity: the result type and anonlink's two greedy solvers.

Both solvers read the candidates in their canonical order (best score first)
and keep every record in one group (a record starts alone).  For each pair
whose records are in different groups they merge the two groups when

* at least ``merge_threshold`` of the ``|G1| * |G2|`` pairs between them
  have been seen as candidates so far (this pair included), and
* with ``deduplicated``, the two groups share no party.

A rejected pair is remembered as evidence for a later merge of the same two
groups.  A record met for the first time next to a group it may not join
becomes a group of its own that remembers that pair.  ``greedy`` is
``merge_threshold=1`` without ``deduplicated``: every pair within a group is
a candidate (a clique), so a chain of links never joins records that were
not compared as a match.  The rules and their order are anonlink 0.15.3's
(``greedy_solve``, ``probabilistic_greedy_solve``); the tests check the
groups against anonlink on generated candidate sets.

Two implementations of the one rule, chosen per call by ``backend`` as for
the Dice kernel (:func:`.backend.choose`): ``native/groups.c`` (union-find
over record ids, pending evidence in a hash table keyed by the two groups;
see that file) when the extension is built, and the pure-Python reference
here otherwise (``backend="numpy"``), with identical groups: the tests run
both paths against each other and against anonlink.  Both are written by
hand: the rule is sequential in the candidate order, which no vectorised
union-find (scipy's connected components included) expresses.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import param_error
from ..errors import InputError
from . import backend as _backend

__all__ = ["Groups", "greedy_groups", "probabilistic_groups", "solve_groups"]


class Groups:
    """Records placed together: one line per record of every group of two or more.

    Parameters
    ----------
    group, party, row : array-like of int, shape (n,)
        Group label, 0-based party and row of each grouped record.

    The lines are put in a canonical order: groups numbered 0, 1, ... in the
    order of their first record, records within a group by (party, row).

    Attributes
    ----------
    group, party, row : ndarray of int64, shape (n,)

    Examples
    --------
    >>> g = Groups.from_lists([[(1, 4), (0, 2)], [(0, 1), (2, 0), (1, 1)]])
    >>> g.to_lists()
    [[[0, 1], [1, 1], [2, 0]], [[0, 2], [1, 4]]]
    >>> g.n_groups, len(g), g.to_frame().columns.tolist()
    (2, 5, ['group', 'party', 'row'])
    """

    def __init__(self, group, party, row) -> None:
        g = np.asarray(group, dtype=np.int64).ravel()
        p = np.asarray(party, dtype=np.int64).ravel()
        r = np.asarray(row, dtype=np.int64).ravel()
        if not len(g) == len(p) == len(r):
            raise InputError(f"Groups needs three arrays of equal length; got {len(g)}, "
                             f"{len(p)}, {len(r)}.")
        if len(p) and (p.min() < 0 or r.min() < 0):
            raise InputError("Groups needs parties and rows >= 0.")
        if len(g):
            key = np.lexsort((r, p))
            if np.any((p[key][1:] == p[key][:-1]) & (r[key][1:] == r[key][:-1])):
                raise InputError("Groups: a record (party, row) is in more than one line.")
            # number groups by their first record in (party, row) order
            labels, inv = np.unique(g, return_inverse=True)
            rank = np.empty(len(g), np.int64)
            rank[key] = np.arange(len(g))
            first = np.full(len(labels), len(g), np.int64)
            np.minimum.at(first, inv, rank)
            new = np.empty(len(labels), np.int64)
            new[np.argsort(first)] = np.arange(len(labels))
            g = new[inv]
            order = np.lexsort((r, p, g))
            g, p, r = g[order], p[order], r[order]
        self.group, self.party, self.row = g, p, r

    @classmethod
    def _canonical(cls, group: np.ndarray, party: np.ndarray, row: np.ndarray) -> Groups:
        """From int64 arrays already in the canonical order (no check, no copy)."""
        out = cls.__new__(cls)
        out.group, out.party, out.row = group, party, row
        return out

    @classmethod
    def from_lists(cls, groups) -> Groups:
        """From an iterable of groups, each an iterable of ``(party, row)``."""
        g, p, r = [], [], []
        for i, members in enumerate(groups):
            for party, row in members:
                g.append(i)
                p.append(party)
                r.append(row)
        return cls(g, p, r)

    def __len__(self) -> int:
        return len(self.group)

    def __repr__(self) -> str:
        return f"Groups(n_groups={self.n_groups}, n_records={len(self)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Groups):
            return NotImplemented
        mine, theirs = (self.group, self.party, self.row), (other.group, other.party, other.row)
        return all(np.array_equal(x, y) for x, y in zip(mine, theirs, strict=True))

    __hash__ = None  # type: ignore[assignment]

    @property
    def n_groups(self) -> int:
        """The number of groups."""
        return int(self.group[-1]) + 1 if len(self.group) else 0

    def sizes(self) -> np.ndarray:
        """The size of each group (int64, shape ``(n_groups,)``)."""
        return np.bincount(self.group, minlength=self.n_groups).astype(np.int64)

    def to_frame(self):
        """The groups as a DataFrame ``group, party, row``."""
        import pandas as pd

        return pd.DataFrame({"group": self.group, "party": self.party, "row": self.row})

    def to_lists(self) -> list[list[list[int]]]:
        """The entity service's shape: a list of groups, each a list of ``[party, row]``."""
        out: list[list[list[int]]] = []
        bounds = np.flatnonzero(np.r_[True, self.group[1:] != self.group[:-1]]) if len(self) else []
        edges = list(bounds) + [len(self)]
        pr = np.stack([self.party, self.row], axis=1).tolist()
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            out.append(pr[lo:hi])
        return out


def _arrays(candidates):
    """(party_a, row_a, party_b, row_b) of MultipartyCandidates or 2-party Candidates."""
    if hasattr(candidates, "party_a"):
        return candidates.party_a, candidates.row_a, candidates.party_b, candidates.row_b
    if hasattr(candidates, "a") and hasattr(candidates, "b"):
        z = np.zeros(len(candidates), np.int64)
        return z, np.asarray(candidates.a), z + 1, np.asarray(candidates.b)
    raise InputError("Expected MultipartyCandidates or Candidates; got "
                     f"{type(candidates).__name__}.")


def solve_groups(party_a, row_a, party_b, row_b, merge_threshold: float,
                 deduplicated: bool, *, backend: str = "auto") -> Groups:
    """The greedy group rule over pairs already in their processing order (see the module).

    ``backend``: ``"native"`` runs ``native/groups.c``, ``"numpy"`` the
    pure-Python reference, ``"auto"`` the native one when it was built.
    """
    pa, ra, pb, rb = (np.ascontiguousarray(v, dtype=np.int64).ravel()
                      for v in (party_a, row_a, party_b, row_b))
    if not len(pa) == len(ra) == len(pb) == len(rb):
        raise InputError(f"solve_groups needs four arrays of equal length; got {len(pa)}, "
                         f"{len(ra)}, {len(pb)}, {len(rb)}.")
    name, mod = _backend.choose(backend, "solve_groups")
    if len(pa) == 0:
        return Groups([], [], [])
    if min(pa.min(), ra.min(), pb.min(), rb.min()) < 0:
        raise InputError("solve_groups needs parties and rows >= 0.")
    if name == "native":
        return _solve_native(mod, pa, ra, pb, rb, float(merge_threshold), bool(deduplicated))
    return _solve_python(pa, ra, pb, rb, float(merge_threshold), bool(deduplicated))


def _solve_native(mod, pa, ra, pb, rb, mt: float, deduplicated: bool) -> Groups:
    """``native/groups.c`` over record ids ``offset[party] + row`` (dense, else renumbered)."""
    n_parties = int(max(pa.max(), pb.max())) + 1
    row_end = mod.group_extents(pa, ra, pb, rb, n_parties)
    if sum(int(v) for v in row_end) >= 2**62:
        raise InputError("solve_groups: rows too large to number the records.")
    offset = np.zeros(n_parties, np.int64)
    np.cumsum(row_end[:-1], out=offset[1:])
    n_records = int(offset[-1] + row_end[-1])
    if n_records <= 4 * len(pa) + 65536:  # one entry per possible record
        group, key = mod.solve_groups(pa, ra, pb, rb, offset, n_records, mt, deduplicated)
    else:  # rows far apart: number the records met instead, each party at offset 0
        uniq, ids = np.unique(np.concatenate([offset[pa] + ra, offset[pb] + rb]),
                              return_inverse=True)
        ids = ids.astype(np.int64, copy=False).ravel()
        group, rec = mod.solve_groups(pa, ids[:len(pa)], pb, ids[len(pa):],
                                      np.zeros(n_parties, np.int64), len(uniq), mt,
                                      deduplicated)
        key = uniq[rec]
    # record ids grow with (party, row): the C order is already Groups' canonical one
    party = np.searchsorted(offset, key, side="right") - 1
    return Groups._canonical(group, party, key - offset[party])


def _solve_python(pa, ra, pb, rb, mt: float, deduplicated: bool) -> Groups:
    """The pure-Python reference of the rule (dicts of groups and their evidence)."""
    stride = int(max(ra.max(), rb.max())) + 1
    xs = (pa * stride + ra).tolist()
    ys = (pb * stride + rb).tolist()
    group_of: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    mask: dict[int, int] = {}       # parties of each group, one bit each
    pending: dict[int, dict[int, int]] = {}  # group -> other group -> candidate pairs seen
    new_id = 0
    for x, y in zip(xs, ys, strict=True):
        if x == y:
            continue
        gx = group_of.get(x)
        gy = group_of.get(y)
        if gx is not None and gy is not None:
            if gx == gy:
                continue
            px = pending.get(gx)
            seen = (px.get(gy, 0) if px else 0) + 1
            mx, my = members[gx], members[gy]
            if seen >= mt * (len(mx) * len(my)) and not (deduplicated and mask[gx] & mask[gy]):
                if len(mx) < len(my):
                    gx, gy, mx, my = gy, gx, my, mx
                mx.extend(my)
                for r in my:
                    group_of[r] = gx
                mask[gx] |= mask.pop(gy)
                del members[gy]
                keep = pending.get(gx)
                gone = pending.pop(gy, None)
                if keep is not None:
                    keep.pop(gy, None)
                if gone:
                    gone.pop(gx, None)
                    if gone and keep is None:
                        keep = pending[gx] = {}
                    for j, cnt in gone.items():
                        other = pending[j]
                        del other[gy]
                        other[gx] = other.get(gx, 0) + cnt
                        keep[j] = keep.get(j, 0) + cnt
                if keep is not None and not keep:
                    del pending[gx]
            else:
                pending.setdefault(gx, {})[gy] = seen
                pending.setdefault(gy, {})[gx] = seen
            continue
        if gx is None and gy is not None:
            x, y, gx = y, x, gy
        if gx is not None:  # x grouped, y met for the first time
            mx = members[gx]
            bit = 1 << (y // stride)
            if 1 >= mt * len(mx) and not (deduplicated and mask[gx] & bit):
                mx.append(y)
                group_of[y] = gx
                mask[gx] |= bit
            else:
                g = new_id
                new_id += 1
                members[g] = [y]
                group_of[y] = g
                mask[g] = bit
                pending[g] = {gx: 1}
                pending.setdefault(gx, {})[g] = 1
            continue
        if deduplicated and x // stride == y // stride:
            continue
        g = new_id
        new_id += 1
        members[g] = [x, y]
        group_of[x] = group_of[y] = g
        mask[g] = (1 << (x // stride)) | (1 << (y // stride))
    g_out, rec = [], []
    for g, m in members.items():
        if len(m) > 1:
            g_out.extend([g] * len(m))
            rec.extend(m)
    rec_a = np.asarray(rec, dtype=np.int64)
    return Groups(g_out, rec_a // stride, rec_a % stride)


def greedy_groups(candidates, *, backend: str = "auto") -> Groups:
    """Groups by anonlink's greedy solver: every pair within a group is a candidate.

    Parameters
    ----------
    candidates : MultipartyCandidates or Candidates
        In their canonical order (best first); 2-party Candidates are
        parties 0 and 1.
    backend : {"auto", "native", "numpy"}, default="auto"
        ``"native"``: the C solver (``native/groups.c``); ``"numpy"``: the
        pure-Python reference; ``"auto"``: native when it was built.  The
        same groups either way.

    Returns
    -------
    Groups
        Each record in at most one group; records in no group of two or
        more are left out.  The same groups as anonlink 0.15.3's
        ``greedy_solve`` on the same candidates.

    Examples
    --------
    >>> from pprl.linkage.multiparty import MultipartyCandidates
    >>> c = MultipartyCandidates([0, 1, 0], [0, 0, 1], [1, 2, 2], [0, 0, 0], [0.95, 0.9, 0.85])
    >>> greedy_groups(c).to_lists()  # (1, 0)-(2, 0) cannot join: (0, 0)-(2, 0) is no candidate
    [[[0, 0], [1, 0]], [[0, 1], [2, 0]]]
    """
    return solve_groups(*_arrays(candidates), merge_threshold=1.0, deduplicated=False,
                        backend=backend)


def probabilistic_groups(candidates, *, merge_threshold: float = 0.5,
                         deduplicated: bool = True, backend: str = "auto") -> Groups:
    """Groups by anonlink's probabilistic greedy solver.

    Two groups merge when at least ``merge_threshold`` of the pairs between
    them are candidates, so a record may join a group without being a
    candidate with every member.

    Parameters
    ----------
    candidates : MultipartyCandidates or Candidates
    merge_threshold : float in [0, 1], default=0.5
        The fraction of candidate pairs two groups need to merge; 1.0 asks
        for every pair (greedy's clique rule).  Higher: more precision, less
        recall.
    deduplicated : bool, default=True
        Never put two records of one party into one group.
    backend : {"auto", "native", "numpy"}, default="auto"
        As for :func:`greedy_groups`.

    Returns
    -------
    Groups
        The same groups as anonlink 0.15.3's ``probabilistic_greedy_solve``.

    Examples
    --------
    >>> from pprl.linkage.multiparty import MultipartyCandidates
    >>> c = MultipartyCandidates([0, 1, 0], [0, 0, 1], [1, 2, 2], [0, 0, 0], [0.95, 0.9, 0.85])
    >>> probabilistic_groups(c).to_lists()  # 1 of the 2 pairs to (2, 0) is enough
    [[[0, 0], [1, 0], [2, 0]]]
    >>> probabilistic_groups(c, merge_threshold=1.0).n_groups
    2
    """
    f = "probabilistic_groups"
    if isinstance(merge_threshold, bool) or not isinstance(merge_threshold, numbers.Real) \
            or not 0 <= merge_threshold <= 1:
        raise param_error("merge_threshold", f, "a number in [0, 1]", merge_threshold)
    return solve_groups(*_arrays(candidates), merge_threshold=merge_threshold,
                        deduplicated=bool(deduplicated), backend=backend)
