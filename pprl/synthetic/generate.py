"""Synthetic people: value pools built once with faker, sampled with numpy.

faker is used only to *build* pools of values (given names by sex, surnames,
street names, places with postcode and state, e-mail domains); records are
then drawn from the pools with a :class:`numpy.random.Generator`, which is
fast (no faker call per record) and reproducible (faker is seeded from the
caller's generator; no global random state is touched).

Frequencies are skewed like real populations: where faker ships frequency
weights (the US-census-derived name lists used by ``en_US`` and ``en_AU``,
and ``en_GB`` surnames) they are used; elsewhere values get Zipf weights
``1 / rank**s`` over a seeded random ranking, so a few values are common and
most are rare.

Columns agree with each other: the given name is drawn from the list for the
person's sex; the state follows from the postcode for en_AU (Australia Post
ranges), en_US (faker's ZIP ranges per state) and de_DE (two-digit postal
region, approximately); en_GB's ``state`` holds a county independent of the
postcode (faker's GB postcodes carry no county). Phone area codes follow the
state for en_AU; e-mail addresses are built from the person's names.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validation import check_rng, param_error

__all__ = ["PERSON_COLUMNS", "LOCALES", "make_people"]

#: Columns of a person record, in file order. Every column is a string.
PERSON_COLUMNS: tuple[str, ...] = (
    "rec_id",
    "given_name",
    "surname",
    "sex",
    "date_of_birth",
    "street_number",
    "street_address",
    "suburb",
    "postcode",
    "state",
    "phone",
    "email",
)

#: Locales with a value-pool recipe.
LOCALES: tuple[str, ...] = ("en_AU", "en_US", "en_GB", "de_DE")

# Zipf exponents by pool (rank-frequency slope); place sizes are the most skewed.
_ZIPF = {"given": 0.7, "surname": 0.8, "street": 0.6, "place": 0.9, "domain": 1.2}
_N_STREETS = 1500
_N_PLACES = 1000
_N_DOMAINS = 60
_DOB_START = np.datetime64("1930-01-01")
_DOB_END = np.datetime64("2009-12-31")

# Australian postcode ranges -> state (Australia Post allocation).
_AU_RANGES = (
    (200, 299, "ACT"), (800, 999, "NT"), (1000, 2599, "NSW"), (2600, 2618, "ACT"),
    (2619, 2899, "NSW"), (2900, 2920, "ACT"), (2921, 2999, "NSW"), (3000, 3999, "VIC"),
    (4000, 4999, "QLD"), (5000, 5999, "SA"), (6000, 6999, "WA"), (7000, 7999, "TAS"),
    (8000, 8999, "VIC"), (9000, 9999, "QLD"),
)
# Landline area code by state (Australian numbering plan).
_AU_AREA = {"NSW": "2", "ACT": "2", "VIC": "3", "TAS": "3", "QLD": "7",
            "SA": "8", "WA": "8", "NT": "8"}


# German two-digit postal regions (Leitregionen) -> the state holding most of each
# (the unused regions 05 and 43 go to their neighbours' state).
_DE_REGIONS = {
    "Sachsen": "00 01 02 04 08 09", "Brandenburg": "03 14 15 16", "Sachsen-Anhalt": "05 06 39",
    "Thüringen": "07 98 99", "Berlin": "10 11 12 13", "Mecklenburg-Vorpommern": "17 18 19",
    "Hamburg": "20 21 22", "Schleswig-Holstein": "23 24 25", "Bremen": "28",
    "Niedersachsen": "26 27 29 30 31 37 38 49", "Hessen": "34 35 36 60 61 62 63 64 65",
    "Nordrhein-Westfalen": "32 33 40 41 42 43 44 45 46 47 48 50 51 52 53 57 58 59",
    "Rheinland-Pfalz": "54 55 56 67", "Saarland": "66",
    "Baden-Württemberg": "68 69 70 71 72 73 74 75 76 77 78 79 88 89",
    "Bayern": "80 81 82 83 84 85 86 87 90 91 92 93 94 95 96 97",
}
_DE_STATE = {r: state for state, regions in _DE_REGIONS.items() for r in regions.split()}


def de_state_of_postcode(postcode: str) -> str:
    """The German state most of a postcode's two-digit region lies in ("" if none).

    Approximate: a few regions straddle state borders; each is given its main state.

    Examples
    --------
    >>> de_state_of_postcode("10115"), de_state_of_postcode("80331")
    ('Berlin', 'Bayern')
    """
    return _DE_STATE.get(postcode[:2], "")


def au_state_of_postcode(postcode: str) -> str:
    """The Australian state or territory a postcode belongs to ("" if none).

    Examples
    --------
    >>> au_state_of_postcode("2600"), au_state_of_postcode("3000"), au_state_of_postcode("0800")
    ('ACT', 'VIC', 'NT')
    """
    try:
        code = int(postcode)
    except ValueError:
        return ""
    for lo, hi, state in _AU_RANGES:
        if lo <= code <= hi:
            return state
    return ""


@dataclass(frozen=True)
class _Pool:
    values: np.ndarray  # object array of str
    p: np.ndarray  # float64 probabilities, sum 1

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.values), size=n, p=self.p)


@dataclass(frozen=True)
class _Pools:
    locale: str
    given_f: _Pool
    given_m: _Pool
    surname: _Pool
    street: _Pool
    place: _Pool  # values: indices into suburbs/postcodes/states
    suburbs: np.ndarray
    postcodes: np.ndarray
    states: np.ndarray
    domain: _Pool
    ascii_given_f: np.ndarray
    ascii_given_m: np.ndarray
    ascii_surname: np.ndarray


def _zipf_weights(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    return w / w.sum()


def _ranked_pool(values: list[str], seed_rng: np.random.Generator, s: float) -> _Pool:
    """Zipf weights over a seeded random ranking of the distinct values."""
    uniq = list(dict.fromkeys(v for v in values if v))
    order = seed_rng.permutation(len(uniq))
    arr = np.array([uniq[i] for i in order], dtype=object)
    return _Pool(arr, _zipf_weights(len(arr), s))


def _list_pool(source: object, seed_rng: np.random.Generator, s: float) -> _Pool:
    """A pool from a faker word list: its own weights if it has them, else Zipf."""
    if isinstance(source, dict):
        items = [(k, float(v)) for k, v in source.items() if k]
        arr = np.array([k for k, _ in items], dtype=object)
        w = np.array([v for _, v in items], dtype=np.float64)
        return _Pool(arr, w / w.sum())
    return _ranked_pool(list(source), seed_rng, s)


def _fold_ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-")).lower()


def _places(fake, locale: str) -> list[tuple[str, str, str]]:
    out = []
    for _ in range(_N_PLACES):
        if locale == "en_AU":
            pc = fake.postcode()
            out.append((fake.city(), pc, au_state_of_postcode(pc)))
        elif locale == "en_US":
            st = fake.state_abbr(include_territories=False)
            out.append((fake.city(), fake.postcode_in_state(st), st))
        elif locale == "en_GB":  # faker's GB postcodes carry no county: county is independent
            out.append((fake.city(), fake.postcode(), fake.county()))
        else:  # de_DE: state from the postcode's two-digit region
            pc = fake.postcode()
            out.append((fake.city_name(), pc, de_state_of_postcode(pc)))
    return out


@functools.lru_cache(maxsize=16)
def _build_pools(locale: str, seed: int) -> _Pools:
    from faker import Faker  # lazy: keep ``import pprl`` light

    fake = Faker(locale)
    fake.seed_instance(seed)
    seed_rng = np.random.default_rng(seed)
    person = next(p for p in fake.providers
                  if type(p).__module__.startswith("faker.providers.person"))
    given_f = _list_pool(person.first_names_female, seed_rng, _ZIPF["given"])
    given_m = _list_pool(person.first_names_male, seed_rng, _ZIPF["given"])
    surname = _list_pool(person.last_names, seed_rng, _ZIPF["surname"])
    streets = [fake.street_name() for _ in range(_N_STREETS)]
    street = _ranked_pool(streets, seed_rng, _ZIPF["street"])
    places = list(dict.fromkeys(_places(fake, locale)))
    order = seed_rng.permutation(len(places))
    places = [places[i] for i in order]
    place = _Pool(np.arange(len(places)), _zipf_weights(len(places), _ZIPF["place"]))
    domain = _ranked_pool([fake.free_email_domain() for _ in range(_N_DOMAINS * 4)], seed_rng,
                          _ZIPF["domain"])

    def fold(pool: _Pool) -> np.ndarray:
        return np.array([_fold_ascii(v) for v in pool.values], dtype=object)

    return _Pools(
        locale=locale, given_f=given_f, given_m=given_m, surname=surname, street=street,
        place=place,
        suburbs=np.array([p[0] for p in places], dtype=object),
        postcodes=np.array([p[1] for p in places], dtype=object),
        states=np.array([p[2] for p in places], dtype=object),
        domain=domain, ascii_given_f=fold(given_f), ascii_given_m=fold(given_m),
        ascii_surname=fold(surname),
    )


def _pools_for(locale: str, rng: np.random.Generator) -> _Pools:
    if locale not in LOCALES:
        raise param_error("locale", "pprl.synthetic", f"one of {list(LOCALES)}", locale)
    seed = int(rng.integers(0, 2**63 - 1))
    return _build_pools(locale, seed)


def _digits(rng: np.random.Generator, n: int, k: int) -> list[str]:
    """``n`` strings of ``k`` random decimal digits."""
    d = rng.integers(0, 10, size=(n, k), dtype=np.uint8) + np.uint8(ord("0"))
    return np.ascontiguousarray(d).view(f"S{k}").ravel().astype(f"U{k}").tolist()


def _phones(locale: str, rng: np.random.Generator, states: np.ndarray) -> np.ndarray:
    n = len(states)
    mobile = rng.random(n) < 0.6
    d8 = _digits(rng, n, 8)
    d2 = _digits(rng, n, 2)
    if locale == "en_AU":
        out = [
            f"04{b} {a[:3]} {a[3:6]}" if m else f"0{_AU_AREA.get(s, '2')} {a[:4]} {a[4:]}"
            for m, a, b, s in zip(mobile.tolist(), d8, d2, states.tolist(), strict=True)
        ]
    elif locale == "en_US":
        area = rng.integers(201, 990, size=n).tolist()
        out = [f"({c}) {a[:3]}-{a[3:7]}" for c, a in zip(area, d8, strict=True)]
    elif locale == "en_GB":
        out = [f"07{b}{a[0]} {a[1:7]}" if m else f"01{b}{a[0]} {a[1:7]}"
               for m, a, b in zip(mobile.tolist(), d8, d2, strict=True)]
    else:
        out = [f"01{5 + int(b[0]) % 3}{b[1]} {a[:7]}" if m
               else f"0{2 + int(b[0]) % 8}{b[1]}{a[0]} {a[1:8]}"
               for m, a, b in zip(mobile.tolist(), d8, d2, strict=True)]
    return np.array(out, dtype=object)


def _emails(rng, pools: _Pools, female: np.ndarray, gi: np.ndarray, si: np.ndarray) -> np.ndarray:
    n = len(gi)
    given = np.where(female, pools.ascii_given_f[np.minimum(gi, len(pools.ascii_given_f) - 1)],
                     pools.ascii_given_m[np.minimum(gi, len(pools.ascii_given_m) - 1)])
    sur = pools.ascii_surname[si]
    dom = pools.domain.values[pools.domain.sample(rng, n)]
    style = rng.integers(0, 4, size=n).tolist()
    num = rng.integers(1, 100, size=n).tolist()
    out = []
    for st, g, s, d, k in zip(style, given.tolist(), sur.tolist(), dom.tolist(), num, strict=True):
        if st == 0:
            out.append(f"{g}.{s}@{d}")
        elif st == 1:
            out.append(f"{g[:1]}{s}@{d}")
        elif st == 2:
            out.append(f"{g}{s}{k}@{d}")
        else:
            out.append(f"{s}.{g}{k}@{d}")
    return np.array(out, dtype=object)


def _address_block(pools: _Pools, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Street number, street, suburb, postcode and state for ``n`` addresses."""
    number = np.minimum(1 + rng.geometric(1 / 35, size=n), 999)
    place = pools.place.sample(rng, n)
    return {
        "street_number": np.array([str(x) for x in number.tolist()], dtype=object),
        "street_address": pools.street.values[pools.street.sample(rng, n)],
        "suburb": pools.suburbs[place],
        "postcode": pools.postcodes[place],
        "state": pools.states[place],
    }


def _people_columns(pools: _Pools, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Clean person columns (all but ``rec_id``) as object arrays of str."""
    female = rng.random(n) < 0.5
    gf = pools.given_f.sample(rng, n)
    gm = pools.given_m.sample(rng, n)
    gi = np.where(female, gf, gm)
    given = np.where(female, pools.given_f.values[gf], pools.given_m.values[gm])
    si = pools.surname.sample(rng, n)
    span = int((_DOB_END - _DOB_START).astype(np.int64))
    dob = _DOB_START + rng.integers(0, span + 1, size=n).astype("timedelta64[D]")
    cols: dict[str, np.ndarray] = {
        "given_name": given.astype(object),
        "surname": pools.surname.values[si],
        "sex": np.where(female, "f", "m").astype(object),
        "date_of_birth": np.datetime_as_string(dob, unit="D").astype(object),
    }
    cols.update(_address_block(pools, rng, n))
    cols["phone"] = _phones(pools.locale, rng, cols["state"])
    cols["email"] = _emails(rng, pools, female, gi, si)
    return cols


_UNITS = ("unit", "flat", "villa", "apartment", "suite")
_BUILDINGS = ("village", "house", "lodge", "park", "gardens", "court", "homestead", "estate",
              "farm", "retirement village", "caravan park", "towers")


def _address_extra(pools: _Pools, rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit, building or property names (``address_2``-style lines) for ``n`` addresses."""
    style = rng.random(n)
    unit = np.array(_UNITS, dtype=object)[rng.integers(0, len(_UNITS), size=n)]
    number = rng.integers(1, 60, size=n)
    building = np.array(_BUILDINGS, dtype=object)[rng.integers(0, len(_BUILDINGS), size=n)]
    place = pools.suburbs[pools.place.sample(rng, n)]
    street = pools.street.values[pools.street.sample(rng, n)]
    out = []
    for s, u, k, b, p, st in zip(style.tolist(), unit.tolist(), number.tolist(),
                                 building.tolist(), place.tolist(), street.tolist(), strict=True):
        if s < 0.3:
            out.append(f"{u} {k}")
        elif s < 0.7:
            stem = st.rsplit(" ", 1)[0] if " " in st else st
            out.append(f"{stem} {b}")
        else:
            out.append(p)
    return np.array(out, dtype=object)


def _id_numbers(rng: np.random.Generator, n: int, length: int) -> np.ndarray:
    """``n`` digit strings of ``length`` digits, the first not 0."""
    first = rng.integers(1, 10, size=n).tolist()
    rest = _digits(rng, n, length - 1) if length > 1 else [""] * n
    return np.array([f"{a}{b}" for a, b in zip(first, rest, strict=True)], dtype=object)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _rec_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 16-hex-digit ids drawn from ``rng`` (they encode nothing)."""
    ids = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
    while len(np.unique(ids)) < n:  # astronomically rare; redraw the repeats
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        ids[dup] = rng.integers(0, 2**63 - 1, size=len(dup), dtype=np.int64)
    b = ids.astype(">u8").view(np.uint8).reshape(n, 8)
    chars = np.empty((n, 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[b >> 4]
    chars[:, 1::2] = _HEX[b & 15]
    return chars.view("S16").ravel().astype("U16").astype(object)


def make_people(n: int, *, locale: str = "en_AU", rng: object = None) -> pd.DataFrame:
    """Clean (uncorrupted) synthetic person records.

    Parameters
    ----------
    n : int
        Number of records (one per person).
    locale : {"en_AU", "en_US", "en_GB", "de_DE"}, default="en_AU"
        faker locale of the value pools.
    rng : None, int, SeedSequence or numpy.random.Generator
        Source of every random choice (faker is seeded from it too).

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, columns :data:`PERSON_COLUMNS`, every value a ``str``.

    Raises
    ------
    InputError
        If ``n`` is not a non-negative integer or ``locale`` is unknown.

    Examples
    --------
    >>> people = make_people(3, rng=42)
    >>> list(people.columns) == list(PERSON_COLUMNS), len(people)
    (True, 3)
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise param_error("n", "make_people", "a non-negative integer", n)
    rng = check_rng(rng)
    pools = _pools_for(locale, rng)
    cols = _people_columns(pools, rng, int(n))
    cols["rec_id"] = _rec_ids(rng, int(n))
    return pd.DataFrame({c: cols[c] for c in PERSON_COLUMNS})
