"""Corruptors: small objects that change one field value the way people and machines do.

Each corruptor is called as ``corruptor(value, u)`` where ``u`` is a short
sequence of uniform random numbers in [0, 1) drawn by the caller from its
``numpy.random.Generator``; it returns the corrupted value, or ``None`` when
it does not apply to this value (a nickname for a name without one, a
day/month swap for day 13 or later, a deletion from an empty string...).
Corruptors are pure functions of ``(value, u)``: no random state of their own.

The registry :data:`CORRUPTORS` maps a kind name to its corruptor; the
fields each kind may be applied to are in :data:`FIELD_KINDS`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
from collections.abc import Sequence
from importlib import resources

__all__ = [
    "Corruptor",
    "CORRUPTORS",
    "FIELD_KINDS",
    "RECORD_KINDS",
    "N_UNIFORMS",
    "nickname_table",
]

#: How many uniforms a corruptor may read from ``u``.
N_UNIFORMS = 4

_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    pos = {c: (r, i) for r, row in enumerate(_ROWS) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in pos.items():
        near = []
        if c.isdigit():  # a slipped finger on the number row hits another digit
            out[c] = "".join(x for x in _ROWS[0][max(i - 1, 0):i + 2] if x.isdigit() and x != c)
            continue
        # Rows are staggered: the row above touches columns i and i+1, the row below i-1 and i.
        for rr, cols in ((r - 1, (i, i + 1)), (r, (i - 1, i + 1)), (r + 1, (i - 1, i))):
            if not 1 <= rr < len(_ROWS):  # letters slip to letters, not digits
                continue
            near.extend(_ROWS[rr][j] for j in cols if 0 <= j < len(_ROWS[rr]))
        out[c] = "".join(near)
    return out


_NEAR = _keyboard_neighbours()


def _pick(seq: Sequence, u: float):
    return seq[min(int(u * len(seq)), len(seq) - 1)]


def _same_case(new: str, old: str) -> str:
    return new.upper() if old.isupper() else new


class Corruptor:
    """Base class: a named change to one value; subclasses define ``__call__``."""

    kind: str = ""
    description: str = ""

    def __call__(self, value: str, u: Sequence[float]) -> str | None:  # pragma: no cover
        """The changed ``value``, or None where the change does not apply.

        ``u`` holds uniform draws in [0, 1) that choose where and how to change it.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<corruptor {self.kind}>"


class TypoInsert(Corruptor):
    kind = "typo_insert"
    description = "keyboard typo: an extra key next to a neighbouring character"

    def __call__(self, value, u):
        if not value:
            return None
        i = _pick(range(len(value)), u[0])
        c = value[i].lower()
        near = _NEAR.get(c) or c
        extra = _same_case(_pick(near, u[1]), value[i])
        at = i + (1 if u[2] < 0.5 else 0)
        return value[:at] + extra + value[at:]


class TypoDelete(Corruptor):
    kind = "typo_delete"
    description = "keyboard typo: one character left out"

    def __call__(self, value, u):
        if len(value) < 2:
            return None
        i = _pick(range(len(value)), u[0])
        return value[:i] + value[i + 1:]


class TypoSubstitute(Corruptor):
    kind = "typo_substitute"
    description = "keyboard typo: a character replaced by a neighbouring key"

    def __call__(self, value, u):
        idx = [i for i, c in enumerate(value) if c.lower() in _NEAR]
        if not idx:
            return None
        i = _pick(idx, u[0])
        new = _same_case(_pick(_NEAR[value[i].lower()], u[1]), value[i])
        return value[:i] + new + value[i + 1:]


class TypoTranspose(Corruptor):
    kind = "typo_transpose"
    description = "keyboard typo: two adjacent characters swapped"

    def __call__(self, value, u):
        idx = [i for i in range(len(value) - 1) if value[i] != value[i + 1]]
        if not idx:
            return None
        i = _pick(idx, u[0])
        return value[:i] + value[i + 1] + value[i] + value[i + 2:]


class _Rules(Corruptor):
    """Replace one occurrence of one matching pattern (rules: (old, new) pairs)."""

    rules: tuple[tuple[str, str], ...] = ()
    fold_case = False

    def __init__(self) -> None:
        self._cache: dict[str, list] = {}  # text -> hits; values repeat (they come from pools)

    def _hits(self, text: str) -> list:
        hits = self._cache.get(text)
        if hits is None:
            hits = []
            for old, new in self.rules:
                start = text.find(old)
                while start >= 0:
                    hits.append((start, old, new))
                    start = text.find(old, start + 1)
            if len(self._cache) < 200_000:
                self._cache[text] = hits
        return hits

    def __call__(self, value, u):
        text = value.lower() if self.fold_case else value
        hits = self._hits(text)
        if not hits:
            return None
        start, old, new = _pick(hits, u[0])
        out = text[:start] + new + text[start + len(old):]
        if self.fold_case:
            if value.isupper():
                out = out.upper()
            elif value[:1].isupper():
                out = out[:1].upper() + out[1:]
        return out if out != value else None


class OCR(_Rules):
    kind = "ocr"
    description = "optical character recognition confusion (rn/m, 0/O, 1/l, 5/S, ...)"
    rules = (
        ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("vv", "w"), ("w", "vv"),
        ("0", "O"), ("O", "0"), ("o", "0"), ("1", "l"), ("l", "1"), ("I", "1"), ("i", "l"),
        ("5", "S"), ("S", "5"), ("8", "B"), ("B", "8"), ("2", "Z"), ("Z", "2"),
        ("6", "G"), ("G", "6"), ("9", "g"), ("g", "9"), ("u", "v"), ("v", "u"),
        ("h", "b"), ("e", "c"), ("n", "h"),
    )


class Phonetic(_Rules):
    kind = "phonetic"
    description = "spelling that sounds the same (ph/f, ck/k, y/ie, double letters, ...)"
    fold_case = True
    rules = (
        ("ph", "f"), ("f", "ph"), ("ck", "k"), ("k", "ck"), ("c", "k"), ("k", "c"),
        ("qu", "kw"), ("x", "ks"), ("ks", "x"), ("gh", ""), ("th", "t"), ("sch", "sh"),
        ("sh", "sch"), ("z", "s"), ("s", "z"), ("ou", "ow"), ("ow", "ou"), ("ee", "ea"),
        ("ea", "ee"), ("ai", "ay"), ("ay", "ai"), ("ey", "ie"), ("ie", "y"), ("y", "ie"),
        ("ll", "l"), ("tt", "t"), ("nn", "n"), ("mm", "m"), ("ss", "s"), ("rr", "r"),
        ("son", "sen"), ("sen", "son"), ("mann", "man"), ("ei", "ai"), ("dt", "t"),
        ("ph", "v"), ("v", "w"), ("w", "v"), ("tz", "z"), ("ae", "e"), ("oe", "o"),
    )


class Abbreviate(Corruptor):
    kind = "abbreviate"
    description = "abbreviation (Street/St, Mount/Mt, a given name cut to its initial)"
    words = {
        "Street": "St", "Road": "Rd", "Avenue": "Ave", "Drive": "Dr", "Court": "Ct",
        "Place": "Pl", "Crescent": "Cres", "Terrace": "Tce", "Parade": "Pde",
        "Highway": "Hwy", "Boulevard": "Blvd", "Lane": "Ln", "Square": "Sq",
        "Circle": "Cir", "Close": "Cl", "Grove": "Gr", "Mount": "Mt", "Saint": "St",
        "North": "Nth", "South": "Sth", "East": "E", "West": "W", "Port": "Pt",
        "Fort": "Ft", "Heights": "Hts", "Gardens": "Gdns", "Point": "Pt",
        "Mountain": "Mtn", "Lake": "Lk", "Station": "Stn", "Junction": "Jct",
        "Springs": "Spgs", "Village": "Vlg", "Park": "Pk", "Bridge": "Br",
        "New": "Nw", "Upper": "Upr", "Lower": "Lwr",
        "straße": "str.", "Straße": "Str.", "strasse": "str.", "platz": "pl.",
        "Platz": "Pl.", "Sankt": "St.", "Bad ": "B. ",
        "Nordrhein-Westfalen": "NRW", "Baden-Württemberg": "BW", "Bayern": "BY",
        "Niedersachsen": "NI", "Rheinland-Pfalz": "RP", "Schleswig-Holstein": "SH",
        "Mecklenburg-Vorpommern": "MV", "Sachsen-Anhalt": "ST", "Brandenburg": "BB",
        "Thüringen": "TH", "Hessen": "HE", "Saarland": "SL", "Hamburg": "HH",
        "Berlin": "BE", "Bremen": "HB", "Sachsen": "SN",
    }
    _ordered = tuple(sorted(words.items(), key=lambda kv: -len(kv[0])))

    def __init__(self) -> None:
        self._cache: dict[str, list] = {}

    def __call__(self, value, u):
        hits = self._cache.get(value)
        if hits is None:
            hits = [(k, v) for k, v in self._ordered if k in value]
            if len(self._cache) < 200_000:
                self._cache[value] = hits
        if hits:
            k, v = _pick(hits, u[0])
            out = value.replace(k, v, 1)
            return out if out != value else None
        return None


class Initial(Corruptor):
    kind = "initial"
    description = "given name reduced to its initial"

    def __call__(self, value, u):
        return value[0] if len(value) > 1 else None


class Nickname(Corruptor):
    kind = "nickname"
    description = "nickname or name variant (William/Bill/Will)"

    def __call__(self, value, u):
        variants = nickname_table().get(value.strip().title())
        if not variants:
            return None
        out = _pick(variants, u[0])
        return out.upper() if value.isupper() else out


class Missing(Corruptor):
    kind = "missing"
    description = "value left blank"

    def __call__(self, value, u):
        return "" if value else None


class Case(Corruptor):
    kind = "case"
    description = "upper/lower/capitalisation noise"

    def __call__(self, value, u):
        options = [x for x in (value.upper(), value.lower(), value.capitalize(),
                               value.swapcase()) if x != value]
        return _pick(options, u[0]) if options else None


class Whitespace(Corruptor):
    kind = "whitespace"
    description = "spaces added, doubled or removed"

    def __call__(self, value, u):
        if not value:
            return None
        spaces = [i for i, c in enumerate(value) if c == " "]
        choice = int(u[0] * 4)
        if choice == 0 and spaces:
            i = _pick(spaces, u[1])
            return value[:i] + value[i + 1:]
        if choice == 1 and spaces:
            i = _pick(spaces, u[1])
            return value[:i] + " " + value[i:]
        if choice == 2 and len(value) > 2:
            i = 1 + _pick(range(len(value) - 1), u[1])
            return value[:i] + " " + value[i:]
        return " " + value if u[1] < 0.5 else value + " "


def _parse_date(value: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class DateSwap(Corruptor):
    kind = "date_swap"
    description = "day and month swapped (only when both are 12 or less and differ)"

    def __call__(self, value, u):
        d = _parse_date(value)
        if d is None or d.day > 12 or d.day == d.month:
            return None
        return d.replace(month=d.day, day=d.month).isoformat()


class DateDigit(Corruptor):
    kind = "date_digit"
    description = "one digit of the date off by one (result is still a valid date)"

    def __call__(self, value, u):
        if _parse_date(value) is None:
            return None
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        start = int(u[0] * len(digits))
        step = 1 if u[1] < 0.5 else -1
        for k in range(len(digits)):
            i = digits[(start + k) % len(digits)]
            for s in (step, -step):
                new = str((int(value[i]) + s) % 10)
                out = value[:i] + new + value[i + 1:]
                if _parse_date(out) is not None:
                    return out
        return None


class DateYear(Corruptor):
    kind = "date_year"
    description = "year shifted by 1 (70%) or by 10 (30%), either way"

    def __call__(self, value, u):
        d = _parse_date(value)
        if d is None:
            return None
        shift = (1 if u[0] < 0.7 else 10) * (1 if u[1] < 0.5 else -1)
        try:
            return d.replace(year=d.year + shift).isoformat()
        except ValueError:  # 29 February in a non-leap year
            return d.replace(year=d.year + shift, day=28).isoformat()


#: kind -> corruptor applied to a single field value.
CORRUPTORS: dict[str, Corruptor] = {
    c.kind: c
    for c in (
        TypoInsert(), TypoDelete(), TypoSubstitute(), TypoTranspose(), OCR(), Phonetic(),
        Nickname(), Abbreviate(), Initial(), Missing(), Case(), Whitespace(), DateSwap(),
        DateDigit(), DateYear(),
    )
}

#: Record-level kinds: they change several fields at once.
RECORD_KINDS: dict[str, str] = {
    "swap_names": "given name and surname swapped",
    "moved": "moved house: a new street number, street, suburb, postcode and state",
}

_TYPO = ("typo_insert", "typo_delete", "typo_substitute", "typo_transpose", "ocr")
_TEXT = _TYPO + ("missing", "case", "whitespace")
#: field -> kinds that may be applied to it.
FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "given_name": _TEXT + ("phonetic", "nickname", "abbreviate", "initial"),
    "surname": _TEXT + ("phonetic",),
    "sex": ("missing",),  # the person schema holds sex as an enum of "f", "m"
    "date_of_birth": ("date_swap", "date_digit", "date_year", "missing"),
    "street_number": _TYPO + ("missing", "whitespace"),
    "street_address": _TEXT + ("phonetic", "abbreviate"),
    "suburb": _TEXT + ("phonetic", "abbreviate"),
    "postcode": _TYPO + ("missing", "whitespace"),
    "state": _TEXT + ("abbreviate",),
    "phone": _TYPO + ("missing", "whitespace"),
    "email": _TEXT,
    # fields that only a column description (pprl.synthetic.columns) asks for
    "address_extra": _TEXT + ("phonetic", "abbreviate"),
    "id_number": _TYPO + ("missing", "whitespace"),
}


@functools.lru_cache(maxsize=1)
def nickname_table() -> dict[str, tuple[str, ...]]:
    """Name -> variants, from ``pprl/synthetic/data/nicknames.csv``, in both directions.

    A formal name maps to its nicknames; a nickname maps to the formal names
    it comes from and the other nicknames of those names.

    Examples
    --------
    >>> "Bill" in nickname_table()["William"], "William" in nickname_table()["Bill"]
    (True, True)
    """
    groups: dict[str, list[str]] = {}
    text = resources.files("pprl.synthetic").joinpath("data/nicknames.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        groups.setdefault(row["name"], [])
        groups[row["name"]].extend(v for v in row["variants"].split(";") if v)
    table: dict[str, list[str]] = {}
    for name, nicks in groups.items():
        family = [name] + nicks
        for member in family:
            bucket = table.setdefault(member, [])
            bucket.extend(x for x in family if x != member and x not in bucket)
    return {k: tuple(v) for k, v in table.items()}
