"""Column descriptions: parsing, bad input, and data sets under the user's column names."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pprl.cli import main
from pprl.errors import InputError
from pprl.synthetic import ColumnSpec, CorruptionConfig, make_dataset

FEBRL = {
    "rec_id": "ignore", "given_name": "first_name", "surname": "last_name",
    "street_number": "street_number", "address_1": "street_address",
    "address_2": "address_extra", "suburb": "locality", "postcode": "postcode",
    "state": "state", "date_of_birth": "date_of_birth:%Y%m%d", "soc_sec_id": "id_number:7",
}


def test_febrl_style_columns_are_generated_under_the_users_names():
    ds = make_dataset(300, overlap=0.5, rng=4, columns=FEBRL)
    a, b = ds.parties
    assert list(a.columns) == list(FEBRL) == list(b.columns)
    ids = a["soc_sec_id"][a["soc_sec_id"] != ""]
    assert ids.str.len().between(6, 8).all()  # typos may drop or add a digit
    assert ids.str.isdigit().mean() > 0.95  # OCR errors may turn a digit into a letter
    assert (ids.str.len() == 7).mean() > 0.95
    dob = a["date_of_birth"][a["date_of_birth"] != ""]
    parsed = [dt.datetime.strptime(v, "%Y%m%d") for v in dob]  # every value is a real date
    assert len(parsed) == len(dob) > 250
    assert (a["address_2"] != "").mean() > 0.8
    assert len(ds.truth) == 150
    # the log and truth name the user's columns, never the generator's fields
    assert set(ds.corruptions["field"]) <= set(FEBRL) - {"rec_id"}
    changed = {f for text in ds.truth["fields_changed"] for f in text.split(";") if f}
    assert changed <= set(FEBRL)
    assert ds.manifest["column_kinds"] == FEBRL


def test_a_column_description_changes_nothing_of_the_default_set():
    """The default path is untouched: same seed, no description -> the same people."""
    plain = make_dataset(50, rng=9)
    again = make_dataset(50, rng=9, columns=None)
    assert plain.parties[0].equals(again.parties[0])


def test_missing_values_and_corruption_follow_the_config():
    clean = make_dataset(200, rng=1, columns=FEBRL, config=CorruptionConfig.none())
    a, b = clean.parties
    pairs = clean.truth[["a", "b"]].to_numpy()
    assert (a.iloc[pairs[:, 0], 1:].to_numpy() == b.iloc[pairs[:, 1], 1:].to_numpy()).all()
    cfg = CorruptionConfig({"id_number": {"missing": 0.5}}, max_per_record=None)
    ds = make_dataset(400, rng=1, columns=FEBRL, config=cfg)
    share = (ds.parties[0]["soc_sec_id"] == "").mean()
    assert 0.4 < share < 0.6
    assert set(ds.corruptions["field"]) == {"soc_sec_id"}


def test_dates_are_rewritten_in_the_log_too():
    cfg = CorruptionConfig({"date_of_birth": {"date_year": 1.0}}, max_per_record=None)
    ds = make_dataset(30, rng=2, columns={"dob": "date_of_birth:%d/%m/%Y"}, config=cfg)
    log = ds.corruptions
    assert len(log) > 0
    for v in list(log["before"]) + list(log["after"]):
        dt.datetime.strptime(v, "%d/%m/%Y")


@pytest.mark.parametrize("desc, words", [
    ({"x": "first_nam"}, ["'x'", "unknown kind"]),
    ({"x": "date_of_birth:%Y"}, ["'x'", "day, a month and a year"]),
    ({"x": "date_of_birth:%H:%M"}, ["'x'", "date format"]),
    ({"x": "id_number:0"}, ["'x'", "length"]),
    ({"x": "sex:3"}, ["'x'", "no ':' argument"]),
    ({"x": "ignore"}, ["every column is 'ignore'"]),
    ({}, ["at least one column"]),
    ({"x": 3}, ["'x'", "kind as a string"]),
])
def test_bad_descriptions_name_the_column(desc, words):
    with pytest.raises(InputError) as err:
        ColumnSpec.from_dict(desc)
    for w in words:
        assert w in str(err.value)


def test_a_column_described_twice_in_the_file_is_an_error(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"a": "first_name", "a": "last_name"}')
    with pytest.raises(InputError, match="'a': described twice"):
        ColumnSpec.from_json(p)


def test_round_trip_keeps_order_and_arguments():
    spec = ColumnSpec.from_dict(FEBRL)
    assert spec.to_dict() == FEBRL
    assert list(spec.to_dict()) == list(FEBRL)
    assert ColumnSpec.from_dict({"d": "date_of_birth"}).to_dict() == {"d": "date_of_birth:%Y-%m-%d"}


def test_cli_synth_writes_the_described_columns(tmp_path, capsys):
    cols = tmp_path / "columns.json"
    cols.write_text(json.dumps(FEBRL))
    out = tmp_path / "out"
    assert main(["synth", "-n", "20", "--columns", str(cols), "--seed", "3", "--no-progress",
                 "-o", str(out)]) == 0
    header = (out / "a.csv").read_text().splitlines()[0]
    assert header == ",".join(FEBRL)


def test_cli_synth_bad_description_is_one_line_exit_2(tmp_path, capsys):
    cols = tmp_path / "columns.json"
    cols.write_text('{"given": "first_name", "when": "date_of_birth:%Q"}')
    out = tmp_path / "out"
    assert main(["synth", "-n", "20", "--columns", str(cols), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'when'" in err and "columns.json" in err
    assert not out.exists()


def test_a_kind_may_describe_several_columns():
    desc = {"first": "first_name", "middle": "first_name", "last": "last_name",
            "home": "phone", "mobile": "phone", "old_id": "id_number:5", "new_id": "id_number:8"}
    spec = ColumnSpec.from_dict(desc)
    assert spec.slots["middle"] == "given_name#2" and spec.slots["first"] == "given_name"
    cfg = CorruptionConfig({"given_name": {"missing": 0.3}, "phone": {"missing": 0.3}},
                           max_per_record=None)
    ds = make_dataset(400, rng=6, columns=spec, config=cfg)
    a = ds.parties[0]
    assert list(a.columns) == list(desc)
    # independent draws, not copies
    assert (a["first"] != a["middle"]).mean() > 0.8
    assert (a["home"] != a["mobile"]).mean() > 0.8
    assert (a["old_id"].str.len() == 5).mean() > 0.6 and (a["new_id"].str.len() == 8).mean() > 0.6
    # the further columns are corrupted at the first one's rates, and logged under their names
    for col in ("first", "middle", "home", "mobile"):
        assert 0.2 < (a[col] == "").mean() < 0.4, col
    assert {"first", "middle", "home", "mobile"} <= set(ds.corruptions["field"])
    changed = {f for t in ds.truth["fields_changed"] for f in t.split(";") if f}
    assert {"middle", "mobile"} <= changed
