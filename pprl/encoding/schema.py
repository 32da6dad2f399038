"""The linkage schema: how each column of a record becomes bits of a CLK.

pprl reads clkhash's linkage schema v3 (JSON) unchanged, so existing schemas
keep working and give byte-identical CLKs for the same secret.  Schemas of
versions 1 and 2 are converted to v3 on load, the way clkhash converts them.

:func:`load_schema` validates the whole document and reports every problem
at once, each with its JSON path, through :class:`~pprl.errors.SchemaError`.
The result is an immutable :class:`Schema` of :class:`Feature` objects.

Notes
-----
clkhash 0.18 reads the number of XOR folds from the key ``xor_folds`` in
``clkConfig`` and silently ignores ``xorFolds`` (the spelling its own v3
specification documents).  pprl does the same, so that both tools produce
the same bytes, and warns when ``xorFolds`` is set to a non-zero value.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from ..errors import FieldError, SchemaError
from .model import (
    BitsPerFeature,
    BitsPerToken,
    BlakeHash,
    DateFormat,
    DoubleHash,
    EnumFormat,
    ExactComparison,
    Feature,
    Hashing,
    IntegerFormat,
    KDFConfig,
    MissingValue,
    NgramComparison,
    NumericComparison,
    Schema,
    StringFormat,
)
from .validate import schema_from_dict

__all__ = [
    "Schema",
    "Feature",
    "KDFConfig",
    "StringFormat",
    "IntegerFormat",
    "DateFormat",
    "EnumFormat",
    "NgramComparison",
    "ExactComparison",
    "NumericComparison",
    "BitsPerToken",
    "BitsPerFeature",
    "DoubleHash",
    "BlakeHash",
    "MissingValue",
    "Hashing",
    "load_schema",
    "person_schema",
    "PERSON_SCHEMA_PATH",
]

#: Path of the shipped schema for the synthetic people of :mod:`pprl.synthetic`.
PERSON_SCHEMA_PATH = Path(str(resources.files("pprl") / "data" / "schemas" / "person.json"))


SchemaLike = Schema | str | os.PathLike | dict


def load_schema(schema: SchemaLike) -> Schema:
    """Load and validate a linkage schema.

    Parameters
    ----------
    schema : Schema, path-like or dict
        A clkhash linkage schema (v3; v1 and v2 are converted), as a JSON
        file or the parsed document.  A :class:`Schema` is returned as is.

    Returns
    -------
    Schema

    Raises
    ------
    SchemaError
        With every problem found, each naming its JSON path.  Also for a
        file that cannot be read or is not JSON.

    Examples
    --------
    >>> s = load_schema(PERSON_SCHEMA_PATH)
    >>> s.l, len(s.features)
    (1024, 12)
    """
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, dict):
        return schema_from_dict(schema, source=None)
    if isinstance(schema, (str, os.PathLike)):
        path = Path(schema)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SchemaError([FieldError("", "file not found")], source=str(path)) from None
        except UnicodeDecodeError as exc:
            raise SchemaError(
                [FieldError("", f"not UTF-8 text (byte {exc.start})")], source=str(path)
            ) from None
        except OSError as exc:
            raise SchemaError(
                [FieldError("", f"cannot read the file ({exc.strerror})")], source=str(path)
            ) from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(
                [FieldError("", f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                f"column {exc.colno}")],
                source=str(path),
            ) from None
        return schema_from_dict(doc, source=str(path))
    raise SchemaError(
        [FieldError("", f"expected a path, a dict or a Schema, got {type(schema).__name__}")]
    )


def person_schema() -> Schema:
    """The shipped schema for the synthetic people of :mod:`pprl.synthetic`.

    Columns: ``rec_id`` (ignored), ``given_name``, ``surname``, ``sex``,
    ``date_of_birth``, ``street_number``, ``street_address``, ``suburb``,
    ``postcode``, ``state``, ``phone``, ``email``.  It is a valid clkhash v3
    schema, so clkhash gives the same CLKs for it.
    """
    return load_schema(PERSON_SCHEMA_PATH)
