"""Corruption configuration: defaults, JSON round trip, and clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from pprl.errors import FileFormatError, InputError
from pprl.synthetic import FIELD_KINDS, CorruptionConfig, CorruptionConfigError
from pprl.synthetic.config import DEFAULT_PROBABILITIES, DEFAULT_RECORD_PROBABILITIES


def test_default_is_valid_and_documented():
    cfg = CorruptionConfig.default()
    assert cfg.max_per_record == 3
    assert cfg.fields == DEFAULT_PROBABILITIES
    assert cfg.record == DEFAULT_RECORD_PROBABILITIES
    expected = sum(sum(k.values()) for k in DEFAULT_PROBABILITIES.values()) + sum(
        DEFAULT_RECORD_PROBABILITIES.values())
    assert cfg.expected_per_record() == pytest.approx(expected)
    assert 0.5 < expected < 2  # a few corruptions per record, as in GeCo/Febrl examples


def test_round_trip_through_json(tmp_path):
    cfg = CorruptionConfig.default()
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg.to_dict()))
    assert CorruptionConfig.from_json(path) == cfg


def test_field_order_is_normalised():
    a = CorruptionConfig({"surname": {"missing": 0.1}, "given_name": {"missing": 0.2}})
    assert list(a.fields) == ["given_name", "surname"]


def test_defaults_flag_merges():
    cfg = CorruptionConfig.from_dict({"defaults": True,
                                      "fields": {"surname": {"missing": 0.5}},
                                      "record": {"moved": 0.0}})
    assert cfg.fields["surname"]["missing"] == 0.5
    assert cfg.fields["surname"]["phonetic"] == DEFAULT_PROBABILITIES["surname"]["phonetic"]
    assert cfg.record == {"swap_names": 0.01, "moved": 0.0}


def test_from_dict_without_defaults_has_only_what_is_given():
    cfg = CorruptionConfig.from_dict({"fields": {"phone": {"missing": 0.3}},
                                      "max_per_record": None})
    assert cfg.fields == {"phone": {"missing": 0.3}} and cfg.record == {}
    assert cfg.max_per_record is None


def test_every_problem_reported_with_its_json_path(tmp_path):
    bad = {
        "fields": {"given_name": {"nickname": 1.5, "date_swap": 0.1, "typo_insert": "x"},
                   "shoe_size": {"missing": 0.1}},
        "record": {"teleported": 0.1, "moved": -0.1},
        "max_per_record": -2,
        "colour": "blue",
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CorruptionConfigError) as info:
        CorruptionConfig.from_json(path)
    err = info.value
    assert isinstance(err, InputError) and isinstance(err, ValueError)
    paths = {e.path for e in err.field_errors}
    assert paths == {"fields.given_name.nickname", "fields.given_name.date_swap",
                     "fields.given_name.typo_insert", "fields.shoe_size", "record.teleported",
                     "record.moved", "max_per_record", "colour"}
    msg = str(err)
    assert msg.startswith(f"{path}: invalid corruption configuration (8 problems)")
    assert "fields.given_name.nickname: expected a probability in [0, 1], got 1.5" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("data", [[], "x", 3])
def test_top_level_must_be_object(data):
    with pytest.raises(CorruptionConfigError, match="expected a JSON object"):
        CorruptionConfig.from_dict(data)


def test_bad_json_names_file_and_line(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{\n  "fields": {,}\n}')
    with pytest.raises(FileFormatError, match=r"c\.json: not valid JSON: .* line 2"):
        CorruptionConfig.from_json(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        CorruptionConfig.from_json(tmp_path / "nope.json")


def test_python_constructor_validates_too():
    with pytest.raises(CorruptionConfigError, match="fields.sex.nickname"):
        CorruptionConfig({"sex": {"nickname": 0.1}})
    with pytest.raises(CorruptionConfigError, match="max_per_record"):
        CorruptionConfig({}, max_per_record=True)


def test_kinds_per_field_are_sensible():
    assert "nickname" in FIELD_KINDS["given_name"]
    assert "nickname" not in FIELD_KINDS["surname"]
    assert set(FIELD_KINDS["date_of_birth"]) == {"date_swap", "date_digit", "date_year",
                                                 "missing"}


def test_order_of_the_json_does_not_matter():
    from pprl.synthetic import make_dataset

    a = CorruptionConfig.from_dict({"fields": {"surname": {"missing": 0.1, "phonetic": 0.2}},
                                    "record": {"moved": 0.1, "swap_names": 0.1}})
    b = CorruptionConfig.from_dict({"record": {"swap_names": 0.1, "moved": 0.1},
                                    "fields": {"surname": {"phonetic": 0.2, "missing": 0.1}}})
    assert list(a.fields["surname"]) == list(b.fields["surname"])
    assert list(a.record) == list(b.record)
    da, db = make_dataset(100, config=a, rng=1), make_dataset(100, config=b, rng=1)
    assert da.parties[0].equals(db.parties[0])
