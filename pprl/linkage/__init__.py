"""Linkage: CLKs of two parties become candidate pairs and then links.

The linkage unit's side of the pipeline, which never sees plaintext.
:mod:`.similarity` is the public face of the Dice kernel; :mod:`.backend`
chooses the kernel and is the only door to C (:mod:`._native` wraps the cffi
library, :mod:`._numpy` is the reference); :mod:`._plan` plans a scan (tiles,
early exit, instruction-set path) and :mod:`._scan` runs it.
:mod:`.candidates` holds the result type and its packed sort, :mod:`.chunks`
candidate pairs streamed to disk, and :mod:`.matching` solves one-to-one
mappings.  :mod:`.blocking` is Hamming LSH on CLKs (:mod:`._lsh` does its
work, :mod:`._lsh_report` holds its parameters and report) and
:mod:`.distributed` runs candidate generation on Dask, registering itself
with :mod:`._runners` so that the facade never imports it.
:mod:`.autoblock` chooses between the exhaustive scan and LSH from a
sample.  :mod:`._inputs` holds the input checks all of them share.
:mod:`.multiparty` scans N parties pair by pair, :mod:`._groups` solves
groups (anonlink's greedy rules) and :mod:`.dedupe` clusters one file
(:func:`pprl.dedupe`; not re-exported here, so that the module keeps its name).
"""

from __future__ import annotations

from .autoblock import BlockingChoice, choose_blocking
from .blocking import BlockingReport, LSHParams, choose_lsh, lsh_candidate_pairs
from .candidates import Candidates
from .chunks import CandidateChunks
from .dedupe import self_candidates
from .matching import greedy_match, optimal_match
from .multiparty import (
    Groups,
    MultipartyCandidates,
    greedy_groups,
    multiparty_candidates,
    probabilistic_groups,
)
from .similarity import available_backends, candidate_pairs, dice_matrix

# registers the Dask runner of candidate_pairs(client=) (dask itself is imported only when it runs)
from . import distributed as _distributed  # noqa: E402,F401  isort: skip

__all__ = [
    "BlockingChoice",
    "BlockingReport",
    "Candidates",
    "CandidateChunks",
    "Groups",
    "MultipartyCandidates",
    "greedy_groups",
    "multiparty_candidates",
    "probabilistic_groups",
    "self_candidates",
    "LSHParams",
    "available_backends",
    "candidate_pairs",
    "choose_blocking",
    "choose_lsh",
    "dice_matrix",
    "greedy_match",
    "lsh_candidate_pairs",
    "optimal_match",
]
