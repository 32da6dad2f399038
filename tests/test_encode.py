"""pprl.encode: inputs, column matching, invalid rows, chunking, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import EncodeResult, InputError, InvalidRecordError, encode, encode_with_mask
from pprl.encoding.schema import person_schema

COLS = ["rec_id", "given_name", "surname", "sex", "date_of_birth", "street_number",
        "street_address", "suburb", "postcode", "state", "phone", "email"]
ROWS = [
    ["a1", "anna", "smith", "f", "1980-01-02", "12", "main street", "springfield", "2000",
     "nsw", "02 1234 5678", "anna@example.org"],
    ["b2", "bob", "jones", "m", "1975-12-31", "3", "high st", "shelbyville", "3000", "vic",
     "", ""],
    ["c3", "", "", "", "", "", "", "", "", "", "", ""],
    ["d4", "anna", "smith", "f", "1980-01-02", "12", "main street", "springfield", "2000",
     "nsw", "other", "other"],
]
SECRET = b"correct horse battery staple"


@pytest.fixture(scope="module")
def schema():
    return person_schema()


@pytest.fixture(scope="module")
def clks(schema):
    return encode(ROWS, schema, SECRET, progress=False)


def test_shape_dtype_and_contract(clks, schema):
    assert clks.shape == (4, schema.l // 8)
    assert clks.dtype == np.uint8 and clks.flags.c_contiguous
    assert not clks[2].any()  # every value missing -> no bits
    # ignored columns (rec_id, phone, email) do not change the CLK
    assert np.array_equal(clks[0], clks[3])
    assert np.bitwise_count(clks[0]).sum() > 200


def test_dataframe_rows_and_name_matching_agree(clks, schema):
    df = pd.DataFrame(ROWS, columns=COLS)
    assert np.array_equal(encode(df, schema, SECRET, progress=False), clks)
    shuffled = df[COLS[::-1]].drop(columns=["phone"])
    assert np.array_equal(encode(shuffled, schema, SECRET, match="name", progress=False), clks)
    dicts = [dict(zip(COLS, r, strict=True)) for r in ROWS]
    assert np.array_equal(encode(dicts, schema, SECRET, match="name", progress=False), clks)


def test_secret_str_equals_utf8_bytes_and_changes_everything(clks, schema):
    assert np.array_equal(encode(ROWS, schema, SECRET.decode(), progress=False), clks)
    other = encode(ROWS, schema, b"another secret", progress=False)
    assert not np.array_equal(other[0], clks[0])
    with pytest.raises(InputError, match="must not be empty"):
        encode(ROWS, schema, b"", progress=False)
    with pytest.raises(InputError, match="bytes or str"):
        encode(ROWS, schema, 12345, progress=False)


def test_missing_cells_are_empty_strings(clks, schema):
    df = pd.DataFrame(ROWS, columns=COLS).replace("", None)
    df.loc[2, "given_name"] = np.nan
    assert np.array_equal(encode(df, schema, SECRET, progress=False), clks)


def test_csv_read_with_nan_for_empty_cells(clks, schema, tmp_path):
    p = tmp_path / "people.csv"
    pd.DataFrame(ROWS, columns=COLS).to_csv(p, index=False)
    df = pd.read_csv(p, dtype=str)  # empty cells become NaN
    assert df.isna().any().any()
    assert np.array_equal(encode(df, schema, SECRET, progress=False), clks)


def test_column_mismatches_are_clear(schema):
    df = pd.DataFrame(ROWS, columns=COLS)
    swapped = df[["rec_id", "surname", "given_name"] + COLS[3:]]
    with pytest.raises(InputError, match="column 1 is 'surname' but the schema expects "
                                         "'given_name'.*match='name'"):
        encode(swapped, schema, SECRET, progress=False)
    with pytest.raises(InputError, match="has 11 columns but the schema has 12"):
        encode(df.drop(columns=["email"]), schema, SECRET, progress=False)
    with pytest.raises(InputError, match="no column 'surname'"):
        encode(df.drop(columns=["surname"]), schema, SECRET, match="name", progress=False)
    with pytest.raises(InvalidRecordError, match="row 1: has 3 fields but the schema has 12"):
        encode([ROWS[0], ["a", "b", "c"]], schema, SECRET, progress=False)
    with pytest.raises(InputError, match="'match' parameter"):
        encode(df, schema, SECRET, match="fuzzy", progress=False)
    with pytest.raises(InputError, match="'records' parameter"):
        encode("not rows", schema, SECRET, progress=False)


@pytest.mark.parametrize("column,value,rule", [
    ("sex", "x", "format.values"),
    ("date_of_birth", "1980-02-30", "format.format"),
    ("date_of_birth", "02/01/1980", "format.format"),
    ("street_number", "1" * 17, "format.maxLength"),
])
def test_invalid_value_names_row_column_and_rule(schema, column, value, rule):
    rows = [list(r) for r in ROWS]
    rows[3][COLS.index(column)] = value
    with pytest.raises(InvalidRecordError) as err:
        encode(rows, schema, SECRET, progress=False, source="people.csv")
    e = err.value
    assert (e.row, e.column) == (3, column)
    assert rule in str(e)
    assert str(e).startswith(f"people.csv, row 3, column '{column}': ")


def test_error_names_the_earliest_bad_row_whatever_its_column(schema):
    rows = [list(r) for r in ROWS]
    rows[3][COLS.index("sex")] = "x"  # an early column, a late row
    rows[1][COLS.index("date_of_birth")] = "yesterday"  # a later column, an earlier row
    with pytest.raises(InvalidRecordError) as err:
        encode(rows, schema, SECRET, progress=False)
    assert (err.value.row, err.value.column) == (1, "date_of_birth")
    rows[1][COLS.index("sex")] = "?"  # same row: the first column wins
    with pytest.raises(InvalidRecordError) as err:
        encode(rows, schema, SECRET, progress=False)
    assert (err.value.row, err.value.column) == (1, "sex")


def test_skipping_invalid_rows_keeps_positions(schema, clks):
    rows = [list(r) for r in ROWS]
    rows[0][COLS.index("sex")] = "x"
    rows[1][COLS.index("date_of_birth")] = "yesterday"
    rows[1][COLS.index("sex")] = "?"
    res = encode_with_mask(rows, schema, SECRET, progress=False)
    assert isinstance(res, EncodeResult)
    assert res.valid.tolist() == [False, False, True, True]
    assert res.n_invalid == 2
    assert not res.clks[:2].any()
    assert np.array_equal(res.clks[2:], clks[2:])
    assert res.invalid_by_column == {"sex": 2}  # first problem of each row counts
    assert [(p.row, p.column) for p in res.problems] == [(0, "sex"), (1, "sex")]


def test_all_valid_mask(schema, clks):
    res = encode_with_mask(ROWS, schema, SECRET, progress=False)
    assert res.valid.all() and res.n_invalid == 0 and res.problems == ()
    assert np.array_equal(res.clks, clks)


def test_chunking_does_not_change_bytes(schema):
    rng = np.random.default_rng(3)
    names = np.array(["anna", "bob", "carl", "dora", "", "émile", "李"])
    rows = []
    for i in range(60):
        r = list(ROWS[i % 2])
        r[1] = str(rng.choice(names))
        r[2] = str(rng.choice(names))
        rows.append(r)
    big = encode(rows, schema, SECRET, progress=False)
    small = encode(rows, schema, SECRET, progress=False, chunk_size=7)
    assert np.array_equal(big, small)
    # each row alone gives its own CLK: rows are independent
    for i in (0, 13, 59):
        assert np.array_equal(encode([rows[i]], schema, SECRET, progress=False)[0], big[i])


def test_empty_input(schema):
    assert encode([], schema, SECRET, progress=False).shape == (0, 128)
    assert encode(pd.DataFrame(columns=COLS), schema, SECRET, progress=False).shape == (0, 128)


def _single(hashing, l_=256):
    return {"version": 3, "clkConfig": {"l": l_, "kdf": {"type": "HKDF"}},
            "features": [{"identifier": "x", "format": {"type": "string"}, "hashing": hashing}]}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20), st.integers(1, 30), st.sampled_from(["blakeHash", "doubleHash"]))
def test_ngram_clk_is_the_union_of_its_tokens(word, k, hash_type):
    # same feature position -> same key; a token hashed as an exact value sets
    # the same bits as inside the n-gram feature (bitsPerToken)
    from pprl.encoding.tokenize import ngrams

    base = {"strategy": {"bitsPerToken": k}, "hash": {"type": hash_type}}
    ngram = _single({**base, "comparison": {"type": "ngram", "n": 2}})
    exact = _single({**base, "comparison": {"type": "exact"}})
    whole = encode([[word]], ngram, SECRET, progress=False)[0]
    tokens = ngrams(word, 2)
    parts = encode([[t] for t in tokens], exact, SECRET, progress=False)
    union = np.bitwise_or.reduce(parts, axis=0) if tokens else np.zeros_like(whole)
    assert np.array_equal(whole, union)
    assert np.bitwise_count(whole).sum() <= k * len(tokens)


def test_progress_bar_runs(schema, capsys):
    """The bar is shown (on stderr: its label and the total), and not shown
    when disabled; the CLKs are the same either way."""
    shown = encode(ROWS, schema, SECRET, progress=True)
    err = capsys.readouterr().err
    assert "encoding" in err and f"/{len(ROWS)} " in err, err
    hidden = encode(ROWS, schema, SECRET, progress=False)
    assert capsys.readouterr().err == ""
    assert np.array_equal(shown, hidden)


GOLDEN = __import__("pathlib").Path(__file__).parent / "data" / "golden"
GOLDEN_SECRET = b"golden test secret, not a real one"  # as in make_golden.py


def test_golden_clks():
    import csv
    import json

    with open(GOLDEN / "records.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    expected = json.loads((GOLDEN / "clks.json").read_text())["clks"]
    from pprl import clks_to_base64

    got = clks_to_base64(encode(rows, GOLDEN / "schema.json", GOLDEN_SECRET, progress=False))
    assert got == expected


def test_missing_policy_drops_only_the_bad_fields(schema, clks):
    rows = [list(r) for r in ROWS]
    rows[1][COLS.index("date_of_birth")] = "19450493"
    rows[1][COLS.index("sex")] = "?"
    res = encode_with_mask(rows, schema, SECRET, progress=False, invalid="missing")
    assert res.valid.all() and res.n_invalid == 0
    assert res.invalid_by_column == {"sex": 1, "date_of_birth": 1}
    assert res.issues[["row", "column"]].values.tolist() == [[1, "sex"], [1, "date_of_birth"]]
    assert res.issues["value"].tolist() == ["?", "19450493"]
    # the row is encoded as if the two fields were empty; the other rows are untouched
    blank = [list(r) for r in ROWS]
    blank[1][COLS.index("date_of_birth")] = blank[1][COLS.index("sex")] = ""
    assert np.array_equal(res.clks, encode(blank, schema, SECRET, progress=False))
    assert np.array_equal(res.clks[[0, 2, 3]], clks[[0, 2, 3]])
    with pytest.raises(InvalidRecordError) as err:
        encode_with_mask(rows, schema, SECRET, progress=False, invalid="error")
    assert err.value.value == "?" and "?" not in str(err.value)  # the value stays out
    with pytest.raises(InputError, match="'invalid' parameter"):
        encode_with_mask(rows, schema, SECRET, progress=False, invalid="ignore")


@pytest.mark.parametrize("column, value", [("sex", "zq"), ("date_of_birth", "1980-02-31"),
                                           ("date_of_birth", "19800102x"),
                                           ("street_number", "9" * 17)])
def test_problem_messages_never_quote_the_value(schema, column, value):
    rows = [list(r) for r in ROWS]
    rows[2][COLS.index(column)] = value
    res = encode_with_mask(rows, schema, SECRET, progress=False)
    (reason,) = res.issues["reason"].tolist()
    assert value not in reason and value not in str(res.problems[0])
    assert res.problems[0].value == value
