"""Scoring an attack's guesses from the command line (``pprl evaluate GUESSES.csv TRUTH.csv``).

``pprl evaluate`` hands a file whose header starts ``clk_row,plaintext_row,score``
(what ``pprl attack`` writes) to :func:`run_guesses`, which scores it with
:func:`pprl.privacy.score_guesses`, the scorer of the privacy report, and
prints JSON: ``reidentification_rate``, ``precision``, ``correct``,
``n_guesses``, ``n_encoded``, ``chance_rate`` and what counted as correct.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ._common import warn

__all__ = ["GUESS_HEADER", "is_guesses_csv", "read_guesses_csv", "run_guesses"]

GUESS_HEADER = ("clk_row", "plaintext_row", "score")


def is_guesses_csv(path: str) -> bool:
    """Whether the file's header starts ``clk_row,plaintext_row,score``."""
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return tuple(c.strip() for c in head.strip().split(","))[:3] == GUESS_HEADER


def read_guesses_csv(path: str):
    """Read guesses (header ``clk_row,plaintext_row,score``; scores may be negative).

    Returns
    -------
    clk_row, plaintext_row : ndarray of int64
    score : ndarray of float64

    Raises
    ------
    FileFormatError
        A bad row index or score, or an encoded record guessed twice; the
        message names the row and column.
    """
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                         index_col=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise FileFormatError(str(path), "not a readable CSV (" + " ".join(str(exc).split())
                              + ")") from None
    out = []
    for col in GUESS_HEADER:
        num = pd.to_numeric(df[col].str.strip(), errors="coerce")
        if col == "score":
            ok = num.notna() & np.isfinite(num)
            want = "a finite number (the attack's confidence; negative is allowed)"
        else:
            ok = num.notna() & (num >= 0) & (num == np.floor(num))
            want = "a non-negative integer row index"
        if not ok.all():
            i = int(np.flatnonzero(~ok.to_numpy())[0])
            raise FileFormatError(str(path), f"row {i} (line {i + 2}), column {col!r}: "
                                             f"expected {want}, got {df[col].iloc[i]!r}")
        out.append(num.to_numpy(np.float64 if col == "score" else np.int64))
    dup = pd.Series(out[0]).duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise FileFormatError(str(path), f"row {i} (line {i + 2}): encoded record "
                                         f"clk_row={out[0][i]} is guessed twice")
    return out[0], out[1], out[2]


def run_guesses(args: argparse.Namespace) -> int:
    """Score GUESSES.csv against TRUTH.csv (header ``a,b``) and print JSON; the exit status."""
    from ..privacy.guesses import Guesses, score_guesses
    from ._pairs_csv import read_pairs_csv

    if args.threshold is not None:
        raise FileFormatError(str(args.matches), "holds an attack's guesses; --threshold "
                                                 "applies to links (pprl link's matches)")
    clk_row, plaintext_row, score = read_guesses_csv(args.matches)
    truth = read_pairs_csv(args.truth)[["a", "b"]]
    seen = np.concatenate([clk_row, truth["a"].to_numpy()])
    n_encoded = int(seen.max()) + 1 if seen.size else 0
    warn("evaluate", f"{Path(args.matches).name} does not say how many records were "
                     f"attacked; taking {n_encoded} (the highest CLK row named, plus one) as "
                     "the denominator of the re-identification rate; pprl attack --truth "
                     "knows it exactly")
    g = Guesses.from_arrays(clk_row, plaintext_row, score, n_encoded=n_encoded)
    result = score_guesses(g, truth).to_dict()
    result["correct_means"] = "the guess is a true pair of TRUTH.csv"
    if result["correct"] == 0 and len(g):
        warn("evaluate", "no guess is a true pair; check that TRUTH.csv pairs CLK rows (a) "
                         "with rows of the attacker's plaintext (b), counted from 0")
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
