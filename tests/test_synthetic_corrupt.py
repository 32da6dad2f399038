"""Corruptors one by one: what each may change, checked by hand and by property."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.synthetic.corruptors import _NEAR, CORRUPTORS, FIELD_KINDS, N_UNIFORMS, nickname_table

text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789 -", max_size=20)
uniforms = st.lists(st.floats(0, 1, exclude_max=True), min_size=N_UNIFORMS,
                    max_size=N_UNIFORMS)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
U = [0.5] * N_UNIFORMS


def call(kind, value, u=U):
    return CORRUPTORS[kind](value, u)


@given(text, uniforms)
def test_typo_insert_adds_one_keyboard_neighbour(v, u):
    out = call("typo_insert", v, u)
    if not v:
        assert out is None
        return
    assert len(out) == len(v) + 1
    # removing one character gives the original back
    assert any(out[:i] + out[i + 1:] == v for i in range(len(out)))


@given(text, uniforms)
def test_typo_delete_removes_one(v, u):
    out = call("typo_delete", v, u)
    if len(v) < 2:
        assert out is None
        return
    assert len(out) == len(v) - 1
    assert any(v[:i] + v[i + 1:] == out for i in range(len(v)))


@given(text, uniforms)
def test_typo_substitute_uses_a_neighbouring_key(v, u):
    out = call("typo_substitute", v, u)
    if out is None:
        assert not any(c.lower() in _NEAR for c in v)
        return
    diff = [i for i in range(len(v)) if v[i] != out[i]]
    assert len(out) == len(v) and len(diff) == 1
    i = diff[0]
    assert out[i].lower() in _NEAR[v[i].lower()]


@given(text, uniforms)
def test_typo_transpose_swaps_adjacent(v, u):
    out = call("typo_transpose", v, u)
    if out is None:
        assert len(set(v)) <= 1
        return
    diff = [i for i in range(len(v)) if v[i] != out[i]]
    assert len(diff) == 2 and diff[1] == diff[0] + 1
    assert sorted(out) == sorted(v)


def test_keyboard_neighbours_by_hand():
    assert set(_NEAR["s"]) == set("wedxza")
    assert set(_NEAR["5"]) == set("46")
    assert "q" not in _NEAR["1"]


@pytest.mark.parametrize(("value", "possible"), [
    ("Hamm", {"Harnm", "Hamrn", "Hanm"}),  # m -> rn at either m, or m's OCR rules
    ("0412", {"O412", "04l2", "04I2", "041Z"}),
])
def test_ocr_by_hand(value, possible):
    outs = {call("ocr", value, [x, 0, 0, 0]) for x in (0.0, 0.2, 0.4, 0.6, 0.8, 0.99)}
    assert outs <= possible | {None}
    assert outs & possible


def test_ocr_none_when_nothing_confusable():
    assert call("ocr", "xyz") is None


def test_phonetic_keeps_capital_and_changes_spelling():
    outs = {call("phonetic", "Phillips", [x, 0, 0, 0]) for x in (0.0, 0.3, 0.6, 0.9)}
    assert all(o and o[0].isupper() for o in outs)
    assert "Fillips" in {call("phonetic", "Phillips", [0.0] * 4)}
    assert call("phonetic", "Aaa") is None


def test_nickname_both_directions():
    table = nickname_table()
    assert "Bill" in table["William"] and "William" in table["Bill"]
    assert "Will" in table["Bill"]  # siblings through the formal name
    outs = {call("nickname", "William", [x / 10, 0, 0, 0]) for x in range(10)}
    assert outs == set(table["William"])
    assert call("nickname", "WILLIAM", U).isupper()
    assert call("nickname", "Zzyzx") is None


def test_missing_case_whitespace():
    assert call("missing", "abc") == "" and call("missing", "") is None
    for x in (0.0, 0.3, 0.6, 0.9):
        out = call("case", "Smith", [x] * 4)
        assert out != "Smith" and out.lower() == "smith"
    assert call("case", "123") is None


@given(text.filter(lambda s: s.strip() != ""), uniforms)
def test_whitespace_changes_only_spaces(v, u):
    out = call("whitespace", v, u)
    assert out != v
    assert out.replace(" ", "") == v.replace(" ", "")


def test_abbreviate_and_initial():
    assert call("abbreviate", "Wilson Street") == "Wilson St"
    assert call("abbreviate", "Mount Pleasant") == "Mt Pleasant"
    assert call("abbreviate", "Goethestraße") == "Goethestr."
    assert call("abbreviate", "Smith") is None
    assert call("initial", "William") == "W" and call("initial", "W") is None


@settings(max_examples=200)
@given(dates, uniforms)
def test_date_corruptors_give_valid_changed_dates(d, u):
    for kind in ("date_digit", "date_year", "date_swap"):
        out = call(kind, d, u)
        if out is None:
            continue
        assert out != d
        dt.date.fromisoformat(out)  # valid
    swapped = call("date_swap", d, u)
    day, month = int(d[8:]), int(d[5:7])
    if day <= 12 and day != month:
        assert swapped == f"{d[:4]}-{d[8:]}-{d[5:7]}"
    else:
        assert swapped is None
    year = call("date_year", d, u)
    assert abs(int(year[:4]) - int(d[:4])) in (1, 10)
    digit = call("date_digit", d, u)
    if digit is not None:
        assert sum(a != b for a, b in zip(d, digit, strict=True)) == 1


def test_date_corruptors_ignore_non_dates():
    for kind in ("date_digit", "date_year", "date_swap"):
        assert call(kind, "") is None and call(kind, "2001-02-30") is None


def test_field_kinds_are_registered():
    for field, kinds in FIELD_KINDS.items():
        for k in kinds:
            assert k in CORRUPTORS, (field, k)


@given(text, uniforms)
def test_corruptors_are_pure(v, u):
    for kind, c in CORRUPTORS.items():
        assert c(v, u) == c(v, u), kind
