"""Validate a linkage schema document and build a :class:`~pprl.encoding.schema.Schema`.

Every rule of clkhash's linkage schema v3 is checked by hand, so that each
problem gets its own JSON path and a message that says what was expected and
what was found, and so that all problems are reported at once.  A few rules
that clkhash only finds while encoding (BLAKE2 needs a power-of-two length,
HKDF has a maximum output) are checked here too.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from ..errors import FieldError, SchemaError
from ._checker import MISSING as _MISSING
from ._checker import Checker as _Checker
from ._checker import is_int as _is_int
from ._checker import is_number as _is_number
from ._checker import show as _show
from .convert import convert_to_v3
from .hardening import parse_hardening
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

__all__ = ["schema_from_dict"]

_ENCODINGS = ("ascii", "utf-8", "utf-16", "utf-32")
#: format.unicodeNormalization (pprl extension): the composed forms only; a
#: decomposed form would make tokens of combining marks alone.
UNICODE_FORMS = ("NFC", "NFKC")
_HASH_LEN = {"SHA256": 32, "SHA512": 64}
def _clk_config(c: _Checker, d: Any) -> tuple[int | None, int, KDFConfig | None, list[str]]:
    notes: list[str] = []
    if not c.obj(d, "clkConfig"):
        return None, 0, None, notes
    l_ = c.get(d, "l", "clkConfig", True)
    length = None
    if l_ is not _MISSING:
        if not _is_int(l_) or l_ < 8 or l_ % 8:
            c.err("clkConfig.l", "expected a positive multiple of 8 (CLKs are stored as "
                                 f"bytes), got {_show(l_)}")
        else:
            length = l_
    folds = c.int_(c.get(d, "xor_folds", "clkConfig", False), "clkConfig.xor_folds", 0) or 0
    camel = c.int_(c.get(d, "xorFolds", "clkConfig", False), "clkConfig.xorFolds", 0)
    if camel:
        notes.append(
            "clkConfig.xorFolds is ignored, as clkhash 0.18 ignores it (it reads "
            "'xor_folds'); use 'xor_folds' to fold the CLKs"
        )
    kdf = None
    k = c.get(d, "kdf", "clkConfig", True)
    if k is not _MISSING and c.obj(k, "clkConfig.kdf"):
        typ = c.get(k, "type", "clkConfig.kdf", True)
        if typ is not _MISSING and typ != "HKDF":
            c.err("clkConfig.kdf.type", f"expected \"HKDF\", got {_show(typ)}")
        h = c.get(k, "hash", "clkConfig.kdf", False)
        h = "SHA256" if h is _MISSING else c.choice(h, ("SHA256", "SHA512"),
                                                     "clkConfig.kdf.hash")
        salt = info = None
        if "salt" in k:
            salt = c.b64(k["salt"], "clkConfig.kdf.salt")
        if "info" in k:
            info = c.b64(k["info"], "clkConfig.kdf.info")
        ks = c.get(k, "keySize", "clkConfig.kdf", False)
        key_size = 64 if ks is _MISSING else c.int_(ks, "clkConfig.kdf.keySize", 1)
        if h is not None and key_size is not None:
            kdf = KDFConfig(hash=h, salt=salt, info=info, key_size=key_size)
    return length, folds, kdf, notes


# --- features -----------------------------------------------------------------


def _format(c: _Checker, d: Any, path: str):
    if not c.obj(d, path):
        return None, "utf-8"
    typ = c.get(d, "type", path, True)
    if typ is _MISSING:
        return None, "utf-8"
    if typ == "string":
        if "pattern" in d:
            c.allowed(d, ("type", "encoding", "pattern", "unicodeNormalization",
                          "description"), path,
                      " (with 'pattern', case and length limits are not allowed)")
        else:
            c.allowed(d, ("type", "encoding", "case", "minLength", "maxLength",
                          "unicodeNormalization", "description"), path)
        form = c.choice(d.get("unicodeNormalization", _MISSING), UNICODE_FORMS,
                        f"{path}.unicodeNormalization")
        enc = d.get("encoding", "utf-8")
        enc = c.choice(enc, _ENCODINGS, f"{path}.encoding") or "utf-8"
        case = c.choice(d.get("case", "mixed"), ("upper", "lower", "mixed"), f"{path}.case")
        lo = c.int_(c.get(d, "minLength", path, False), f"{path}.minLength", 0)
        hi = c.int_(c.get(d, "maxLength", path, False), f"{path}.maxLength", 1)
        if lo is not None and hi is not None and lo > hi:
            c.err(f"{path}.minLength", f"expected at most maxLength ({hi}), got {lo}")
        pattern = c.str_(c.get(d, "pattern", path, False), f"{path}.pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                c.err(f"{path}.pattern", f"expected a regular expression, got "
                                         f"{_show(pattern)} ({exc})")
        return StringFormat(encoding=enc, case=case or "mixed", min_length=lo,
                            max_length=hi, pattern=pattern, unicode_normalization=form), enc
    if typ == "integer":
        c.allowed(d, ("type", "minimum", "maximum", "description"), path)
        lo = c.int_(c.get(d, "minimum", path, False), f"{path}.minimum")
        hi = c.int_(c.get(d, "maximum", path, False), f"{path}.maximum")
        if lo is not None and hi is not None and lo > hi:
            c.err(f"{path}.minimum", f"expected at most maximum ({hi}), got {lo}")
        return IntegerFormat(minimum=lo, maximum=hi), "utf-8"
    if typ == "date":
        c.allowed(d, ("type", "format", "description"), path)
        fmt = c.str_(c.get(d, "format", path, True), f"{path}.format")
        if fmt is not None:
            bad = re.findall(r"%(.)", fmt.replace("%%", ""))
            known = set("aAwdbBmyYHIpMSfzZjUWcxXGuV:")
            unknown = [b for b in bad if b not in known]
            if unknown:
                c.err(f"{path}.format", f"expected a strptime format, got {_show(fmt)} "
                                        f"(unknown directive %{unknown[0]})")
            return DateFormat(format=fmt), "utf-8"
        return None, "utf-8"
    if typ == "enum":
        c.allowed(d, ("type", "values", "description"), path)
        vals = c.get(d, "values", path, True)
        if vals is _MISSING:
            return None, "utf-8"
        if not isinstance(vals, list):
            c.err(f"{path}.values", f"expected an array of strings, got {_show(vals)}")
            return None, "utf-8"
        ok = True
        for i, v in enumerate(vals):
            if not isinstance(v, str):
                c.err(f"{path}.values[{i}]", f"expected a string, got {_show(v)}")
                ok = False
        return (EnumFormat(values=tuple(vals)) if ok else None), "utf-8"
    c.err(f"{path}.type", 'expected one of "string", "integer", "date", "enum", '
                          f"got {_show(typ)}")
    return None, "utf-8"


def _comparison(c: _Checker, d: Any, path: str):
    if not c.obj(d, path):
        return None
    typ = c.get(d, "type", path, True)
    if typ is _MISSING:
        return None
    if typ == "ngram":
        n = c.int_(c.get(d, "n", path, True), f"{path}.n", 1)
        pos = d.get("positional", False)
        pos = c.bool_(pos, f"{path}.positional")
        return None if n is None or pos is None else NgramComparison(n=n, positional=pos)
    if typ == "exact":
        return ExactComparison()
    if typ == "numeric":
        td = c.get(d, "thresholdDistance", path, True)
        if td is not _MISSING and (not _is_number(td) or not td > 0):
            c.err(f"{path}.thresholdDistance", f"expected a number > 0, got {_show(td)}")
            td = None
        res = c.int_(c.get(d, "resolution", path, True), f"{path}.resolution", 1)
        fp = c.get(d, "fractional_precision", path, False)
        fp = 0 if fp is _MISSING else c.int_(fp, f"{path}.fractional_precision", 0)
        if td in (None, _MISSING) or res is None or fp is None:
            return None
        comp = NumericComparison(threshold_distance=td, resolution=res, fractional_precision=fp)
        if comp.distance_interval == 0:
            c.err(f"{path}.thresholdDistance",
                  f"is 0 at fractional_precision {fp}; expected a larger distance or "
                  "more fractional precision")
            return None
        return comp
    c.err(f"{path}.type", f'expected one of "ngram", "exact", "numeric", got {_show(typ)}')
    return None


def _strategy(c: _Checker, d: Any, path: str):
    if not c.obj(d, path):
        return None
    keys = [k for k in ("bitsPerToken", "bitsPerFeature") if k in d]
    c.allowed(d, ("bitsPerToken", "bitsPerFeature"), path)
    if len(keys) != 1:
        c.err(path, "expected exactly one of bitsPerToken, bitsPerFeature, got "
                    f"{'both' if keys else 'neither'}")
        return None
    v = c.int_(d[keys[0]], f"{path}.{keys[0]}", 1)
    if v is None:
        return None
    return BitsPerToken(k=v) if keys[0] == "bitsPerToken" else BitsPerFeature(bits=v)


def _hash(c: _Checker, d: Any, path: str):
    if d is _MISSING:
        return BlakeHash()
    if not c.obj(d, path):
        return None
    typ = c.get(d, "type", path, True)
    if typ == "doubleHash":
        ps = d.get("prevent_singularity", False)
        ps = c.bool_(ps, f"{path}.prevent_singularity")
        return None if ps is None else DoubleHash(prevent_singularity=ps)
    if typ == "blakeHash":
        if "prevent_singularity" in d:
            c.err(f"{path}.prevent_singularity", 'only allowed with "doubleHash"')
        return BlakeHash()
    if typ is not _MISSING:
        c.err(f"{path}.type", f'expected "doubleHash" or "blakeHash", got {_show(typ)}')
    return None


def _missing(c: _Checker, d: Any, path: str):
    if d is _MISSING:
        return None
    if not c.obj(d, path):
        return None
    s = c.str_(c.get(d, "sentinel", path, True), f"{path}.sentinel")
    r = c.str_(c.get(d, "replaceWith", path, False), f"{path}.replaceWith")
    return None if s is None else MissingValue(sentinel=s, replace_with=r)


def _feature(c: _Checker, d: Any, i: int) -> Feature | None:
    path = f"features[{i}]"
    if not c.obj(d, path):
        return None
    ident = c.str_(c.get(d, "identifier", path, True), f"{path}.identifier")
    desc = c.str_(c.get(d, "description", path, False), f"{path}.description")
    ignored = c.bool_(c.get(d, "ignored", path, False), f"{path}.ignored")
    if ignored and not ("format" in d and "hashing" in d):
        c.allowed(d, ("identifier", "ignored", "description"), path,
                  " for an ignored feature")
        return None if ident is None else Feature(identifier=ident, description=desc)
    c.allowed(d, ("identifier", "ignored", "description", "format", "hashing"), path)
    fmt_d = c.get(d, "format", path, True)
    fmt, enc = (None, "utf-8") if fmt_d is _MISSING else _format(c, fmt_d, f"{path}.format")
    h = c.get(d, "hashing", path, True)
    if h is _MISSING or not c.obj(h, f"{path}.hashing"):
        return None
    hp = f"{path}.hashing"
    c.allowed(h, ("comparison", "strategy", "hash", "missingValue"), hp)
    comp = c.get(h, "comparison", hp, True)
    comp = None if comp is _MISSING else _comparison(c, comp, f"{hp}.comparison")
    strat = c.get(h, "strategy", hp, True)
    strat = None if strat is _MISSING else _strategy(c, strat, f"{hp}.strategy")
    hf = _hash(c, h.get("hash", _MISSING), f"{hp}.hash")
    mv = _missing(c, h.get("missingValue", _MISSING), f"{hp}.missingValue")
    if None in (ident, fmt, comp, strat, hf):
        return None
    if ignored:  # a full feature marked ignored: valid for clkhash, which skips it
        return Feature(identifier=ident, description=desc)
    hashing = Hashing(comparison=comp, strategy=strat, hash=hf, missing_value=mv, encoding=enc)
    return Feature(identifier=ident, format=fmt, hashing=hashing, description=desc)


def _cross_checks(c: _Checker, length: int, folds: int, kdf: KDFConfig,
                  features: list[Feature | None]) -> None:
    hash_l = length * 2**folds
    n_keys = 2 * len(features)
    limit = 255 * _HASH_LEN[kdf.hash]
    if n_keys * kdf.key_size > limit:
        c.err("clkConfig.kdf.keySize",
              f"HKDF-{kdf.hash} can derive at most {limit} bytes, but {len(features)} "
              f"features need 2 keys of {kdf.key_size} bytes each; expected a smaller "
              "keySize, fewer features or SHA512")
    for i, f in enumerate(features):
        if f is None or f.hashing is None or not isinstance(f.hashing.hash, BlakeHash):
            continue
        if hash_l & (hash_l - 1):
            c.err(f"features[{i}].hashing.hash",
                  f"blakeHash needs l * 2**xor_folds to be a power of two, got {hash_l}")
        if kdf.key_size > 64:
            c.err(f"features[{i}].hashing.hash",
                  f"blakeHash takes keys of at most 64 bytes, but keySize is {kdf.key_size}")


def _unique_identifiers(c: _Checker, feats_d: list) -> None:
    """Two features with one identifier would make matching by name ambiguous."""
    first: dict[str, int] = {}
    for i, d in enumerate(feats_d):
        ident = d.get("identifier") if isinstance(d, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            c.err(f"features[{i}].identifier",
                  f"{_show(ident)} is also the identifier of features[{first[ident]}] "
                  f"(features[{first[ident]}].identifier); expected unique identifiers")
        else:
            first[ident] = i


def schema_from_dict(doc: Any, source: str | None = None) -> Schema:
    """Validate a schema document (any version clkhash reads) and build a Schema."""
    c = _Checker()
    if not isinstance(doc, dict):
        raise SchemaError([FieldError("", f"expected a JSON object, got {_show(doc)}")], source)
    version = doc.get("version", _MISSING)
    if version is _MISSING:
        raise SchemaError([FieldError("version", "required key is missing (expected 3)")],
                          source)
    if version in (1, 2) and not isinstance(version, bool):
        doc, problems = convert_to_v3(doc)
        if problems:
            raise SchemaError(problems, source)
    elif version != 3 or isinstance(version, bool):
        raise SchemaError([FieldError("version", f"expected 1, 2 or 3, got {_show(version)}")],
                          source)
    for key in ("clkConfig", "features"):
        if key not in doc:
            c.err(key, "required key is missing")
    length, folds, kdf, notes = None, 0, None, []
    if "clkConfig" in doc:
        length, folds, kdf, notes = _clk_config(c, doc["clkConfig"])
    feats_d = doc.get("features", _MISSING)
    features: list[Feature | None] = []
    if feats_d is _MISSING:
        pass
    elif not isinstance(feats_d, list):
        c.err("features", f"expected an array of features, got {_show(feats_d)}")
    else:
        if not feats_d:
            c.err("features", "expected at least one feature, got an empty array")
        features = [_feature(c, f, i) for i, f in enumerate(feats_d)]
        _unique_identifiers(c, feats_d)
    hardening: tuple = ()
    cfg = doc.get("clkConfig")
    if isinstance(cfg, dict) and "hardening" in cfg:  # pprl's extension (hardening.py)
        hashed = [f.identifier for f in features if f is not None and not f.ignored]
        hardening, problems = parse_hardening(cfg["hardening"], length, hashed,
                                              [f.identifier for f in features if f])
        c.errors.extend(problems)
    if length is not None and kdf is not None and not c.errors:
        _cross_checks(c, length, folds, kdf, features)
    if c.errors:
        raise SchemaError(c.errors, source)
    for note in notes:
        warnings.warn(f"{source + ': ' if source else ''}{note}", UserWarning, stacklevel=3)
    return Schema(l=length, kdf=kdf, features=tuple(features), xor_folds=folds,
                  version=int(version), source=source, warnings=tuple(notes),
                  hardening=hardening)
