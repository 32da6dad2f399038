"""pprl: privacy-preserving record linkage with Bloom filter encodings.

Custodians encode identifiers locally into CLKs with a shared secret
(:func:`encode`); a linkage unit compares CLKs with the Sørensen–Dice
coefficient (:func:`candidate_pairs`) and solves a one-to-one mapping
(:func:`greedy_match`, :func:`optimal_match`); researchers evaluate against
synthetic ground truth (:mod:`pprl.synthetic`, :mod:`pprl.evaluation`).

Plotting and widgets live in :mod:`pprl.viz` and are never imported here.
"""

from __future__ import annotations

from ._version import __version__
from .bits import (
    clks_from_base64,
    clks_to_base64,
    pack_bits,
    popcount,
    read_clks,
    unpack_bits,
    write_clks,
)
from .encoding.encode import EncodeResult, encode, encode_with_mask
from .encoding.infer import infer_schema
from .encoding.schema import Schema, load_schema, person_schema
from .errors import (
    FieldError,
    FileFormatError,
    InputError,
    InvalidRecordError,
    NativeKernelError,
    NativeKernelWarning,
    PPRLError,
    SchemaError,
)
from .evaluation.diagnostics import (
    CorruptionRecall,
    ScoreHistogram,
    pair_completeness,
    recall_by_corruption,
    reduction_ratio,
    score_histogram,
)
from .evaluation.groups import GroupMetrics, evaluate_groups
from .evaluation.metrics import LinkageMetrics, ThresholdCurve, evaluate_links, threshold_curve
from .linkage.blocking import LSHParams, lsh_candidate_pairs
from .linkage.candidates import Candidates
from .linkage.chunks import CandidateChunks
from .linkage.dedupe import dedupe, self_candidates
from .linkage.matching import greedy_match, optimal_match
from .linkage.multiparty import (
    Groups,
    MultipartyCandidates,
    greedy_groups,
    multiparty_candidates,
    probabilistic_groups,
)
from .linkage.similarity import available_backends, candidate_pairs, dice_matrix
from .privacy import (
    FrontierResult,
    Guesses,
    frequency_attack,
    frontier,
    graph_attack,
    pattern_attack,
    privacy_report,
    score_guesses,
)
from .synthetic import make_dataset
from .tune import TuneResult, tune

__all__ = [
    "__version__",
    # base
    "Candidates",
    "PPRLError",
    "InputError",
    "SchemaError",
    "FieldError",
    "InvalidRecordError",
    "FileFormatError",
    "NativeKernelError",
    "NativeKernelWarning",
    "clks_from_base64",
    "clks_to_base64",
    "pack_bits",
    "popcount",
    "read_clks",
    "unpack_bits",
    "write_clks",
    # linkage
    "greedy_match",
    "optimal_match",
    "available_backends",
    "candidate_pairs",
    "dice_matrix",
    "CandidateChunks",
    "LSHParams",
    "lsh_candidate_pairs",
    # linkage of N parties, deduplication
    "Groups",
    "MultipartyCandidates",
    "greedy_groups",
    "multiparty_candidates",
    "probabilistic_groups",
    "dedupe",
    "self_candidates",
    "GroupMetrics",
    "evaluate_groups",
    # encoding
    "EncodeResult",
    "Schema",
    "encode",
    "encode_with_mask",
    "load_schema",
    "person_schema",
    "infer_schema",
    # data and analysis
    "LinkageMetrics",
    "ThresholdCurve",
    "evaluate_links",
    "threshold_curve",
    "ScoreHistogram",
    "score_histogram",
    "pair_completeness",
    "reduction_ratio",
    "CorruptionRecall",
    "recall_by_corruption",
    "make_dataset",
    # privacy (known attacks; not a guarantee)
    "Guesses",
    "FrontierResult",
    "frequency_attack",
    "frontier",
    "graph_attack",
    "pattern_attack",
    "privacy_report",
    "score_guesses",
    # tuning
    "TuneResult",
    "tune",
]
