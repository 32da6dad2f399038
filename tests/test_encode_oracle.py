"""pprl.encode against clkhash 0.18 (the oracle): identical bytes for every schema option."""

from __future__ import annotations

import base64
import copy
import datetime as dt

import numpy as np
import pytest

clkhash = pytest.importorskip("clkhash")
from clkhash import clk as ch_clk  # noqa: E402
from clkhash import schema as ch_schema  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pprl import InvalidRecordError, encode  # noqa: E402
from pprl.encoding.schema import PERSON_SCHEMA_PATH  # noqa: E402

pytestmark = pytest.mark.oracle


def clkhash_encode(rows, schema_dict, secret):
    s = ch_schema.from_json_dict(copy.deepcopy(schema_dict))
    out = ch_clk.generate_clks(rows, s, secret, validate=True, max_workers=1)
    return np.array([np.frombuffer(b.tobytes(), dtype=np.uint8) for b in out]).reshape(
        len(rows), -1)


def assert_same(rows, schema_dict, secret):
    ours = encode(rows, copy.deepcopy(schema_dict), secret, progress=False)
    theirs = clkhash_encode(rows, schema_dict, secret)
    assert ours.shape == theirs.shape
    for i in range(len(rows)):
        assert ours[i].tobytes() == theirs[i].tobytes(), f"row {i}: {rows[i]!r}"


# --- random schemas with values that fit them -----------------------------------

_DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%m-%d-%y"]
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_ASCII = st.text(alphabet=st.characters(codec="ascii"), max_size=12)


@st.composite
def feature_and_values(draw, n_rows, power_of_two):
    kind = draw(st.sampled_from(["string", "integer", "date", "enum", "numstring"]))
    fmt: dict
    values: list[str]
    if kind == "string":
        enc = draw(st.sampled_from([None, "utf-8", "utf-16", "utf-32", "ascii"]))
        fmt = {"type": "string"}
        if enc:
            fmt["encoding"] = enc
        text = _ASCII if enc == "ascii" else _TEXT
        values = draw(st.lists(text, min_size=n_rows, max_size=n_rows))
        comp = draw(st.sampled_from(["ngram", "exact"]))
    elif kind == "numstring":
        fmt = {"type": "string"}
        nums = st.one_of(
            st.integers(-10**6, 10**6).map(str),
            st.floats(-1e4, 1e4, allow_nan=False).map(lambda x: f"{x:.3f}"),
        )
        values = draw(st.lists(nums, min_size=n_rows, max_size=n_rows))
        comp = "numeric"
    elif kind == "integer":
        lo = draw(st.integers(-100, 0))
        hi = draw(st.integers(1, 10**5))
        fmt = {"type": "integer", "minimum": lo, "maximum": hi}
        ints = st.integers(lo, hi)
        forms = st.sampled_from(["{}", " {}", "{} ", "+{}", "0{}"])
        values = [draw(forms).format(v) if v >= 0 else str(v)
                  for v in draw(st.lists(ints, min_size=n_rows, max_size=n_rows))]
        comp = draw(st.sampled_from(["ngram", "exact", "numeric"]))
    elif kind == "date":
        f = draw(st.sampled_from(_DATE_FORMATS))
        fmt = {"type": "date", "format": f}
        days = st.dates(dt.date(1000 if f != "%m-%d-%y" else 1969, 1, 1), dt.date(2999, 12, 31))
        values = [d.strftime(f) for d in draw(st.lists(days, min_size=n_rows, max_size=n_rows))]
        if f == "%Y-%m-%d":  # also the forms strptime accepts but the fast path does not
            values = [v.replace("-0", "-") if draw(st.booleans()) else v for v in values]
        comp = draw(st.sampled_from(["ngram", "exact"]))
    else:
        allowed = draw(st.lists(_TEXT.filter(bool), min_size=1, max_size=5, unique=True))
        fmt = {"type": "enum", "values": allowed}
        values = draw(st.lists(st.sampled_from(allowed), min_size=n_rows, max_size=n_rows))
        comp = draw(st.sampled_from(["ngram", "exact"]))
    if comp == "ngram":
        comparison = {"type": "ngram", "n": draw(st.integers(1, 4))}
        if draw(st.booleans()):
            comparison["positional"] = draw(st.booleans())
    elif comp == "exact":
        comparison = {"type": "exact"}
    else:
        fp = draw(st.integers(0, 3))
        td = draw(st.one_of(st.integers(1, 50), st.floats(1.0, 50.0)))
        comparison = {"type": "numeric", "thresholdDistance": td,
                      "resolution": draw(st.integers(1, 6))}
        if fp or draw(st.booleans()):
            comparison["fractional_precision"] = fp
    if draw(st.booleans()):
        strategy = {"bitsPerToken": draw(st.integers(1, 40))}
    else:
        strategy = {"bitsPerFeature": draw(st.integers(1, 300))}
    hashing = {"comparison": comparison, "strategy": strategy}
    h = draw(st.sampled_from(["absent", "blake", "double", "double_ps", "double_nops"]))
    if not power_of_two and h in ("absent", "blake"):
        h = "double_ps"
    if h == "blake":
        hashing["hash"] = {"type": "blakeHash"}
    elif h.startswith("double"):
        hashing["hash"] = {"type": "doubleHash"}
        if h == "double_ps":
            hashing["hash"]["prevent_singularity"] = True
        elif h == "double_nops":
            hashing["hash"]["prevent_singularity"] = False
    if draw(st.booleans()):
        sentinel = draw(st.sampled_from(["", "N/A"]))
        mv = {"sentinel": sentinel}
        if draw(st.booleans()):
            mv["replaceWith"] = draw(st.sampled_from(["", "missing", "0"]))
            if comp == "numeric":
                mv["replaceWith"] = "0"
        elif comp == "numeric":
            mv["replaceWith"] = "0"
        hashing["missingValue"] = mv
        values = [sentinel if draw(st.integers(0, 4)) == 0 else v for v in values]
    elif comp != "numeric" and kind == "string":
        pass
    return {"format": fmt, "hashing": hashing}, values


@st.composite
def schema_and_rows(draw):
    n_rows = draw(st.integers(1, 6))
    l_ = draw(st.sampled_from([64, 128, 256, 1024, 200, 1000]))
    pow2 = l_ & (l_ - 1) == 0
    n_feat = draw(st.integers(1, 4))
    features, columns = [], []
    for i in range(n_feat):
        if draw(st.integers(0, 5)) == 0:
            features.append({"identifier": f"ign{i}", "ignored": True})
            columns.append([draw(_TEXT) for _ in range(n_rows)])
            continue
        spec, values = draw(feature_and_values(n_rows, pow2))
        features.append({"identifier": f"f{i}", **spec})
        columns.append(values)
    kdf = {"type": "HKDF"}
    if draw(st.booleans()):
        kdf["hash"] = draw(st.sampled_from(["SHA256", "SHA512"]))
    if draw(st.booleans()):
        kdf["salt"] = base64.b64encode(draw(st.binary(max_size=20))).decode()
    if draw(st.booleans()):
        kdf["info"] = base64.b64encode(draw(st.binary(max_size=20))).decode()
    if draw(st.booleans()):
        kdf["keySize"] = draw(st.integers(1, 64))
    cfg = {"l": l_, "kdf": kdf}
    if draw(st.booleans()):
        cfg["xor_folds"] = draw(st.integers(0, 2))
    schema = {"version": 3, "clkConfig": cfg, "features": features}
    rows = [[c[r] for c in columns] for r in range(n_rows)]
    secret = draw(st.one_of(st.binary(min_size=1, max_size=16),
                            st.text(min_size=1, max_size=8).filter(
                                lambda s: all(not 0xD800 <= ord(c) <= 0xDFFF for c in s))))
    return schema, rows, secret


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(schema_and_rows())
def test_random_schemas_match_clkhash(case):
    schema, rows, secret = case
    assert_same(rows, schema, secret)


# --- named options, one by one ----------------------------------------------------

def _one(fmt, hashing, l_=1024, **cfg):
    return {"version": 3, "clkConfig": {"l": l_, "kdf": {"type": "HKDF"}, **cfg},
            "features": [{"identifier": "x", "format": fmt, "hashing": hashing}]}


NAMES = ["", "\x00", "a\x00", "anna", "Jürgen", "O'Brien-Smith", "李小龙", "ab ab ab", "  x  ",
         "a" * 80]

OPTIONS = {
    "bigram-blake": ({"type": "string"}, {"comparison": {"type": "ngram", "n": 2},
                                          "strategy": {"bitsPerToken": 20}}),
    "positional-trigram": ({"type": "string"}, {
        "comparison": {"type": "ngram", "n": 3, "positional": True},
        "strategy": {"bitsPerToken": 7}, "hash": {"type": "blakeHash"}}),
    "unigram-bitsPerFeature": ({"type": "string"}, {
        "comparison": {"type": "ngram", "n": 1}, "strategy": {"bitsPerFeature": 100}}),
    "double-hash": ({"type": "string"}, {
        "comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 30},
        "hash": {"type": "doubleHash"}}),
    "double-hash-non-singular": ({"type": "string", "encoding": "utf-16"}, {
        "comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 30},
        "hash": {"type": "doubleHash", "prevent_singularity": True}}),
    "exact-utf32": ({"type": "string", "encoding": "utf-32"}, {
        "comparison": {"type": "exact"}, "strategy": {"bitsPerFeature": 50}}),
    "missing-replace": ({"type": "string"}, {
        "comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 10},
        "missingValue": {"sentinel": "", "replaceWith": "unknown"}}),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_string_options_match_clkhash(name):
    fmt, hashing = OPTIONS[name]
    assert_same([[v] for v in NAMES], _one(fmt, hashing), b"option test")


@pytest.mark.parametrize("fp,td,res", [(0, 5, 2), (2, 0.5, 3), (1, 2.25, 1), (3, 10, 4)])
def test_numeric_comparison_matches_clkhash(fp, td, res):
    hashing = {"comparison": {"type": "numeric", "thresholdDistance": td, "resolution": res,
                              "fractional_precision": fp}, "strategy": {"bitsPerToken": 5}}
    vals = ["0", "1", "-7", "12.345", "99.995", "-0.5", "1e3", "123456789", " 42 ", "2.5"]
    assert_same([[v] for v in vals], _one({"type": "string"}, hashing), b"k")
    ints = ["0", "+5", "-13", " 77", "1000"]
    assert_same([[v] for v in ints], _one({"type": "integer"}, hashing), b"k")


def test_dates_and_enums_match_clkhash():
    hashing = {"comparison": {"type": "ngram", "n": 1, "positional": True},
               "strategy": {"bitsPerToken": 10}, "missingValue": {"sentinel": ""}}
    dates = ["1980-01-02", "1980-1-2", "2000-02-29", "0999-12-31", "1066-10-14", ""]
    assert_same([[d] for d in dates], _one({"type": "date", "format": "%Y-%m-%d"}, hashing),
                "s")
    enum = {"type": "enum", "values": ["f", "m", "x"]}
    assert_same([["f"], ["m"], ["x"], [""]], _one(enum, hashing), "s")


@pytest.mark.parametrize("folds", [0, 1, 2, 3])
def test_xor_folds_match_clkhash(folds):
    hashing = {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}
    schema = _one({"type": "string"}, hashing, l_=256, xor_folds=folds)
    assert_same([[v] for v in NAMES], schema, b"fold")


def test_camel_case_xor_folds_is_ignored_like_clkhash():
    hashing = {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}
    schema = _one({"type": "string"}, hashing, l_=256, xorFolds=2)
    with pytest.warns(UserWarning, match="xorFolds"):
        assert_same([[v] for v in NAMES], schema, b"fold")


def test_full_feature_marked_ignored_is_skipped_like_clkhash():
    hashing = {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 20}}
    schema = _one({"type": "string"}, hashing)
    schema["features"].insert(0, {"identifier": "skip", "ignored": True,
                                  "format": {"type": "string"}, "hashing": hashing})
    assert_same([["a", "anna"], ["b", "bob"]], schema, b"k")


def test_small_filter_hits_the_singularity_and_matches():
    # with l = 8 about one token in eight has an MD5 part of 0 mod l
    hashing = {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 3},
               "hash": {"type": "doubleHash", "prevent_singularity": True}}
    schema = _one({"type": "string"}, hashing, l_=8)
    words = [chr(97 + i) + chr(97 + j) for i in range(10) for j in range(10)]
    assert_same([[w] for w in words], schema, b"s")
    hashing["hash"]["prevent_singularity"] = False
    assert_same([[w] for w in words], schema, b"s")


def test_v1_and_v2_schemas_are_converted_like_clkhash():
    v2 = {"version": 2, "clkConfig": {"l": 512, "kdf": {"type": "HKDF"}},
          "features": [
              {"identifier": "a", "format": {"type": "string"},
               "hashing": {"ngram": 2, "strategy": {"k": 15}}},
              {"identifier": "b", "format": {"type": "string"},
               "hashing": {"ngram": 1, "positional": True, "strategy": {"numBits": 40},
                           "hash": {"type": "doubleHash"}}}]}
    rows = [["anna", "2000"], ["bob", "3001"]]
    assert_same(rows, v2, b"v2")
    v1 = {"version": 1, "clkConfig": {"l": 512, "k": 20, "kdf": {"type": "HKDF"},
                                      "hash": {"type": "doubleHash"}},
          "features": [
              {"identifier": "a", "format": {"type": "string"},
               "hashing": {"ngram": 2, "weight": 1.5}},
              {"identifier": "b", "format": {"type": "string"},
               "hashing": {"ngram": 1, "positional": True, "weight": 0}}]}
    assert_same(rows, v1, b"v1")


def test_person_schema_on_synthetic_people_matches_clkhash():
    import json

    from pprl import synthetic

    df = synthetic.make_people(400, rng=7)
    rows = df.astype(str).values.tolist()
    with open(PERSON_SCHEMA_PATH) as fh:
        schema = json.load(fh)
    assert_same(rows, schema, b"person secret")
    # the DataFrame path gives the same bytes as the rows path
    a = encode(df, schema, b"person secret", progress=False)
    assert a.tobytes() == clkhash_encode(rows, schema, b"person secret").tobytes()


# --- invalid values: both refuse the same row --------------------------------------

INVALID = [
    ({"type": "integer", "maximum": 10}, ["1", "2", "11"], 2),
    ({"type": "integer"}, ["1", "x", "3"], 1),
    ({"type": "date", "format": "%Y-%m-%d"}, ["2000-01-01", "2001-02-29"], 1),
    ({"type": "enum", "values": ["a", "b"]}, ["a", "c"], 1),
    ({"type": "string", "maxLength": 3}, ["abc", "abcd"], 1),
    ({"type": "string", "minLength": 2}, ["ab", "a"], 1),
    ({"type": "string", "case": "lower"}, ["ab", "aB"], 1),
    ({"type": "string", "pattern": "[0-9]{4}"}, ["1234", "123"], 1),
    ({"type": "string", "encoding": "ascii"}, ["abc", "ä"], 1),
]


@pytest.mark.parametrize("fmt,values,bad", INVALID)
def test_invalid_values_refused_on_the_same_row(fmt, values, bad):
    schema = _one(fmt, {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5}})
    rows = [[v] for v in values]
    with pytest.raises(Exception) as ch_err:
        clkhash_encode(rows, schema, b"k")
    assert getattr(ch_err.value, "row_index", bad) == bad
    with pytest.raises(InvalidRecordError) as ours:
        encode(rows, schema, b"k", progress=False)
    assert ours.value.row == bad
    assert ours.value.column == "x"
    assert "format." in str(ours.value)
