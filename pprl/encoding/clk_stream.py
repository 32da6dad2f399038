"""Write CLKs chunk by chunk: clkhash JSON or ``.npy``, atomically.

The file formats are those of :func:`pprl.write_clks` (same bytes for the
same CLKs), but nothing is held in memory beyond the chunk being written:

* JSON: ``{"clks": ["<base64>", ...]}`` -- and ``"ids": [...]`` after it
  when IDs are given (spooled to a temporary file until the CLKs are done).
  A chunk's base64 is computed in one call over its rows, each padded to a
  multiple of 3 bytes, instead of one call per row.
* ``.npy``: a version 1.0 header for the final shape is written last, over
  a placeholder of the same length; IDs go in the ``X.ids.json`` sidecar
  (:func:`pprl.bits.ids_sidecar`), and a stale sidecar is removed.

The target appears only when the writer closes without an error
(:func:`pprl._atomic.atomic_path`).
"""

from __future__ import annotations

import binascii
import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_path
from ..bits import ids_sidecar
from ..errors import InputError

__all__ = ["ClkWriter", "clk_writer", "base64_rows"]


def base64_rows(clks: np.ndarray) -> np.ndarray:
    """Standard base64 of each row, as a ``uint8`` array of ASCII codes, one row each.

    Equal to ``base64.b64encode(row)`` for every row, computed in one call.

    Examples
    --------
    >>> import base64
    >>> x = np.arange(10, dtype=np.uint8).reshape(2, 5)
    >>> [bytes(r).decode() for r in base64_rows(x)] == [
    ...     base64.b64encode(r.tobytes()).decode() for r in x]
    True
    """
    clks = np.ascontiguousarray(clks, dtype=np.uint8)
    n, w = clks.shape
    pad = -w % 3
    if pad:
        padded = np.zeros((n, w + pad), dtype=np.uint8)
        padded[:, :w] = clks
    else:
        padded = clks
    width = (w + pad) // 3 * 4
    if n == 0 or w == 0:
        return np.zeros((n, width), dtype=np.uint8)
    text = binascii.b2a_base64(padded.data, newline=False)
    out = np.frombuffer(text, dtype=np.uint8).reshape(n, width).copy()
    if pad:
        out[:, width - pad:] = ord("=")
    return out


def _quoted_base64(clks: np.ndarray) -> np.ndarray:
    """``"<base64>", `` for each row, shape ``(n, k + 4)``: base64 straight into place."""
    clks = np.ascontiguousarray(clks, dtype=np.uint8)
    n, w = clks.shape
    pad = -w % 3
    if pad:
        padded = np.zeros((n, w + pad), dtype=np.uint8)
        padded[:, :w] = clks
    else:
        padded = clks
    k = (w + pad) // 3 * 4
    out = np.empty((n, k + 4), dtype=np.uint8)
    text = binascii.b2a_base64(padded.data, newline=False)
    out[:, 1:k + 1] = np.frombuffer(text, dtype=np.uint8).reshape(n, k)
    if pad:
        out[:, k + 1 - pad:k + 1] = ord("=")
    out[:, 0] = out[:, k + 1] = ord('"')
    out[:, k + 2] = ord(",")
    out[:, k + 3] = ord(" ")
    return out


class ClkWriter:
    """Appends CLKs (and optionally IDs) to an open output; see :func:`clk_writer`."""

    def __init__(self, fh, kind: str, width: int, ids: bool, sidecar: Path | None = None):
        self._fh = fh
        self._kind = kind
        self._width = width
        self._with_ids = ids
        self._sidecar = sidecar
        self.n = 0
        self._ids = tempfile.TemporaryFile() if ids else None
        if kind == "npy":
            self._header_len = len(self._npy_header(0))
            fh.write(b"\0" * self._header_len)
        else:
            fh.write(b'{"clks": [')

    def _npy_header(self, n: int) -> bytes:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buf, {"descr": "|u1", "fortran_order": False, "shape": (n, self._width)})
        return buf.getvalue()

    def write(self, clks: np.ndarray, ids: Sequence[str] | None = None) -> None:
        """Append a chunk of CLKs, shape ``(m, width)`` (and their ``m`` IDs)."""
        clks = np.asarray(clks)
        if clks.dtype != np.uint8 or clks.ndim != 2 or clks.shape[1] != self._width:
            raise InputError(f"expected uint8 CLKs of shape (m, {self._width}); got "
                             f"{clks.dtype} {clks.shape}")
        if self._with_ids and (ids is None or len(ids) != len(clks)):
            raise InputError(f"expected {len(clks)} IDs for {len(clks)} CLKs")
        m = len(clks)
        if not m:
            return
        if self._kind == "npy":
            self._fh.write(np.ascontiguousarray(clks).data)
        else:
            flat = _quoted_base64(clks).reshape(-1)
            if self.n:
                self._fh.write(b", ")
            self._fh.write(flat[:-2].data)
        if self._ids is not None:  # one C-level dumps per chunk, not one per ID
            vals = ids.tolist() if isinstance(ids, np.ndarray) else list(ids)
            if set(map(type, vals)) - {str}:
                vals = [str(v) for v in vals]
            text = json.dumps(vals, ensure_ascii=False)[1:-1]
            self._ids.write(((", " if self.n else "") + text).encode("utf-8"))
        self.n += m

    def drop_ids(self) -> None:
        """Write no IDs after all (say, they turned out not to be unique)."""
        self._close_spool()
        self._ids = None
        self._with_ids = False

    def _write_ids(self, fh) -> None:
        self._ids.seek(0)
        while chunk := self._ids.read(1 << 20):
            fh.write(chunk)

    def _finish(self) -> None:
        if self._kind == "npy":
            header = self._npy_header(self.n)
            if len(header) != self._header_len:  # pragma: no cover - needs > 1e40 rows
                raise InputError("cannot write the .npy header")
            self._fh.seek(0)
            self._fh.write(header)
            if self._sidecar is not None and self._ids is not None:
                with atomic_open(self._sidecar, "wb") as side:
                    side.write(b'{"ids": [')
                    self._write_ids(side)
                    side.write(b"]}\n")
            elif self._sidecar is not None and self._sidecar.exists():
                self._sidecar.unlink()
            return
        self._fh.write(b"]")
        if self._ids is not None:
            self._fh.write(b', "ids": [')
            self._write_ids(self._fh)
            self._fh.write(b"]")
        self._fh.write(b"}\n")

    def _close_spool(self) -> None:
        if self._ids is not None:
            self._ids.close()
            self._ids = None


@contextlib.contextmanager
def clk_writer(path: str | os.PathLike[str], width: int, fmt: str | None = None, *,
               ids: bool = False) -> Iterator[ClkWriter]:
    """Open ``path`` for CLKs of ``width`` bytes; it appears when the block succeeds.

    Parameters
    ----------
    path : path-like
    width : int
        Bytes per CLK (``l // 8``).
    fmt : {"json", "npy"}, optional
        Default: ``npy`` when the name ends in ``.npy``, else ``json``.
    ids : bool, default False
        Every :meth:`ClkWriter.write` also takes the chunk's record IDs,
        written as ``"ids"`` beside ``"clks"`` (JSON) or in the ``.ids.json``
        sidecar (``.npy``).

    Examples
    --------
    >>> import tempfile, os
    >>> from pprl.bits import read_clks
    >>> p = os.path.join(tempfile.mkdtemp(), "c.json")
    >>> with clk_writer(p, 2) as w:
    ...     w.write(np.array([[1, 2]], dtype=np.uint8))
    ...     w.write(np.array([[3, 4], [5, 6]], dtype=np.uint8))
    >>> read_clks(p).tolist()
    [[1, 2], [3, 4], [5, 6]]
    """
    p = Path(path)
    if fmt is None:
        fmt = "npy" if p.suffix.lower() == ".npy" else "json"
    if fmt not in ("json", "npy"):
        raise InputError(f"CLK file format must be 'json' or 'npy'; got {fmt!r}.")
    with atomic_path(p) as tmp, open(tmp, "wb", buffering=1 << 20) as fh:
        side = ids_sidecar(p) if fmt == "npy" else None
        w = ClkWriter(fh, fmt, int(width), ids, side)
        try:
            yield w
            w._finish()
        finally:
            w._close_spool()
