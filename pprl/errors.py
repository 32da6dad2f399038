"""The exception hierarchy of pprl.

Every exception pprl raises on purpose derives from :class:`PPRLError`.
Errors caused by bad input (a schema, a record, a file, a parameter) also
derive from :class:`ValueError`, so ``except ValueError`` keeps working for
callers who do not know about pprl.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "PPRLError",
    "InputError",
    "SchemaError",
    "FieldError",
    "InvalidRecordError",
    "FileFormatError",
    "TooManyCandidatesError",
    "NativeKernelError",
    "NativeKernelWarning",
]


class PPRLError(Exception):
    """Base class of all errors raised by pprl."""


class InputError(PPRLError, ValueError):
    """Bad input: a parameter, a file or a record that breaks a contract."""


@dataclass(frozen=True)
class FieldError:
    """One problem found while validating a linkage schema.

    Attributes
    ----------
    path : str
        JSON path of the offending node, e.g. ``"features[3].hashing.strategy"``.
    message : str
        What was expected and what was found.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SchemaError(InputError):
    """A linkage schema is invalid; carries every problem found at once.

    Parameters
    ----------
    field_errors : sequence of FieldError
        All problems found, in document order.
    source : str, optional
        Where the schema came from (a file name), used in the message.
    """

    def __init__(self, field_errors: Sequence[FieldError], source: str | None = None):
        self.field_errors = list(field_errors)
        self.source = source
        where = f"{source}: " if source else ""
        n = len(self.field_errors)
        if n == 1:
            msg = f"{where}invalid linkage schema: {self.field_errors[0]}"
        else:
            body = "; ".join(str(e) for e in self.field_errors)
            msg = f"{where}invalid linkage schema ({n} problems): {body}"
        super().__init__(msg)


class InvalidRecordError(InputError):
    """A record cannot be encoded under the schema.

    Attributes
    ----------
    row : int or None
        0-based index of the record in the input (data rows, header excluded).
    column : str or None
        The column (feature identifier) holding the bad value.
    source : str or None
        The file the record came from, if any.
    value : str or None
        The offending value, when known.  It is never part of the message
        (plaintext is shown only where the user asks for it).
    """

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        source: str | None = None,
        value: str | None = None,
    ):
        self.row = row
        self.column = column
        self.source = source
        self.value = value
        self.reason = message
        parts = []
        if source:
            parts.append(source)
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class FileFormatError(InputError):
    """A file does not follow the format pprl expects (CLK JSON, CSV, ...)."""

    def __init__(self, path: str, message: str):
        self.path = str(path)
        self.reason = message
        super().__init__(f"{path}: {message}")


class TooManyCandidatesError(InputError):
    """A candidate scan stopped early: its result would pass the memory it may take.

    Attributes
    ----------
    pairs : int
        Pairs found when it stopped, or the estimate from the rows scanned first.
    estimated : bool
        Whether ``pairs`` is an estimate (the scan stopped before the rest ran).
    max_bytes : int
        The bound the result passed (24 bytes per pair).
    """

    def __init__(self, message: str, *, pairs: int, estimated: bool, max_bytes: int):
        super().__init__(message)
        self.pairs = int(pairs)
        self.estimated = bool(estimated)
        self.max_bytes = int(max_bytes)


class NativeKernelError(PPRLError, RuntimeError):
    """The native kernel returned an error status."""


class NativeKernelWarning(UserWarning):
    """The native kernel is missing and ``backend="auto"`` fell back to numpy.

    The results are identical, only slower.  Pass ``backend="numpy"`` to say
    that this is intended (and silence the warning), or rebuild with a C
    compiler to get the native kernel.
    """
