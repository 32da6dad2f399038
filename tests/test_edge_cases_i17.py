"""Edge cases a review found: whole numbers read as floats, Unicode normal forms,
truth pairs beyond the files, and how overlap rounds."""

from __future__ import annotations

import copy
import json
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest

import pprl
from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.errors import InputError, SchemaError

SECRET = b"edge cases: a secret of 32 bytes"
PERSON = json.loads(PERSON_SCHEMA_PATH.read_text())
IDS = [f["identifier"] for f in PERSON["features"]]


def _people(postcodes, given="anna") -> pd.DataFrame:
    n = len(postcodes)
    row = {"rec_id": "r", "given_name": given, "surname": "smith", "sex": "f",
           "date_of_birth": "1980-01-02", "street_number": "12",
           "street_address": "main street", "suburb": "springfield", "postcode": "2000",
           "state": "nsw", "phone": "", "email": ""}
    df = pd.DataFrame([row] * n)[IDS]
    df["postcode"] = postcodes
    return df


# --- whole numbers stored as floats -----------------------------------------------


def test_float_postcodes_are_refused_by_encode_naming_the_column():
    df = _people([6006.0, np.nan, 2000.0])       # what read_csv makes of 6006,,2000
    assert df["postcode"].dtype == np.float64
    with pytest.raises(InputError, match="column 'postcode' holds whole numbers as floats"):
        pprl.encode(df, PERSON, SECRET, progress=False)


def test_float_postcodes_warn_once_under_skip_and_missing():
    df = _people([6006.0, np.nan, 2000.0])
    for policy in ("skip", "missing"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = pprl.encode_with_mask(df, PERSON, SECRET, progress=False, invalid=policy)
        msgs = [str(w.message) for w in caught if "whole numbers as floats" in str(w.message)]
        assert len(msgs) == 1 and "'postcode'" in msgs[0], msgs
        assert res.clks.shape == (3, 128)


def test_text_and_non_whole_floats_do_not_warn():
    text = _people(["6006", "", "2000"])
    fractional = _people([6006.5, np.nan, 2000.0])   # not the integer-with-NaN signature
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = pprl.encode(text, PERSON, SECRET, progress=False)
        pprl.encode_with_mask(fractional, PERSON, SECRET, progress=False, invalid="missing")
    # and the message's advice works: read as text, the CLKs are those of the strings
    as_text = _people([6006.0, np.nan, 2000.0])
    as_text["postcode"] = ["6006", "", "2000"]
    assert np.array_equal(pprl.encode(as_text, PERSON, SECRET, progress=False), a)


def test_float_rows_given_as_lists_are_caught_too():
    rows = _people(["6006"]).astype(object).values.tolist()
    rows[0][IDS.index("postcode")] = 6006.0
    with pytest.raises(InputError, match="'postcode'"):
        pprl.encode(rows, PERSON, SECRET, progress=False)


# --- format.unicodeNormalization ----------------------------------------------------


def _with_form(form):
    doc = copy.deepcopy(PERSON)
    for f in doc["features"]:
        if f.get("format", {}).get("type") == "string" and "ignored" not in f:
            if form is None:
                f["format"].pop("unicodeNormalization", None)
            else:
                f["format"]["unicodeNormalization"] = form
    return doc


@pytest.mark.parametrize("name", ["Zoë", "Renée Ångström"])
def test_nfc_and_nfd_give_one_clk_only_when_asked(name):
    nfc, nfd = (unicodedata.normalize(f, name) for f in ("NFC", "NFD"))
    assert nfc != nfd
    df_c, df_d = _people(["2000"], given=nfc), _people(["2000"], given=nfd)
    plain = [pprl.encode(d, _with_form(None), SECRET, progress=False) for d in (df_c, df_d)]
    assert not np.array_equal(*plain)                  # clkhash's behaviour, kept by default
    for form in ("NFC", "NFKC"):
        doc = _with_form(form)
        a, b = (pprl.encode(d, doc, SECRET, progress=False) for d in (df_c, df_d))
        assert np.array_equal(a, b), form
    # NFC data under NFC normalisation is byte for byte the plain encoding
    assert np.array_equal(pprl.encode(df_c, _with_form("NFC"), SECRET, progress=False),
                          plain[0])


def test_nfkc_folds_compatibility_characters_and_nfc_does_not():
    lig, plain = _people(["2000"], given="ﬁona"), _people(["2000"], given="fiona")
    nfkc = _with_form("NFKC")
    assert np.array_equal(pprl.encode(lig, nfkc, SECRET, progress=False),
                          pprl.encode(plain, nfkc, SECRET, progress=False))
    nfc = _with_form("NFC")
    assert not np.array_equal(pprl.encode(lig, nfc, SECRET, progress=False),
                              pprl.encode(plain, nfc, SECRET, progress=False))


def test_bad_normal_forms_are_reported_all_at_once():
    doc = copy.deepcopy(PERSON)
    doc["features"][1]["format"]["unicodeNormalization"] = "NFD"
    doc["features"][2]["format"]["unicodeNormalization"] = True
    with pytest.raises(SchemaError) as err:
        pprl.load_schema(doc)
    text = str(err.value)
    assert "features[1].format.unicodeNormalization" in text
    assert "features[2].format.unicodeNormalization" in text and '"NFC", "NFKC"' in text


def test_normalisation_is_checked_before_the_length_limit():
    doc = _with_form("NFC")
    doc["features"][1]["format"]["maxLength"] = 3
    nfd = unicodedata.normalize("NFD", "Zoë")                     # 4 code points
    res = pprl.encode_with_mask(_people(["2000"], given=nfd), doc, SECRET, progress=False)
    assert res.n_invalid == 0


# --- truth beyond the files ---------------------------------------------------------


def test_truth_beyond_the_known_sizes_raises():
    links = np.array([[0, 0], [1, 1]])
    far = np.array([[0, 0], [1, 1], [5000, 3]])
    assert pprl.evaluate_links(links, far).fn == 1          # sizes unknown: a miss
    with pytest.raises(InputError, match=r"pair 2 with a = 5000, beyond the 10 records"):
        pprl.evaluate_links(links, far, sizes=(10, 10))
    with pytest.raises(InputError, match="'links' parameter"):
        pprl.evaluate_links(np.array([[0, 12]]), links, sizes=(10, 10))
    with pytest.raises(InputError, match="'sizes' parameter"):
        pprl.evaluate_links(links, links, sizes=(10,))
    m = pprl.evaluate_links(links, links, sizes=(2, 2))    # the last row is in range
    assert (m.tp, m.fn) == (2, 0)


# --- overlap rounds half up ---------------------------------------------------------


@pytest.mark.parametrize(("n", "overlap", "shared"),
                         [(5, 0.5, 3), (7, 0.5, 4), (5, 0.7, 4), (5, 0.3, 2), (4, 0.5, 2),
                          (10, 0.25, 3), (3, 0.0, 0), (3, 1.0, 3)])
def test_overlap_rounds_half_up(n, overlap, shared):
    ds = pprl.make_dataset(n, overlap=overlap, rng=1, progress=False)
    assert len(ds.truth) == shared
