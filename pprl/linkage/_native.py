"""Thin wrapper over the cffi-compiled C kernel (``native/dice.c``).

Only :mod:`pprl.linkage.backend` imports this module (tests may too).  Importing it raises
``ImportError`` when the extension was not built.  Every function takes
arrays already checked and laid out by the facade (rows zero-padded to whole
64-bit words, ``uint64`` C-contiguous), allocates the outputs with numpy and
makes one C call per tile; a negative status becomes a
:class:`~pprl.errors.NativeKernelError`.

Instruction-set paths: the best one the CPU supports is chosen at import;
``PPRL_DICE_ISA=avx512|avx2|popcnt|portable`` asks for a specific one.  A
request the CPU or build cannot honour is not silently ignored: it is kept in
:data:`ISA_ERROR` and the facade raises it when the native backend is used.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from ..errors import NativeKernelError
from ._dice_cffi import ffi, lib  # ImportError when the kernel was not built

__all__ = [
    "ISA_NAMES",
    "ISA_ERROR",
    "isa",
    "isas",
    "set_isa",
    "popcounts",
    "threshold_tables",
    "raise_tables",
    "dice_matrix",
    "scan",
    "vertical",
    "bit_planes",
    "score_pairs",
    "score_buckets",
    "lsh_keys",
    "greedy_mask",
    "group_extents",
    "solve_groups",
]

ISA_NAMES = {
    "avx512": lib.PPRL_ISA_AVX512,
    "avx2": lib.PPRL_ISA_AVX2,
    "popcnt": lib.PPRL_ISA_POPCNT,
    "portable": lib.PPRL_ISA_PORTABLE,
}
_ISA_BY_CODE = {v: k for k, v in ISA_NAMES.items()}

STATUS = {
    lib.PPRL_OK: "ok",
    lib.PPRL_E_ARG: "invalid size or pointer argument",
    lib.PPRL_E_FULL: "output buffer full",
    lib.PPRL_E_NOCPU: "the CPU lacks this instruction set",
    lib.PPRL_E_NOBUILD: "this instruction set was not compiled into the kernel",
    lib.PPRL_E_INDEX: "an index is out of range",
}
E_FULL = lib.PPRL_E_FULL


def _check(rc: int, func: str) -> None:
    if rc < 0:
        raise NativeKernelError(
            f"{func} failed with status {rc} ({STATUS.get(rc, 'unknown status')})"
        )


def isas() -> list[str]:
    """Instruction-set paths this build and this CPU can run: the default first.

    The default is the path expected to be fastest on this CPU (see
    ``pprl_isa_best`` in ``native/dice.c``); the rest follow widest first.
    """
    ok = [name for name, code in ISA_NAMES.items()
          if lib.pprl_isa_compiled(code) and lib.pprl_isa_cpu(code)]
    best = _ISA_BY_CODE[lib.pprl_isa_best()]
    return [best] + [name for name in ok if name != best]


def isa() -> str:
    """The instruction-set path in use."""
    return _ISA_BY_CODE[lib.pprl_get_isa()]


def set_isa(name: str) -> None:
    """Switch the kernel to instruction-set path ``name`` (process-wide).

    Raises
    ------
    ValueError
        Unknown name.
    NativeKernelError
        The CPU lacks the instruction set, or it was not compiled in.
    """
    if name not in ISA_NAMES:
        raise ValueError(
            f"Unknown instruction-set path {name!r}; expected one of {sorted(ISA_NAMES)}."
        )
    rc = lib.pprl_set_isa(ISA_NAMES[name])
    if rc < 0:
        raise NativeKernelError(
            f"Cannot use the {name!r} Dice kernel: {STATUS.get(rc, rc)} "
            f"(this machine can run: {', '.join(isas())})."
        )


def _init_isa() -> NativeKernelError | None:
    wanted = os.environ.get("PPRL_DICE_ISA", "").strip().lower()
    _check(lib.pprl_set_isa(lib.pprl_isa_best()), "pprl_set_isa")
    if not wanted:
        return None
    try:
        set_isa(wanted)
    except (ValueError, NativeKernelError) as exc:
        return NativeKernelError(f"PPRL_DICE_ISA={wanted}: {exc}")
    return None


#: Why the requested ``PPRL_DICE_ISA`` could not be honoured (None when fine).
ISA_ERROR = _init_isa()


def _ptr(ctype: str, arr: np.ndarray):
    """A typed cffi view of ``arr``'s buffer (NULL when empty); no copy."""
    return ffi.from_buffer(ctype.replace("*", "[]"), arr) if arr.size else ffi.NULL


def popcounts(words: np.ndarray) -> np.ndarray:
    """Popcount of each row of a ``uint64`` array of shape ``(n, nw)`` -> int32 ``(n,)``."""
    n, nw = words.shape
    out = np.empty(n, dtype=np.int32)
    _check(lib.pprl_popcount_rows(_ptr("uint64_t *", words), n, nw,
                                  _ptr("int32_t *", out)), "pprl_popcount_rows")
    return out


def threshold_tables(threshold: float, nbits: int) -> tuple[np.ndarray, ...]:
    """``(cmin, pb_lo, pb_hi)`` for the candidate scan (see ``dice.c``)."""
    cmin = np.empty(2 * nbits + 1, dtype=np.int32)
    lo = np.empty(nbits + 1, dtype=np.int32)
    hi = np.empty(nbits + 1, dtype=np.int32)
    _check(lib.pprl_threshold_tables(threshold, nbits, _ptr("int32_t *", cmin),
                                     _ptr("int32_t *", lo), _ptr("int32_t *", hi)),
           "pprl_threshold_tables")
    return cmin, lo, hi


#: a top-k scan's raised thresholds are the multiples of this above its own (see dice.h)
RAISE_STEP = 0.01


@functools.lru_cache(maxsize=8)
def raise_tables(threshold: float, nbits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(raise_cmin, raise_t)``: cmin tables of the thresholds a top-k row is raised to.

    The multiples of :data:`RAISE_STEP` above ``threshold`` up to 1, each
    table as :func:`threshold_tables` gives it, one after the other.  Read-only
    (cached).
    """
    t = np.arange(np.floor(threshold / RAISE_STEP) + 1, round(1 / RAISE_STEP) + 1) * RAISE_STEP
    t = np.round(t[t > threshold], 12)
    cmin = np.stack([threshold_tables(float(x), nbits)[0] for x in t]) if len(t) else \
        np.zeros((0, 2 * nbits + 1), dtype=np.int32)
    cmin.flags.writeable = False
    t.flags.writeable = False
    return cmin, t


def dice_matrix(a: np.ndarray, pa: np.ndarray, b: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """Dense Dice matrix of word rows ``a`` (n, nw) and ``b`` (m, nw) -> float64 (n, m)."""
    n, nw = a.shape
    m = b.shape[0]
    out = np.empty((n, m), dtype=np.float64)
    _check(lib.pprl_dice_matrix(_ptr("uint64_t *", a), n, _ptr("int32_t *", pa),
                                _ptr("uint64_t *", b), m, _ptr("int32_t *", pb), nw,
                                _ptr("double *", out)), "pprl_dice_matrix")
    return out


#: most top-k heap entries a scan keeps as scratch (16 bytes each) to take rows in groups
HEAP_ENTRIES = 1 << 20
#: a scan's output buffer (pairs per thread) doubles when it fills until it holds this many
#: (24 bytes each: 6 MiB); past it, only when not even one row fits
BUFFER_PAIRS = 1 << 18


def scan(a, pa, a_first, b, pb, b_index, b_start, nbits, tables, k, cap, exit_=(0, 0),
         rests=(None, None), wcs=(None, None), isa=None, vert=None, bits=None, raised=None):
    """Candidate scan of A rows ``a`` against popcount-sorted ``b``.

    ``exit_ = (mode, hw)`` turns on the kernel's exact early exit after
    ``hw`` words: mode 1 bounds the rest with ``rests`` (int32 popcounts of
    words ``hw:`` of A's and B's rows), mode 2 with ``wcs`` (uint8 popcount of
    every word, shape ``(rows, nw)``); mode 0 turns it off.  ``isa`` names the
    instruction-set path of this call (None: the process-wide one).
    ``vert = (b_vert, b_vrest, vhw)`` (see :func:`vertical`) lets the AVX2 and
    AVX-512 paths scan B 8 rows at a time with their early exit after ``vhw``
    words; other paths ignore it.  ``bits = (b_bits, bit_rank)`` (see
    :func:`bit_planes`) lets the paths with a bit-sliced kernel (all but
    AVX-512) use it instead.  ``raised = (raise_cmin, raise_t)`` (see
    :func:`raise_tables`; top-k only) lets a row whose heap is full skip the
    pairs that can no longer enter it.
    Yields ``(out_a, out_b, out_s)`` chunks, sorted by (a, b), until every
    row is done; when a buffer fills, the rows not yet written are resumed
    with a buffer twice as large.
    """
    cmin, lo, hi = tables
    n, nw = a.shape
    m = b.shape[0]
    mode, hw = exit_
    none32, none8 = np.empty(0, dtype=np.int32), np.empty((0, 0), dtype=np.uint8)
    a_rest, b_rest = rests if mode == 1 else (none32, none32)
    a_wc, b_wc = wcs if mode == 2 else (none8, none8)
    # top-k in groups of rows (a heap per row) when that scratch stays small, else row by row
    heap_rows = lib.PPRL_GROUP_ROWS if k * lib.PPRL_GROUP_ROWS <= HEAP_ENTRIES else 1
    heap_s = np.empty(max(k, 1) * heap_rows, dtype=np.float64)
    heap_b = np.empty(max(k, 1) * heap_rows, dtype=np.int64)
    row_s = np.empty(max(m, 1), dtype=np.float64)
    row_bits = np.zeros(max((m + 63) // 64, 1), dtype=np.uint64)
    args = ffi.new("pprl_scan_args *")
    keep = []  # the cffi buffers must outlive the call

    def put(field, ctype, arr):
        view = _ptr(ctype, arr)
        keep.append(view)
        setattr(args, field, view)

    for field, ctype, arr in (("b", "uint64_t *", b), ("pb", "int32_t *", pb),
                              ("b_index", "int64_t *", b_index),
                              ("b_start", "int64_t *", b_start), ("cmin", "int32_t *", cmin),
                              ("pb_lo", "int32_t *", lo), ("pb_hi", "int32_t *", hi),
                              ("b_rest", "int32_t *", b_rest), ("b_wc", "uint8_t *", b_wc),
                              ("heap_s", "double *", heap_s), ("heap_b", "int64_t *", heap_b),
                              ("row_s", "double *", row_s), ("row_bits", "uint64_t *", row_bits)):
        put(field, ctype, arr)
    fixed = len(keep)
    if vert is not None:
        put("b_vert", "uint64_t *", vert[0])
        put("b_vrest", "int32_t *", vert[1])
        args.vhw = vert[2]
        fixed = len(keep)
    if bits is not None:
        put("b_bits", "uint64_t *", bits[0])
        put("bit_rank", "int32_t *", bits[1])
        put("bits_pos", "int16_t *", np.empty(lib.PPRL_GROUP_ROWS * (nbits + 16), np.int16))
        fixed = len(keep)
    if raised is not None and k > 0 and len(raised[1]):
        put("raise_cmin", "int32_t *", raised[0])
        put("raise_t", "double *", raised[1])
        args.raise_levels = len(raised[1])
        fixed = len(keep)
    args.nb, args.nw, args.nbits, args.k, args.heap_rows = m, nw, nbits, k, heap_rows
    args.mode, args.hw = mode, hw
    args.isa = -1 if isa is None else ISA_NAMES[isa]
    row = 0
    while row < n:
        out_a = np.empty(cap, dtype=np.int64)
        out_b = np.empty(cap, dtype=np.int64)
        out_s = np.empty(cap, dtype=np.float64)
        del keep[fixed:]
        put("a", "uint64_t *", a[row:])
        put("pa", "int32_t *", pa[row:])
        put("a_rest", "int32_t *", a_rest[row:])
        put("a_wc", "uint8_t *", a_wc[row:])
        put("out_a", "int64_t *", out_a)
        put("out_b", "int64_t *", out_b)
        put("out_s", "double *", out_s)
        args.na, args.a_first, args.cap = n - row, a_first + row, cap
        rc = lib.pprl_dice_scan(args)
        if rc < 0 and rc != E_FULL:
            _check(rc, "pprl_dice_scan")
        got = args.n_out
        if got:
            if got < cap // 2:  # do not keep a mostly empty buffer alive
                yield out_a[:got].copy(), out_b[:got].copy(), out_s[:got].copy()
            else:
                yield out_a[:got], out_b[:got], out_s[:got]
        row += args.next_row
        if rc == E_FULL and (args.next_row == 0 or cap < BUFFER_PAIRS):
            cap *= 2  # more room: a group of rows fits whole (up to BUFFER_PAIRS), or not
            # even one row fitted; past BUFFER_PAIRS a buffer that filled keeps its size (the
            # next call resumes at next_row), so a thread holds one buffer however many
            # pairs its tile finds
    return


def vertical(b: np.ndarray, hw: int) -> tuple[np.ndarray, np.ndarray, int]:
    """``(b_vert, b_vrest, hw)``, the ``vert`` argument of :func:`scan`.

    The popcount-sorted word rows ``b`` in blocks of 8 rows stored word by
    word (zero-padded to whole blocks), and the popcount of words ``hw:`` of
    each row (padded alike).
    """
    m, nw = b.shape
    m8 = -(-m // 8) * 8
    b_vert = np.zeros((m8 // 8, nw, 8), dtype=np.uint64)
    full = m // 8
    b_vert[:full] = b[:full * 8].reshape(full, 8, nw).transpose(0, 2, 1)
    if m > full * 8:
        b_vert[full, :, :m - full * 8] = b[full * 8:].T
    b_vrest = np.zeros(m8, dtype=np.int32)
    if 0 < hw < nw:
        b_vrest[:m] = np.bitwise_count(b[:, hw:]).sum(axis=1, dtype=np.int32)
    return b_vert, b_vrest, hw


def bit_planes(b: np.ndarray, nbits: int, rank: np.ndarray) -> np.ndarray:
    """B's popcount-sorted word rows ``b`` bit by bit: the ``b_bits`` of :func:`scan`.

    Batches of 256 rows; in each, plane ``rank[k]`` holds bit ``k`` of every
    row (one bit a row, 4 words a plane), and plane ``nbits`` is zero.
    Shape ``(batches, nbits + 1, 4)``, ``uint64``; as many bytes as ``b``.
    """
    m, nw = b.shape
    out = np.zeros((max(-(-m // 256), 1), nbits + 1, 4), dtype=np.uint64)
    rank = np.ascontiguousarray(rank, dtype=np.int32)
    _check(lib.pprl_bit_planes(_ptr("uint64_t *", b), m, nw, nbits, _ptr("int32_t *", rank),
                               _ptr("uint64_t *", out)), "pprl_bit_planes")
    return out


def score_pairs(a, pa, b, pb, nbits, cmin, rows_a, rows_b, isa=None):
    """The given pairs ``(rows_a[p], rows_b[p])`` at Dice >= threshold, in input order.

    ``a``, ``b``: all rows as ``uint64`` words; ``pa``, ``pb`` int32
    popcounts; ``cmin`` from :func:`threshold_tables` (its threshold decides);
    ``rows_a``, ``rows_b`` int64.  ``isa`` names the path of this call (None:
    the process-wide one).  Returns ``(rows_a, rows_b, scores, compared)``:
    the kept pairs and how many pairs were read at all (the rest were ruled
    out by their popcounts).  One C call; cffi releases the GIL during it.
    """
    n = len(rows_a)
    out_a = np.empty(n, dtype=np.int64)
    out_b = np.empty(n, dtype=np.int64)
    out_s = np.empty(n, dtype=np.float64)
    args = ffi.new("pprl_pairs_args *")
    keep = []  # the cffi buffers must outlive the call
    for field, ctype, arr in (("a", "uint64_t *", a), ("pa", "int32_t *", pa),
                              ("b", "uint64_t *", b), ("pb", "int32_t *", pb),
                              ("cmin", "int32_t *", cmin), ("ia", "int64_t *", rows_a),
                              ("ib", "int64_t *", rows_b), ("out_a", "int64_t *", out_a),
                              ("out_b", "int64_t *", out_b), ("out_s", "double *", out_s)):
        view = _ptr(ctype, arr)
        keep.append(view)
        setattr(args, field, view)
    args.na, args.nb, args.nw, args.nbits, args.n = a.shape[0], b.shape[0], a.shape[1], nbits, n
    args.isa = -1 if isa is None else ISA_NAMES[isa]
    _check(lib.pprl_score_pairs(args), "pprl_score_pairs")
    got = args.n_out
    return out_a[:got].copy(), out_b[:got].copy(), out_s[:got].copy(), int(args.compared)


def score_buckets(a, pa, b, pb, nbits, cmin, order_a, order_b, buckets, isa=None,
                  cap=1 << 16):
    """The pairs of LSH buckets at Dice >= threshold, without writing the pairs out.

    ``buckets = (start_a, count_a, start_b, count_b)`` (int64): bucket ``k``
    pairs rows ``order_a[start_a[k]:][:count_a[k]]`` with rows
    ``order_b[start_b[k]:][:count_b[k]]``.  Otherwise as :func:`score_pairs`:
    returns ``(rows_a, rows_b, scores, compared)``, the kept pairs in bucket
    order.  When the output fills, the rest is resumed at the bucket that
    did not fit, with twice the room (so a table takes a few calls at most).
    """
    start_a, count_a, start_b, count_b = buckets
    args = ffi.new("pprl_buckets_args *")
    keep = []

    def put(field, ctype, arr):
        view = _ptr(ctype, arr)
        keep.append(view)
        setattr(args, field, view)

    for field, ctype, arr in (("a", "uint64_t *", a), ("pa", "int32_t *", pa),
                              ("b", "uint64_t *", b), ("pb", "int32_t *", pb),
                              ("cmin", "int32_t *", cmin), ("order_a", "int64_t *", order_a),
                              ("order_b", "int64_t *", order_b)):
        put(field, ctype, arr)
    args.na, args.nb, args.nw, args.nbits = a.shape[0], b.shape[0], a.shape[1], nbits
    args.n_order_a, args.n_order_b = len(order_a), len(order_b)
    args.isa = -1 if isa is None else ISA_NAMES[isa]
    parts, compared, k0, nbk = [], 0, 0, len(start_a)
    while True:
        out_a = np.empty(cap, dtype=np.int64)
        out_b = np.empty(cap, dtype=np.int64)
        out_s = np.empty(cap, dtype=np.float64)
        del keep[7:]
        for field, ctype, arr in (("start_a", "int64_t *", start_a[k0:]),
                                  ("count_a", "int64_t *", count_a[k0:]),
                                  ("start_b", "int64_t *", start_b[k0:]),
                                  ("count_b", "int64_t *", count_b[k0:]),
                                  ("out_a", "int64_t *", out_a), ("out_b", "int64_t *", out_b),
                                  ("out_s", "double *", out_s)):
            put(field, ctype, arr)
        args.n_buckets, args.cap = nbk - k0, cap
        rc = lib.pprl_score_buckets(args)
        if rc < 0 and rc != E_FULL:
            _check(rc, "pprl_score_buckets")
        got = args.n_out
        compared += args.compared
        parts.append((out_a[:got].copy(), out_b[:got].copy(), out_s[:got].copy()))
        if rc != E_FULL:
            break
        cap *= 2  # full: resume with twice the room (each call re-checks its inputs)
        k0 += args.next_bucket
    if len(parts) == 1:
        return (*parts[0], compared)
    return (*(np.concatenate(x) for x in zip(*parts, strict=True)), compared)


def lsh_keys(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """LSH keys of rows ``x`` (uint8, C-contiguous): bits ``positions[t]`` packed, ``(g, n)``."""
    n, nbytes = x.shape
    g, bits = positions.shape
    out = np.empty((g, n), dtype=np.uint64)
    _check(lib.pprl_lsh_keys(_ptr("uint8_t *", x), n, nbytes, _ptr("int64_t *", positions),
                             g, bits, _ptr("uint64_t *", out)), "pprl_lsh_keys")
    return out


def greedy_mask(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int,
                used: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Greedy one-to-one keep-mask of pairs given in canonical order.

    ``used``: uint8 flags of rows of A and B taken by earlier batches,
    updated in place (streaming over sorted batches).
    """
    n = len(a)
    keep = np.zeros(n, dtype=np.uint8)
    if used is None:
        used = (np.zeros(n_a, dtype=np.uint8), np.zeros(n_b, dtype=np.uint8))
    used_a, used_b = used
    _check(lib.pprl_greedy_mask(_ptr("int64_t *", a), _ptr("int64_t *", b), n,
                                _ptr("uint8_t *", used_a), n_a, _ptr("uint8_t *", used_b), n_b,
                                _ptr("uint8_t *", keep)), "pprl_greedy_mask")
    return keep.view(bool)


STATUS[lib.PPRL_E_NOMEM] = "out of memory"


def group_extents(pa: np.ndarray, ra: np.ndarray, pb: np.ndarray, rb: np.ndarray,
                  n_parties: int) -> np.ndarray:
    """One past the largest row of each party in pairs ``(pa, ra)``, ``(pb, rb)`` (int64)."""
    row_end = np.zeros(n_parties, dtype=np.int64)
    _check(lib.pprl_group_extents(_ptr("int64_t *", pa), _ptr("int64_t *", ra),
                                  _ptr("int64_t *", pb), _ptr("int64_t *", rb), len(pa),
                                  n_parties, _ptr("int64_t *", row_end)), "pprl_group_extents")
    return row_end


def solve_groups(pa: np.ndarray, ra: np.ndarray, pb: np.ndarray, rb: np.ndarray,
                 offset: np.ndarray, n_records: int, merge_threshold: float,
                 deduplicated: bool) -> tuple[np.ndarray, np.ndarray]:
    """Groups of record ids ``offset[p] + r`` by ``native/groups.c``, in canonical order.

    Pairs in processing order, int64 C-contiguous; ``offset`` int64 per party.
    Returns ``(group, record)``: the grouped record ids by (group, id), groups
    numbered by their smallest record id.
    """
    stride = 2 + ((len(offset) + 63) // 64 if deduplicated else 0)
    label = np.empty(n_records, dtype=np.int64)
    order = np.empty(n_records, dtype=np.int64)
    scratch = np.empty(n_records * stride, dtype=np.int64)
    keep = [_ptr("int64_t *", a) for a in (pa, ra, pb, rb, offset, label, order, scratch)]
    args = ffi.new("pprl_groups_args *", {
        "party_a": keep[0], "row_a": keep[1], "party_b": keep[2], "row_b": keep[3],
        "n": len(pa), "offset": keep[4], "n_parties": len(offset), "n_records": n_records,
        "merge_threshold": float(merge_threshold), "deduplicated": int(bool(deduplicated)),
        "label": keep[5], "order": keep[6], "scratch": keep[7],
    })
    _check(lib.pprl_solve_groups(args), "pprl_solve_groups")
    record = order[:args.n_grouped]
    return label[record], record
