"""``pprl link A B C ...``: three or more parties (or the probabilistic solver) give groups.

``pprl link`` hands over here when it gets more than two CLK files or
``--solver probabilistic``; two files with the other solvers keep their
one-to-one output (:mod:`.link`).  Output: ``group,party,row`` (plus ``id``
when every CLK file carries record IDs), one line per grouped record, or
with ``--solver none`` the candidates ``party_a,row_a,party_b,row_b,score``
(plus ``id_a,id_b``).  Parties are the files' 0-based positions on the
command line.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import InputError
from ._common import check_output_path, show_progress, threshold_arg, warn

__all__ = ["add_arguments", "read_parties", "run_link", "wants_groups", "write_candidates",
           "write_groups"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--merge-threshold`` for ``--solver probabilistic``."""
    p.add_argument(
        "--merge-threshold", type=float, default=0.5, metavar="M",
        help="probabilistic solver: the share of candidate pairs two groups need to merge "
             "(default 0.5; 1.0 = every pair, as greedy)",
    )


def wants_groups(args: argparse.Namespace) -> bool:
    """Whether ``pprl link`` should write groups (this module) rather than one-to-one links."""
    return args.clks_b is None or bool(args.more) or args.solver == "probabilistic"


def read_parties(paths: list[str], command: str):
    """CLK arrays and record IDs (None unless every file has them) of the files, one width."""
    from ..bits import read_clks

    clks, ids = [], []
    for path in paths:
        x, i = read_clks(path, with_ids=True)
        clks.append(x)
        ids.append(i)
    first = next(((p, x) for p, x in zip(paths, clks, strict=True) if x.shape[0]), None)
    for path, x in zip(paths, clks, strict=True):
        if first is not None and x.shape[0] and x.shape[1] != first[1].shape[1]:
            raise InputError(f"{path}: CLKs have {x.shape[1] * 8} bits but {first[0]} has "
                             f"{first[1].shape[1] * 8}; every party must encode with the same "
                             "schema")
    if any(i is None for i in ids):
        if any(i is not None for i in ids):
            warn(command, "some CLK files carry record IDs and some do not; the output holds "
                          "row numbers only (encode every file with --id-column)")
        ids = None
    return clks, ids


def write_groups(frame, path) -> None:
    """Write a DataFrame atomically as CSV."""
    from .._atomic import atomic_open

    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")


#: candidates formatted at a time by ``--solver none`` (bounds the writer's memory)
WRITE_ROWS = 1 << 15


def write_candidates(cands, ids, path) -> None:
    """Write ``party_a,row_a,party_b,row_b,score[,id_a,id_b]`` atomically, a batch at a time."""
    from .._atomic import atomic_open
    from ._csv import csv_rows

    if ids is not None:
        ids = _id_table(ids)
    names = ["party_a", "row_a", "party_b", "row_b", "score"]
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(names + (["id_a", "id_b"] if ids is not None else [])) + "\n")
        for lo in range(0, len(cands), WRITE_ROWS):
            hi = lo + WRITE_ROWS
            code = cands.code[lo:hi]
            pa_, pb_ = cands.pairs[:, 0][code], cands.pairs[:, 1][code]
            ra, rb = cands.row_a[lo:hi], cands.row_b[lo:hi]
            cols = [pa_, ra, pb_, rb, cands.score[lo:hi]]
            if ids is not None:
                cols += [_ids_of(ids, pa_, ra), _ids_of(ids, pb_, rb)]
            fh.write(csv_rows(cols))


def _id_table(ids) -> tuple:
    """Every party's record IDs in one object array, and each party's offset into it."""
    import numpy as np

    sizes = [len(i) for i in ids]
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    table = np.empty(sum(sizes), dtype=object)
    for i, o in zip(ids, offset, strict=True):
        table[o:o + len(i)] = list(i)
    return table, offset


def _ids_of(ids, party, row):
    """The record IDs of (party, row) pairs (``ids``: per party, or an :func:`_id_table`)."""
    import numpy as np

    table, offset = ids if isinstance(ids, tuple) else _id_table(ids)
    return table[offset[np.asarray(party)] + np.asarray(row)]


def _check_merge_threshold(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise InputError(f"--merge-threshold must be in [0, 1]; got {value}")
    return value


def run_link(args: argparse.Namespace) -> int:
    """Run ``pprl link`` on N files; the exit status."""
    from ..linkage.multiparty import greedy_groups, multiparty_candidates, probabilistic_groups

    paths = [args.clks_a] + ([args.clks_b] if args.clks_b is not None else []) + list(args.more)
    if len(paths) < 2:
        raise InputError(f"{paths[0]}: pprl link needs two or more CLK files; got one (use "
                         "pprl dedupe to find duplicates within one file)")
    out = check_output_path(args.output)
    if args.threshold == "auto" or getattr(args, "floor", None) is not None:
        raise InputError("--threshold auto and --floor estimate the quality of two files' "
                         "links; with 3 or more files (or --solver probabilistic) give "
                         "--threshold a number")
    threshold_arg(args.threshold)
    if args.solver == "optimal":
        raise InputError("--solver optimal links two files one to one; with "
                         f"{len(paths)} files use greedy, probabilistic or none")
    mt = _check_merge_threshold(args.merge_threshold)
    if args.k is not None and args.k < 1:
        raise InputError(f"--k must be a positive integer; got {args.k}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be a positive integer; got {args.threads}")
    from .._validation import check_threads
    from ..errors import TooManyCandidatesError
    from ..linkage.similarity import least_max_bytes
    from . import _mp_scale
    from ._mp_memory import MultipartyPlan

    if args.max_memory is not None and args.out_dir is not None:
        raise InputError("--max-memory with --out-dir and 3 or more files is not supported: "
                         "the merged candidates are memory-mapped from DIR; give one of them")
    from ..linkage import backend as _backend

    # the group solvers run native/groups.c when it was built (backend "auto")
    plan = MultipartyPlan(args.max_memory, args.solver,
                          _backend.choose("auto", "solve_groups")[0] == "native")
    t0 = time.perf_counter()
    clks, ids = read_parties(paths, "link")
    t1 = time.perf_counter()
    blocking = _mp_scale.choose(args, clks, out)
    kw = dict(k=args.k, backend=args.backend, threads=args.threads, progress=show_progress(args),
              max_bytes=plan.max_bytes(clks, ids, check_threads(args.threads, "pprl link"),
                                       least_max_bytes()),
              blocking=blocking, target_pc=args.blocking_target_pc,
              estimate=args.blocking_estimate, rng=args.blocking_seed, out_dir=args.out_dir)
    try:
        if getattr(args, "dask", None) is not None:
            from ..linkage.distributed import connect

            with connect(args.dask) as client:
                cands = multiparty_candidates(clks, args.threshold, client=client, **kw)
        else:
            cands = multiparty_candidates(clks, args.threshold, **kw)
    except TooManyCandidatesError as exc:
        raise plan.explain(exc, args.threshold, args.k) from None
    t2 = time.perf_counter()
    sizes = " x ".join(str(len(x)) for x in clks)
    if len(cands) == 0 and sum(len(x) > 0 for x in clks) >= 2:
        warn("link", f"no pair of the {sizes} records scores >= {args.threshold:g}; check "
                     "that every party used the same secret and schema, or lower --threshold")
    if args.solver == "none":
        frame = None
        what = f"{len(cands)} candidates"
    else:
        groups = greedy_groups(cands) if args.solver == "greedy" \
            else probabilistic_groups(cands, merge_threshold=mt)
        frame = groups.to_frame()
        if ids is not None:
            frame["id"] = _ids_of(ids, frame["party"], frame["row"])
        what = f"{groups.n_groups} groups of {len(groups)} records ({args.solver})"
    t3 = time.perf_counter()
    if frame is None:
        write_candidates(cands, ids, out)
    else:
        write_groups(frame, out)
    _mp_scale.finish(args, cands, paths, out)
    t4 = time.perf_counter()
    print(f"pprl link: {len(paths)} parties ({sizes} records), {len(cands)} candidates "
          f">= {args.threshold:g}, {what} -> {out} [read {t1 - t0:.2f}s, compare "
          f"{t2 - t1:.2f}s, solve {t3 - t2:.2f}s, write {t4 - t3:.2f}s]", file=sys.stderr)
    return 0

