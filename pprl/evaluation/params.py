"""The parameter explorer's knobs and how they change a clkhash v3 schema dict."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Literal

from .._validation import param_error

__all__ = ["EncodingParams", "apply_params", "hashed_features"]

Strategy = Literal["schema", "bitsPerToken", "bitsPerFeature"]


@dataclass(frozen=True)
class EncodingParams:
    """The knobs of the parameter explorer; ``None`` keeps the schema's own value.

    Attributes
    ----------
    l : int, default=1024
        CLK length in bits after folding (multiple of 8).
    xor_folds : int, default=0
        XOR folds (the filter is hashed at ``l * 2**xor_folds`` bits, then folded).
    strategy : {"schema", "bitsPerToken", "bitsPerFeature"}, default="schema"
        ``"schema"`` keeps each feature's own strategy; otherwise every hashed
        feature uses ``k`` bits per token or per feature.
    k : int, default=15
    q : int or None
        n-gram length for the free-text features (n-gram, not positional in the schema).
    positional : bool or None
        Positional n-grams for those features.
    include : tuple of str or None
        Hashed features to keep; the others are ignored.  None keeps all.
    hardening : str or None
        ``clkConfig.hardening`` as a JSON array (a string, so the knobs stay
        hashable), e.g. ``'[{"kind": "balance"}]'``; ``"[]"`` removes the
        schema's hardening, None keeps it.
    """

    l: int = 1024  # noqa: E741 -- the schema's name
    xor_folds: int = 0
    strategy: Strategy = "schema"
    k: int = 15
    q: int | None = None
    positional: bool | None = None
    include: tuple[str, ...] | None = None
    hardening: str | None = None


def _text_features(schema: dict) -> list[str]:
    """Identifiers of n-gram features on strings that the schema does not make positional."""
    out = []
    for f in schema.get("features", []):
        comp = f.get("hashing", {}).get("comparison", {})
        if (not f.get("ignored") and comp.get("type") == "ngram"
                and f.get("format", {}).get("type") == "string" and not comp.get("positional")):
            out.append(f["identifier"])
    return out


def hashed_features(schema: dict) -> list[str]:
    """Identifiers of the features a schema dict hashes (not ignored)."""
    return [f["identifier"] for f in schema.get("features", []) if not f.get("ignored")]


def apply_params(schema: dict, params: EncodingParams) -> dict:
    """A copy of a clkhash v3 schema dict with the explorer's knobs applied.

    ``q`` and ``positional`` change only free-text features (string n-gram
    features that are not positional in ``schema``); dates, numbers and
    positional codes keep their comparison.

    Raises
    ------
    InputError
        For an ``include`` name that is not a hashed feature, or a bad knob.
    """
    func = "apply_params"
    if params.l < 8 or params.l % 8:
        raise param_error("l", func, "a positive multiple of 8", params.l)
    if params.xor_folds < 0:
        raise param_error("xor_folds", func, "a non-negative integer", params.xor_folds)
    if params.strategy not in ("schema", "bitsPerToken", "bitsPerFeature"):
        raise param_error("strategy", func, "'schema', 'bitsPerToken' or 'bitsPerFeature'",
                          params.strategy)
    if params.k < 1:
        raise param_error("k", func, "a positive integer", params.k)
    if params.q is not None and params.q < 1:
        raise param_error("q", func, "a positive integer or None", params.q)
    out = copy.deepcopy(schema)
    hashed = hashed_features(out)
    if params.include is not None:
        unknown = sorted(set(params.include) - set(hashed))
        if unknown:
            raise param_error("include", func, f"names of hashed features {hashed}", unknown)
    text = set(_text_features(out))
    cfg = out.setdefault("clkConfig", {})
    cfg["l"] = int(params.l)
    cfg.pop("xorFolds", None)  # clkhash 0.18 reads only 'xor_folds'
    cfg["xor_folds"] = int(params.xor_folds)
    if params.hardening is not None:
        try:
            steps = json.loads(params.hardening)
        except (TypeError, ValueError):
            raise param_error("hardening", func, "a JSON array of hardening steps",
                              params.hardening) from None
        if steps:
            cfg["hardening"] = steps
        else:
            cfg.pop("hardening", None)
    for i, f in enumerate(out["features"]):
        ident = f["identifier"]
        if f.get("ignored"):
            continue
        if params.include is not None and ident not in params.include:
            out["features"][i] = {"identifier": ident, "ignored": True}
            continue
        h = f["hashing"]
        if ident in text:
            if params.q is not None:
                h["comparison"]["n"] = int(params.q)
            if params.positional is not None:
                h["comparison"]["positional"] = bool(params.positional)
        if params.strategy != "schema":
            h["strategy"] = {params.strategy: int(params.k)}
    return out
