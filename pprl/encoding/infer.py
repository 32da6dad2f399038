"""Propose a linkage schema from a sample of records.

:func:`infer_schema` looks at each column's name and a sample of its values
and picks a feature type and a comparison:

========================  ==================================================
what the column holds     how it is encoded
========================  ==================================================
record keys (unique IDs)  ignored (they differ between custodians)
dates                     ``date`` format with the detected ``strptime``
                          format, positional characters of ``YYYYMMDD``;
                          if some sampled values are not real dates (say
                          month 13), positional characters of the value as
                          written, so such rows still encode and link
postcodes, digit codes    positional characters (fixed length) or bigrams
                          (varying length)
numbers (ages, amounts)   numeric neighbourhoods, so near numbers agree
categories (few values)   the whole value as one token
names, streets, places    bigrams
========================  ==================================================

Every hashed feature treats an empty cell as missing (no bits), and no
string limits are imposed, so values unseen in the sample never make a row
invalid -- except a cell that is not a number in a numeric column.  Each
feature's weight (bits it sets) grows with how much an agreement on it
says: the log-odds ``-log2(sum(p_i ** 2))`` of two random sampled values
agreeing, estimated from the sample, times the share of filled cells.  The
``description`` of every feature explains the choice; it never quotes a
value from the data (schemas are shared between parties).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:  # pandas is imported by the functions that read a DataFrame
    import pandas as pd

__all__ = ["infer_schema", "ColumnGuess", "guess_column", "looks_like_record_key",
           "DATE_FORMATS"]

#: ``strptime`` formats tried on date-like columns, most common first.
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y",
                "%d-%m-%Y", "%m-%d-%Y", "%d%m%Y", "%m%d%Y")

_KEY_WORDS = {"id", "rec", "record", "row", "key", "uid", "uuid", "guid", "pk", "idx", "index",
              "no", "num", "number", "nr", "seq"}
#: Words naming identifiers a person carries everywhere: hashed, never taken for record keys.
_PERSONAL_ID_WORDS = {"ssn", "soc", "social", "sec", "security", "nhs", "medicare", "passport",
                      "license", "licence", "tax", "tfn", "national", "insurance", "sin", "nin",
                      "bsn", "pesel", "aadhaar", "driver", "drivers"}
_KEY_TAILS = {"id", "key", "uid", "uuid", "guid", "pk", "idx"}
_PHONE_WORDS = {"phone", "tel", "telephone", "mobile", "cell", "fax"}
_DATE_WORDS = {"date", "dob", "birth", "birthday", "born", "dt", "bday"}
_POSTCODE_WORDS = {"postcode", "post", "postal", "zip", "zipcode", "plz", "postcodes"}
_NUMBER_WORDS = {"age", "height", "weight", "income", "amount", "salary", "count", "score",
                 "size", "price", "cost", "bmi", "value"}
_NAME_WORDS = {"name", "given", "first", "surname", "last", "family", "middle", "forename",
               "fname", "lname", "maiden", "nickname"}
_STREET_WORDS = {"street", "address", "addr", "road", "line", "avenue"}
_PLACE_WORDS = {"suburb", "city", "town", "place", "locality", "county", "region", "state",
                "country", "district", "village", "province"}

_SHAPE_DATE = re.compile(r"^\d{1,4}[-/.]?\d{1,2}[-/.]?\d{1,4}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                   r"[0-9a-fA-F]{12}$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)$")

#: Expected bit insertions of all features together, for 1,024-bit CLKs.
_TOTAL_BITS = 700
_MAX_WEIGHT = 14.0


@dataclass(frozen=True)
class ColumnGuess:
    """What :func:`guess_column` decided for one column.

    Attributes
    ----------
    kind : str
        One of ``"empty"``, ``"key"``, ``"date"``, ``"loose-date"``,
        ``"postcode"``, ``"code"``, ``"number"``, ``"category"``, ``"name"``,
        ``"street"``, ``"place"``, ``"text"``.
    weight : float
        Log-odds of an agreement, times the share of filled cells (0 for
        ignored columns).
    tokens : float
        Mean number of tokens of a filled value under the chosen comparison.
    format : dict or None
        The feature's ``format`` (schema v3), None if ignored.
    comparison : dict or None
        The feature's ``hashing.comparison``, None if ignored.
    why : str
        The reason, used as the feature's ``description``.
    """

    kind: str
    weight: float
    tokens: float
    format: dict | None
    comparison: dict | None
    why: str


def _pd():
    """pandas, imported on first use (``pprl encode`` reads this module without it)."""
    import pandas

    return pandas


def _words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return {w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w}


def looks_like_record_key(name: str) -> bool:
    """Whether a column name reads like a record key (``rec_id``, ``RecordID``, ``uuid``).

    Examples
    --------
    >>> looks_like_record_key("rec_id"), looks_like_record_key("soc_sec_id")
    (True, False)
    """
    words = _words(name)
    if not words or words & _PERSONAL_ID_WORDS:
        return False
    last = re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower().strip(
        " _-"))[-1]
    return words <= _KEY_WORDS or last in _KEY_TAILS


def _log_odds(values: pd.Series) -> float:
    """``-log2`` of the chance that two random values agree."""
    p = values.value_counts(normalize=True).to_numpy()
    collide = float(np.sum(p * p))
    return min(_MAX_WEIGHT, -math.log2(collide)) if collide > 0 else 0.0


def _date_fit(values: pd.Series) -> tuple[str | None, float]:
    """The date format most values parse in, and the share that do."""
    shaped = values.str.fullmatch(_SHAPE_DATE.pattern)
    if shaped.mean() < 0.5:
        return None, 0.0
    best, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        parsed = _pd().to_datetime(values, format=fmt, errors="coerce")
        share = float(parsed.notna().mean())
        if share > best_share + 1e-12:
            best, best_share = fmt, share
    return best, best_share


def _ngram_tokens(lengths: np.ndarray, n: int) -> float:
    return float(np.mean(lengths + n - 1)) if lengths.size else 0.0


def guess_column(name: str, values: pd.Series) -> ColumnGuess:
    """Guess how to encode one column from its name and sampled values.

    Parameters
    ----------
    name : str
        The column's header.
    values : pandas.Series of str
        Sampled cells; ``""`` is an empty cell.

    Returns
    -------
    ColumnGuess

    Examples
    --------
    >>> import pandas as pd
    >>> guess_column("dob", pd.Series(["2/1/1980", "30/12/1975", ""])).kind
    'date'
    >>> guess_column("rec_id", pd.Series(["a1", "a2", "a3"])).kind
    'key'
    """
    values = values.astype(str).str.strip()
    n = len(values)
    filled = values[values != ""]
    m = len(filled)
    if m == 0:
        return ColumnGuess("empty", 0.0, 0.0, None, None,
                           "ignored: empty in every sampled row")
    fill = m / n
    words = _words(name)
    distinct = filled.nunique()
    unique = distinct == m and m >= 2
    lengths = filled.str.len().to_numpy()
    digits = bool(filled.str.fullmatch(r"\d+").all())
    # digit codes may carry spaces or dashes (phone numbers) and a few typos (OCR)
    digitish = float(filled.str.replace(r"\s*(x|ext\.?)\s*\d+$", "", regex=True)
                     .str.replace(r"[\s().+/.-]", "", regex=True)
                     .str.fullmatch(r"\d+").mean())
    numeric = bool(filled.str.fullmatch(_NUMBER.pattern).all())
    share = f"{fill:.0%} filled"

    def hashed(kind, fmt, comp, tokens, why):
        return ColumnGuess(kind, _log_odds(filled) * fill, tokens, fmt, comp, f"{why}; {share}")

    # record keys: unique, and named like a key, or row numbers / UUIDs
    keyish = looks_like_record_key(name)
    if unique and (keyish or bool(filled.str.fullmatch(_UUID.pattern).all())
                   or (digits and not words & _NUMBER_WORDS and _consecutive(filled))):
        return ColumnGuess("key", 0.0, 0.0, None, None,
                           "ignored: a record key (unique in the sample); it differs between "
                           "custodians. pprl encode keeps it as the record ID")
    dated = bool(words & _DATE_WORDS)
    fmt, ok = _date_fit(filled)
    if fmt is not None and (ok >= 0.9 or (dated and ok >= 0.5)):
        if ok == 1.0 and lengths.min() != lengths.max():
            return hashed("date", {"type": "date", "format": fmt},
                          {"type": "ngram", "n": 1, "positional": True}, 8.0,
                          f"date in the format {fmt} (varying width, so normalised to "
                          "YYYYMMDD), compared digit by digit (positional characters)")
        if ok == 1.0:
            why = (f"date in the format {fmt}, always {int(lengths.max())} characters wide; "
                   "compared as positional characters of the value as written, which "
                   "matches as a date format would but never rejects a mistyped date "
                   "(say, month 13) in the other party's data")
        else:
            why = (f"dates written {fmt}, but {1 - ok:.1%} of sampled values are not real "
                   "dates; compared as positional characters of the value as written, so "
                   "such rows still encode and their other digits still link")
        return hashed("loose-date", {"type": "string", "encoding": "utf-8"},
                      {"type": "ngram", "n": 1, "positional": True},
                      float(np.mean(lengths)), why)
    if numeric and not digits or (numeric and words & _NUMBER_WORDS):
        return _number(filled, hashed)
    if digitish >= 0.9 or (words & (_POSTCODE_WORDS | _PHONE_WORDS) and digitish >= 0.5):
        width, common = np.unique(lengths, return_counts=True)
        fixed = common.max() >= 0.95 * m
        kind = "postcode" if words & _POSTCODE_WORDS else "code"
        what = "postcode" if kind == "postcode" else "digit code"
        if digitish < 1:
            what += f" ({1 - digitish:.1%} of sampled values hold other characters)"
        if fixed:
            return hashed(kind, {"type": "string", "encoding": "utf-8"},
                          {"type": "ngram", "n": 1, "positional": True},
                          float(np.mean(lengths)),
                          f"{what} of {int(width[common.argmax()])} characters, compared digit by "
                          "digit (positional characters)")
        return hashed(kind, {"type": "string", "encoding": "utf-8"},
                      {"type": "ngram", "n": 2, "positional": False},
                      _ngram_tokens(lengths, 2),
                      f"{what} of {int(lengths.min())} to {int(lengths.max())} characters, "
                      "compared by bigrams (tolerates a digit added or lost)")
    if distinct <= 30 and distinct <= max(2, 0.05 * m):
        return hashed("category", {"type": "string", "encoding": "utf-8"}, {"type": "exact"},
                      1.0, f"category with {distinct} distinct values in the sample, compared "
                           "whole (exact)")
    if words & _NAME_WORDS and not words & (_STREET_WORDS | _PLACE_WORDS):
        kind, what = "name", "name"
    elif words & _STREET_WORDS:
        kind, what = "street", "street or address text"
    elif words & _PLACE_WORDS:
        kind, what = "place", "place name"
    else:
        kind, what = "text", "free text"
    return hashed(kind, {"type": "string", "encoding": "utf-8"},
                  {"type": "ngram", "n": 2, "positional": False},
                  _ngram_tokens(lengths, 2),
                  f"{what}, compared by bigrams (tolerates typos)")


def _consecutive(filled: pd.Series) -> bool:
    nums = np.sort(_pd().to_numeric(filled, errors="coerce").to_numpy())
    return len(nums) >= 2 and bool(np.all(np.diff(nums) == 1))


def _number(filled: pd.Series, hashed) -> ColumnGuess:
    nums = _pd().to_numeric(filled, errors="coerce").to_numpy(dtype=float)
    decimals = filled.str.extract(r"\.(\d*)$")[0].fillna("").str.len()
    fp = int(min(2, decimals.max()))
    lo, hi = np.percentile(nums, [5, 95])
    spread = max(hi - lo, 10.0 ** -fp)
    dist = max(10.0 ** -fp, round(0.02 * spread, fp))
    resolution = 4
    comp = {"type": "numeric", "thresholdDistance": dist if fp else int(round(dist)),
            "resolution": resolution, "fractional_precision": fp}
    return hashed("number", {"type": "string", "encoding": "utf-8"}, comp,
                  float(2 * resolution + 1),
                  f"number; values within about {comp['thresholdDistance']} share tokens "
                  "(numeric neighbourhood); a cell that is not a number is invalid (encode "
                  "with --invalid missing to leave such cells out)")


def infer_schema(records: pd.DataFrame, *, l: int = 1024,  # noqa: E741
                 total_bits: int = _TOTAL_BITS, source: str | None = None) -> dict:
    """Propose a linkage schema (v3 document) for the columns of ``records``.

    Parameters
    ----------
    records : pandas.DataFrame
        A sample of the records, all columns strings (read the CSV with
        ``dtype=str, keep_default_na=False``); the header gives the
        identifiers, in column order.
    l : int, default=1024
        CLK length in bits (a power of two, as blakeHash needs).
    total_bits : int, default=700
        Expected bit insertions of all features together, shared out by
        weight; scaled with ``l``.
    source : str, optional
        Name of the data, used in error messages.

    Returns
    -------
    dict
        A linkage schema v3 document with a ``description`` on every
        feature; :func:`pprl.load_schema` accepts it.

    Raises
    ------
    InputError
        No columns, no rows, or repeated column names.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": ["1", "2", "3", "4"], "surname": ["li", "ng", "ho", "li"],
    ...                    "dob": ["2/1/1980", "30/12/1975", "3/4/2001", "1/5/1990"]})
    >>> doc = infer_schema(df)
    >>> [f.get("ignored", False) for f in doc["features"]]
    [True, False, False]
    >>> doc["features"][2]["format"]
    {'type': 'date', 'format': '%d/%m/%Y'}
    """
    where = f"{source}: " if source else ""
    if not isinstance(records, _pd().DataFrame):
        raise InputError("The 'records' parameter of infer_schema must be a pandas DataFrame. "
                         f"Got a {type(records).__name__} instead.")
    cols = [str(c) for c in records.columns]
    if not cols:
        raise InputError(f"{where}no columns; expected a header row")
    if len(records) == 0:
        raise InputError(f"{where}no data rows; a schema is inferred from sampled values")
    seen: dict[str, int] = {}
    for i, c in enumerate(cols):
        if c in seen:
            raise InputError(f"{where}columns {seen[c] + 1} and {i + 1} are both named {c!r}; "
                             "expected unique column names")
        seen[c] = i
    if l < 64 or l & (l - 1):
        raise InputError(f"The 'l' parameter of infer_schema must be a power of two >= 64. "
                         f"Got {l!r} instead.")
    frame = records.fillna("").astype(str)
    guesses = [guess_column(c, frame.iloc[:, i]) for i, c in enumerate(cols)]
    total_weight = sum(g.weight for g in guesses if g.comparison is not None)
    budget = total_bits * l / 1024
    features = []
    for c, g in zip(cols, guesses, strict=True):
        if g.comparison is None or g.weight <= 0:
            why = g.why if g.comparison is None else f"ignored: {g.why.split(';')[0]}, but " \
                "every sampled value is the same"
            features.append({"identifier": c, "ignored": True, "description": why})
            continue
        bits = budget * g.weight / total_weight
        k = max(1, int(round(bits / max(g.tokens, 1.0))))
        features.append({
            "identifier": c,
            "description": f"{g.why}; weight {g.weight:.1f} bits of evidence -> "
                           f"{k} bits per token",
            "format": g.format,
            "hashing": {"comparison": g.comparison, "strategy": {"bitsPerToken": k},
                        "hash": {"type": "blakeHash"}, "missingValue": {"sentinel": ""}},
        })
    if all(f.get("ignored") for f in features):
        raise InputError(f"{where}no column looks worth hashing (all are empty, constant or "
                         "record keys); write the schema by hand (see docs/schema.md)")
    return {
        "version": 3,
        "description": f"inferred by pprl schema init from {source or 'a sample'}; "
                       "review before use",
        "clkConfig": {"l": l, "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64}},
        "features": features,
    }
