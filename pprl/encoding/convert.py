"""Convert linkage schemas of versions 1 and 2 to version 3, as clkhash does.

v1 -> v2: the global ``k`` times each feature's ``weight`` (rounded) becomes the
feature's ``strategy.k``; a weight of 0 makes the feature ignored; the global
``hash`` moves into each feature.  v2 -> v3: ``strategy.k`` becomes
``bitsPerToken``, ``strategy.numBits`` becomes ``bitsPerFeature``, and
``ngram``/``positional`` become ``comparison: {"type": "ngram", ...}``.

A document too broken to convert is refused with paths, and with the advice
to fix it or convert it by hand to v3.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import FieldError

__all__ = ["convert_to_v3"]

_HINT = ("; fix the v{v} schema or rewrite it as version 3 "
         "(clkhash.schema.convert_to_latest_version does this)")


def _intlike(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _v1_to_v2(doc: dict, problems: list[FieldError]) -> dict:
    cfg = doc.get("clkConfig")
    if not isinstance(cfg, dict):
        problems.append(FieldError("clkConfig", "expected an object" + _HINT.format(v=1)))
        return doc
    for key in ("k", "hash"):
        if key not in cfg:
            problems.append(FieldError(f"clkConfig.{key}",
                                       "required key is missing" + _HINT.format(v=1)))
    k = cfg.get("k")
    if not isinstance(k, (int, float)) or isinstance(k, bool):
        if "k" in cfg:
            problems.append(FieldError("clkConfig.k", f"expected a number, got {k!r}"))
        return doc
    features = []
    for i, f in enumerate(doc.get("features") or []):
        if not isinstance(f, dict) or f.get("ignored", False):
            features.append(f)
            continue
        hashing = f.get("hashing")
        if not isinstance(hashing, dict):
            features.append(f)
            continue
        weight = hashing.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool):
            problems.append(FieldError(f"features[{i}].hashing.weight",
                                       f"expected a number, got {weight!r}"))
            continue
        if weight == 0:
            features.append({"identifier": f.get("identifier"), "ignored": True})
            continue
        g = copy.deepcopy(f)
        g["hashing"].pop("weight", None)
        g["hashing"]["strategy"] = {"k": int(round(weight * k))}
        g["hashing"]["hash"] = copy.deepcopy(cfg.get("hash"))
        features.append(g)
    out_cfg = {"l": cfg.get("l"), "xor_folds": cfg.get("xor_folds", 0), "kdf": cfg.get("kdf")}
    return {"version": 2, "clkConfig": out_cfg, "features": features}


def _v2_to_v3(doc: dict, problems: list[FieldError]) -> dict:
    doc = copy.deepcopy(doc)
    doc["version"] = 3
    feats = doc.get("features")
    if not isinstance(feats, list):
        return doc
    for i, f in enumerate(feats):
        if not isinstance(f, dict) or f.get("ignored", False):
            continue
        h = f.get("hashing")
        if not isinstance(h, dict):
            continue
        strategy = h.get("strategy")
        if isinstance(strategy, dict):
            if "k" in strategy:
                strategy["bitsPerToken"] = _intlike(strategy.pop("k"))
            elif "numBits" in strategy:
                strategy["bitsPerFeature"] = _intlike(strategy.pop("numBits"))
        if "ngram" not in h:
            problems.append(FieldError(f"features[{i}].hashing.ngram",
                                       "required key is missing" + _HINT.format(v=2)))
            continue
        h["comparison"] = {"type": "ngram", "n": _intlike(h.pop("ngram")),
                           "positional": h.pop("positional", False)}
    return doc


def convert_to_v3(doc: dict) -> tuple[dict, list[FieldError]]:
    """Return the v3 form of a v1 or v2 document and the problems that stopped it."""
    problems: list[FieldError] = []
    if doc.get("version") == 1:
        doc = _v1_to_v2(doc, problems)
    if problems:
        return doc, problems
    if doc.get("version") == 2:
        doc = _v2_to_v3(doc, problems)
    return doc, problems
