"""``pprl dedupe``: clusters of duplicate records within one party's CLKs."""

from __future__ import annotations

import argparse
import sys
import time

from ..errors import InputError
from ._common import add_progress_flag, check_output_path, show_progress, threshold_arg, warn

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl dedupe`` sub-command and its options."""
    p = sub.add_parser(
        "dedupe",
        help="find duplicates within one party's CLKs and write their clusters",
        description=(
            "Compare every CLK of A with every other (each pair once, never a record with "
            "itself), keep pairs with score >= THRESHOLD, cluster them and write "
            "CLUSTERS.csv with header group,row (0-based rows; plus id when the CLK file "
            "carries record IDs), one line per record in a cluster of two or more. The "
            "default greedy clustering keeps a cluster only while every pair in it scores "
            ">= THRESHOLD, so a path of weak links never becomes one cluster."
        ),
    )
    p.add_argument("clks", metavar="A.json", help="the party's CLKs (clkhash JSON or .npy)")
    p.add_argument("--threshold", type=float, required=True, help="Dice threshold in [0, 1]")
    p.add_argument(
        "--method", choices=("greedy", "probabilistic", "components"), default="greedy",
        help="greedy (default: every pair in a cluster is a candidate), probabilistic "
             "(--merge-threshold of the pairs), or components (connected components; chains)",
    )
    p.add_argument("--merge-threshold", type=float, default=0.5, metavar="M",
                   help="probabilistic: share of candidate pairs two clusters need to merge")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    p.add_argument("--backend", choices=("auto", "native", "numpy"), default="auto",
                   help="similarity kernel (default: auto)")
    p.add_argument("--max-memory", metavar="SIZE", default=None,
                   help="cap the memory the CLKs, the comparison and the clustering take "
                        "(bytes, or with a K, M or G suffix): stop early, with an error that "
                        "says what to change, when the pairs would not fit")
    p.add_argument("--blocking", choices=("none", "lsh"), default="none",
                   help="lsh: compare only records that share a Hamming-LSH bucket")
    p.add_argument("--blocking-seed", type=int, default=None, metavar="S",
                   help="seed of the LSH parameters' sampled bits")
    p.add_argument("-o", "--output", required=True, metavar="CLUSTERS.csv")
    add_progress_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``pprl dedupe``; the exit status."""
    from .._validation import check_threads
    from ..bits import read_clks
    from ..errors import TooManyCandidatesError
    from ..linkage import backend as _backend
    from ..linkage.dedupe import dedupe
    from ..linkage.similarity import least_max_bytes
    from ._mp_memory import DedupePlan
    from ._multiparty import write_groups

    out = check_output_path(args.output)
    threshold_arg(args.threshold)
    if not 0.0 <= args.merge_threshold <= 1.0:
        raise InputError(f"--merge-threshold must be in [0, 1]; got {args.merge_threshold}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be a positive integer; got {args.threads}")
    plan = DedupePlan(args.max_memory, args.method,
                      _backend.choose(args.backend, "solve_groups")[0] == "native")
    lsh = args.blocking == "lsh"
    if lsh and plan.cap is not None:
        warn("dedupe", "--max-memory bounds the exhaustive comparison only; with "
                       "--blocking lsh it is not applied")
    t0 = time.perf_counter()
    clks, ids = read_clks(args.clks, with_ids=True)
    t1 = time.perf_counter()
    max_bytes = None if lsh else plan.max_bytes(
        clks, ids, check_threads(args.threads, "pprl dedupe"), least_max_bytes())
    try:
        groups = dedupe(clks, args.threshold, method=args.method,
                        merge_threshold=args.merge_threshold, backend=args.backend,
                        threads=args.threads, max_bytes=max_bytes,
                        blocking="lsh" if lsh else None, rng=args.blocking_seed,
                        progress=show_progress(args))
    except TooManyCandidatesError as exc:
        raise plan.explain(exc, args.threshold) from None
    t2 = time.perf_counter()
    frame = groups.to_frame().drop(columns="party")
    if ids is not None:
        frame["id"] = [ids[r] for r in frame["row"]]
    if len(clks) >= 2 and len(groups) == 0:
        warn("dedupe", f"no two of the {len(clks)} records score >= {args.threshold:g}; "
                       "the file has no duplicates at this threshold (lower --threshold?)")
    write_groups(frame, out)
    sizes = groups.sizes()
    print(f"pprl dedupe: {len(clks)} records, {groups.n_groups} clusters of "
          f"{len(groups)} records (largest {int(sizes.max()) if len(sizes) else 0}, "
          f"{args.method}) -> {out} [read {t1 - t0:.2f}s, compare and cluster "
          f"{t2 - t1:.2f}s]", file=sys.stderr)
    return 0
