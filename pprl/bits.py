"""The CLK array contract and its file formats.

A set of CLKs (Bloom filter encodings) is a numpy ``uint8`` array of shape
``(n_records, l // 8)``, C-contiguous, where bit ``i`` of a filter is the bit
of weight ``128 >> (i % 8)`` in byte ``i // 8`` -- the byte order of a
big-endian ``bitarray``, which is what clkhash serialises.  A row is
therefore exactly the bytes behind clkhash's base64 string, and JSON I/O
needs no bit shuffling.

Files
-----
* clkhash JSON: ``{"clks": ["<base64>", ...]}``, one entry per input row,
  optionally with record IDs beside them: ``{"clks": [...], "ids": ["<id>", ...]}``
  (a pprl extension; clkhash's readers ignore the extra key).
* ``.npy``: the array itself, for speed; record IDs go in a sidecar
  ``<name>.ids.json`` holding ``{"ids": [...]}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ._atomic import atomic_open
from ._validation import check_bits_array
from .errors import FileFormatError, InputError

__all__ = [
    "pack_bits",
    "unpack_bits",
    "popcount",
    "clks_from_base64",
    "clks_to_base64",
    "read_clks",
    "write_clks",
    "ids_sidecar",
    "write_ids_sidecar",
    "clks_from_bitarrays",
    "clks_to_bitarrays",
]


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """Pack a boolean matrix into the CLK array layout.

    Parameters
    ----------
    bits : ndarray of bool or {0, 1}, shape (n, l)
        ``l`` must be a multiple of 8.

    Returns
    -------
    ndarray of uint8, shape (n, l // 8)

    Examples
    --------
    >>> pack_bits(np.array([[1, 0, 0, 0, 0, 0, 0, 1]], dtype=bool))
    array([[129]], dtype=uint8)
    """
    bits = np.asarray(bits)
    if bits.ndim != 2:
        raise InputError(f"pack_bits expects a 2-D array of bits; got shape {bits.shape}.")
    if bits.shape[1] % 8:
        raise InputError(
            f"A CLK must have a multiple of 8 bits; got rows of {bits.shape[1]} bits."
        )
    return np.ascontiguousarray(np.packbits(bits.astype(bool), axis=1, bitorder="big"))


def unpack_bits(clks: np.ndarray) -> np.ndarray:
    """Unpack a CLK array to a boolean matrix of shape ``(n, l)``.

    Examples
    --------
    >>> unpack_bits(np.array([[129]], dtype=np.uint8)).astype(int)
    array([[1, 0, 0, 0, 0, 0, 0, 1]])
    """
    clks = check_bits_array(clks, "clks", "unpack_bits")
    return np.unpackbits(clks, axis=1, bitorder="big").astype(bool)


def popcount(clks: np.ndarray) -> np.ndarray:
    """Number of set bits in each CLK, as an int64 array of shape ``(n,)``.

    Examples
    --------
    >>> popcount(np.array([[255, 1], [0, 0]], dtype=np.uint8))
    array([9, 0])
    """
    clks = check_bits_array(clks, "clks", "popcount")
    return np.bitwise_count(clks).sum(axis=1, dtype=np.int64)


def clks_from_base64(encoded: Sequence[str | bytes], source: str = "<clks>") -> np.ndarray:
    """Decode a sequence of base64 CLKs into a CLK array.

    Every CLK must have the same length.  ``source`` names the origin in errors.
    """
    n = len(encoded)
    if n == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    rows = []
    width = None
    for i, item in enumerate(encoded):
        if not isinstance(item, (str, bytes)):
            raise FileFormatError(
                source, f"clks[{i}]: expected a base64 string, got {type(item).__name__}"
            )
        try:
            raw = base64.b64decode(item, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FileFormatError(source, f"clks[{i}]: not valid base64 ({exc})") from None
        if width is None:
            width = len(raw)
            if width == 0:
                raise FileFormatError(source, "clks[0]: empty CLK")
        elif len(raw) != width:
            raise FileFormatError(
                source,
                f"clks[{i}]: has {len(raw) * 8} bits but clks[0] has {width * 8}; "
                "all CLKs in a file must have the same length",
            )
        rows.append(raw)
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(n, width).copy()


def clks_to_base64(clks: np.ndarray) -> list[str]:
    """Encode each row of a CLK array as a base64 string (clkhash's format)."""
    clks = check_bits_array(clks, "clks", "clks_to_base64")
    return [base64.b64encode(row.tobytes()).decode("ascii") for row in clks]


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("json", "npy"):
            raise InputError(f"CLK file format must be 'json' or 'npy'; got {fmt!r}.")
        return fmt
    return "npy" if path.suffix.lower() == ".npy" else "json"


def ids_sidecar(path: str | os.PathLike[str]) -> Path:
    """The file holding the record IDs of a ``.npy`` CLK file: ``X.npy`` -> ``X.ids.json``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.ids.json")


def write_ids_sidecar(path: str | os.PathLike[str], ids: Sequence[str] | None) -> None:
    """Write the ``.ids.json`` sidecar of the ``.npy`` file ``path`` (remove it if no IDs)."""
    side = ids_sidecar(path)
    if ids is None:
        if side.exists():
            side.unlink()
        return
    with atomic_open(side, "w", encoding="utf-8") as fh:
        json.dump({"ids": [str(v) for v in ids]}, fh, ensure_ascii=False)
        fh.write("\n")


def _check_ids(ids, n: int, source: str, where: str = "ids") -> list[str]:
    if not isinstance(ids, list):
        raise FileFormatError(source, f"{where}: expected an array of record IDs, got a "
                                      f"{type(ids).__name__}")
    if len(ids) != n:
        raise FileFormatError(source, f"{where}: has {len(ids)} record IDs but there are {n} "
                                      "CLKs; expected one ID per CLK")
    for i, v in enumerate(ids):
        if not isinstance(v, str):
            raise FileFormatError(source, f"{where}[{i}]: expected a string record ID, got "
                                          f"{type(v).__name__}")
    return ids


def read_clks(
    path: str | os.PathLike[str], fmt: str | None = None, *, with_ids: bool = False
) -> np.ndarray | tuple[np.ndarray, list[str] | None]:
    """Read CLKs from clkhash JSON (``{"clks": [...]}``) or ``.npy``.

    Parameters
    ----------
    path : path-like
    fmt : {"json", "npy"}, optional
        Default: ``npy`` when the name ends in ``.npy``, else ``json``.
    with_ids : bool, default=False
        Also return the record IDs: the JSON's ``"ids"`` array, or the
        ``.ids.json`` sidecar of a ``.npy`` file (None when there are none).

    Returns
    -------
    clks : ndarray of uint8, shape (n, l // 8)
    ids : list of str or None
        Only with ``with_ids=True``.

    Raises
    ------
    FileFormatError
        The file is missing, malformed, or its CLKs differ in length; or its
        IDs are not one string per CLK.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "c.json")
    >>> write_clks(np.array([[1], [2]], dtype=np.uint8), path, ids=["r1", "r2"])
    >>> read_clks(path).shape
    (2, 1)
    >>> read_clks(path, with_ids=True)[1]
    ['r1', 'r2']
    """
    p = Path(path)
    kind = _format_of(p, fmt)
    if not p.exists():
        raise FileFormatError(str(p), "file not found")
    ids = None
    if kind == "npy":
        try:
            arr = np.load(p, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise FileFormatError(str(p), f"not a valid .npy file ({exc})") from None
        if arr.dtype != np.uint8 or arr.ndim != 2:
            raise FileFormatError(
                str(p),
                f"expected a uint8 array of shape (n, l // 8), got {arr.dtype} {arr.shape}",
            )
        clks = np.ascontiguousarray(arr)
        side = ids_sidecar(p)
        if with_ids and side.exists():
            doc = _load_json(side)
            if not isinstance(doc, dict) or "ids" not in doc:
                raise FileFormatError(str(side), 'expected a JSON object {"ids": [...]}')
            ids = _check_ids(doc["ids"], clks.shape[0], str(side))
        return (clks, ids) if with_ids else clks
    doc = _load_json(p)
    if not isinstance(doc, dict) or "clks" not in doc or not isinstance(doc["clks"], list):
        raise FileFormatError(str(p), 'expected a JSON object {"clks": [<base64>, ...]}')
    clks = clks_from_base64(doc["clks"], source=str(p))
    if not with_ids:
        return clks
    if "ids" in doc:
        ids = _check_ids(doc["ids"], len(doc["clks"]), str(p))
    return clks, ids


def _load_json(p: Path):
    try:
        with open(p, encoding="utf-8") as fh:
            return json.load(fh)
    except UnicodeDecodeError as exc:
        raise FileFormatError(str(p), f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(
            str(p), f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def write_clks(
    clks: np.ndarray,
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    ids: Sequence | None = None,
) -> None:
    """Write CLKs atomically as clkhash JSON or ``.npy`` (see :func:`read_clks`).

    ``ids``, one per CLK (written as strings), go beside ``"clks"`` in the
    JSON, or in the ``.ids.json`` sidecar of a ``.npy`` file.  Writing a
    ``.npy`` file without IDs removes a sidecar left by an earlier write.
    """
    clks = check_bits_array(clks, "clks", "write_clks")
    p = Path(path)
    kind = _format_of(p, fmt)
    id_list = None
    if ids is not None:
        id_list = [str(v) for v in ids]
        if len(id_list) != clks.shape[0]:
            raise InputError(f"The 'ids' parameter of write_clks must hold one ID per CLK. "
                             f"Got {len(id_list)} IDs for {clks.shape[0]} CLKs instead.")
    if kind == "npy":
        write_ids_sidecar(p, id_list)
        with atomic_open(p, "wb") as fh:
            np.save(fh, clks, allow_pickle=False)
        return
    with atomic_open(p, "w", encoding="utf-8") as fh:
        fh.write('{"clks": [')
        for i, s in enumerate(clks_to_base64(clks)):
            fh.write(f'{", " if i else ""}"{s}"')
        fh.write("]")
        if id_list is not None:
            fh.write(', "ids": ')
            json.dump(id_list, fh, ensure_ascii=False)
        fh.write("}\n")


def clks_from_bitarrays(bitarrays: Iterable) -> np.ndarray:
    """Convert big-endian ``bitarray`` objects (clkhash's CLKs) to a CLK array."""
    rows = []
    for i, ba in enumerate(bitarrays):
        if len(ba) % 8:
            raise InputError(f"bitarray {i} has {len(ba)} bits, not a multiple of 8.")
        if getattr(ba, "endian", lambda: "big")() != "big":
            raise InputError(f"bitarray {i} is little-endian; CLKs are big-endian.")
        rows.append(ba.tobytes())
    if not rows:
        return np.zeros((0, 0), dtype=np.uint8)
    return clks_from_base64([base64.b64encode(r) for r in rows], source="<bitarrays>")


def clks_to_bitarrays(clks: np.ndarray) -> list:
    """Convert a CLK array to big-endian ``bitarray`` objects (needs ``bitarray``)."""
    from bitarray import bitarray

    clks = check_bits_array(clks, "clks", "clks_to_bitarrays")
    out = []
    for row in clks:
        ba = bitarray(endian="big")
        ba.frombytes(row.tobytes())
        out.append(ba)
    return out
