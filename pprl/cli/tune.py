"""``pprl tune``: choose a schema and threshold on synthetic people from a column description."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError
from ._common import add_progress_flag, fraction_arg, show_progress, warn

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl tune`` sub-command and its options."""
    p = sub.add_parser(
        "tune",
        help="choose a linkage schema and threshold on synthetic data (no real records needed)",
        description=(
            "Generate synthetic people with your columns (COLUMNS.json maps each column name to "
            "a kind: first_name, last_name, sex, date_of_birth:FORMAT, street_number, "
            "street_address, address_extra, locality, postcode, state, phone, email, "
            "id_number:LENGTH, ignore), search per-column comparisons, bits per token and the "
            "CLK length with optuna, and choose the threshold for the expected overlap on "
            "held-out synthetic sets. Writes DIR/schema.json (clkhash v3), DIR/report.json "
            "(threshold, expected F1, the share of random pairs that pass the threshold and the "
            "expected candidates per record, trials) and DIR/search.png (needs pprl[viz])."
        ),
    )
    p.add_argument("--columns", required=True, metavar="COLUMNS.json",
                   help="column description: {\"column\": \"kind\", ...} in file order")
    p.add_argument("--overlap", type=float, default=0.5,
                   help="expected share of records with a partner in the other party "
                        "(default 0.5)")
    p.add_argument("--records", type=int, default=2000, metavar="N",
                   help="synthetic records per party; near your data's size (default 2000)")
    p.add_argument("--corruption", metavar="PROFILE.json",
                   help="what you know of the data's quality: typo, missing, date_swap, "
                        "nickname, moved, max_per_record (default: see docs/tuning.md)")
    p.add_argument("--budget-minutes", type=float, default=5.0, metavar="M",
                   help="stop the search after M minutes (default 5)")
    p.add_argument("--trials", type=int, default=80,
                   help="trials of the search (default 80; same seed and trials, same result)")
    p.add_argument("--locale", default="en_AU", help="locale of the synthetic people")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, "
                                                          "recorded in report.json)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    add_progress_flag(p)
    p.set_defaults(func=run)


def _write_plot(result, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        warn("tune", "matplotlib is not installed, so no search.png was drawn; "
                     "pip install 'pprl[viz]' to get the plot")
        return
    from .._atomic import atomic_path
    from ..viz.tuning import TuneSearchDisplay

    disp = TuneSearchDisplay.from_result(result).plot()
    with atomic_path(path) as tmp:
        disp.figure_.savefig(tmp, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(disp.figure_)


def run(args: argparse.Namespace) -> int:
    """Run ``pprl tune``: search a schema and threshold on synthetic data; the exit status."""
    from .._atomic import atomic_open
    from ..synthetic import LOCALES, ColumnSpec
    from ..tuning import CorruptionProfile, tune

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder (-o)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{out}: parent folder {parent} does not exist (-o)")
    fraction_arg(args.overlap, "--overlap", above_zero=True)
    if not 50 <= args.records <= 200_000:
        raise InputError(f"--records must be from 50 to 200000; got {args.records}")
    if not 0.05 <= args.budget_minutes <= 24 * 60:
        raise InputError(f"--budget-minutes must be from 0.05 to 1440 minutes, "
                         f"got {args.budget_minutes}")
    if args.trials < 1:
        raise InputError(f"--trials must be a positive integer; got {args.trials}")
    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed must be a non-negative integer; got {args.seed}")
    if args.locale not in LOCALES:
        raise InputError(f"--locale must be one of {', '.join(LOCALES)}; got {args.locale!r}")
    spec = ColumnSpec.from_json(args.columns)
    profile = CorruptionProfile.from_json(args.corruption) if args.corruption else None
    if profile is not None:
        profile.config(spec)  # a profile naming unknown columns fails before any work
    result = tune(spec, overlap=args.overlap, records=args.records, profile=profile,
                  budget_minutes=args.budget_minutes, n_trials=args.trials, locale=args.locale,
                  rng=args.seed, progress=show_progress(args))
    if result.settings["stopped_by_budget"]:
        warn("tune", f"the budget of {args.budget_minutes:g} minutes ran out after "
                     f"{len(result.trials)} of {args.trials} trials; a rerun may choose "
                     f"differently (give more minutes or fewer --trials)")
    for line in result.warnings:
        warn("tune", line)
    out.mkdir(exist_ok=True)
    with atomic_open(out / "schema.json", encoding="utf-8") as fh:
        json.dump(result.schema, fh, indent=2)
        fh.write("\n")
    with atomic_open(out / "report.json", encoding="utf-8") as fh:
        json.dump(result.report(), fh, indent=2)
        fh.write("\n")
    _write_plot(result, out / "search.png")
    print(f"wrote {out}: threshold {result.threshold:.3f}, expected F1 "
          f"{result.expected_f1:.4f} on held-out synthetic data, about "
          f"{result.candidates['expected_candidates_per_record']:.2g} candidates per record at "
          f"{args.records} x {args.records} ({len(result.trials)} trials, "
          f"seed {result.settings['seed']})", file=sys.stderr)
    return 0
