"""Linkage: CLKs of two parties become candidate pairs and then links.

The linkage unit's side of the pipeline, which never sees plaintext.
:mod:`.similarity` is the public face of the Dice kernel; :mod:`.backend`
chooses the kernel and is the only door to C (:mod:`._native` wraps the cffi
library, :mod:`._numpy` is the reference); :mod:`._plan` plans a scan (tiles,
early exit, instruction-set path) and :mod:`._scan` runs it.
:mod:`.candidates` holds the result type and its packed sort, :mod:`.chunks`
candidate pairs streamed to disk, and :mod:`.matching` solves one-to-one
mappings.  :mod:`.multiparty` scans N parties pair by pair, :mod:`._groups`
solves groups (anonlink's greedy rules) and :mod:`.dedupe` clusters one file.
:mod:`.blocking` is Hamming LSH on CLKs (:mod:`._lsh` does its work) and
:mod:`.distributed` runs candidate generation on Dask.
"""

from __future__ import annotations

from .blocking import BlockingReport, LSHParams, choose_lsh, lsh_candidate_pairs
from .candidates import Candidates
from .chunks import CandidateChunks
from .dedupe import dedupe, self_candidates
from .matching import greedy_match, optimal_match
from .multiparty import (
    Groups,
    MultipartyCandidates,
    greedy_groups,
    multiparty_candidates,
    probabilistic_groups,
)
from .similarity import available_backends, candidate_pairs, dice_matrix

__all__ = [
    "BlockingReport",
    "Candidates",
    "CandidateChunks",
    "Groups",
    "MultipartyCandidates",
    "dedupe",
    "greedy_groups",
    "multiparty_candidates",
    "probabilistic_groups",
    "self_candidates",
    "LSHParams",
    "available_backends",
    "candidate_pairs",
    "choose_lsh",
    "dice_matrix",
    "greedy_match",
    "lsh_candidate_pairs",
    "optimal_match",
]
