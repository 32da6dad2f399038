"""Encoding: records, a linkage schema and a secret become CLKs.

This is the custodian's side of the pipeline and it never imports linkage,
evaluation or anything above it.  :mod:`.schema` loads and validates linkage
schemas (with :mod:`.model`, :mod:`.validate`, :mod:`.convert` and
:mod:`.formats`), :mod:`.tokenize` turns values into tokens,
:mod:`.hashing` turns tokens into bit positions, and :mod:`.encode` puts
them together.  The encoder itself is :func:`pprl.encode`: this package does not
re-export it, so that ``pprl.encoding.encode`` stays the module's name.
"""

from __future__ import annotations

from .encode import EncodeResult, encode_with_mask
from .schema import PERSON_SCHEMA_PATH, Schema, load_schema, person_schema

__all__ = [
    "EncodeResult",
    "PERSON_SCHEMA_PATH",
    "Schema",
    "encode_with_mask",
    "load_schema",
    "person_schema",
]
