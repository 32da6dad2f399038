"""pprl: privacy-preserving record linkage with Bloom filter encodings.

Custodians encode identifiers locally into CLKs with a shared secret
(:func:`encode`); a linkage unit compares CLKs with the Sørensen–Dice
coefficient (:func:`candidate_pairs`) and solves a one-to-one mapping
(:func:`greedy_match`, :func:`optimal_match`); researchers evaluate against
synthetic ground truth (:mod:`pprl.synthetic`, :mod:`pprl.evaluation`).

Plotting and widgets live in :mod:`pprl.viz` and are never imported here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import (
    FieldError,
    FileFormatError,
    InputError,
    InvalidRecordError,
    NativeKernelError,
    NativeKernelWarning,
    PPRLError,
    SchemaError,
    TooManyCandidatesError,
)

# Everything else is imported on first use (PEP 562), so that ``import pprl``
# and ``pprl --help`` pull in neither pandas nor pyarrow nor scipy; a name's
# module is imported when the name is first read.  tests/test_lazy_imports.py
# keeps it so.
_LAZY = {
    "__version__": "._version",
    "clks_from_base64": ".bits",
    "clks_to_base64": ".bits",
    "pack_bits": ".bits",
    "popcount": ".bits",
    "read_clks": ".bits",
    "unpack_bits": ".bits",
    "write_clks": ".bits",
    "EncodeResult": ".encoding.encode",
    "encode": ".encoding.encode",
    "encode_with_mask": ".encoding.encode",
    "infer_schema": ".encoding.infer",
    "Schema": ".encoding.schema",
    "load_schema": ".encoding.schema",
    "person_schema": ".encoding.schema",
    "CorruptionRecall": ".evaluation.diagnostics",
    "ScoreHistogram": ".evaluation.diagnostics",
    "pair_completeness": ".evaluation.diagnostics",
    "recall_by_corruption": ".evaluation.diagnostics",
    "reduction_ratio": ".evaluation.diagnostics",
    "score_histogram": ".evaluation.diagnostics",
    "LinkageMetrics": ".evaluation.metrics",
    "ThresholdCurve": ".evaluation.metrics",
    "evaluate_links": ".evaluation.metrics",
    "threshold_curve": ".evaluation.metrics",
    "GroupMetrics": ".evaluation.groups",
    "evaluate_groups": ".evaluation.groups",
    "QualityEstimate": ".evaluation.quality",
    "estimate_quality": ".evaluation.quality",
    "read_quality": ".evaluation.quality",
    "BlockingChoice": ".linkage.autoblock",
    "choose_blocking": ".linkage.autoblock",
    "LSHParams": ".linkage.blocking",
    "lsh_candidate_pairs": ".linkage.blocking",
    "Candidates": ".linkage.candidates",
    "CandidateChunks": ".linkage.chunks",
    "dedupe": ".linkage.dedupe",
    "self_candidates": ".linkage.dedupe",
    "Groups": ".linkage.multiparty",
    "MultipartyCandidates": ".linkage.multiparty",
    "greedy_groups": ".linkage.multiparty",
    "multiparty_candidates": ".linkage.multiparty",
    "probabilistic_groups": ".linkage.multiparty",
    "greedy_match": ".linkage.matching",
    "optimal_match": ".linkage.matching",
    "available_backends": ".linkage.similarity",
    "candidate_pairs": ".linkage.similarity",
    "dice_matrix": ".linkage.similarity",
    "frequency_attack": ".privacy.frequency",
    "FrontierResult": ".privacy.frontier",
    "frontier": ".privacy.frontier",
    "graph_attack": ".privacy.graph",
    "Guesses": ".privacy.guesses",
    "ShuffledAttack": ".privacy.shuffled",
    "score_guesses": ".privacy.guesses",
    "pattern_attack": ".privacy.pattern",
    "privacy_report": ".privacy.report",
    "make_dataset": ".synthetic.make",
    "TuneResult": ".tuning.search",
    "tune": ".tuning.search",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pprl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later reads skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # what static analysers and IDEs see
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
    from .evaluation.diagnostics import (
        CorruptionRecall,
        ScoreHistogram,
        pair_completeness,
        recall_by_corruption,
        reduction_ratio,
        score_histogram,
    )
    from .evaluation.groups import GroupMetrics, evaluate_groups
    from .evaluation.metrics import (
        LinkageMetrics,
        ThresholdCurve,
        evaluate_links,
        threshold_curve,
    )
    from .evaluation.quality import QualityEstimate, estimate_quality, read_quality
    from .linkage.autoblock import BlockingChoice, choose_blocking
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
    from .privacy.frequency import frequency_attack
    from .privacy.frontier import FrontierResult, frontier
    from .privacy.graph import graph_attack
    from .privacy.guesses import Guesses, score_guesses
    from .privacy.pattern import pattern_attack
    from .privacy.report import privacy_report
    from .privacy.shuffled import ShuffledAttack
    from .synthetic.make import make_dataset
    from .tuning.search import TuneResult, tune

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
    "TooManyCandidatesError",
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
    "BlockingChoice",
    "choose_blocking",
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
    "ShuffledAttack",
    # tuning
    "TuneResult",
    "tune",
    # quality without the truth
    "QualityEstimate",
    "estimate_quality",
    "read_quality",
]
