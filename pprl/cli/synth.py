"""``pprl synth``: write a synthetic multi-party data set with ground truth."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ._common import add_progress_flag, fraction_arg, show_progress, warn

__all__ = ["add_parser", "run"]


def _duplicates(text: str):
    """RATE[:DISTRIBUTION[:MAX[:PARAM]]], e.g. ``0.1:zipf:3``."""
    from ..synthetic import Duplicates

    parts = text.split(":")
    try:
        rate = float(parts[0])
        dist = parts[1] if len(parts) > 1 and parts[1] else "zipf"
        mx = int(parts[2]) if len(parts) > 2 and parts[2] else 3
        param = float(parts[3]) if len(parts) > 3 and parts[3] else None
        if len(parts) > 4:
            raise ValueError
    except ValueError:
        raise InputError(
            f"--duplicates must be RATE[:uniform|poisson|zipf[:MAX[:PARAM]]]; got {text!r}"
        ) from None
    try:
        return Duplicates(rate, dist, mx, param)
    except InputError as exc:
        raise InputError(f"--duplicates {text!r}: {exc}") from None


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl synth`` sub-command and its options."""
    p = sub.add_parser(
        "synth",
        help="generate a synthetic multi-party data set with ground truth",
        description=(
            "Generate N people per party with realistic errors and write a.csv, b.csv, ..., "
            "truth.csv, entities.csv, corruptions.csv and manifest.json to DIR (all or nothing)."
        ),
    )
    p.add_argument("--records", "-n", type=int, required=True, metavar="N",
                   help="people per party, before duplicates")
    p.add_argument("--parties", type=int, default=2, help="number of parties (default 2)")
    p.add_argument("--overlap", type=float, default=0.5,
                   help="fraction of each party's people present in every other party "
                        "(default 0.5)")
    p.add_argument("--locale", default="en_AU",
                   help="en_AU (default), en_US, en_GB or de_DE")
    p.add_argument("--config", metavar="C.json",
                   help="corruption configuration (default: the documented defaults)")
    p.add_argument("--columns", metavar="COLUMNS.json",
                   help="column description: your column names mapped to kinds "
                        "(first_name, date_of_birth:%%Y%%m%%d, id_number:7, ...); "
                        "default: pprl's person columns")
    p.add_argument("--no-corruption", action="store_true",
                   help="write exact copies (no corruption at all)")
    p.add_argument("--duplicates", metavar="RATE[:DIST[:MAX[:PARAM]]]",
                   help="within-party duplicates, e.g. 0.1:zipf:3 or 0.05:poisson:4:1.5")
    p.add_argument("--seed", type=int, help="random seed (default: a fresh one, recorded "
                                           "in manifest.json)")
    p.add_argument("--gzip", action="store_true", help="write .csv.gz files")
    p.add_argument("--force", action="store_true",
                   help="replace the files of an existing data set in DIR")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    add_progress_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``pprl synth``: generate the parties' CSV files and their truth; the exit status."""
    from ..synthetic import CorruptionConfig, make_dataset

    if args.records < 0:
        raise InputError(f"--records must be a non-negative integer; got {args.records}")
    if args.records == 0:
        warn("synth", "--records 0 writes parties with a header and no records; "
                      "give --records N for N records per party")
    if not 2 <= args.parties <= 26:
        raise InputError(f"--parties must be from 2 to 26; got {args.parties}")
    fraction_arg(args.overlap, "--overlap")
    from ..synthetic import LOCALES

    if args.locale not in LOCALES:
        raise InputError(f"--locale must be one of {', '.join(LOCALES)}; got {args.locale!r}")
    if args.config and args.no_corruption:
        raise InputError("--config and --no-corruption cannot be used together")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer; got {args.seed}")
    if args.no_corruption:
        config = CorruptionConfig.none()
    elif args.config:
        config = CorruptionConfig.from_json(args.config)
    else:
        config = CorruptionConfig.default()
    dups = _duplicates(args.duplicates) if args.duplicates else None
    columns = None
    if args.columns:
        from ..synthetic import ColumnSpec

        columns = ColumnSpec.from_json(args.columns)
        if not args.config and not args.no_corruption:
            config = None  # the defaults for the described columns
    ds = make_dataset(args.records, parties=args.parties, overlap=args.overlap,
                      locale=args.locale, config=config, duplicates=dups, rng=args.seed,
                      progress=show_progress(args), columns=columns)
    out = ds.write(args.out, overwrite=args.force, compress=args.gzip)
    sizes = ", ".join(f"{n}: {len(df)}" for n, df in zip(ds.party_names, ds.parties, strict=True))
    print(f"wrote {out} ({sizes}; seed {ds.manifest['seed']})", file=sys.stderr)
    return 0
