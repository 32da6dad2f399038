"""Corruption configuration: which corruptions hit which field, how often, how many per record.

Semantics (one party record at a time)
--------------------------------------
* ``fields[field][kind] = p``: the corruption ``kind`` is *drawn* for the
  field with probability ``p``, independently of every other draw. A drawn
  corruption that does not apply to the value (no nickname for this name, day
  after the 12th for a day/month swap, an already blank value) changes nothing
  and is not logged, so ``p`` is the rate among values it applies to.
* ``record[kind] = p``: the same for record-level corruptions, ``swap_names``
  (given name and surname swapped) and ``moved`` (a new address block).
* ``max_per_record``: when more corruptions are drawn for one record, a
  uniformly random subset of that size is kept (``null``: no limit). With a
  limit, the realised rates fall slightly below ``p``.
* Record-level corruptions are applied first (``swap_names``, then ``moved``,
  the order of ``RECORD_KINDS``), then field corruptions in the column order of
  the file and, within a field, in the order of ``FIELD_KINDS[field]``, whatever
  the order of the configuration.

Defaults
--------
Modelled on the example settings of GeCo (Christen & Vatsalan, CIKM 2013;
``generate-data-english.py``): a small number of modifications per record
(GeCo's example scripts use 1 to 4; we cap at 3, a common setting of the
``max_modification_per_record`` argument of Febrl's ``dsgen/generate.py``),
names corrupted most often, mixing keyboard edits, OCR and phonetic errors
(keyboard and phonetic errors weigh most in GeCo's name corruptors), plus
missing values for phone and e-mail, which are the fields most often blank in
administrative data. With the defaults about 58% of records are changed in
some way (about 1.0 corruption drawn per record). ``DEFAULT_PROBABILITIES``
holds the table.

JSON file (``pprl synth --config C.json``)::

    {"max_per_record": 3,
     "fields": {"given_name": {"nickname": 0.05, "typo_substitute": 0.02}},
     "record": {"moved": 0.05}}

Fields absent from ``fields`` get no field corruption; ``"defaults": true``
starts from the default table and overrides the entries given.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._validation import read_json_file
from ..errors import FieldError, InputError
from .corruptors import FIELD_KINDS, RECORD_KINDS

__all__ = [
    "CorruptionConfig",
    "CorruptionConfigError",
    "DEFAULT_PROBABILITIES",
    "DEFAULT_RECORD_PROBABILITIES",
    "DEFAULT_MAX_PER_RECORD",
]

DEFAULT_MAX_PER_RECORD = 3

DEFAULT_PROBABILITIES: dict[str, dict[str, float]] = {
    "given_name": {"typo_substitute": 0.02, "typo_insert": 0.01, "typo_delete": 0.01,
                   "typo_transpose": 0.01, "ocr": 0.005, "phonetic": 0.02, "nickname": 0.05,
                   "initial": 0.005, "case": 0.01, "missing": 0.01},
    "surname": {"typo_substitute": 0.02, "typo_insert": 0.01, "typo_delete": 0.01,
                "typo_transpose": 0.01, "ocr": 0.005, "phonetic": 0.03, "case": 0.01,
                "missing": 0.005},
    "sex": {"missing": 0.01},
    "date_of_birth": {"date_swap": 0.02, "date_digit": 0.02, "date_year": 0.01, "missing": 0.01},
    "street_number": {"typo_substitute": 0.01, "typo_delete": 0.005, "ocr": 0.005,
                      "missing": 0.03},
    "street_address": {"typo_substitute": 0.01, "phonetic": 0.005, "abbreviate": 0.1,
                       "whitespace": 0.01, "missing": 0.02},
    "suburb": {"typo_substitute": 0.01, "typo_insert": 0.005, "typo_delete": 0.005,
               "phonetic": 0.01, "abbreviate": 0.02, "case": 0.01, "missing": 0.01},
    "postcode": {"typo_substitute": 0.01, "typo_transpose": 0.01, "ocr": 0.005, "missing": 0.01},
    "state": {"abbreviate": 0.02, "case": 0.01, "missing": 0.02},
    "phone": {"typo_substitute": 0.02, "typo_transpose": 0.01, "whitespace": 0.02,
              "missing": 0.1},
    "email": {"typo_substitute": 0.01, "case": 0.02, "missing": 0.1},
}
DEFAULT_RECORD_PROBABILITIES: dict[str, float] = {"swap_names": 0.01, "moved": 0.05}


class CorruptionConfigError(InputError):
    """A corruption configuration is invalid; ``field_errors`` lists every problem."""

    def __init__(self, field_errors: list[FieldError], source: str | None = None):
        self.field_errors = list(field_errors)
        self.source = source
        where = f"{source}: " if source else ""
        body = "; ".join(str(e) for e in self.field_errors)
        n = len(self.field_errors)
        what = "1 problem" if n == 1 else f"{n} problems"
        super().__init__(f"{where}invalid corruption configuration ({what}): {body}")


def _prob_problems(path: str, p: object) -> list[FieldError]:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        return [FieldError(path, f"expected a probability in [0, 1], got {p!r}")]
    return []


def _check(fields: object, record: object, max_per_record: object) -> list[FieldError]:
    errs: list[FieldError] = []
    if max_per_record is not None and (
        isinstance(max_per_record, bool) or not isinstance(max_per_record, numbers.Integral)
        or max_per_record < 0
    ):
        errs.append(FieldError("max_per_record",
                               f"expected a non-negative integer or null, got {max_per_record!r}"))
    if not isinstance(fields, Mapping):
        errs.append(FieldError("fields", f"expected an object, got {type(fields).__name__}"))
    else:
        for name, kinds in fields.items():
            if name not in FIELD_KINDS:
                errs.append(FieldError(f"fields.{name}",
                                       f"unknown field; expected one of {list(FIELD_KINDS)}"))
                continue
            if not isinstance(kinds, Mapping):
                errs.append(FieldError(f"fields.{name}",
                                       f"expected an object of kind: probability, got {kinds!r}"))
                continue
            for kind, p in kinds.items():
                path = f"fields.{name}.{kind}"
                if kind not in FIELD_KINDS[name]:
                    errs.append(FieldError(path, f"kind not allowed for {name}; expected one "
                                                 f"of {list(FIELD_KINDS[name])}"))
                else:
                    errs.extend(_prob_problems(path, p))
    if not isinstance(record, Mapping):
        errs.append(FieldError("record", f"expected an object, got {type(record).__name__}"))
    else:
        for kind, p in record.items():
            if kind not in RECORD_KINDS:
                errs.append(FieldError(
                    f"record.{kind}", f"unknown record kind; expected one of {list(RECORD_KINDS)}"))
            else:
                errs.extend(_prob_problems(f"record.{kind}", p))
    return errs


@dataclass(frozen=True)
class CorruptionConfig:
    """Per-field corruption probabilities and a per-record limit.

    Parameters
    ----------
    fields : mapping of str to mapping of str to float
        ``fields[field][kind]``: probability that ``kind`` is drawn for ``field``.
        Allowed kinds per field are in ``pprl.synthetic.corruptors.FIELD_KINDS``.
    record : mapping of str to float, default={}
        Record-level kinds: ``swap_names``, ``moved``.
    max_per_record : int or None, default=3
        At most this many corruptions per record (None: no limit).

    Raises
    ------
    CorruptionConfigError
        Listing every unknown field or kind and every probability outside [0, 1].

    Examples
    --------
    >>> cfg = CorruptionConfig({"surname": {"typo_delete": 0.1}}, max_per_record=None)
    >>> cfg.expected_per_record()
    0.1
    >>> CorruptionConfig.default().max_per_record
    3
    """

    fields: Mapping[str, Mapping[str, float]]
    record: Mapping[str, float] = field(default_factory=dict)
    max_per_record: int | None = DEFAULT_MAX_PER_RECORD

    def __post_init__(self) -> None:
        errs = _check(self.fields, self.record, self.max_per_record)
        if errs:
            raise CorruptionConfigError(errs)
        # Normalise to plain dicts of floats in one canonical order (column order, then
        # the order of FIELD_KINDS), so that equal configurations give equal data sets
        # however their JSON happened to be ordered.
        order = list(FIELD_KINDS)
        fields = {f: {k: float(self.fields[f][k]) for k in FIELD_KINDS[f] if k in self.fields[f]}
                  for f in sorted(self.fields, key=order.index)}
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "record", {k: float(self.record[k]) for k in RECORD_KINDS
                                            if k in self.record})
        if self.max_per_record is not None:
            object.__setattr__(self, "max_per_record", int(self.max_per_record))

    @classmethod
    def default(cls) -> CorruptionConfig:
        """The documented default configuration."""
        return cls(DEFAULT_PROBABILITIES, DEFAULT_RECORD_PROBABILITIES, DEFAULT_MAX_PER_RECORD)

    @classmethod
    def none(cls) -> CorruptionConfig:
        """No corruption at all (parties hold exact copies)."""
        return cls({}, {}, None)

    @classmethod
    def from_dict(cls, data: object, source: str | None = None) -> CorruptionConfig:
        """Build from the JSON object form; every problem is reported at once."""
        if not isinstance(data, Mapping):
            raise CorruptionConfigError(
                [FieldError("", f"expected a JSON object, got {type(data).__name__}")], source)
        errs = [FieldError(k, "unknown key; expected fields, record, max_per_record, defaults "
                              "or description") for k in data
                if k not in ("fields", "record", "max_per_record", "defaults", "description")]
        use_defaults = data.get("defaults", False)
        if not isinstance(use_defaults, bool):
            errs.append(FieldError("defaults", f"expected true or false, got {use_defaults!r}"))
            use_defaults = False
        fields = data.get("fields", {})
        record = data.get("record", {})
        mpr = data.get("max_per_record", DEFAULT_MAX_PER_RECORD)
        errs.extend(_check(fields, record, mpr))
        if errs:
            raise CorruptionConfigError(errs, source)
        if use_defaults:
            merged = {f: dict(k) for f, k in DEFAULT_PROBABILITIES.items()}
            for f, kinds in fields.items():
                merged.setdefault(f, {}).update(kinds)
            fields = merged
            record = {**DEFAULT_RECORD_PROBABILITIES, **record}
        return cls(fields, record, mpr)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CorruptionConfig:
        """Read and validate a JSON configuration file."""
        data = read_json_file(path, "corruption configuration")
        return cls.from_dict(data, source=str(Path(path)))

    def to_dict(self) -> dict:
        """The JSON object form (round-trips through :meth:`from_dict`)."""
        return {"fields": {f: dict(k) for f, k in self.fields.items()},
                "record": dict(self.record), "max_per_record": self.max_per_record}

    def expected_per_record(self) -> float:
        """Sum of all probabilities: corruptions drawn per record before the limit."""
        return float(sum(sum(k.values()) for k in self.fields.values()) + sum(self.record.values()))
