"""Loading and validating linkage schemas."""

from __future__ import annotations

import copy
import json

import pytest

from pprl import SchemaError, load_schema
from pprl.encoding.schema import (
    PERSON_SCHEMA_PATH,
    BitsPerFeature,
    BitsPerToken,
    BlakeHash,
    DateFormat,
    DoubleHash,
    EnumFormat,
    NgramComparison,
    NumericComparison,
    Schema,
    StringFormat,
    person_schema,
)

GOOD = {
    "version": 3,
    "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "hash": "SHA256", "salt": "c2FsdA==",
                                      "info": "aW5mbw==", "keySize": 64}},
    "features": [
        {"identifier": "id", "ignored": True},
        {"identifier": "name", "format": {"type": "string", "encoding": "utf-8",
                                          "case": "lower", "minLength": 1, "maxLength": 30},
         "hashing": {"comparison": {"type": "ngram", "n": 2, "positional": False},
                     "strategy": {"bitsPerToken": 20}, "hash": {"type": "blakeHash"},
                     "missingValue": {"sentinel": "", "replaceWith": "?"}}},
        {"identifier": "dob", "format": {"type": "date", "format": "%Y-%m-%d"},
         "hashing": {"comparison": {"type": "ngram", "n": 1, "positional": True},
                     "strategy": {"bitsPerFeature": 100},
                     "hash": {"type": "doubleHash", "prevent_singularity": True}}},
        {"identifier": "sex", "format": {"type": "enum", "values": ["f", "m"]},
         "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 30}}},
        {"identifier": "age", "format": {"type": "integer", "minimum": 0, "maximum": 130},
         "hashing": {"comparison": {"type": "numeric", "thresholdDistance": 3,
                                    "resolution": 2, "fractional_precision": 0},
                     "strategy": {"bitsPerToken": 10}}},
    ],
}


def test_good_schema_loads_into_typed_objects():
    s = load_schema(GOOD)
    assert isinstance(s, Schema)
    assert s.l == 1024 and s.xor_folds == 0 and s.hash_l == 1024
    assert s.kdf.salt == b"salt" and s.kdf.info == b"info" and s.kdf.key_size == 64
    assert s.identifiers == ("id", "name", "dob", "sex", "age")
    assert s.features[0].ignored
    name = s.features[1]
    assert name.format == StringFormat(encoding="utf-8", case="lower", min_length=1,
                                       max_length=30)
    assert name.hashing.comparison == NgramComparison(n=2, positional=False)
    assert name.hashing.strategy == BitsPerToken(20)
    assert name.hashing.hash == BlakeHash()
    assert name.hashing.missing_value.replacement == "?"
    assert s.features[2].format == DateFormat("%Y-%m-%d")
    assert s.features[2].hashing.hash == DoubleHash(prevent_singularity=True)
    assert s.features[2].hashing.strategy == BitsPerFeature(100)
    assert s.features[3].format == EnumFormat(("f", "m"))
    assert s.features[4].hashing.comparison == NumericComparison(3, 2, 0)


def test_defaults_follow_clkhash():
    doc = copy.deepcopy(GOOD)
    del doc["clkConfig"]["kdf"]["hash"], doc["clkConfig"]["kdf"]["keySize"]
    del doc["features"][1]["hashing"]["hash"]
    s = load_schema(doc)
    assert s.kdf.hash == "SHA256" and s.kdf.key_size == 64
    assert s.features[1].hashing.hash == BlakeHash()
    assert s.features[4].hashing.encoding == "utf-8"


def test_document_is_not_modified():
    doc = copy.deepcopy(GOOD)
    load_schema(doc)
    assert doc == GOOD


def test_bits_per_feature_spreads_the_remainder_first():
    assert BitsPerFeature(10).ks(3) == [4, 3, 3]
    assert BitsPerFeature(2).ks(3) == [1, 1, 0]
    assert BitsPerToken(5).ks(2) == [5, 5]


def test_example_message_from_the_issue():
    doc = copy.deepcopy(GOOD)
    doc["features"][3]["hashing"]["strategy"] = {"bitsPerToken": "many"}
    with pytest.raises(SchemaError) as err:
        load_schema(doc)
    assert [str(e) for e in err.value.field_errors] == [
        'features[3].hashing.strategy.bitsPerToken: expected a positive integer, got "many"']
    assert isinstance(err.value, ValueError)


def test_every_problem_is_reported_at_once():
    doc = copy.deepcopy(GOOD)
    doc["clkConfig"]["l"] = 1001
    doc["clkConfig"]["kdf"]["hash"] = "MD5"
    doc["features"][1]["format"]["case"] = "shouty"
    doc["features"][1]["hashing"]["comparison"]["n"] = 0
    doc["features"][2]["format"].pop("format")
    doc["features"][3]["hashing"]["strategy"] = {"bitsPerToken": 1, "bitsPerFeature": 2}
    doc["features"][4]["hashing"]["comparison"]["resolution"] = 0
    doc["features"][0]["format"] = {"type": "string"}
    with pytest.raises(SchemaError) as err:
        load_schema(doc)
    paths = [e.path for e in err.value.field_errors]
    assert paths == [
        "clkConfig.l",
        "clkConfig.kdf.hash",
        "features[0].format",
        "features[1].format.case",
        "features[1].hashing.comparison.n",
        "features[2].format.format",
        "features[3].hashing.strategy",
        "features[4].hashing.comparison.resolution",
    ]
    assert "8 problems" in str(err.value)


@pytest.mark.parametrize("mutate,path,fragment", [
    (lambda d: d.pop("features"), "features", "required key is missing"),
    (lambda d: d["clkConfig"].pop("kdf"), "clkConfig.kdf", "required"),
    (lambda d: d["clkConfig"]["kdf"].update(type="PBKDF2"), "clkConfig.kdf.type", '"HKDF"'),
    (lambda d: d["clkConfig"]["kdf"].update(salt="***"), "clkConfig.kdf.salt", "base64"),
    (lambda d: d["clkConfig"]["kdf"].update(keySize=0), "clkConfig.kdf.keySize", "positive"),
    (lambda d: d["clkConfig"].update(xor_folds=-1), "clkConfig.xor_folds", "non-negative"),
    (lambda d: d["features"][1].update(format={"type": "string", "pattern": "("}),
     "features[1].format.pattern", "expected a regular expression"),
    (lambda d: d["features"][1].update(format={"type": "string", "pattern": "a", "case": "lower"}),
     "features[1].format.case", "not allowed"),
    (lambda d: d["features"][1]["format"].update(encoding="latin-1"),
     "features[1].format.encoding", '"utf-16"'),
    (lambda d: d["features"][1]["format"].update(minLength=40),
     "features[1].format.minLength", "at most maxLength"),
    (lambda d: d["features"][1]["hashing"].update(weight=2), "features[1].hashing.weight",
     "unexpected key"),
    (lambda d: d["features"][1]["hashing"]["hash"].update(prevent_singularity=True),
     "features[1].hashing.hash.prevent_singularity", "doubleHash"),
    (lambda d: d["features"][1]["hashing"]["missingValue"].pop("sentinel"),
     "features[1].hashing.missingValue.sentinel", "required"),
    (lambda d: d["features"][2]["format"].update(format="%Q"), "features[2].format.format",
     "%Q"),
    (lambda d: d["features"][3]["format"].update(values=["f", 1]),
     "features[3].format.values[1]", "string"),
    (lambda d: d["features"][3]["hashing"]["comparison"].update(type="fuzzy"),
     "features[3].hashing.comparison.type", '"ngram"'),
    (lambda d: d["features"][4]["format"].update(type="float"), "features[4].format.type",
     '"integer"'),
    (lambda d: d["features"][4]["hashing"]["comparison"].update(thresholdDistance=-1),
     "features[4].hashing.comparison.thresholdDistance", "> 0"),
    (lambda d: d["features"][4]["hashing"]["comparison"].update(thresholdDistance=0.4),
     "features[4].hashing.comparison.thresholdDistance", "fractional"),
    (lambda d: d["features"][2]["hashing"]["hash"].update(type="sha3"),
     "features[2].hashing.hash.type", "blakeHash"),
    (lambda d: d["features"][1]["hashing"]["strategy"].update(bitsPerToken=True),
     "features[1].hashing.strategy.bitsPerToken", "got true"),
])
def test_each_rule_has_a_path_and_says_what_was_expected(mutate, path, fragment):
    doc = copy.deepcopy(GOOD)
    mutate(doc)
    with pytest.raises(SchemaError) as err:
        load_schema(doc)
    errors = err.value.field_errors
    assert [e.path for e in errors] == [path], errors
    assert fragment in errors[0].message


def test_blake_hash_needs_power_of_two_length():
    doc = copy.deepcopy(GOOD)
    doc["clkConfig"]["l"] = 1000
    with pytest.raises(SchemaError, match="power of two"):
        load_schema(doc)
    for f in doc["features"][1:]:
        f["hashing"]["hash"] = {"type": "doubleHash"}
    assert load_schema(doc).l == 1000


def test_hkdf_output_limit_is_checked():
    doc = copy.deepcopy(GOOD)
    # 128 keys of 64 bytes > 255 * 32
    doc["features"] = [dict(doc["features"][3], identifier=f"sex{i}") for i in range(64)]
    with pytest.raises(SchemaError, match="HKDF-SHA256 can derive at most 8160 bytes"):
        load_schema(doc)
    doc["clkConfig"]["kdf"]["hash"] = "SHA512"
    assert len(load_schema(doc).features) == 64


def test_camel_case_xor_folds_warns_and_is_ignored():
    doc = copy.deepcopy(GOOD)
    doc["clkConfig"]["xorFolds"] = 1
    with pytest.warns(UserWarning, match="xor_folds"):
        s = load_schema(doc)
    assert s.xor_folds == 0 and s.l == 1024
    doc["clkConfig"]["xor_folds"] = 1
    with pytest.warns(UserWarning):
        assert load_schema(doc).hash_l == 2048


@pytest.mark.parametrize("doc,fragment", [
    ([], "expected a path, a dict or a Schema, got list"),
    ({"features": []}, "version: required key is missing"),
    ({"version": 4}, "expected 1, 2 or 3, got 4"),
    ({"version": "3"}, 'got "3"'),
])
def test_top_level_problems(doc, fragment):
    with pytest.raises(SchemaError, match=fragment):
        load_schema(doc)


def test_v2_is_converted():
    v2 = {"version": 2, "clkConfig": {"l": 512, "kdf": {"type": "HKDF"}},
          "features": [{"identifier": "a", "format": {"type": "string"},
                        "hashing": {"ngram": 2, "positional": True, "strategy": {"numBits": 40}}},
                       {"identifier": "b", "ignored": True}]}
    s = load_schema(v2)
    assert s.version == 2
    assert s.features[0].hashing.comparison == NgramComparison(2, True)
    assert s.features[0].hashing.strategy == BitsPerFeature(40)


def test_v1_is_converted_and_zero_weight_means_ignored():
    v1 = {"version": 1, "clkConfig": {"l": 512, "k": 10, "kdf": {"type": "HKDF"},
                                      "hash": {"type": "doubleHash"}},
          "features": [{"identifier": "a", "format": {"type": "string"},
                        "hashing": {"ngram": 2, "weight": 2.5}},
                       {"identifier": "b", "format": {"type": "string"},
                        "hashing": {"ngram": 2, "weight": 0}}]}
    s = load_schema(v1)
    assert s.features[0].hashing.strategy == BitsPerToken(25)
    assert s.features[0].hashing.hash == DoubleHash(False)
    assert s.features[1].ignored


def test_v1_without_k_is_refused_with_advice():
    v1 = {"version": 1, "clkConfig": {"l": 512, "kdf": {"type": "HKDF"},
                                      "hash": {"type": "blakeHash"}}, "features": []}
    with pytest.raises(SchemaError, match=r"clkConfig\.k: required key is missing; .*version 3"):
        load_schema(v1)


def test_files(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(GOOD))
    assert load_schema(p).source == str(p)
    assert load_schema(str(p)).l == 1024
    p.write_text("{ not json")
    with pytest.raises(SchemaError, match=r"s\.json: invalid linkage schema: not valid JSON"):
        load_schema(p)
    with pytest.raises(SchemaError, match="file not found"):
        load_schema(tmp_path / "missing.json")
    p.write_text("[1, 2]")
    with pytest.raises(SchemaError, match="expected a JSON object, got"):
        load_schema(p)
    p.write_bytes(b"\xff\xfe{}")
    with pytest.raises(SchemaError, match="not UTF-8"):
        load_schema(p)


def test_person_schema_is_valid_for_clkhash_too():
    s = person_schema()
    assert s.identifiers == ("rec_id", "given_name", "surname", "sex", "date_of_birth",
                             "street_number", "street_address", "suburb", "postcode", "state",
                             "phone", "email")
    assert s.l == 1024
    assert 0.3 < s.expected_fill() < 0.7
    assert load_schema(s) is s
    ch_schema = pytest.importorskip("clkhash.schema")
    with open(PERSON_SCHEMA_PATH) as fh:
        ch_schema.validate_schema_dict(json.load(fh))


def test_summary_counts_bits():
    rows = load_schema(GOOD).summary(typical_length=4)
    by = {r["identifier"]: r for r in rows}
    assert by["name"]["tokens"] == 5 and by["name"]["bits"] == 100
    assert by["dob"]["bits"] == 100
    assert by["sex"]["tokens"] == 1 and by["sex"]["bits"] == 30
    assert by["age"]["tokens"] == 5 and by["age"]["bits"] == 50


def test_duplicate_identifiers_are_refused_naming_both_paths():
    doc = copy.deepcopy(GOOD)
    doc["features"][3]["identifier"] = "name"  # features[1] is "name" already
    doc["features"].append({"identifier": "id", "ignored": True})
    with pytest.raises(SchemaError) as err:
        load_schema(doc)
    msgs = [str(e) for e in err.value.field_errors]
    assert msgs == [
        'features[3].identifier: "name" is also the identifier of features[1] '
        "(features[1].identifier); expected unique identifiers",
        'features[5].identifier: "id" is also the identifier of features[0] '
        "(features[0].identifier); expected unique identifiers",
    ]
