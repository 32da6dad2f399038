"""``pprl link``: compare two parties' CLKs and write the one-to-one matches."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import InputError
from . import _memory, _multiparty, _quality, _scale
from ._common import add_progress_flag, check_output_path, show_progress, warn

__all__ = ["add_parser", "run", "write_matches"]

SOLVERS = ("greedy", "optimal", "none", "probabilistic")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl link`` sub-command and its options."""
    p = sub.add_parser(
        "link",
        help="link two parties' CLKs: candidate pairs above a threshold, then 1-1 matching",
        description=(
            "Compare every CLK of A with every CLK of B (Sørensen–Dice), keep pairs with "
            "score >= THRESHOLD, solve a one-to-one matching and write MATCHES.csv with "
            "header a,b,score (0-based row indices), followed by a_id,b_id when both CLK "
            "files carry record IDs (pprl encode --id-column)."
        ),
    )
    p.add_argument("clks_a", metavar="A.json", help="party A's CLKs (clkhash JSON or .npy)")
    p.add_argument("clks_b", metavar="B.json", nargs="?",
                   help="party B's CLKs (clkhash JSON or .npy)")
    p.add_argument("more", metavar="C.json", nargs="*",
                   help="more parties: 3 or more files write groups group,party,row[,id] "
                        "(--solver none: party_a,row_a,party_b,row_b,score)")
    p.add_argument("--threshold", type=_quality.threshold_value, required=True,
                   help="Dice threshold in [0, 1], or auto: the highest estimated F1 from "
                        "--floor (see MATCHES.quality.json)")
    p.add_argument(
        "--k", type=int, default=None, help="keep at most K best candidates per row of A"
    )
    p.add_argument(
        "--solver",
        choices=SOLVERS,
        default="greedy",
        help="greedy (default), optimal (max total score), none (write all candidates), "
             "or probabilistic (groups; anonlink's probabilistic greedy solver)",
    )
    _multiparty.add_arguments(p)
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    p.add_argument(
        "--backend", choices=("auto", "native", "numpy"), default="auto",
        help="similarity kernel (default: auto)",
    )
    _memory.add_arguments(p)
    _scale.add_arguments(p)
    _quality.add_arguments(p)
    p.add_argument("-o", "--output", required=True, metavar="MATCHES.csv")
    add_progress_flag(p)
    p.set_defaults(func=run)


#: rows of MATCHES.csv formatted at a time (bounds the writer's memory)
WRITE_ROWS = 1 << 15


def write_matches(matches, path, ids_a=None, ids_b=None) -> None:
    """Write pairs atomically as CSV with header ``a,b,score`` (0-based rows).

    With both parties' record IDs, the columns ``a_id,b_id`` follow.
    ``matches`` is Candidates or CandidateChunks (read batch by batch); the
    file is formatted WRITE_ROWS rows at a time, so writing takes no memory
    that grows with the number of pairs.
    """
    import numpy as np

    from .._atomic import atomic_open
    from ..linkage.chunks import CandidateChunks
    from ._csv import csv_rows

    with_ids = ids_a is not None and ids_b is not None
    if with_ids:
        ids_a, ids_b = np.asarray(ids_a, dtype=object), np.asarray(ids_b, dtype=object)
    batches = matches.batches(WRITE_ROWS) if isinstance(matches, CandidateChunks) else [matches]
    with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(["a", "b", "score"] + (["a_id", "b_id"] if with_ids else [])) + "\n")
        for batch in batches:
            for i in range(0, len(batch), WRITE_ROWS):
                a, b = batch.a[i:i + WRITE_ROWS], batch.b[i:i + WRITE_ROWS]
                cols = [a, b, batch.score[i:i + WRITE_ROWS]]
                if with_ids:
                    cols += [ids_a[a], ids_b[b]]
                fh.write(csv_rows(cols))


#: Warn when the candidates exceed this share of all n x m pairs.
DENSE_CANDIDATES = 0.5


def _check_candidates(n_cands: int, n: int, m: int, threshold: float) -> None:
    """Warn about candidate counts that mean something went wrong (never silently)."""
    if n and m and n_cands == 0:
        warn("link", f"no pair of the {n} x {m} records scores >= {threshold:g}; check that "
                     "both parties used the same secret and the same schema, or lower "
                     "--threshold")
    elif n * m >= 100 and n_cands >= DENSE_CANDIDATES * n * m:
        warn("link", f"{n_cands} candidates are {n_cands / (n * m):.0%} of all {n} x {m} "
                     f"pairs at threshold {threshold:g}; the CLKs barely discriminate "
                     "(too few features or bits, or a threshold too low)")


def run(args: argparse.Namespace) -> int:
    """Run ``pprl link``: score the candidate pairs, match, write the links; the exit status."""
    from ..bits import read_clks
    from ..linkage.matching import greedy_match, optimal_match
    from ..linkage.similarity import candidate_pairs

    if _multiparty.wants_groups(args):  # 3+ files, one file, or --solver probabilistic
        return _multiparty.run_link(args)
    out = check_output_path(args.output)
    # args.threshold becomes the scan's threshold (--floor, auto); args.cut the links' one
    args.cut, args.threshold = args.threshold, _quality.scan_threshold(args.threshold, args.floor)
    if args.k is not None and args.k < 1:
        raise InputError(f"--k must be a positive integer; got {args.k}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be a positive integer; got {args.threads}")
    plan = _memory.MemoryPlan(args.max_memory, args.solver, args.out_dir)
    t0 = time.perf_counter()
    a, ids_a = read_clks(args.clks_a, with_ids=True)
    b, ids_b = read_clks(args.clks_b, with_ids=True)
    if (ids_a is None) != (ids_b is None):
        has, lacks = (args.clks_a, args.clks_b) if ids_b is None else (args.clks_b, args.clks_a)
        warn("link", f"{has} carries record IDs but {lacks} does not; matches hold row "
                     "numbers only (encode both with --id-column)")
    if a.shape[0] and b.shape[0] and a.shape[1] != b.shape[1]:
        raise InputError(
            f"{args.clks_b}: CLKs have {b.shape[1] * 8} bits but {args.clks_a} has "
            f"{a.shape[1] * 8}; both parties must encode with the same schema"
        )
    t1 = time.perf_counter()
    _memory.check_scale_flags(args)
    scaled = _scale.compare(args, a, b, out, show_progress(args))
    if scaled is None:
        cands, report = _memory.scan(plan, args, a, b, ids_a, ids_b, candidate_pairs), None
    else:
        cands, report = scaled
    t2 = time.perf_counter()
    _check_candidates(len(cands), a.shape[0], b.shape[0], args.threshold)
    if args.solver == "greedy":
        matches = greedy_match(cands)
    elif args.solver == "optimal":
        matches = optimal_match(_memory.loaded(plan, cands))
    else:
        matches = cands
    t_solve = time.perf_counter()
    matches, quality = _quality.apply(args, cands, matches, a, b, out)  # cut at args.cut
    t3 = time.perf_counter()
    write_matches(matches, out, ids_a, ids_b)
    quality.write()
    if report is not None:
        _scale.write_sidecar(report, out, args.clks_a, args.clks_b)
        print(_scale.describe(report, args.blocking_target_pc, args.blocking_seed),
              file=sys.stderr)
    t4 = time.perf_counter()
    from ..linkage.similarity import available_backends

    isa = available_backends()["last_isa"] or "numpy"
    kernel = f" on {isa}" if scaled is None else ""
    print(
        f"pprl link: {a.shape[0]} x {b.shape[0]} records, {len(cands)} candidates "
        f">= {args.threshold:g}, {len(matches)} matches ({args.solver}) -> {out} "
        f"[read {t1 - t0:.2f}s, compare {t2 - t1:.2f}s{kernel}, solve {t_solve - t2:.2f}s, "
        f"estimate quality {t3 - t_solve:.2f}s, write {t4 - t3:.2f}s]",
        file=sys.stderr,
    )
    return 0
