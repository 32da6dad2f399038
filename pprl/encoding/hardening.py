"""Hardening: transformations of Bloom filters that resist known attacks.

pprl extends clkhash's linkage schema with a list ``clkConfig.hardening``.
After a record's bits are set (and folded ``xor_folds`` times), each step is
applied in order:

* ``{"kind": "balance"}`` -- append the complement, then permute the ``2 l``
  bits under the secret; every CLK has popcount ``l`` (Schnell & Borgs 2016).
* ``{"kind": "xor_fold"}`` -- XOR the two halves (Schnell, Borgs & Encarnação
  2016); the same function serves ``clkConfig.xor_folds``.
* ``{"kind": "blip", "probability": f}`` -- flip each bit with probability
  ``f`` (randomised response, Alaggan et al. 2012), seeded by the secret and
  the record's bits, so the same record always gives the same CLK.
* ``{"kind": "rule90"}`` -- one step of the rule-90 cellular automaton,
  ``b'[i] = b[i-1] ^ b[i+1]`` cyclically (Schnell & Borgs 2018).
* ``{"kind": "diffusion", "taps": t}`` -- output bit ``j`` is the XOR of ``t``
  distinct input bits chosen under the secret (Armknecht, Heng & Schnell 2023).
* ``{"kind": "salt", "field": ID}`` -- the formatted value of feature ``ID``
  (optionally its first ``prefix`` characters) is mixed into every token of
  the *other* features before hashing (Chen, Schnell, Armknecht & Heng 2022).
  It acts while hashing, wherever it stands in the list.

Keys are derived from the secret with HKDF (the schema's KDF settings, a
distinct ``info``), one per step, so they are independent of the features'
keys.  Key streams are SHAKE-256 of the key and a label, so the bytes do not
depend on the numpy version.  All steps work on a whole ``(n, l // 8)`` array.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import FieldError
from ._checker import show as _show
from .model import Balance, Blip, Diffusion, HardeningStep, Rule90, Salt, XorFold

__all__ = [
    "xor_fold",
    "balance",
    "blip",
    "rule90",
    "diffusion",
    "salted_tokens",
    "hardening_keys",
    "apply_hardening",
    "parse_hardening",
]

_KINDS = ("balance", "xor_fold", "blip", "rule90", "diffusion", "salt")
_INFO = b"|pprl hardening"


# --- key streams ------------------------------------------------------------------


def _stream(key: bytes, label: bytes, count: int) -> np.ndarray:
    """``count`` uint32 values of SHAKE-256(key || label)."""
    raw = hashlib.shake_256(key + label).digest(4 * count)
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def _permutation(key: bytes, label: bytes, n: int) -> np.ndarray:
    """A permutation of ``range(n)`` determined by the key (ties broken by index)."""
    return np.lexsort((np.arange(n), _stream(key, label, n)))


def _unpack(clks: np.ndarray) -> np.ndarray:
    return np.unpackbits(np.ascontiguousarray(clks, dtype=np.uint8), axis=1).astype(bool)


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.packbits(bits, axis=1))


def _unpack_t(clks: np.ndarray) -> np.ndarray:
    """Bits as a ``(l, n)`` array.

    Gathering bit positions is then a gather of contiguous rows, several times
    faster than fancy indexing along axis 1.
    """
    return np.ascontiguousarray(_unpack(clks).T)


def _pack_t(bits_t: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.packbits(bits_t, axis=0).T)


# --- the steps ----------------------------------------------------------------------


def xor_fold(clks: np.ndarray, folds: int = 1) -> np.ndarray:
    """XOR the first half of each CLK with the second, ``folds`` times.

    The one implementation behind ``clkConfig.xor_folds``, the ``xor_fold``
    hardening step and the parameter explorer.

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, w)
        ``w`` must be divisible by ``2 ** folds``.
    folds : int, default=1

    Returns
    -------
    ndarray of uint8, shape (n, w // 2 ** folds)

    Examples
    --------
    >>> xor_fold(np.array([[0b1100, 0b1010]], dtype=np.uint8)).tolist()
    [[6]]
    """
    out = np.asarray(clks, dtype=np.uint8)
    for _ in range(folds):
        half = out.shape[1] // 2
        if out.shape[1] % 2:
            raise ValueError(f"cannot fold CLKs of {out.shape[1]} bytes in half")
        out = out[:, :half] ^ out[:, half:]
    return np.ascontiguousarray(out)


def balance(clks: np.ndarray, key: bytes) -> np.ndarray:
    """Append each CLK's complement and permute the ``2 l`` bits under ``key``.

    Every output has exactly ``l`` bits set, so popcount no longer tells
    how many tokens a record has.

    Examples
    --------
    >>> out = balance(np.array([[255, 0]], dtype=np.uint8), b"k" * 32)
    >>> out.shape, int(np.unpackbits(out).sum())
    ((1, 4), 16)
    """
    bits = _unpack_t(clks)
    both = np.concatenate([bits, ~bits], axis=0)
    perm = _permutation(key, b"balance", both.shape[0])
    return _pack_t(both[perm])


def blip(clks: np.ndarray, key: bytes, probability: float) -> np.ndarray:
    """Flip each bit with ``probability``, seeded by ``key`` and the record's own bytes.

    Each record's 64-bit seed is keyed BLAKE2b of its bytes (one hash per
    record); the seeds drive a counter-mode SplitMix64 stream compared with a
    threshold, vectorised over the whole array.  Equal records give equal
    outputs; ``probability=0`` is the identity.
    """
    clks = np.ascontiguousarray(clks, dtype=np.uint8)
    n, width = clks.shape
    if probability <= 0 or n == 0:
        return clks.copy()
    mkey = hashlib.blake2b(key, digest_size=64).digest()
    seeds = np.fromiter(
        (int.from_bytes(hashlib.blake2b(row, key=mkey, digest_size=8).digest(), "little")
         for row in map(bytes, clks)), dtype=np.uint64, count=n)
    length = 8 * width
    limit = np.uint64(min(int(probability * 2.0**64), 2**64 - 1))
    out = np.empty_like(clks)
    step = max(1, (1 << 22) // length)
    counters = np.arange(1, length + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for lo in range(0, n, step):
        z = seeds[lo:lo + step, None] + counters[None, :]
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        flips = np.packbits(z < limit, axis=1)
        out[lo:lo + step] = clks[lo:lo + step] ^ flips
    return out


def rule90(clks: np.ndarray) -> np.ndarray:
    """One rule-90 step on each CLK: bit ``i`` becomes ``b[i-1] XOR b[i+1]`` (cyclic).

    Linear over XOR: ``rule90(a ^ b) == rule90(a) ^ rule90(b)``.

    Examples
    --------
    >>> rule90(np.array([[0b00010000]], dtype=np.uint8)).tolist()
    [[40]]
    """
    bits = _unpack(clks)
    return _pack(np.roll(bits, 1, axis=1) ^ np.roll(bits, -1, axis=1))


def _taps(key: bytes, length: int, taps: int) -> np.ndarray:
    """``(length, taps)`` input positions, distinct within each row, chosen under ``key``."""
    out = np.empty((length, taps), dtype=np.int64)
    for s in range(taps):
        col = _stream(key, b"tap %d" % s, length).astype(np.int64) % length
        attempt = 0
        while True:
            dup = (out[:, :s] == col[:, None]).any(axis=1)
            if not dup.any():
                break
            attempt += 1
            redraw = _stream(key, b"tap %d retry %d" % (s, attempt), length)
            col[dup] = redraw[dup].astype(np.int64) % length
        out[:, s] = col
    return out


def diffusion(clks: np.ndarray, key: bytes, taps: int) -> np.ndarray:
    """Each output bit is the XOR of ``taps`` distinct input bits chosen under ``key``.

    Linear over XOR, so an all-zero input stays all zero.
    """
    bits = _unpack_t(clks)
    length = bits.shape[0]
    if taps > length:
        raise ValueError(f"diffusion needs taps <= l, got {taps} taps for {length} bits")
    table = _taps(key, length, taps)
    out = bits[table[:, 0]]
    for s in range(1, taps):
        out ^= bits[table[:, s]]
    return _pack_t(out)


# --- salting ------------------------------------------------------------------------


def salted_tokens(tokens: Sequence[str], token_id: np.ndarray, salt_of_row: np.ndarray,
                  salts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    r"""Distinct salted tokens and the index of each occurrence's salted token.

    A salted token is ``"<len(salt)>\x1f<salt><token>"``: the length prefix
    keeps it unambiguous whatever the salt and the token contain.

    Parameters
    ----------
    tokens : sequence of str
        Distinct tokens.
    token_id : ndarray of int64, shape (N,)
        Token of each occurrence.
    salt_of_row : ndarray of int64, shape (N,)
        Index into ``salts`` of each occurrence's salt.
    salts : sequence of str
    """
    pair = token_id.astype(np.int64) * max(1, len(salts)) + salt_of_row
    uniq, inverse = np.unique(pair, return_inverse=True)
    t_idx, s_idx = np.divmod(uniq, max(1, len(salts)))
    out = [f"{len(salts[s])}\x1f{salts[s]}{tokens[t]}"
           for t, s in zip(t_idx.tolist(), s_idx.tolist(), strict=True)]
    return out, inverse.reshape(-1).astype(np.int64)


# --- keys, application and parsing --------------------------------------------------


def hardening_keys(secret: bytes, schema) -> list[bytes]:
    """One 32-byte key per hardening step, by HKDF with the schema's KDF settings."""
    from .hashing import derive_keys

    steps = schema.hardening
    if not steps:
        return []
    kdf = schema.kdf
    pairs = derive_keys(secret, len(steps), hash_name=kdf.hash, salt=kdf.salt,
                        info=(kdf.info or b"") + _INFO, key_size=32)
    return [a for a, _ in pairs]


def apply_hardening(clks: np.ndarray, steps: Sequence[HardeningStep],
                    keys: Sequence[bytes]) -> np.ndarray:
    """Apply the bit-level hardening steps in order (salting acts while hashing).

    Parameters
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
    steps : sequence of HardeningStep
    keys : sequence of bytes
        One per step (from :func:`hardening_keys`).
    """
    out = np.ascontiguousarray(clks, dtype=np.uint8)
    for step, key in zip(steps, keys, strict=True):
        if isinstance(step, Balance):
            out = balance(out, key)
        elif isinstance(step, XorFold):
            out = xor_fold(out)
        elif isinstance(step, Blip):
            out = blip(out, key, step.probability)
        elif isinstance(step, Rule90):
            out = rule90(out)
        elif isinstance(step, Diffusion):
            out = diffusion(out, key, step.taps)
    return out


def parse_hardening(doc: Any, length: int | None, hashed: Sequence[str],
                    identifiers: Sequence[str]) -> tuple[tuple[HardeningStep, ...],
                                                         list[FieldError]]:
    """Validate ``clkConfig.hardening``; every problem gets its JSON path.

    Parameters
    ----------
    doc : list
        The ``hardening`` value.
    length : int or None
        ``l`` after ``xor_folds`` (None if it was invalid: length checks skipped).
    hashed : sequence of str
        Identifiers of hashed features (a salt must name one).
    identifiers : sequence of str
        All identifiers (to tell an ignored feature from an unknown one).
    """
    path = "clkConfig.hardening"
    errors: list[FieldError] = []
    if not isinstance(doc, list):
        return (), [FieldError(path, f"expected an array of steps, got {_show(doc)}")]
    steps: list[HardeningStep] = []
    allowed = {"balance": ("kind",), "xor_fold": ("kind",), "rule90": ("kind",),
               "blip": ("kind", "probability"), "diffusion": ("kind", "taps"),
               "salt": ("kind", "field", "prefix")}
    bad = False
    for i, d in enumerate(doc):
        p = f"{path}[{i}]"
        if not isinstance(d, dict):
            errors.append(FieldError(p, f"expected an object with a 'kind', got {_show(d)}"))
            bad = True
            continue
        kind = d.get("kind")
        if kind not in _KINDS:
            what = "required key is missing" if "kind" not in d else f"got {_show(kind)}"
            errors.append(FieldError(f"{p}.kind", "expected one of "
                                     f"{', '.join(_show(k) for k in _KINDS)}; {what}"))
            bad = True
            continue
        for k in d:
            if k not in allowed[kind]:
                errors.append(FieldError(f"{p}.{k}", f"unexpected key for {kind!r}; allowed "
                                         f"here: {', '.join(allowed[kind])}"))
        step: HardeningStep | None = None
        if kind == "balance":
            step = Balance()
        elif kind == "xor_fold":
            step = XorFold()
        elif kind == "rule90":
            step = Rule90()
        elif kind == "blip":
            f = d.get("probability")
            if not isinstance(f, (int, float)) or isinstance(f, bool) or not 0 <= f < 0.5:
                errors.append(FieldError(f"{p}.probability", "expected a number in [0, 0.5)"
                                         f", got {_show(f) if 'probability' in d else 'nothing'}"))
            else:
                step = Blip(probability=float(f))
        elif kind == "diffusion":
            t = d.get("taps")
            if not isinstance(t, int) or isinstance(t, bool) or t < 1:
                errors.append(FieldError(f"{p}.taps", "expected a positive integer, got "
                                         f"{_show(t) if 'taps' in d else 'nothing'}"))
            else:
                step = Diffusion(taps=t)
        else:
            name, prefix = d.get("field"), d.get("prefix")
            if not isinstance(name, str):
                got = _show(name) if "field" in d else "nothing"
                errors.append(FieldError(f"{p}.field", "expected the identifier of a hashed "
                                         f"feature, got {got}"))
            elif name not in hashed:
                why = "an ignored feature" if name in identifiers else "no feature"
                errors.append(FieldError(f"{p}.field", f"expected the identifier of a hashed "
                                         f"feature, got {_show(name)} ({why})"))
            if "prefix" in d and (not isinstance(prefix, int) or isinstance(prefix, bool)
                                  or prefix < 1):
                errors.append(FieldError(f"{p}.prefix", f"expected a positive integer, got "
                                         f"{_show(prefix)}"))
            elif isinstance(name, str) and name in hashed:
                step = Salt(field=name, prefix=prefix)
            if any(isinstance(s, Salt) for s in steps):
                errors.append(FieldError(p, "expected at most one salt step"))
        if step is None:
            bad = True
        else:
            steps.append(step)
    if not bad and length is not None:
        cur = length
        for i, step in enumerate(steps):
            if isinstance(step, Balance):
                cur *= 2
            elif isinstance(step, XorFold):
                if cur % 16:
                    errors.append(FieldError(f"{path}[{i}]", "xor_fold needs a length that "
                                             f"is a multiple of 16 bits, got {cur}"))
                    break
                cur //= 2
            elif isinstance(step, Diffusion) and step.taps > cur:
                errors.append(FieldError(f"{path}[{i}].taps", f"expected at most the "
                                         f"length ({cur} bits), got {step.taps}"))
    return tuple(steps), errors
