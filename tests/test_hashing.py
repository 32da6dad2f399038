"""Key derivation and token hashing against RFC 5869 and clkhash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl.encoding.hashing import TokenHasher, blake_positions, derive_keys, double_hash_positions
from pprl.errors import InputError


def test_hkdf_rfc5869_test_case_1():
    ikm = bytes([0x0B] * 22)
    salt = bytes(range(13))
    info = bytes(range(0xF0, 0xFA))
    okm = bytes.fromhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                        "34007208d5b887185865")
    (k1, k2), = derive_keys(ikm, 1, salt=salt, info=info, key_size=21)
    assert k1 + k2 == okm


def test_hkdf_rfc5869_test_case_3_no_salt_no_info():
    okm = bytes.fromhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                        "9d201395faa4b61a96c8")
    (k1, k2), = derive_keys(bytes([0x0B] * 22), 1, key_size=21)
    assert k1 + k2 == okm


def test_str_secret_is_utf8_and_limits_are_checked():
    assert derive_keys("päss", 2) == derive_keys("päss".encode(), 2)
    with pytest.raises(InputError, match="at most 8160"):
        derive_keys(b"s", 64)
    assert len(derive_keys(b"s", 64, hash_name="SHA512")) == 64


def test_positions_by_hand_shape_and_range():
    pos = double_hash_positions([b"ab", b"cd"], b"k1", b"k2", 5, 100)
    assert pos.shape == (2, 5) and pos.min() >= 0 and pos.max() < 100
    # an arithmetic progression modulo l
    step = (pos[:, 1] - pos[:, 0]) % 100
    assert np.array_equal((pos[:, :1] + np.arange(5) * step[:, None]) % 100, pos)
    b = blake_positions([b"ab"], b"k" * 64, 40, 256)
    assert b.shape == (1, 40) and b.max() < 256


def test_token_hasher_caches_and_prefixes():
    h = TokenHasher("blakeHash", (b"a" * 32, b"b" * 32), 1024, "utf-8", max_k=40)
    first = h.positions(["ab", "cd", "ab"])
    assert np.array_equal(first[0], first[2])
    assert np.array_equal(h.positions(["cd"])[0], first[1])
    assert np.array_equal(first[:, :7], blake_positions([b"ab", b"cd", b"ab"], b"a" * 32, 7,
                                                        1024))


key_derivation = pytest.importorskip("clkhash.key_derivation")
bloomfilter = pytest.importorskip("clkhash.bloomfilter")


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=40), st.integers(1, 10),
       st.sampled_from(["SHA256", "SHA512"]), st.one_of(st.none(), st.binary(max_size=16)),
       st.one_of(st.none(), st.binary(max_size=16)), st.integers(1, 64))
def test_keys_match_clkhash(secret, n, hash_name, salt, info, key_size):
    ref = key_derivation.generate_key_lists(secret, n, key_size=key_size, salt=salt, info=info,
                                            hash_algo=hash_name)
    ours = derive_keys(secret, n, hash_name=hash_name, salt=salt, info=info, key_size=key_size)
    assert [tuple(k) for k in ref] == ours


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=6), st.integers(1, 70), st.sampled_from([8, 64, 1000, 1024]),
       st.booleans())
def test_double_hash_matches_clkhash(token, k, l_, non_singular):
    keys = (b"sha1-key", b"md5-key")
    fn = (bloomfilter.double_hash_encode_ngrams_non_singular if non_singular
          else bloomfilter.double_hash_encode_ngrams)
    ref = fn([token], keys, [k], l_, "utf-8")
    pos = double_hash_positions([token.encode()], keys[0], keys[1], k, l_, non_singular)
    bits = np.zeros(l_, dtype=bool)
    bits[pos[0]] = True
    assert bits.tolist() == ref.tolist()


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=6), st.integers(1, 100), st.sampled_from([8, 256, 4096]))
def test_blake_matches_clkhash(token, k, l_):
    key = b"0123456789abcdef" * 4
    ref = bloomfilter.blake_hash_token(token.encode(), k, key, l_)
    assert blake_positions([token.encode()], key, k, l_)[0].tolist() == list(ref)
