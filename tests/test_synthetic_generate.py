"""Synthetic people: columns, agreement between columns, skew, reproducibility."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from pprl.errors import InputError
from pprl.synthetic import LOCALES, PERSON_COLUMNS, make_people
from pprl.synthetic.generate import au_state_of_postcode


@pytest.fixture(scope="module")
def au():
    return make_people(20000, locale="en_AU", rng=11)


def test_columns_order_and_types(au):
    assert tuple(au.columns) == PERSON_COLUMNS
    for c in PERSON_COLUMNS:
        assert all(isinstance(v, str) for v in au[c]), c
    assert set(au["sex"]) == {"f", "m"}
    assert au["date_of_birth"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (au["given_name"] != "").all() and (au["surname"] != "").all()


def test_rec_ids_unique_random_hex(au):
    ids = au["rec_id"]
    assert ids.is_unique
    assert ids.str.fullmatch(r"[0-9a-f]{16}").all()
    # ids carry no order: sorting by id does not sort by row
    assert not ids.is_monotonic_increasing


def test_given_name_agrees_with_sex(au):
    from faker import Faker

    person = next(p for p in Faker("en_AU").providers
                  if type(p).__module__.startswith("faker.providers.person"))
    female, male = set(person.first_names_female), set(person.first_names_male)
    f = au[au["sex"] == "f"]["given_name"]
    m = au[au["sex"] == "m"]["given_name"]
    assert f.isin(female).all() and m.isin(male).all()
    # and not just by luck: most female names are not male names
    assert (~f.isin(male)).mean() > 0.9


def test_au_postcode_agrees_with_state(au):
    states = [au_state_of_postcode(p) for p in au["postcode"]]
    assert states == list(au["state"])
    assert set(states) <= {"ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"}


def test_au_state_of_postcode_by_hand():
    assert au_state_of_postcode("2000") == "NSW"
    assert au_state_of_postcode("2601") == "ACT"
    assert au_state_of_postcode("0870") == "NT"
    assert au_state_of_postcode("7000") == "TAS"
    assert au_state_of_postcode("x") == ""


def test_de_postcode_agrees_with_state():
    from pprl.synthetic.generate import de_state_of_postcode

    de = make_people(3000, locale="de_DE", rng=6)
    assert [de_state_of_postcode(p) for p in de["postcode"]] == list(de["state"])
    assert de["state"].nunique() >= 10
    assert de_state_of_postcode("01067") == "Sachsen"  # Dresden
    assert de_state_of_postcode("50667") == "Nordrhein-Westfalen"  # Köln


def test_us_zip_agrees_with_state():
    from faker.providers.address.en_US import Provider

    us = make_people(3000, locale="en_US", rng=5)
    for zc, st in zip(us["postcode"], us["state"], strict=True):
        lo, hi = Provider.states_postcode[st]
        assert lo <= int(zc) <= hi, (zc, st)


def test_frequencies_are_skewed(au):
    for col in ("surname", "given_name", "suburb"):
        counts = au[col].value_counts().to_numpy()
        # the most common value is far more common than the median one
        assert counts[0] >= 10 * np.median(counts), col
        # and the top 10% of values cover a disproportionate share of people
        top = counts[: max(1, len(counts) // 10)].sum() / counts.sum()
        assert top > 0.3, col


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale(locale):
    df = make_people(500, locale=locale, rng=3)
    assert len(df) == 500 and tuple(df.columns) == PERSON_COLUMNS
    assert df["email"].str.fullmatch(r"[a-z0-9.\-]+@[a-z0-9.\-]+").all()
    assert (df["phone"].str.count(r"\d") >= 10).all()
    assert df["suburb"].str.len().min() > 0


def test_same_seed_same_people_and_no_global_state():
    py_state = random.getstate()
    np_state = np.random.get_state()
    a = make_people(300, locale="de_DE", rng=99)
    b = make_people(300, locale="de_DE", rng=np.random.default_rng(99))
    c = make_people(300, locale="de_DE", rng=100)
    assert random.getstate() == py_state
    after = np.random.get_state()
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert a.equals(b)
    assert not a.equals(c)


def test_dates_of_birth_valid_and_spread(au):
    years = au["date_of_birth"].str[:4].astype(int)
    assert years.min() >= 1930 and years.max() <= 2009
    assert years.nunique() > 70


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_n(bad):
    with pytest.raises(InputError, match="'n' parameter of make_people"):
        make_people(bad)


def test_bad_locale():
    with pytest.raises(InputError, match=re.escape("en_AU")):
        make_people(3, locale="xx_XX", rng=1)


def test_import_pprl_does_not_import_faker():
    import subprocess
    import sys

    code = ("import sys, pprl, pprl.synthetic, pprl.synthetic.datasets; "
            "print('faker' in sys.modules, 'tqdm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
