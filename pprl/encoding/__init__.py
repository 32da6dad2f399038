"""Encoding: records, a linkage schema and a secret become CLKs.

This is the custodian's side of the pipeline and it never imports linkage,
evaluation or anything above it.  :mod:`.schema` loads and validates linkage
schemas (with :mod:`.model`, :mod:`.validate`, :mod:`.convert` and
:mod:`.formats`), :mod:`.tokenize` turns values into tokens,
:mod:`.hashing` turns tokens into bit positions, and :mod:`.encode` puts
them together.
"""

from __future__ import annotations

from .encode import EncodeResult, encode, encode_with_mask
from .schema import PERSON_SCHEMA_PATH, Schema, load_schema, person_schema

__all__ = [
    "EncodeResult",
    "PERSON_SCHEMA_PATH",
    "Schema",
    "encode",
    "encode_with_mask",
    "load_schema",
    "person_schema",
]
