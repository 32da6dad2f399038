"""One record's journey from its values to the bits of its CLK, field by field.

The workshop view (notebook 04, the dashboard's third tab): which tokens a
value gives, which bits each field sets on its own, how they add up to the
CLK, and how two records' shared bits give their Dice coefficient.  Every
bit comes from the encoder itself (one field included at a time), so what
is shown is exactly what :func:`pprl.encode` computes.  Nothing here draws;
:mod:`pprl.viz.dashboard` shows it.

Examples
--------
>>> import pandas as pd
>>> from pprl.encoding.schema import PERSON_SCHEMA_PATH
>>> import json
>>> schema = json.loads(PERSON_SCHEMA_PATH.read_text())
>>> people = pd.DataFrame({"rec_id": ["1", "2"], "given_name": ["zoe", "zoey"],
...                        "surname": ["smith", "smith"], "sex": ["f", "f"],
...                        "date_of_birth": ["1990-01-02", "1990-01-02"],
...                        "street_number": ["4", "4"], "street_address": ["main st", "main st"],
...                        "suburb": ["a", "a"], "postcode": ["2000", "2000"],
...                        "state": ["nsw", "nsw"], "phone": ["", ""], "email": ["", ""]})
>>> a = record_journey(people.iloc[0], schema, b"a workshop secret")
>>> a.field("given_name").tokens[:3]
(' z', 'zo', 'oe')
>>> b = record_journey(people.iloc[1], schema, b"a workshop secret")
>>> cmp = compare_journeys(a, b)
>>> 0.8 < cmp.dice < 1.0
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bits import popcount, unpack_bits
from ..encoding.model import NgramComparison
from ..encoding.schema import load_schema
from ..encoding.tokenize import tokens_for
from ..errors import InputError
from .params import EncodingParams, apply_params

__all__ = ["FieldJourney", "RecordJourney", "PairComparison", "record_journey",
           "compare_journeys"]


@dataclass(frozen=True)
class FieldJourney:
    """One field of one record on its way into the CLK.

    Attributes
    ----------
    name : str
        The feature's identifier.
    value : str
        The record's value (as the encoder reads it; ``""`` when missing).
    tokens : tuple of str
        The tokens the value gives under the schema's comparison.
    bits : ndarray of int64
        Sorted indices of the bits this field sets on its own.
    """

    name: str
    value: str
    tokens: tuple[str, ...]
    bits: np.ndarray


@dataclass(frozen=True)
class RecordJourney:
    """Every hashed field of one record, and the CLK they make together.

    Attributes
    ----------
    fields : tuple of FieldJourney
    clk : ndarray of uint8, shape (l // 8,)
        The record's CLK from the encoder (all fields at once).
    l : int
        The filter length in bits.
    """

    fields: tuple[FieldJourney, ...]
    clk: np.ndarray
    l: int  # noqa: E741

    def field(self, name: str) -> FieldJourney:
        """The journey of the field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise InputError(f"no hashed field {name!r}; fields: "
                         f"{', '.join(f.name for f in self.fields)}")

    def owners(self) -> np.ndarray:
        """Which field set each of the ``l`` bits.

        ``-1`` unset, ``i`` set by field ``i`` alone, ``len(fields)`` set by
        two or more fields (a collision).
        """
        owner = np.full(self.l, -1, dtype=np.int64)
        for i, f in enumerate(self.fields):
            clash = owner[f.bits] >= 0
            owner[f.bits] = np.where(clash, len(self.fields), i)
        return owner


@dataclass(frozen=True)
class PairComparison:
    """Two records compared field by field and as whole CLKs.

    Attributes
    ----------
    rows : list of dict
        Per field: ``field``, ``a``, ``b`` (values), ``bits_a``, ``bits_b``,
        ``shared`` and ``dice`` (the field's own Dice coefficient).
    bits_a, bits_b, shared : int
        Popcounts of the two CLKs and of their intersection.
    dice : float
        ``2 * shared / (bits_a + bits_b)``, the Dice coefficient of the CLKs.
    """

    rows: list[dict[str, Any]]
    bits_a: int
    bits_b: int
    shared: int
    dice: float


def _schema_doc(schema: Any) -> dict:
    if isinstance(schema, Mapping):
        return dict(schema)
    return json.loads(Path(schema).read_text(encoding="utf-8"))


def record_journey(record: Mapping[str, Any], schema: Any, secret: bytes) -> RecordJourney:
    """Follow one record from its values to its CLK.

    Parameters
    ----------
    record : mapping or pandas.Series
        One record, keyed by column name (the schema's feature identifiers).
    schema : dict or path
        A clkhash v3 linkage schema without hardening steps (their bits
        belong to no single field).
    secret : bytes
        The shared secret (never shown).

    Returns
    -------
    RecordJourney

    Raises
    ------
    InputError
        For a schema with hardening, or a record missing a hashed field.
    """
    import pandas as pd

    from ..encoding.encode import encode

    doc = _schema_doc(schema)
    parsed = load_schema(doc)
    if getattr(parsed, "hardening", None):
        raise InputError("record_journey: the schema has hardening steps, whose bits belong "
                         "to no single field; use a schema without them")
    frame = pd.DataFrame([{k: ("" if v is None else v) for k, v in dict(record).items()}])
    fields = []
    for f in parsed.features:
        if f.ignored:
            continue
        if f.identifier not in frame.columns:
            raise InputError(f"record_journey: the record has no column {f.identifier!r}, "
                             "a hashed feature of the schema")
        value = frame.iloc[0][f.identifier]
        missing = value is None or (isinstance(value, float) and np.isnan(value))
        value = "" if missing else str(value)
        only = apply_params(doc, EncodingParams(include=(f.identifier,)))
        clk = encode(frame, only, secret, progress=False)
        bits = np.flatnonzero(unpack_bits(clk)[0]).astype(np.int64)
        comparison = f.hashing.comparison
        tokens = tuple(tokens_for(value, comparison)) if value else ()
        if isinstance(comparison, NgramComparison) and not value:
            tokens = ()
        fields.append(FieldJourney(f.identifier, value, tokens, bits))
    full = encode(frame, doc, secret, progress=False)[0]
    return RecordJourney(tuple(fields), full, parsed.l)


def compare_journeys(a: RecordJourney, b: RecordJourney) -> PairComparison:
    """Compare two records' journeys field by field and as CLKs.

    Parameters
    ----------
    a, b : RecordJourney
        Journeys under the same schema and secret.

    Returns
    -------
    PairComparison
    """
    if a.l != b.l or [f.name for f in a.fields] != [f.name for f in b.fields]:
        raise InputError("compare_journeys: the two journeys come from different schemas")
    rows = []
    for fa, fb in zip(a.fields, b.fields, strict=True):
        shared = len(np.intersect1d(fa.bits, fb.bits))
        total = len(fa.bits) + len(fb.bits)
        rows.append({"field": fa.name, "a": fa.value, "b": fb.value, "bits_a": len(fa.bits),
                     "bits_b": len(fb.bits), "shared": shared,
                     "dice": 2 * shared / total if total else 0.0})
    na, nb = int(popcount(a.clk[None, :])[0]), int(popcount(b.clk[None, :])[0])
    both = int(popcount((a.clk & b.clk)[None, :])[0])
    return PairComparison(rows, na, nb, both, 2 * both / (na + nb) if na + nb else 0.0)
