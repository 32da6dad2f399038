"""Key derivation and token hashing: tokens to bit positions in a filter.

* :func:`derive_keys` -- HKDF (RFC 5869) stretches the shared secret into two
  keys per feature, as clkhash does, so every feature hashes independently.
* :func:`double_hash_positions` -- ``g_i = (h_sha1 + i * h_md5) mod l`` with
  HMAC-SHA1 and HMAC-MD5 (Schnell et al. 2011), optionally re-hashing the
  MD5 part until it is non-zero (``prevent_singularity``).
* :func:`blake_positions` -- keyed BLAKE2b digests read as little-endian
  16-bit integers, each taken modulo ``l`` (``l`` a power of two).
* :class:`TokenHasher` -- one feature's hash function with a cache of
  token -> positions, so each distinct token is hashed once.

All functions return positions as ``int64`` arrays; no encoding logic here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from itertools import repeat

import numpy as np

from ..errors import InputError

__all__ = ["derive_keys", "double_hash_positions", "blake_positions", "TokenHasher"]

_HASHES = {"SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def derive_keys(
    secret: bytes | str,
    num_features: int,
    *,
    hash_name: str = "SHA256",
    salt: bytes | None = None,
    info: bytes | None = None,
    key_size: int = 64,
) -> list[tuple[bytes, bytes]]:
    """Derive two keys per feature from the secret with HKDF.

    Parameters
    ----------
    secret : bytes or str
        A ``str`` is encoded as UTF-8.
    num_features : int
        Number of features, ignored ones included (they consume keys too).
    hash_name : {"SHA256", "SHA512"}, default="SHA256"
    salt, info : bytes, optional
        HKDF salt (default: zeros) and context information (default: empty).
    key_size : int, default=64
        Bytes per key.

    Returns
    -------
    list of (bytes, bytes)
        For each feature, the first and second key.

    Examples
    --------
    >>> keys = derive_keys(b"secret", 2)
    >>> len(keys), len(keys[0][0])
    (2, 64)
    """
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, (bytes, bytearray)):
        raise InputError(f"the secret must be bytes or str, got {type(secret).__name__}")
    digest = _HASHES[hash_name]
    hash_len = digest().digest_size
    length = 2 * num_features * key_size
    if length > 255 * hash_len:
        raise InputError(
            f"HKDF-{hash_name} cannot derive {length} bytes of keys (at most {255 * hash_len})"
        )
    prk = hmac.new(salt if salt else bytes(hash_len), bytes(secret), digest).digest()
    okm = bytearray()
    block = b""
    counter = 1
    info = info or b""
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), digest).digest()
        okm += block
        counter += 1
    okm = bytes(okm[:length])
    keys = [okm[i * key_size:(i + 1) * key_size] for i in range(2 * num_features)]
    return [(keys[2 * i], keys[2 * i + 1]) for i in range(num_features)]


def double_hash_positions(
    tokens: Sequence[bytes],
    key_sha1: bytes,
    key_md5: bytes,
    k: int,
    l: int,  # noqa: E741
    prevent_singularity: bool = False,
) -> np.ndarray:
    """Bit positions ``(h1 + i * h2) mod l`` for ``i < k`` of each token.

    Returns
    -------
    ndarray of int64, shape (len(tokens), k)
    """
    h1 = np.empty(len(tokens), dtype=np.int64)
    h2 = np.empty(len(tokens), dtype=np.int64)
    sha1 = hmac.new(key_sha1, digestmod=hashlib.sha1)  # keyed once, copied per token
    md5 = hmac.new(key_md5, digestmod=hashlib.md5)
    for j, t in enumerate(tokens):
        h = sha1.copy()
        h.update(t)
        h1[j] = int.from_bytes(h.digest(), "big") % l
        h = md5.copy()
        h.update(t)
        b = int.from_bytes(h.digest(), "big") % l
        if prevent_singularity:
            i = 0
            while b == 0:
                extra = chr(i).encode("utf-8")
                b = int.from_bytes(hmac.new(key_md5, t + extra, hashlib.md5).digest(), "big") % l
                i += 1
        h2[j] = b
    i = np.arange(k, dtype=np.int64)
    return (h1[:, None] + i[None, :] * h2[:, None]) % l


def blake_positions(tokens: Sequence[bytes], key: bytes, k: int, l: int) -> np.ndarray:  # noqa: E741
    """Bit positions from keyed BLAKE2b: 16-bit slices of the digests, modulo ``l``.

    Returns
    -------
    ndarray of int64, shape (len(tokens), k)
    """
    n_macs = (k + 31) // 32
    bases = [hashlib.blake2b(key=key, salt=str(i).encode("ascii")) for i in range(n_macs)]
    digests = []  # keyed once per salt, copied per token; one buffer for all digests
    for t in tokens:
        for base in bases:
            h = base.copy()
            h.update(t)
            digests.append(h.digest())
    out = np.frombuffer(b"".join(digests), dtype="<u2").reshape(len(tokens), 32 * n_macs)
    return out[:, :k].astype(np.int64) % l


class TokenHasher:
    """One feature's token -> positions map, cached.

    Parameters
    ----------
    hash_type : {"doubleHash", "blakeHash"}
    keys : (bytes, bytes)
        The feature's two derived keys.
    l : int
        Filter length the tokens are hashed into (before folding).
    encoding : str
        How tokens become bytes.
    prevent_singularity : bool, default=False
    max_k : int
        Largest number of positions ever asked for (positions for a smaller
        ``k`` are the first ``k`` columns).
    """

    def __init__(self, hash_type: str, keys: tuple[bytes, bytes], l: int,  # noqa: E741
                 encoding: str, max_k: int, prevent_singularity: bool = False):
        self.hash_type = hash_type
        self.keys = keys
        self.l = l
        self.encoding = encoding
        self.max_k = max_k
        self.prevent_singularity = prevent_singularity
        self._index: dict[str, int] = {}  # token -> its row in self._rows
        self._rows = np.empty((0, max_k), dtype=np.int64)

    def positions(self, tokens: Sequence[str]) -> np.ndarray:
        """Positions of each token, shape ``(len(tokens), max_k)``, int64.

        Each distinct token is hashed once per hasher; the cache is a table
        of rows and a dict from token to row, so a lookup is one gather.
        """
        index = self._index
        idx = np.fromiter(map(index.get, tokens, repeat(-1)), dtype=np.int64,
                          count=len(tokens))
        missing = np.flatnonzero(idx < 0)
        if missing.size:
            fresh = list(dict.fromkeys(tokens[j] for j in missing.tolist()))
            raw = [t.encode(self.encoding) for t in fresh]
            if self.hash_type == "doubleHash":
                pos = double_hash_positions(raw, self.keys[0], self.keys[1], self.max_k,
                                            self.l, self.prevent_singularity)
            else:
                pos = blake_positions(raw, self.keys[0], self.max_k, self.l)
            start = len(index)
            stop = start + len(fresh)
            if stop > len(self._rows):  # grow by doubling
                grown = np.empty((max(stop, 2 * len(self._rows)), self.max_k), dtype=np.int64)
                grown[:start] = self._rows[:start]
                self._rows = grown
            self._rows[start:stop] = pos
            index.update(zip(fresh, range(start, stop), strict=True))
            idx[missing] = [index[tokens[j]] for j in missing.tolist()]
        return self._rows[idx]
