"""``pprl link --blocking auto|lsh / --dask`` and the blocking sidecar read by ``pprl evaluate``.

``--blocking auto`` (the default) links exhaustively below 2**30 pairs, and
above that runs whichever of the exhaustive scan and LSH a sample of A
estimates to cost less, saying which and why on one line.  With LSH
(``--blocking lsh``, or chosen by ``auto``), ``pprl link`` writes ``MATCHES.blocking.json`` beside
MATCHES.csv: the LSH parameters (tables, bits per table, seed), the expected
and actual work, and the CLK files it read.  ``pprl evaluate`` finds it and
reports the pair completeness of the truth (the share of true pairs that
shared a bucket) next to precision and recall.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._common import warn

__all__ = ["add_arguments", "compare", "sidecar_path", "blocking_metrics"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--blocking {auto,none,lsh}`` with its ``--blocking-*`` options, and ``--dask``."""
    p.add_argument(
        "--blocking", choices=("auto", "none", "lsh"), default=None,
        help="auto (default): above 2**30 pairs, LSH when a sample of A estimates it cheaper "
             "than the exhaustive scan (says which and why); none: the exhaustive scan; "
             "lsh: compare only pairs that share a bucket of Hamming LSH on the CLKs "
             "(parameters chosen for --blocking-target-pc). LSH writes MATCHES.blocking.json",
    )
    p.add_argument(
        "--blocking-target-pc", type=float, default=0.99, metavar="PC",
        help="pair completeness the LSH parameters must reach (default 0.99)",
    )
    p.add_argument(
        "--blocking-estimate", choices=("sample", "worst-case"), default="sample",
        help="sample: PC on average over the candidates of a sample of A (default; several "
             "times fewer tables); worst-case: every pair at the threshold is found with "
             "chance >= PC",
    )
    p.add_argument("--blocking-seed", type=int, default=None, metavar="S",
                   help="seed of the sampled bits (default: random, recorded in the sidecar)")
    p.add_argument(
        "--dask", default=None, metavar="local:N|tcp://HOST:PORT",
        help="run the comparisons as Dask tasks: local:N starts N worker processes; "
             "tcp://HOST:PORT uses a running scheduler",
    )


def sidecar_path(matches: str | Path) -> Path:
    """``MATCHES.blocking.json`` for ``MATCHES.csv``."""
    p = Path(matches)
    return p.with_name(p.stem + ".blocking.json")


def _run(args, a, b, client):
    from ..linkage import blocking, distributed

    kw = dict(target_pc=args.blocking_target_pc, estimate=args.blocking_estimate, k=args.k,
              rng=args.blocking_seed, backend=args.backend,
              params=getattr(args, "blocking_chosen", None))
    if args.blocking == "lsh":
        if client is not None:
            return distributed.lsh_candidate_pairs(client, a, b, args.threshold, **kw)
        return blocking.lsh_candidate_pairs(a, b, args.threshold, threads=args.threads,
                                            progress=args.progress_on, **kw)
    return distributed.candidate_pairs(client, a, b, args.threshold, k=args.k,
                                       backend=args.backend), None


def compare(args: argparse.Namespace, a, b, out: Path, progress: bool):
    """Candidates for ``pprl link`` when ``--blocking`` or ``--dask`` is given, else None.

    Returns ``(candidates, report)``; ``report`` is a BlockingReport with
    ``--blocking lsh`` (also written to the sidecar, atomically) or None.
    A stale sidecar of an earlier run is removed when linking without blocking.
    """
    from ..errors import InputError

    side = sidecar_path(out)
    if args.blocking in (None, "auto"):
        if not 0.0 < args.blocking_target_pc < 1.0:
            raise InputError(f"--blocking-target-pc must be in (0, 1); got "
                             f"{args.blocking_target_pc}")
        _auto(args, a, b)
    if args.blocking != "lsh":
        side.unlink(missing_ok=True)
        if args.dask is None:
            return None
    if not 0.0 < args.blocking_target_pc < 1.0:
        raise InputError(f"--blocking-target-pc must be in (0, 1); got {args.blocking_target_pc}")
    args.progress_on = progress
    if args.dask is not None:
        from ..linkage.distributed import connect

        with connect(args.dask) as client:
            cands, report = _run(args, a, b, client)
    else:
        cands, report = _run(args, a, b, None)
    return cands, report


def _auto(args: argparse.Namespace, a, b) -> None:
    """``--blocking auto``: set ``args.blocking`` to what the estimate chose; say so on stderr.

    Said whenever the costs were estimated, or ``--blocking auto`` was asked
    for by name; a small link under the implicit default stays quiet.
    """
    from ..linkage.autoblock import choose_blocking

    explicit = args.blocking == "auto"
    choice = choose_blocking(a, b, args.threshold, args.blocking_target_pc,
                             args.blocking_estimate, rng=args.blocking_seed,
                             backend=args.backend)
    args.blocking = choice.method
    args.blocking_chosen = choice.report if choice.method == "lsh" else None
    if explicit or choice.report is not None:
        what = "LSH" if choice.method == "lsh" else "the exhaustive scan"
        print(f"pprl link: --blocking auto chose {what}: {choice.reason}", file=sys.stderr)


def write_sidecar(report, out: Path, clks_a: str, clks_b: str) -> Path:
    """Write the blocking report beside MATCHES.csv (atomically); return its path."""
    from .._atomic import atomic_open

    side = sidecar_path(out)
    doc = {"method": "lsh", **report.to_dict(),
           "clks_a": str(Path(clks_a).resolve()), "clks_b": str(Path(clks_b).resolve())}
    with atomic_open(side, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    return side


def describe(report, target_pc: float | None = None, seed: int | None = None) -> str:
    """One line for stderr: parameters, what they promise against the target, work saved.

    With a sample estimate the target is met by the pair completeness over
    all pairs at the threshold, and the per-pair chance of the farthest pair
    the threshold allows is a separate, lower figure; with the worst-case
    estimate (or given parameters) that per-pair chance is the guarantee.
    ``seed``: the one the user gave (the tables' seed is that one).
    """
    p = report.params
    target = "" if target_pc is None else f" (target {target_pc:g})"
    if report.pc_sample is not None:
        promise = (f"pair completeness {report.pc_sample:.4f} expected over the pairs at the "
                   f"threshold, estimated on a sample of A{target}; a pair at the threshold "
                   f"with the most differing bits is found with chance {report.pc_bound:.4f}")
    else:
        promise = (f"every pair at the threshold is found with chance at least "
                   f"{report.pc_bound:.4f}{target}")
    given = "given" if seed is not None else "random; repeat with --blocking-seed"
    return (f"pprl link: LSH blocking: {p.tables} tables of {p.bits} bits (seed {p.seed}, "
            f"{given}); {promise}; {report.generated:,} of {report.n_a * report.n_b:,} pairs "
            f"compared (reduction ratio {report.reduction_ratio:.6f})")


def read_sidecar(matches: str, blocking_file: str | None) -> tuple[Path, dict] | None:
    """``(path, document)`` of the blocking sidecar beside ``matches`` (or ``blocking_file``).

    None when there is none and none was asked for; a named file that is
    missing, or one that is not JSON, is a FileFormatError.
    """
    from ..errors import FileFormatError

    side = Path(blocking_file) if blocking_file else sidecar_path(matches)
    if not side.is_file():
        if blocking_file:
            raise FileFormatError(str(side), "file not found")
        return None
    try:
        return side, json.loads(side.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FileFormatError(str(side), f"not a blocking file written by pprl link ({exc})") \
            from None


def blocking_metrics(matches: str, truth, blocking_file: str | None,
                     clks: list[str] | None = None) -> dict | None:
    """Pair completeness of the truth under the blocking recorded beside ``matches``.

    ``truth`` is a DataFrame with columns ``a``, ``b`` (rows of the CLK
    files).  The CLK files are ``clks`` when given, else those the sidecar
    names.  Returns None when there is no sidecar (and none was asked for).
    """
    import numpy as np

    from ..bits import read_clks
    from ..errors import FileFormatError
    from ..linkage.blocking import LSHParams, pairs_blocked

    found = read_sidecar(matches, blocking_file)
    if found is None:
        return None
    side, doc = found
    try:
        params = LSHParams(**doc["params"])
        threshold = float(doc["threshold"])
        paths = tuple(clks) if clks else (doc["clks_a"], doc["clks_b"])
    except (ValueError, KeyError, TypeError) as exc:
        raise FileFormatError(str(side), f"not a blocking file written by pprl link ({exc})") \
            from None
    a, b = (read_clks(p) for p in paths)
    pairs = truth[["a", "b"]].to_numpy(dtype=np.int64)
    for col, n, path in ((0, a.shape[0], paths[0]), (1, b.shape[0], paths[1])):
        if len(pairs) and pairs[:, col].max() >= n:
            raise FileFormatError(str(side), f"the truth names row {pairs[:, col].max()} but "
                                  f"{path} has {n} CLKs; is it the right blocking file?")
    hit = pairs_blocked(a, b, pairs, params) if len(pairs) else np.zeros(0, bool)
    xa, xb = a[pairs[:, 0]], b[pairs[:, 1]]
    pa, pb = np.bitwise_count(xa).sum(1), np.bitwise_count(xb).sum(1)
    common = np.bitwise_count(xa & xb).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dice = np.where(pa + pb > 0, 2.0 * common / (pa + pb), 0.0)
    reach = dice >= threshold
    out = {
        "pair_completeness": float(hit.mean()) if len(hit) else 1.0,
        "pair_completeness_at_threshold": float(hit[reach].mean()) if reach.any() else 1.0,
        "true_pairs_at_threshold": int(reach.sum()),
        "reduction_ratio": doc.get("reduction_ratio"),
        "blocking": {k: doc.get(k) for k in ("method", "params", "threshold", "pc_bound",
                                              "pc_sample", "generated", "total_pairs")},
    }
    if out["pair_completeness_at_threshold"] < (doc.get("pc_bound") or 0) - 0.05:
        warn("evaluate", f"blocking found {out['pair_completeness_at_threshold']:.3f} of the "
                         f"true pairs at the threshold, well under its bound "
                         f"{doc['pc_bound']:.3f}; were the CLK files changed since pprl link?")
    return out
