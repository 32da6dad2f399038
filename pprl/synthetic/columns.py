"""Column descriptions: the user's column names mapped to kinds the generator knows.

A description is a small JSON object, in the order of the user's file::

    {"patient_key": "ignore", "first": "first_name", "middle": "first_name",
     "family": "last_name", "gender": "sex", "born": "date_of_birth:%d/%m/%Y",
     "house_no": "street_number", "street": "street_address", "unit": "address_extra",
     "town": "locality", "zip": "postcode", "region": "state", "mobile": "phone",
     "health_no": "id_number:10"}

Kinds (:data:`COLUMN_KINDS`): ``first_name``, ``last_name``, ``sex``,
``date_of_birth[:FORMAT]`` (a ``strftime`` format, default ``%Y-%m-%d``),
``street_number``, ``street_address``, ``address_extra`` (unit, building or
property names), ``locality``, ``postcode``, ``state``, ``phone``, ``email``,
``id_number[:LENGTH]`` (digit strings, default 9 digits) and ``ignore`` (a
column the linkage does not use; generated as random identifiers).

Values are generated under the kind's *field* (:data:`KIND_FIELDS`; the
names the corruption configuration uses) and written under the user's
column name.  A kind may describe several columns (a middle name as a second
``first_name``, two phone numbers): each further column gets values drawn
independently of the first, corrupted with the same kinds and rates (field
corruptions only; a move changes the first address columns).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import read_json_file
from ..errors import InputError
from .generate import _rec_ids

__all__ = ["COLUMN_KINDS", "KIND_FIELDS", "EXTRA_PROBABILITIES", "Column", "ColumnSpec",
           "read_columns"]

#: kind -> generator field (the name used by ``CorruptionConfig``).
KIND_FIELDS: dict[str, str] = {
    "first_name": "given_name",
    "last_name": "surname",
    "sex": "sex",
    "date_of_birth": "date_of_birth",
    "street_number": "street_number",
    "street_address": "street_address",
    "address_extra": "address_extra",
    "locality": "suburb",
    "postcode": "postcode",
    "state": "state",
    "phone": "phone",
    "email": "email",
    "id_number": "id_number",
    "ignore": "",
}
#: Default corruption of the fields only a description asks for (the rest of the
#: defaults are ``pprl.synthetic.config.DEFAULT_PROBABILITIES``).
EXTRA_PROBABILITIES: dict[str, dict[str, float]] = {
    "address_extra": {"typo_substitute": 0.01, "typo_insert": 0.005, "typo_delete": 0.005,
                      "phonetic": 0.01, "abbreviate": 0.02, "missing": 0.05},
    "id_number": {"typo_substitute": 0.01, "typo_delete": 0.005, "typo_transpose": 0.01,
                  "ocr": 0.005, "missing": 0.01},
}
#: Kinds a column description may use.
COLUMN_KINDS: tuple[str, ...] = tuple(KIND_FIELDS)

_DEFAULT_DATE = "%Y-%m-%d"
_DEFAULT_ID_LENGTH = 9
_PROBE = _dt.date(1987, 11, 23)  # day, month and year all differ in every directive


@dataclass(frozen=True)
class Column:
    """One described column.

    Attributes
    ----------
    name : str
        The user's column name.
    kind : str
        One of :data:`COLUMN_KINDS`.
    date_format : str or None
        ``strftime`` format of a ``date_of_birth`` column.
    length : int or None
        Digits of an ``id_number`` column.
    """

    name: str
    kind: str
    date_format: str | None = None
    length: int | None = None

    @property
    def field(self) -> str:
        """The generator field behind this column ('' for ``ignore``)."""
        return KIND_FIELDS[self.kind]

    def describe(self) -> str:
        """The kind as written in a description (``date_of_birth:%Y%m%d``)."""
        if self.kind == "date_of_birth":
            return f"{self.kind}:{self.date_format}"
        if self.kind == "id_number":
            return f"{self.kind}:{self.length}"
        return self.kind


def _date_format_problem(fmt: str) -> str | None:
    """Why ``fmt`` cannot write and read back a date of birth, or None."""
    try:
        text = _PROBE.strftime(fmt)
        back = _dt.datetime.strptime(text, fmt).date()
    except (ValueError, TypeError):
        return "is not a date format that strftime and strptime both understand"
    if back != _PROBE:
        return "must contain a day, a month and a year (e.g. %Y%m%d or %d/%m/%Y)"
    return None


def _parse_kind(name: str, text: object) -> Column:
    where = f"column {name!r}"
    if not isinstance(text, str):
        raise InputError(f"{where}: expected a kind as a string (one of "
                         f"{', '.join(COLUMN_KINDS)}), got {text!r}")
    kind, sep, arg = text.partition(":")
    kind = kind.strip()
    if kind not in KIND_FIELDS:
        raise InputError(f"{where}: unknown kind {kind!r}; expected one of "
                         f"{', '.join(COLUMN_KINDS)}")
    if kind == "date_of_birth":
        fmt = arg if sep else _DEFAULT_DATE
        problem = _date_format_problem(fmt)
        if problem:
            raise InputError(f"{where}: date format {fmt!r} {problem}")
        return Column(name, kind, date_format=fmt)
    if kind == "id_number":
        if not sep:
            return Column(name, kind, length=_DEFAULT_ID_LENGTH)
        if not arg.strip().isdigit() or not 1 <= int(arg) <= 32:
            raise InputError(f"{where}: id_number length must be an integer from 1 to 32, "
                             f"got {arg!r}")
        return Column(name, kind, length=int(arg))
    if sep:
        raise InputError(f"{where}: kind {kind!r} takes no ':' argument, got {text!r}")
    return Column(name, kind)


@dataclass(frozen=True)
class ColumnSpec:
    """A validated column description, in the user's column order.

    Examples
    --------
    >>> spec = ColumnSpec.from_dict({"id": "ignore", "fn": "first_name",
    ...                              "dob": "date_of_birth:%d/%m/%Y"})
    >>> spec.names, spec["dob"].date_format
    (('id', 'fn', 'dob'), '%d/%m/%Y')
    """

    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        if not self.columns:
            raise InputError("column description: expected at least one column")
        seen_name: set[str] = set()
        for c in self.columns:
            if c.name in seen_name:
                raise InputError(f"column {c.name!r}: described twice")
            seen_name.add(c.name)
        if not self.linked:
            raise InputError("column description: every column is 'ignore'; "
                             "describe at least one column to link on")

    @classmethod
    def from_dict(cls, data: object) -> ColumnSpec:
        """From ``{column: kind}`` (or a list of ``[column, kind]`` pairs)."""
        if isinstance(data, Mapping):
            items = list(data.items())
        elif isinstance(data, (list, tuple)) and all(
                isinstance(x, (list, tuple)) and len(x) == 2 for x in data):
            items = [tuple(x) for x in data]
        else:
            raise InputError("column description: expected a JSON object of "
                             "column name: kind")
        for name, _ in items:
            if not isinstance(name, str) or not name:
                raise InputError(f"column description: column names must be non-empty "
                                 f"strings, got {name!r}")
        return cls(tuple(_parse_kind(n, k) for n, k in items))

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ColumnSpec:
        """Read a description file; a column named twice is an error."""
        p = Path(path)

        def pairs(items):
            names = [k for k, _ in items]
            for k in names:
                if names.count(k) > 1:
                    raise InputError(f"{p}: column {k!r}: described twice")
            return items

        data = read_json_file(p, "column description", object_pairs_hook=pairs)
        if not isinstance(data, list) or not all(isinstance(x, tuple) for x in data):
            raise InputError(f"{p}: expected a JSON object of column name: kind")
        try:
            return cls.from_dict(data)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None

    @property
    def names(self) -> tuple[str, ...]:
        """The user's column names, in file order."""
        return tuple(c.name for c in self.columns)

    @property
    def linked(self) -> tuple[Column, ...]:
        """The columns that are not ``ignore``."""
        return tuple(c for c in self.columns if c.kind != "ignore")

    @property
    def slots(self) -> dict[str, str]:
        """Linked column -> where the generator keeps its values.

        The field for the first column of a kind, ``field#2``, ``field#3``, ...
        for further ones.
        """
        count: dict[str, int] = {}
        out = {}
        for c in self.linked:
            count[c.field] = count.get(c.field, 0) + 1
            out[c.name] = c.field if count[c.field] == 1 else f"{c.field}#{count[c.field]}"
        return out

    def __getitem__(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, str]:
        """The JSON form (round-trips through :meth:`from_dict`)."""
        return {c.name: c.describe() for c in self.columns}


def read_columns(columns: object) -> ColumnSpec:
    """A :class:`ColumnSpec` from a spec, a mapping, or a path to a JSON file."""
    if isinstance(columns, ColumnSpec):
        return columns
    if isinstance(columns, (str, os.PathLike)):
        return ColumnSpec.from_json(columns)
    return ColumnSpec.from_dict(columns)


def _format_dates(values: np.ndarray, fmt: str) -> np.ndarray:
    if fmt == "%Y-%m-%d":
        return values
    import datetime as dt

    memo: dict[str, str] = {"": ""}
    out = []
    for v in values.tolist():
        if v not in memo:
            memo[v] = dt.date.fromisoformat(v).strftime(fmt)
        out.append(memo[v])
    return np.array(out, dtype=object)


def _render(cols: dict, spec: ColumnSpec, rng, n: int) -> pd.DataFrame:
    """The party's table under the user's column names, in the description's order."""
    data = {}
    for c in spec.columns:
        if c.kind == "ignore":
            data[c.name] = _rec_ids(rng, n)
        elif c.kind == "date_of_birth":
            data[c.name] = _format_dates(cols[spec.slots[c.name]], c.date_format)
        else:
            data[c.name] = cols[spec.slots[c.name]]
    return pd.DataFrame(data)


def _rename_log(log: dict[str, list], name: dict) -> dict[str, list]:
    """Keep the changes to the fields in ``name`` (field -> Column).

    The changes are kept under the user's column names; dates are reformatted.
    """
    keep = [i for i, f in enumerate(log["field"]) if f in name]
    out = {k: [v[i] for i in keep] for k, v in log.items()}
    out["field"] = [name[f].name for f in out["field"]]
    for key in ("before", "after"):
        out[key] = [
            _format_dates(np.array([v], dtype=object), name[f].date_format)[0]
            if name[f].kind == "date_of_birth" else v
            for f, v in zip((log["field"][i] for i in keep), out[key], strict=True)
        ]
    return out
