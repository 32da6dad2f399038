"""Corruption profiles: what the user knows of their data's quality, in a few numbers.

A profile is a small JSON object (every key optional; defaults in
:data:`DEFAULT_PROFILE`, documented in ``docs/tuning.md``)::

    {"typo": 0.05,                 # share of values with a keyboard, OCR or sound-alike error
     "missing": 0.03,              # share of blank values, or {"column": rate, "*": rate}
     "date_swap": 0.02,            # day and month swapped in dates of birth
     "nickname": 0.05,             # given names replaced by a nickname (or back)
     "moved": 0.03,                # people whose address changed between the parties
     "max_per_record": 4}

:meth:`CorruptionProfile.config` turns it into the generator's
:class:`~pprl.synthetic.CorruptionConfig` for a column description: the typo
rate is split over typing, OCR and phonetic errors (and digit and year
errors for dates), and a few rarer changes (case, spacing, abbreviations)
keep the generator's default rates.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._validation import read_json_file
from ..errors import InputError
from ..synthetic.columns import ColumnSpec
from ..synthetic.config import DEFAULT_PROBABILITIES, CorruptionConfig
from ..synthetic.corruptors import FIELD_KINDS

__all__ = ["CorruptionProfile", "DEFAULT_PROFILE"]

#: The default profile: moderately dirty administrative data.
DEFAULT_PROFILE: dict = {"typo": 0.05, "missing": 0.03, "date_swap": 0.02, "nickname": 0.05,
                         "moved": 0.03, "max_per_record": 4}

# How a typo rate is shared among the kinds that make typos (per kind present for a field).
_TYPO_SHARE = {"typo_substitute": 0.3, "typo_insert": 0.15, "typo_delete": 0.15,
               "typo_transpose": 0.15, "ocr": 0.05, "phonetic": 0.2,
               "date_digit": 0.6, "date_year": 0.4}
_KEEP = ("case", "whitespace", "abbreviate", "initial")  # at the generator's default rates
_KEYS = ("typo", "missing", "date_swap", "nickname", "moved", "max_per_record", "description")


def _rate(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not 0.0 <= float(value) <= 1.0:
        raise InputError(f"{where}: expected a rate in [0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class CorruptionProfile:
    """A few rates describing the data's quality (see the module docstring).

    Examples
    --------
    >>> from pprl.synthetic import ColumnSpec
    >>> spec = ColumnSpec.from_dict({"fn": "first_name", "dob": "date_of_birth"})
    >>> cfg = CorruptionProfile(typo=0.1).config(spec)
    >>> round(sum(cfg.fields["date_of_birth"].values()), 3)   # typo + swap + missing
    0.15
    """

    typo: float = DEFAULT_PROFILE["typo"]
    missing: float | Mapping[str, float] = DEFAULT_PROFILE["missing"]
    date_swap: float = DEFAULT_PROFILE["date_swap"]
    nickname: float = DEFAULT_PROFILE["nickname"]
    moved: float = DEFAULT_PROFILE["moved"]
    max_per_record: int | None = DEFAULT_PROFILE["max_per_record"]
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("typo", "date_swap", "nickname", "moved"):
            _rate(getattr(self, name), f"corruption profile '{name}'")
        if isinstance(self.missing, Mapping):
            for col, r in self.missing.items():
                _rate(r, f"corruption profile 'missing.{col}'")
        else:
            _rate(self.missing, "corruption profile 'missing'")
        m = self.max_per_record
        if m is not None and (isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 1):
            raise InputError(f"corruption profile 'max_per_record': expected a positive "
                             f"integer or null, got {m!r}")

    @classmethod
    def from_dict(cls, data: object, source: str | None = None) -> CorruptionProfile:
        """A profile from its JSON object; keys left out take :data:`DEFAULT_PROFILE`.

        Raises
        ------
        InputError
            If ``data`` is not an object, has an unknown key or a bad value.
        """
        where = f"{source}: " if source else ""
        if not isinstance(data, Mapping):
            raise InputError(f"{where}corruption profile: expected a JSON object")
        for k in data:
            if k not in _KEYS:
                raise InputError(f"{where}corruption profile: unknown key {k!r}; expected "
                                 f"{', '.join(_KEYS)}")
        try:
            return cls(**{**DEFAULT_PROFILE, **data})
        except InputError as exc:
            raise InputError(f"{where}{exc}") from None

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CorruptionProfile:
        """A profile read from a JSON file (see :meth:`from_dict`).

        Raises
        ------
        InputError
            If the file cannot be read or holds a bad profile.
        FileFormatError
            If the file is not valid JSON.
        """
        data = read_json_file(path, "corruption profile")
        return cls.from_dict(data, source=str(Path(path)))

    def to_dict(self) -> dict:
        """The JSON object form (round-trips through :meth:`from_dict`)."""
        missing = dict(self.missing) if isinstance(self.missing, Mapping) else self.missing
        return {"typo": self.typo, "missing": missing, "date_swap": self.date_swap,
                "nickname": self.nickname, "moved": self.moved,
                "max_per_record": self.max_per_record}

    def _missing_for(self, column: str) -> float:
        if isinstance(self.missing, Mapping):
            fallback = self.missing.get("*", DEFAULT_PROFILE["missing"])
            return float(self.missing.get(column, fallback))
        return float(self.missing)

    def config(self, spec: ColumnSpec, scale: float = 1.0) -> CorruptionConfig:
        """The generator's configuration for ``spec``.

        ``scale`` multiplies every error rate but ``missing`` (the tuner also
        tries the data a little dirtier).

        Raises
        ------
        InputError
            If ``missing`` names a column that ``spec`` does not describe.
        """
        if isinstance(self.missing, Mapping):
            unknown = sorted(set(self.missing) - set(spec.names) - {"*"})
            if unknown:
                raise InputError(f"corruption profile 'missing': column {unknown[0]!r} is not "
                                 f"in the column description")
        fields: dict[str, dict[str, float]] = {}
        for c in spec.linked:
            if c.field in fields:  # a further column of a kind: the first one's rates
                continue
            kinds = FIELD_KINDS[c.field]
            typo_kinds = [k for k in kinds if k in _TYPO_SHARE]
            total = sum(_TYPO_SHARE[k] for k in typo_kinds) or 1.0
            probs = {k: min(1.0, scale * self.typo * _TYPO_SHARE[k] / total) for k in typo_kinds}
            defaults = DEFAULT_PROBABILITIES.get(c.field, {})
            for k in _KEEP:
                if k in kinds:
                    probs[k] = min(1.0, scale * defaults.get(k, 0.005))
            if "date_swap" in kinds:
                probs["date_swap"] = min(1.0, scale * self.date_swap)
            if "nickname" in kinds:
                probs["nickname"] = min(1.0, scale * self.nickname)
            probs["missing"] = self._missing_for(c.name)
            fields[c.field] = probs
        record = {"moved": min(1.0, scale * self.moved), "swap_names": min(1.0, scale * 0.01)}
        from ..synthetic.make import config_for_columns

        return config_for_columns(CorruptionConfig(fields, record, self.max_per_record), spec)
