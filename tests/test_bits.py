"""The CLK array contract and its file formats."""

import base64
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import FileFormatError, InputError
from pprl.bits import (
    clks_from_base64,
    clks_from_bitarrays,
    clks_to_base64,
    clks_to_bitarrays,
    pack_bits,
    popcount,
    read_clks,
    unpack_bits,
    write_clks,
)


def random_clks(rng, n, nbytes):
    return rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)


def test_bit_order_is_big_endian_like_bitarray():
    bitarray = pytest.importorskip("bitarray")
    ba = bitarray.bitarray("1000000000000011", endian="big")
    arr = clks_from_bitarrays([ba])
    assert arr.tolist() == [[0b10000000, 0b00000011]]
    assert unpack_bits(arr)[0].tolist() == [c == "1" for c in ba.to01()]
    assert clks_to_bitarrays(arr)[0] == ba


def test_pack_unpack_roundtrip(rng):
    bits = rng.random((5, 64)) < 0.3
    assert np.array_equal(unpack_bits(pack_bits(bits)), bits)


def test_pack_rejects_non_multiple_of_8():
    with pytest.raises(InputError, match="multiple of 8"):
        pack_bits(np.zeros((1, 12), dtype=bool))


def test_popcount_by_hand():
    x = np.array([[0xFF, 0x01], [0, 0], [0x80, 0x80]], dtype=np.uint8)
    assert popcount(x).tolist() == [9, 0, 2]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 20), st.integers(1, 130), st.integers(0, 2**32 - 1))
def test_base64_roundtrip_matches_bytes(n, nbytes, seed):
    clks = random_clks(np.random.default_rng(seed), n, nbytes)
    enc = clks_to_base64(clks)
    assert enc == [base64.b64encode(r.tobytes()).decode() for r in clks]
    back = clks_from_base64(enc)
    if n:
        assert np.array_equal(back, clks)
    else:
        assert back.shape == (0, 0)


@pytest.mark.parametrize("suffix", [".json", ".npy"])
def test_file_roundtrip(tmp_path, rng, suffix):
    clks = random_clks(rng, 17, 128)
    path = tmp_path / f"clks{suffix}"
    write_clks(clks, path)
    assert np.array_equal(read_clks(path), clks)
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_json_is_clkhash_format(tmp_path, rng):
    clks = random_clks(rng, 3, 16)
    path = tmp_path / "c.json"
    write_clks(clks, path)
    doc = json.loads(path.read_text())
    assert list(doc) == ["clks"]
    assert doc["clks"] == clks_to_base64(clks)


def test_clkhash_json_is_read_as_bitarray_bytes(tmp_path):
    clkhash = pytest.importorskip("clkhash")
    from bitarray import bitarray
    from clkhash.serialization import serialize_bitarray

    ba = bitarray("10110000" * 4, endian="big")
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"clks": [serialize_bitarray(ba)]}))
    assert read_clks(path).tolist() == [[0b10110000] * 4]
    del clkhash


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not valid JSON"),
        ('{"foo": []}', '"clks"'),
        ('{"clks": ["AAAA", "AA=="]}', r"clks\[1\]: has 8 bits but clks\[0\] has 24"),
        ('{"clks": ["@@@"]}', r"clks\[0\]: not valid base64"),
        ('{"clks": [12]}', r"clks\[0\]: expected a base64 string"),
    ],
)
def test_bad_json_names_file_and_entry(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(FileFormatError, match=message) as info:
        read_clks(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(FileFormatError, match="missing.json: file not found"):
        read_clks(tmp_path / "missing.json")


@pytest.mark.parametrize("name", ["c.json", "c.npy"])
def test_ids_round_trip_and_old_callers_get_an_array(tmp_path, name):
    clks = np.arange(6, dtype=np.uint8).reshape(3, 2)
    path = tmp_path / name
    write_clks(clks, path, ids=["r1", 2, "ü"])
    got = read_clks(path)
    assert isinstance(got, np.ndarray) and (got == clks).all()
    got, ids = read_clks(path, with_ids=True)
    assert (got == clks).all() and ids == ["r1", "2", "ü"]
    if name.endswith(".json"):  # clkhash's reader sees only "clks"
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert list(doc) == ["clks", "ids"]
    else:
        assert (tmp_path / "c.ids.json").exists()
    write_clks(clks, path)  # no IDs now: none come back, no stale sidecar
    assert read_clks(path, with_ids=True)[1] is None
    assert not (tmp_path / "c.ids.json").exists()


def test_ids_must_be_one_string_per_clk(tmp_path):
    with pytest.raises(InputError, match="one ID per CLK"):
        write_clks(np.zeros((2, 1), dtype=np.uint8), tmp_path / "x.json", ids=["a"])
    p = tmp_path / "bad.json"
    p.write_text('{"clks": ["AA==", "AA=="], "ids": ["a"]}')
    with pytest.raises(FileFormatError, match="bad.json: ids: has 1 record IDs but there are 2"):
        read_clks(p, with_ids=True)
    p.write_text('{"clks": ["AA=="], "ids": [7]}')
    with pytest.raises(FileFormatError, match=r"ids\[0\]: expected a string"):
        read_clks(p, with_ids=True)


def test_npy_wrong_dtype(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((2, 3), dtype=np.int32))
    with pytest.raises(FileFormatError, match="uint8"):
        read_clks(path)


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    import pprl.bits as bits

    def boom(_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bits, "clks_to_base64", boom)
    with pytest.raises(RuntimeError):
        write_clks(np.zeros((2, 2), dtype=np.uint8), path)
    assert list(tmp_path.iterdir()) == []


def test_bits_array_contract_errors():
    with pytest.raises(InputError, match="uint8"):
        popcount(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(InputError, match="2-D"):
        popcount(np.zeros(4, dtype=np.uint8))


def test_written_files_get_umask_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        path = tmp_path / "perm.json"
        write_clks(np.zeros((1, 1), dtype=np.uint8), path)
        assert (path.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(mask)
