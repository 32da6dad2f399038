"""A collector of schema problems: each check records its JSON path and what it expected.

:class:`Checker` is what lets :mod:`pprl.encoding.validate` report every
problem of a document at once instead of stopping at the first.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ..errors import FieldError

__all__ = ["MISSING", "Checker", "is_int", "is_number", "show"]

MISSING = object()


def show(value: Any) -> str:
    """A value as it appears in JSON (strings quoted), shortened."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def obj(self, d: Any, path: str) -> bool:
        if not isinstance(d, dict):
            self.err(path, f"expected an object, got {show(d)}")
            return False
        return True

    def allowed(self, d: dict, keys: tuple[str, ...], path: str, why: str = "") -> None:
        for k in d:
            if k not in keys:
                allowed = ", ".join(keys)
                self.err(f"{path}.{k}" if path else k,
                         f"unexpected key{why}; allowed here: {allowed}")

    def get(self, d: dict, key: str, path: str, required: bool) -> Any:
        if key in d:
            return d[key]
        if required:
            self.err(f"{path}.{key}" if path else key, "required key is missing")
        return MISSING

    def int_(self, v: Any, path: str, minimum: int | None = None) -> int | None:
        if v is MISSING:
            return None
        expected = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}
        what = expected.get(minimum, f"an integer >= {minimum}")
        if not is_int(v) or (minimum is not None and v < minimum):
            self.err(path, f"expected {what}, got {show(v)}")
            return None
        return v

    def str_(self, v: Any, path: str) -> str | None:
        if v is MISSING:
            return None
        if not isinstance(v, str):
            self.err(path, f"expected a string, got {show(v)}")
            return None
        return v

    def bool_(self, v: Any, path: str) -> bool | None:
        if v is MISSING:
            return None
        if not isinstance(v, bool):
            self.err(path, f"expected true or false, got {show(v)}")
            return None
        return v

    def choice(self, v: Any, options: tuple[str, ...], path: str) -> str | None:
        if v is MISSING:
            return None
        if v not in options:
            self.err(path, f"expected one of {', '.join(show(o) for o in options)}, "
                           f"got {show(v)}")
            return None
        return v

    def b64(self, v: Any, path: str) -> bytes | None:
        s = self.str_(v, path)
        if s is None:
            return None
        try:
            return base64.b64decode("".join(s.split()), validate=True)
        except (binascii.Error, ValueError):
            self.err(path, f"expected base64-encoded bytes, got {show(s)}")
            return None


# --- clkConfig ----------------------------------------------------------------
