"""``pprl link A B C ... --blocking auto|lsh|none``: blocking decided per pair of parties.

``--blocking auto`` (the default) asks :func:`~pprl.linkage.autoblock.choose_blocking`
about each pair of parties, as the 2-party link does about its one pair
(:mod:`._scale`): exhaustive below 2**30 pairs, otherwise whichever of the
exhaustive scan and LSH a sample estimates to cost less, said on one line
per pair.  ``--blocking lsh`` blocks every pair.  When any pair was blocked,
``GROUPS.blocking.json`` is written beside the output: one entry per pair of
parties, with the LSH parameters, expected and actual work and the CLK
files (the 2-party sidecar's fields) or ``"method": "none"``.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import combinations
from pathlib import Path

from ..errors import InputError
from . import _scale
from ._common import warn

__all__ = ["choose", "finish"]


def choose(args: argparse.Namespace, clks: list, out: Path):
    """The ``blocking`` argument of ``multiparty_candidates``: None, "lsh" or one per pair."""
    how = args.blocking or "auto"
    if how != "none" and not 0.0 < args.blocking_target_pc < 1.0:
        raise InputError(f"--blocking-target-pc must be in (0, 1); got {args.blocking_target_pc}")
    elsewhere = [f for f, on in (("--dask", args.dask is not None),
                                 ("--out-dir", args.out_dir is not None)) if on]
    if how == "lsh":
        if elsewhere:
            raise InputError(f"--blocking lsh with 3 or more files cannot be combined with "
                             f"{' or '.join(elsewhere)}")
        return "lsh"
    if how == "none":
        return None
    if elsewhere:  # the exhaustive scan is what runs there
        if args.blocking == "auto":
            print(f"pprl link: --blocking auto chose the exhaustive scan for every pair of "
                  f"parties: {' and '.join(elsewhere)} run it", file=sys.stderr)
        return None
    from ..linkage.autoblock import choose_blocking

    per_pair = {}
    for i, j in combinations(range(len(clks)), 2):
        c = choose_blocking(clks[i], clks[j], args.threshold, args.blocking_target_pc,
                            args.blocking_estimate, rng=args.blocking_seed,
                            backend=args.backend)
        per_pair[(i, j)] = c.report.params if c.method == "lsh" else None
        if args.blocking == "auto" or c.report is not None:
            what = "LSH" if c.method == "lsh" else "the exhaustive scan"
            print(f"pprl link: --blocking auto chose {what} for parties {i} and {j}: "
                  f"{c.reason}", file=sys.stderr)
    return per_pair


def finish(args: argparse.Namespace, cands, paths: list[str], out: Path) -> None:
    """Write (or remove a stale) ``GROUPS.blocking.json``; describe each blocked pair."""
    side = _scale.sidecar_path(out)
    if not cands.blocking:
        side.unlink(missing_ok=True)
        return
    if args.max_memory is not None:
        warn("link", "--max-memory bounds the exhaustive comparison only; it is not applied "
                     "to the pairs of parties LSH blocked")
    full = [str(Path(p).resolve()) for p in paths]
    entries = []
    for i, j in combinations(range(len(paths)), 2):
        report = cands.blocking.get((i, j))
        entry = {"party_a": i, "party_b": j, "clks_a": full[i], "clks_b": full[j]}
        if report is None:
            entries.append({**entry, "method": "none"})
            continue
        entries.append({**entry, "method": "lsh", **report.to_dict()})
        line = _scale.describe(report, args.blocking_target_pc, args.blocking_seed)
        print(line.replace("pprl link: ", f"pprl link: parties {i} and {j}: ", 1),
              file=sys.stderr)
    doc = {"method": "lsh", "threshold": float(args.threshold), "parties": full,
           "pairs": entries}
    from .._atomic import atomic_open

    with atomic_open(side, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")


def blocking_metrics(matches: str, truth, blocking_file: str | None,
                     clks: list[str] | None = None) -> dict | None:
    """Pair completeness of a record truth under ``GROUPS.blocking.json``, per pair of parties.

    ``truth`` has columns ``party, row, entity`` (0-based party indices).
    The CLK files are ``clks`` when given, else those the sidecar names.
    None when there is no sidecar (and none was asked for).
    """
    import numpy as np

    from ..bits import read_clks
    from ..errors import FileFormatError
    from ..linkage.blocking import LSHParams, pairs_blocked

    found = _scale.read_sidecar(matches, blocking_file)
    if found is None:
        return None
    side, doc = found
    try:
        paths = list(clks) if clks else list(doc["parties"])
        entries = [(int(e["party_a"]), int(e["party_b"]), e["method"],
                    LSHParams(**e["params"]) if e["method"] == "lsh" else None)
                   for e in doc["pairs"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise FileFormatError(str(side), "not a blocking file written by pprl link with 3 or "
                                         f"more files ({exc})") from None
    arrays = {}
    out, found, total = [], 0, 0
    for i, j, method, params in entries:
        ti, tj = truth[truth["party"] == i], truth[truth["party"] == j]
        m = ti.merge(tj, on="entity", suffixes=("_a", "_b"))
        pairs = m[["row_a", "row_b"]].to_numpy(dtype=np.int64).reshape(-1, 2)
        if params is None or not len(pairs):
            hit = len(pairs)
        else:
            for p in (i, j):
                if p >= len(paths):
                    raise FileFormatError(str(side), f"names party {p} but only {len(paths)} "
                                                     "CLK files are known")
                arrays.setdefault(p, read_clks(paths[p]))
            for col, p in ((0, i), (1, j)):
                if pairs[:, col].max() >= arrays[p].shape[0]:
                    raise FileFormatError(str(side), f"the truth names row "
                                          f"{pairs[:, col].max()} of party {p} but "
                                          f"{paths[p]} has {arrays[p].shape[0]} CLKs; is it "
                                          "the right blocking file?")
            hit = int(pairs_blocked(arrays[i], arrays[j], pairs, params).sum())
        found, total = found + hit, total + len(pairs)
        out.append({"party_a": i, "party_b": j, "method": method, "true_pairs": len(pairs),
                    "pair_completeness": hit / len(pairs) if len(pairs) else 1.0})
    return {"pair_completeness": found / total if total else 1.0, "blocking_pairs": out}
