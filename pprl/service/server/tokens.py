"""Tokens: 192-bit random, stored only as SHA-256 hashes, compared in constant time.

A token is 48 hexadecimal characters (``secrets.token_hex(24)``), the shape
the entity service's clients expect.  The server keeps ``sha256(token)``
and, to check a presented token, compares its hash with *every* hash the
project holds using :func:`hmac.compare_digest`, without stopping at the
first match, so the time taken says nothing about which token matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["TOKEN_BYTES", "new_token", "new_id", "token_hash", "match"]

#: 24 random bytes = 192 bits, written as 48 hex characters
TOKEN_BYTES = 24


def new_token() -> str:
    """A fresh random token (48 hex characters)."""
    return secrets.token_hex(TOKEN_BYTES)


def new_id() -> str:
    """A fresh random resource identifier (48 hex characters)."""
    return secrets.token_hex(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The hash that is stored in place of ``token``.

    Examples
    --------
    >>> len(token_hash(new_token()))
    64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def match(token: str | None, hashes: dict[str, str | None]) -> str | None:
    """The key of ``hashes`` whose hash is ``token``'s, or None.

    Every entry is compared, in constant time each.

    Examples
    --------
    >>> t = new_token()
    >>> match(t, {"result": token_hash(new_token()), "upload:0": token_hash(t)})
    'upload:0'
    >>> match("guess", {"result": token_hash(t)}) is None
    True
    """
    if not token:
        return None
    presented = token_hash(token).encode("ascii")
    found = None
    for key, stored in hashes.items():
        if stored is not None and hmac.compare_digest(presented, stored.encode("ascii")):
            found = key
    return found
