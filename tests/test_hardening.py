"""Hardening steps (clkConfig.hardening): each step's law, determinism, validation."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pprl.encoding.encode import encode
from pprl.encoding.hardening import (
    _taps,
    apply_hardening,
    balance,
    blip,
    diffusion,
    rule90,
    xor_fold,
)
from pprl.encoding.schema import PERSON_SCHEMA_PATH, load_schema
from pprl.errors import SchemaError

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))


def clk_arrays(min_bytes=1, max_bytes=16):
    return st.integers(min_bytes, max_bytes).flatmap(
        lambda w: arrays(np.uint8, st.tuples(st.integers(0, 6), st.just(w))))


def popcount(a):
    return np.unpackbits(a, axis=1).sum(axis=1)


@given(clk_arrays())
def test_balance_doubles_length_and_sets_exactly_half(clks):
    out = balance(clks, KEY)
    assert out.shape == (clks.shape[0], 2 * clks.shape[1])
    assert (popcount(out) == 8 * clks.shape[1]).all()
    assert np.array_equal(out, balance(clks, KEY))


def test_balance_permutation_depends_on_the_key():
    clks = np.array([[0xF0, 0x0F, 0xAA, 0x01]], dtype=np.uint8)
    assert not np.array_equal(balance(clks, KEY), balance(clks, OTHER))


@given(st.integers(1, 8).flatmap(
    lambda w: arrays(np.uint8, st.tuples(st.integers(0, 5), st.just(2 * w)))))
def test_xor_fold_halves_and_xors(clks):
    out = xor_fold(clks)
    half = clks.shape[1] // 2
    assert out.shape == (clks.shape[0], half)
    assert np.array_equal(out, clks[:, :half] ^ clks[:, half:])


def test_xor_fold_of_an_odd_width_is_refused():
    with pytest.raises(ValueError, match="cannot fold"):
        xor_fold(np.zeros((1, 3), dtype=np.uint8))


@given(clk_arrays())
def test_blip_at_zero_is_the_identity(clks):
    assert np.array_equal(blip(clks, KEY, 0.0), clks)


@given(clk_arrays(), st.floats(0.01, 0.45))
def test_blip_is_a_function_of_the_record(clks, p):
    twice = np.vstack([clks, clks])
    out = blip(twice, KEY, p)
    n = clks.shape[0]
    assert np.array_equal(out[:n], out[n:])  # the same record -> the same CLK
    assert np.array_equal(out, blip(twice, KEY, p))


def test_blip_flips_about_the_probability():
    rng = np.random.default_rng(0)
    clks = rng.integers(0, 256, size=(400, 128), dtype=np.uint8)
    for p in (0.02, 0.1, 0.3):
        rate = popcount(blip(clks, KEY, p) ^ clks).sum() / (8 * clks.size)
        assert abs(rate - p) < 0.01, (p, rate)
    flips = blip(clks, KEY, 0.1) ^ clks
    assert not np.array_equal(flips[0], flips[1])  # not one mask for every record


@given(st.integers(1, 12).flatmap(
    lambda w: st.tuples(arrays(np.uint8, (3, w)), arrays(np.uint8, (3, w)))))
def test_rule90_is_linear(pair):
    a, b = pair
    assert np.array_equal(rule90(a ^ b), rule90(a) ^ rule90(b))
    assert np.array_equal(rule90(np.zeros_like(a)), np.zeros_like(a))


def test_rule90_neighbours_wrap_around():
    one = np.zeros((1, 2), dtype=np.uint8)
    one[0, 0] = 0x80  # bit 0
    bits = np.unpackbits(rule90(one)[0])
    assert np.flatnonzero(bits).tolist() == [1, 15]


@settings(deadline=None)
@given(st.integers(1, 12).flatmap(
    lambda w: st.tuples(arrays(np.uint8, (3, w)), arrays(np.uint8, (3, w)),
                        st.integers(1, 8 * w))))
def test_diffusion_is_linear_and_keeps_zero(args):
    a, b, taps = args
    z = np.zeros_like(a)
    assert np.array_equal(diffusion(z, KEY, taps), z)
    assert np.array_equal(diffusion(a ^ b, KEY, taps),
                          diffusion(a, KEY, taps) ^ diffusion(b, KEY, taps))
    assert np.array_equal(diffusion(a, KEY, taps), diffusion(a, KEY, taps))


def test_diffusion_taps_are_distinct_and_keyed():
    t = _taps(KEY, 64, 10)
    assert t.shape == (64, 10)
    assert all(len(set(row)) == 10 for row in t.tolist())
    assert not np.array_equal(t, _taps(OTHER, 64, 10))
    one = np.zeros((1, 8), dtype=np.uint8)
    one[0, 0] = 0x80
    # a single input bit reaches exactly the outputs that tap it
    assert popcount(diffusion(one, KEY, 10))[0] == int((_taps(KEY, 64, 10) == 0).sum())


# --- through the schema and the encoder ---------------------------------------------

ROWS = [["0", "anna", "smith", "f", "1980-01-02", "12", "main street", "springfield",
         "2000", "nsw", "", ""],
        ["1", "anna", "smith", "f", "1981-01-02", "12", "main street", "springfield",
         "2000", "nsw", "", ""],
        ["2", "bob", "jones", "m", "1975-06-30", "3", "high street", "shelbyville",
         "3000", "vic", "", ""]]


def person(hardening=None):
    with open(PERSON_SCHEMA_PATH, encoding="utf-8") as fh:
        doc = json.load(fh)
    if hardening is not None:
        doc["clkConfig"]["hardening"] = hardening
    return doc


def bits_of(clks):
    return np.unpackbits(clks, axis=1).astype(bool)


def test_schema_xor_folds_and_the_fold_step_share_one_fold():
    doc = person()
    folded = copy.deepcopy(doc)
    folded["clkConfig"]["l"] = 512
    folded["clkConfig"]["xor_folds"] = 1
    plain = encode(ROWS, doc, b"secret", progress=False)
    assert np.array_equal(encode(ROWS, folded, b"secret", progress=False), xor_fold(plain))
    step = encode(ROWS, person([{"kind": "xor_fold"}]), b"secret", progress=False)
    assert np.array_equal(step, xor_fold(plain))


def test_steps_apply_in_order_after_the_bits_are_set():
    steps = [{"kind": "balance"}, {"kind": "rule90"}, {"kind": "diffusion", "taps": 4},
             {"kind": "blip", "probability": 0.05}, {"kind": "xor_fold"}]
    schema = load_schema(person(steps))
    assert schema.clk_l == 1024
    plain = encode(ROWS, person(), b"secret", progress=False)
    out = encode(ROWS, schema, b"secret", progress=False)
    from pprl.encoding.hardening import hardening_keys

    keys = hardening_keys(b"secret", schema)
    assert len(set(keys)) == len(steps)
    assert np.array_equal(out, apply_hardening(plain, schema.hardening, keys))
    assert np.array_equal(out, encode(ROWS, schema, b"secret", progress=False))
    assert not np.array_equal(out, encode(ROWS, schema, b"other", progress=False))


def test_balanced_encoding_has_constant_popcount():
    out = encode(ROWS, person([{"kind": "balance"}]), b"secret", progress=False)
    assert out.shape == (3, 256)
    assert (popcount(out) == 1024).all()


def test_salt_separates_records_with_different_salt_values():
    plain = bits_of(encode(ROWS, person(), b"secret", progress=False))
    salted = bits_of(encode(ROWS, person([{"kind": "salt", "field": "date_of_birth",
                                            "prefix": 4}]), b"secret", progress=False))

    def dice(x, y):
        return 2 * (x & y).sum() / (x.sum() + y.sum())

    # rows 0 and 1 differ only in the year of birth
    assert dice(plain[0], plain[1]) > 0.9
    assert dice(salted[0], salted[1]) < 0.7
    again = bits_of(encode(ROWS, person([{"kind": "salt", "field": "date_of_birth",
                                           "prefix": 4}]), b"secret", progress=False))
    assert np.array_equal(salted, again)
    # the same year keeps the same bits whatever else changes in the date
    rows = [list(ROWS[0]), list(ROWS[0])]
    rows[1][4] = "1980-12-31"
    s = bits_of(encode(rows, person([{"kind": "salt", "field": "date_of_birth", "prefix": 4}]),
                       b"secret", progress=False))
    p = bits_of(encode(rows, person(), b"secret", progress=False))
    assert (s[0] ^ s[1]).sum() > 0
    assert dice(s[0], s[1]) == pytest.approx(dice(p[0], p[1]), abs=0.05)


def test_salting_every_value_changes_the_other_features_only():
    single = person([{"kind": "salt", "field": "sex"}])
    for f in single["features"]:
        if f["identifier"] not in ("sex", "rec_id"):
            f["ignored"] = True
            f.pop("format", None)
            f.pop("hashing", None)
    plain_single = person()
    for f in plain_single["features"]:
        if f["identifier"] not in ("sex", "rec_id"):
            f["ignored"] = True
            f.pop("format", None)
            f.pop("hashing", None)
    # the salt field itself is hashed unsalted
    assert np.array_equal(encode(ROWS, single, b"s", progress=False),
                          encode(ROWS, plain_single, b"s", progress=False))


def test_invalid_hardening_names_each_json_path():
    bad = [{"kind": "blip", "probability": 0.7}, {"kind": "diffusion", "taps": 0},
           {"kind": "salt", "field": "phone"}, {"kind": "nope"}, 3,
           {"kind": "balance", "extra": 1}, {"kind": "diffusion"},
           {"kind": "salt", "field": "surname", "prefix": 0}]
    with pytest.raises(SchemaError) as info:
        load_schema(person(bad))
    paths = [e.path for e in info.value.field_errors]
    assert paths == ["clkConfig.hardening[0].probability", "clkConfig.hardening[1].taps",
                     "clkConfig.hardening[2].field", "clkConfig.hardening[3].kind",
                     "clkConfig.hardening[4]", "clkConfig.hardening[5].extra",
                     "clkConfig.hardening[6].taps", "clkConfig.hardening[7].prefix"]
    assert "ignored feature" in str(info.value)


def test_lengths_are_checked_through_the_steps():
    doc = person([{"kind": "xor_fold"}] * 8)
    doc["clkConfig"]["l"] = 128
    with pytest.raises(SchemaError, match=r"hardening\[4\]: xor_fold needs a length"):
        load_schema(doc)
    doc = person([{"kind": "xor_fold"}, {"kind": "diffusion", "taps": 600}])
    with pytest.raises(SchemaError, match=r"hardening\[1\]\.taps: expected at most"):
        load_schema(doc)
    with pytest.raises(SchemaError, match="at most one salt"):
        load_schema(person([{"kind": "salt", "field": "sex"}] * 2))
    with pytest.raises(SchemaError, match="expected an array"):
        load_schema(person({"kind": "balance"}))


def test_no_hardening_means_no_change():
    assert load_schema(person()).hardening == ()
    assert np.array_equal(encode(ROWS, person([]), b"secret", progress=False),
                          encode(ROWS, person(), b"secret", progress=False))


GOLDEN_STEPS = {"balance": [{"kind": "balance"}], "xor_fold": [{"kind": "xor_fold"}],
                "blip": [{"kind": "blip", "probability": 0.1}], "rule90": [{"kind": "rule90"}],
                "diffusion": [{"kind": "diffusion", "taps": 5}],
                "salt": [{"kind": "salt", "field": "date_of_birth", "prefix": 4}]}


@pytest.mark.parametrize("name", sorted(GOLDEN_STEPS))
def test_hardened_bytes_are_stable(name):
    """Custodians on other machines and numpy versions must get the same bytes."""
    import hashlib
    from pathlib import Path

    golden = json.loads((Path(__file__).parent / "data" / "hardening_golden.json").read_text())
    clks = encode(ROWS, person(GOLDEN_STEPS[name]), b"golden secret", progress=False)
    assert hashlib.sha256(clks.tobytes()).hexdigest() == golden[name]
