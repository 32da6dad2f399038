"""Check values against a feature's format and normalise them for hashing.

Works on distinct values (the encoder deduplicates first).  Problem messages
never quote the value (the caller holds it and shows it only when asked):
they say which rule failed and what was expected.  A value equal to
the feature's missing-value sentinel is neither checked nor formatted: it is
replaced by ``replaceWith``.  Otherwise integers are hashed as
``str(int(value))`` and dates as ``YYYYMMDD``; strings and enums as they are
(strings first put in a Unicode normal form if ``format.unicodeNormalization``
asks for one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from .model import DateFormat, EnumFormat, Feature, IntegerFormat, StringFormat

__all__ = ["check_and_format"]

_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _check_string(fmt: StringFormat, encoding: str, v: str) -> str | None:
    if not v.isascii():
        try:
            v.encode(encoding)
        except UnicodeEncodeError:
            return f"cannot be encoded as {encoding} (format.encoding)"
    if fmt.pattern is not None:
        if _compiled(fmt.pattern).fullmatch(v) is None:
            return f"does not match the pattern {fmt.pattern!r} (format.pattern)"
        return None
    if fmt.min_length is not None and len(v) < fmt.min_length:
        return (f"expected at least {fmt.min_length} characters (format.minLength), "
                f"got {len(v)}")
    if fmt.max_length is not None and len(v) > fmt.max_length:
        return (f"expected at most {fmt.max_length} characters (format.maxLength), "
                f"got {len(v)}")
    if fmt.case == "upper" and v.upper() != v:
        return "expected upper case (format.case)"
    if fmt.case == "lower" and v.lower() != v:
        return "expected lower case (format.case)"
    return None


_PATTERNS: dict[str, re.Pattern] = {}


def _compiled(pattern: str) -> re.Pattern:
    p = _PATTERNS.get(pattern)
    if p is None:
        p = _PATTERNS[pattern] = re.compile(pattern)
    return p


def _encodable(encoding: str, v: str) -> str | None:
    if v.isascii():
        return None
    try:
        v.encode(encoding)
    except UnicodeEncodeError:
        return f"cannot be encoded as {encoding}"
    return None


def _integer(fmt: IntegerFormat, v: str) -> tuple[str | None, str | None]:
    try:
        x = int(v, 10)
    except ValueError:
        return None, "expected a base-10 integer (format.type)"
    if fmt.minimum is not None and x < fmt.minimum:
        return None, f"expected at least {fmt.minimum} (format.minimum)"
    if fmt.maximum is not None and x > fmt.maximum:
        return None, f"expected at most {fmt.maximum} (format.maximum)"
    return str(x), None


def _date_slow(fmt: str, v: str) -> tuple[str | None, str | None]:
    try:
        return datetime.strptime(v, fmt).strftime("%Y%m%d"), None
    except ValueError as exc:
        # strptime's own words may quote the value or a piece of it ("unconverted
        # data remains: 3" for 19450493 in %Y%m%d): keep only value-free ones
        detail = str(exc)
        safe = detail.startswith(("day is out of range", "month must be", "day must be"))
        detail = f" ({detail})" if safe else ""
        return None, f"expected a date in the format {fmt!r} (format.format){detail}"


def _dates(fmt: str, values: Sequence[str], out: list, problems: dict, idx: list[int]) -> None:
    """Format dates; the common ISO form ``%Y-%m-%d`` is checked with numpy.

    The fast path takes only ``YYYY-MM-DD`` with ASCII digits, a year from 1000
    and a real calendar day, whose ``strptime``/``strftime`` result is plain
    digit-picking; anything else goes through ``datetime.strptime``.
    """
    rest = idx
    if fmt == "%Y-%m-%d" and idx:
        sel = np.asarray(idx, dtype=np.int64)
        vals = [values[i] for i in idx]
        lens = np.fromiter(map(len, vals), dtype=np.int64, count=len(vals))
        ten = lens == 10
        if ten.any():
            cand = sel[ten]
            a = np.array([values[i] for i in cand.tolist()], dtype="U10")
            b = a.view(np.uint32).reshape(-1, 10).astype(np.int64)
            digit_cols = [0, 1, 2, 3, 5, 6, 8, 9]
            dig = b[:, digit_cols] - 48
            shape_ok = ((dig >= 0) & (dig <= 9)).all(axis=1) & (b[:, 4] == 45) & (b[:, 7] == 45)
            y = dig[:, 0] * 1000 + dig[:, 1] * 100 + dig[:, 2] * 10 + dig[:, 3]
            mo = dig[:, 4] * 10 + dig[:, 5]
            d = dig[:, 6] * 10 + dig[:, 7]
            leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
            dim = _DAYS[np.clip(mo, 0, 12)] + ((mo == 2) & leap)
            ok = shape_ok & (y >= 1000) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= dim)
            if ok.any():
                digits = np.ascontiguousarray(b[ok][:, digit_cols].astype(np.uint32))
                formatted = digits.view("U8").ravel().tolist()
                for i, v in zip(cand[ok].tolist(), formatted, strict=True):
                    out[i] = v
            done = np.zeros(len(values), dtype=bool)
            done[cand[ok]] = True
            rest = [i for i in idx if not done[i]]
    for i in rest:
        out[i], msg = _date_slow(fmt, values[i])
        if msg:
            problems[i] = msg


def check_and_format(feature: Feature, values: Sequence[str]) -> tuple[list, dict[int, str]]:
    """Check and normalise distinct values of one hashed feature.

    Returns
    -------
    formatted : list of str or None
        The string to tokenise for each value (None where invalid).
    problems : dict of int to str
        Index of each invalid value and what is wrong with it.
    """
    h = feature.hashing
    fmt = feature.format
    values = list(values)
    if isinstance(fmt, StringFormat) and fmt.unicode_normalization and not (
            "".join(values).isascii()):  # ASCII is in every normal form
        form = fmt.unicode_normalization
        values = [unicodedata.normalize(form, v) for v in values]
    out: list = [None] * len(values)
    problems: dict[int, str] = {}
    mv = h.missing_value
    skip = -1
    if mv is not None:
        try:  # values are distinct: the sentinel appears at most once
            skip = values.index(mv.sentinel)
            out[skip] = mv.replacement
        except ValueError:
            pass
    todo = [i for i in range(len(values)) if i != skip] if skip >= 0 else range(len(values))
    enc = h.encoding
    if isinstance(fmt, StringFormat):
        if fmt.pattern is None and fmt.case == "mixed":
            # common case: only encodability and length limits, checked in bulk
            out = values.copy()
            if skip >= 0:
                out[skip] = mv.replacement
            bad: list[int] = []
            if fmt.min_length is not None or fmt.max_length is not None:
                lens = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
                wrong = np.zeros(len(values), dtype=bool)
                if fmt.min_length is not None:
                    wrong |= lens < fmt.min_length
                if fmt.max_length is not None:
                    wrong |= lens > fmt.max_length
                if skip >= 0:
                    wrong[skip] = False
                bad = np.flatnonzero(wrong).tolist()
            if not "".join(values).isascii():
                bad += [i for i in todo if not values[i].isascii()]
            for i in sorted(set(bad)):
                msg = _check_string(fmt, enc, values[i])
                if msg:
                    problems[i] = msg
                    out[i] = None
            return out, problems
        for i in todo:
            msg = _check_string(fmt, enc, values[i])
            if msg:
                problems[i] = msg
            else:
                out[i] = values[i]
        return out, problems
    if "".join(values).isascii():  # the common case: every value encodes
        ok = list(todo)
    else:
        ok = []
        for i in todo:
            msg = _encodable(enc, values[i])
            if msg:
                problems[i] = msg
            else:
                ok.append(i)
    if isinstance(fmt, IntegerFormat):
        for i in ok:
            out[i], msg = _integer(fmt, values[i])
            if msg:
                problems[i] = msg
    elif isinstance(fmt, DateFormat):
        _dates(fmt.format, values, out, problems, ok)
    elif isinstance(fmt, EnumFormat):
        allowed = set(fmt.values)
        for i in ok:
            v = values[i]
            if v in allowed:
                out[i] = v
            else:
                shown = ", ".join(repr(a) for a in fmt.values[:10])
                problems[i] = f"expected one of {shown} (format.values)"
    return out, problems
