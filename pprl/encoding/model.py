"""The linkage schema's data model: immutable dataclasses, no I/O.

:class:`Schema` holds :class:`Feature` objects, each with a value format, a
comparison (how values become tokens), a bit strategy, a hashing choice and
a missing-value rule.  :mod:`pprl.encoding.validate` builds these objects
from a JSON document; :mod:`pprl.encoding.schema` loads files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

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
    "Balance",
    "XorFold",
    "Blip",
    "Rule90",
    "Diffusion",
    "Salt",
    "HardeningStep",
]


# --- value formats ------------------------------------------------------------


@dataclass(frozen=True)
class StringFormat:
    """A string column: optional regular expression, or case and length limits.

    ``unicode_normalization`` (pprl extension ``format.unicodeNormalization``):
    ``"NFC"`` or ``"NFKC"`` puts every value in that Unicode normal form before
    it is checked and hashed, so "Zoë" typed as one code point or as "e" plus a
    combining diaeresis gives one CLK; None (default) hashes the code points as
    given, as clkhash does.
    """

    encoding: str = "utf-8"
    case: str = "mixed"
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    unicode_normalization: str | None = None
    type: str = field(default="string", init=False)


@dataclass(frozen=True)
class IntegerFormat:
    """A base-10 integer column with optional bounds; hashed as ``str(int(value))``."""

    minimum: int | None = None
    maximum: int | None = None
    type: str = field(default="integer", init=False)


@dataclass(frozen=True)
class DateFormat:
    """A date column in a ``strptime`` format; hashed as ``YYYYMMDD``."""

    format: str
    type: str = field(default="date", init=False)


@dataclass(frozen=True)
class EnumFormat:
    """A column whose values must be one of ``values``."""

    values: tuple[str, ...]
    type: str = field(default="enum", init=False)


Format = StringFormat | IntegerFormat | DateFormat | EnumFormat


# --- hashing ------------------------------------------------------------------


@dataclass(frozen=True)
class NgramComparison:
    """Tokens are the (optionally positional) n-grams of the value padded with spaces."""

    n: int
    positional: bool = False
    type: str = field(default="ngram", init=False)


@dataclass(frozen=True)
class ExactComparison:
    """The whole value is one token."""

    type: str = field(default="exact", init=False)


@dataclass(frozen=True)
class NumericComparison:
    """Tokens are a neighbourhood of the (quantised) number, so near numbers share tokens."""

    threshold_distance: float
    resolution: int
    fractional_precision: int = 0
    type: str = field(default="numeric", init=False)

    @property
    def distance_interval(self) -> int:
        """``threshold_distance`` scaled to an integer grid."""
        return int(round(self.threshold_distance * pow(10, self.fractional_precision)))


Comparison = NgramComparison | ExactComparison | NumericComparison


@dataclass(frozen=True)
class BitsPerToken:
    """Every token is inserted ``k`` times."""

    k: int

    def ks(self, num_tokens: int) -> list[int]:
        """Insertions for each of ``num_tokens`` tokens."""
        return [self.k] * num_tokens


@dataclass(frozen=True)
class BitsPerFeature:
    """``bits`` insertions in all, spread over the tokens (the first ones get one more)."""

    bits: int

    def ks(self, num_tokens: int) -> list[int]:
        """Insertions for each of ``num_tokens`` tokens."""
        if num_tokens == 0:
            return []
        base, extra = divmod(self.bits, num_tokens)
        return [base + 1] * extra + [base] * (num_tokens - extra)


Strategy = BitsPerToken | BitsPerFeature


@dataclass(frozen=True)
class DoubleHash:
    """HMAC-SHA1 / HMAC-MD5 double hashing (Schnell et al. 2011)."""

    prevent_singularity: bool = False
    type: str = field(default="doubleHash", init=False)


@dataclass(frozen=True)
class BlakeHash:
    """Keyed BLAKE2b, sliced into 16-bit indices (clkhash's default)."""

    type: str = field(default="blakeHash", init=False)


HashFunction = DoubleHash | BlakeHash


@dataclass(frozen=True)
class MissingValue:
    """A value equal to ``sentinel`` is not validated and is hashed as ``replace_with``."""

    sentinel: str
    replace_with: str | None = None

    @property
    def replacement(self) -> str:
        """The string hashed in place of the sentinel."""
        return self.sentinel if self.replace_with is None else self.replace_with


@dataclass(frozen=True)
class Hashing:
    """How the tokens of a feature are inserted into the filter."""

    comparison: Comparison
    strategy: Strategy
    hash: HashFunction = BlakeHash()
    missing_value: MissingValue | None = None
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Feature:
    """One column of the records: its format and how it is hashed (``None`` if ignored)."""

    identifier: str
    format: Format | None = None
    hashing: Hashing | None = None
    description: str | None = None

    @property
    def ignored(self) -> bool:
        """Whether the column takes no part in the encoding."""
        return self.hashing is None


# --- hardening (pprl's extension: clkConfig.hardening) -------------------------


@dataclass(frozen=True)
class Balance:
    """Append the complement of the filter, then permute all ``2 l`` bits under the secret."""

    kind: str = field(default="balance", init=False)


@dataclass(frozen=True)
class XorFold:
    """XOR the first half of the filter with the second (``l`` becomes ``l / 2``)."""

    kind: str = field(default="xor_fold", init=False)


@dataclass(frozen=True)
class Blip:
    """Flip each bit with ``probability``, seeded by the secret and the record's bits."""

    probability: float
    kind: str = field(default="blip", init=False)


@dataclass(frozen=True)
class Rule90:
    """One step of the rule-90 cellular automaton: bit ``i`` becomes ``b[i-1] ^ b[i+1]``."""

    kind: str = field(default="rule90", init=False)


@dataclass(frozen=True)
class Diffusion:
    """Each output bit is the XOR of ``taps`` input bits chosen under the secret."""

    taps: int
    kind: str = field(default="diffusion", init=False)


@dataclass(frozen=True)
class Salt:
    """The value of feature ``field`` (its first ``prefix`` characters) salts the other features.

    ``prefix=None`` uses the whole formatted value.
    """

    field: str
    prefix: int | None = None
    kind: str = field(default="salt", init=False)


HardeningStep = Balance | XorFold | Blip | Rule90 | Diffusion | Salt


@dataclass(frozen=True)
class KDFConfig:
    """HKDF parameters (RFC 5869) that derive two keys per feature from the secret."""

    type: str = "HKDF"
    hash: str = "SHA256"
    salt: bytes | None = None
    info: bytes | None = None
    key_size: int = 64


@dataclass(frozen=True)
class Schema:
    """A validated linkage schema.

    Attributes
    ----------
    l : int
        Length of a CLK in bits, after XOR folding (a multiple of 8).
    xor_folds : int
        Number of XOR folds; tokens are hashed into ``l * 2 ** xor_folds`` bits.
    kdf : KDFConfig
    features : tuple of Feature
        One per column, in column order (ignored columns included).
    version : int
        The version of the document as read (1 and 2 were converted).
    source : str or None
        The file the schema came from, if any.
    warnings : tuple of str
        Things that are valid but surprising (see the module notes).
    hardening : tuple of HardeningStep
        pprl's ``clkConfig.hardening`` steps, in order (empty: plain clkhash CLKs).
    """

    l: int  # noqa: E741 -- the name used by clkhash and the literature
    kdf: KDFConfig
    features: tuple[Feature, ...]
    xor_folds: int = 0
    version: int = 3
    source: str | None = None
    warnings: tuple[str, ...] = ()
    hardening: tuple[HardeningStep, ...] = ()

    @property
    def clk_l(self) -> int:
        """Length of the CLKs in bits, after folding and every hardening step."""
        length = self.l
        for step in self.hardening:
            if isinstance(step, Balance):
                length *= 2
            elif isinstance(step, XorFold):
                length //= 2
        return length

    @property
    def salt(self) -> Salt | None:
        """The salting step, if the schema has one."""
        return next((s for s in self.hardening if isinstance(s, Salt)), None)

    @property
    def hash_l(self) -> int:
        """Number of bits the tokens are hashed into, before folding."""
        return self.l * 2**self.xor_folds

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Column identifiers, in order."""
        return tuple(f.identifier for f in self.features)

    def summary(self, typical_length: int = 8) -> list[dict[str, Any]]:
        """Expected insertions per feature, for ``pprl schema check``.

        Parameters
        ----------
        typical_length : int, default=8
            Assumed length of a string value when its token count depends on
            the value (``bitsPerToken`` with n-grams).

        Returns
        -------
        list of dict
            One per hashed feature: ``identifier``, ``tokens`` (assumed),
            ``bits`` (expected insertions), ``how`` (a short description).
        """
        rows = []
        for f in self.features:
            if f.hashing is None:
                continue
            h = f.hashing
            comp = h.comparison
            if isinstance(comp, NgramComparison):
                length = typical_length
                if isinstance(f.format, DateFormat):
                    length = 8
                elif isinstance(f.format, EnumFormat) and f.format.values:
                    length = max(len(v) for v in f.format.values)
                elif isinstance(f.format, StringFormat) and f.format.max_length:
                    length = min(length, f.format.max_length)
                tokens = length + comp.n - 1
                how = f"{'positional ' if comp.positional else ''}{comp.n}-grams"
            elif isinstance(comp, NumericComparison):
                tokens = 2 * comp.resolution + 1
                how = "numeric neighbourhood"
            else:
                tokens = 1
                how = "exact"
            if isinstance(h.strategy, BitsPerToken):
                bits = tokens * h.strategy.k
                how += f", {h.strategy.k} bits per token"
            else:
                bits = h.strategy.bits
                how += f", {h.strategy.bits} bits per feature"
            rows.append(
                {"identifier": f.identifier, "tokens": tokens, "bits": bits, "how": how}
            )
        return rows

    def expected_fill(self, typical_length: int = 8) -> float:
        """Expected fraction of bits set, assuming independent uniform insertions."""
        total = sum(r["bits"] for r in self.summary(typical_length))
        fill = 1.0 - math.exp(-total / self.hash_l)
        for _ in range(self.xor_folds):
            fill = 2 * fill * (1 - fill)
        return fill
