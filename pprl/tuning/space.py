"""What the tuner searches: per-column comparison and weight, and the CLK length.

Each described column (not ``ignore``) becomes one schema feature with

* a *comparison*: ``ngram1``/``ngram2``/``ngram3`` (n-grams), ``pos1``/``pos2``
  (positional n-grams) or ``exact``; the choices depend on the column's kind
  (:data:`CHOICES`): free text tries n-grams and positional n-grams, digit
  codes (dates, postcodes, numbers) positional unigrams and n-grams, short
  categorical values exact matching;
* a weight, ``bitsPerToken`` from 0 to :data:`MAX_BITS` (0 leaves the column
  out of the encoding: the search may find a column hurts more than it helps).

plus the CLK length ``l`` from :data:`LENGTHS`.  :data:`TEMPLATE` is the
starting point (the first trial): what a careful person would write by hand.
Every feature is a clkhash v3 ``string`` feature with blank values missing,
so dates or codes that do not parse on real data still encode.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from ..synthetic.columns import ColumnSpec

__all__ = ["CHOICES", "TEMPLATE", "LENGTHS", "MAX_BITS", "FeatureChoice", "Choice",
           "template_choice", "feature_spec", "build_schema"]

_TEXT = ("ngram2", "ngram3", "ngram1", "pos1", "pos2")
_CODE = ("pos1", "ngram2", "ngram1", "pos2")
_SHORT = ("exact", "ngram2", "ngram1")

#: kind -> comparisons the search tries (the first is the template's).
CHOICES: dict[str, tuple[str, ...]] = {
    "first_name": _TEXT, "last_name": _TEXT, "street_address": _TEXT,
    "address_extra": _TEXT, "locality": _TEXT, "email": _TEXT,
    "date_of_birth": _CODE, "street_number": _CODE, "postcode": _CODE, "phone": _CODE,
    "id_number": _CODE,
    "sex": _SHORT, "state": _SHORT,
}
#: kind -> (comparison, bitsPerToken) of the first trial.
TEMPLATE: dict[str, tuple[str, int]] = {
    "first_name": ("ngram2", 15), "last_name": ("ngram2", 15),
    "street_address": ("ngram2", 6), "address_extra": ("ngram2", 4),
    "locality": ("ngram2", 8), "email": ("ngram2", 0),
    "date_of_birth": ("pos1", 10), "street_number": ("pos1", 10),
    "postcode": ("pos1", 10), "phone": ("pos1", 0), "id_number": ("pos1", 10),
    "sex": ("exact", 20), "state": ("exact", 20),
}
#: CLK lengths (bits) the search tries; the first is the template's.
LENGTHS: tuple[int, ...] = (1024, 512, 2048)
#: Largest bitsPerToken the search tries.
MAX_BITS = 30


@dataclass(frozen=True)
class FeatureChoice:
    """Comparison and weight of one column (``bits == 0``: not encoded)."""

    comparison: str
    bits: int


@dataclass(frozen=True)
class Choice:
    """One point of the search space: a choice per linked column, and ``l``."""

    features: tuple[tuple[str, FeatureChoice], ...]
    l: int  # noqa: E741 -- the schema's name

    def to_dict(self) -> dict:
        """The choice as JSON: ``l`` and each encoded column's comparison and bits."""
        return {"l": self.l, "features": {name: {"comparison": f.comparison, "bitsPerToken": f.bits}
                                          for name, f in self.features}}


def template_choice(spec: ColumnSpec) -> Choice:
    """The starting point: :data:`TEMPLATE` for each linked column."""
    feats = tuple((c.name, FeatureChoice(*TEMPLATE[c.kind])) for c in spec.linked)
    if not any(f.bits for _, f in feats):  # e.g. only phone and e-mail described
        feats = tuple((n, FeatureChoice(f.comparison, 10)) for n, f in feats)
    return Choice(feats, LENGTHS[0])


def _comparison(name: str) -> dict:
    if name == "exact":
        return {"type": "exact"}
    q = int(name[-1])
    out: dict = {"type": "ngram", "n": q}
    if name.startswith("pos"):
        out["positional"] = True
    return out


def feature_spec(name: str, choice: FeatureChoice, description: str = "") -> dict:
    """The clkhash v3 feature dict of one column."""
    if choice.bits == 0:
        return {"identifier": name, "ignored": True,
                "description": f"{description}; left out by the tuner".lstrip("; ")}
    return {
        "identifier": name,
        "description": description,
        "format": {"type": "string", "encoding": "utf-8"},
        "hashing": {
            "comparison": _comparison(choice.comparison),
            "strategy": {"bitsPerToken": int(choice.bits)},
            "hash": {"type": "blakeHash"},
            "missingValue": {"sentinel": ""},
        },
    }


def build_schema(spec: ColumnSpec, choice: Choice, rng: np.random.Generator | None = None,
                 salt: bytes | None = None) -> dict:
    """A clkhash v3 schema over every described column, in the description's order.

    ``salt`` (the HKDF salt) defaults to 16 bytes drawn from ``rng``; it is
    not secret (the linkage secret is), but differs between tuned schemas.
    """
    if salt is None:
        salt = np.random.default_rng(rng).bytes(16)
    chosen = dict(choice.features)
    features = []
    for c in spec.columns:
        desc = c.describe()
        if c.kind == "ignore":
            features.append({"identifier": c.name, "ignored": True, "description": desc})
        else:
            features.append(feature_spec(c.name, chosen[c.name], desc))
    return {
        "version": 3,
        "clkConfig": {
            "l": int(choice.l),
            "kdf": {"type": "HKDF", "hash": "SHA256",
                    "salt": base64.b64encode(salt).decode("ascii"),
                    "info": base64.b64encode(b"pprl tune").decode("ascii"),
                    "keySize": 64},
        },
        "features": features,
    }
