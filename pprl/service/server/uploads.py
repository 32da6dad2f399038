"""Reading uploads: a JSON body parsed as a stream, or raw binary CLKs.

The JSON body (``{"clks": [...]}``, ``{"clknblocks": [[clk, block, …], …]}``
or ``{"encodings": [...], "blocks": {...}}``) is parsed incrementally with
ijson (its C backend where available), and each base64 CLK is decoded and
written to the output file in batches, so memory stays flat however many
CLKs arrive: a million 1,024-bit CLKs (~175 MB of JSON) need a few MB.

Every problem is an :class:`UploadError` naming the row (``clks[17]``) and
what was expected; the caller then removes the partial output, so a bad
upload stores nothing.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["UploadError", "Upload", "read_json_upload", "check_binary_upload"]

_BATCH = 65536


class UploadError(ValueError):
    """An upload that cannot be stored; the message names the row and what was wrong."""


@dataclass
class Upload:
    """What an upload held: the number of CLKs, their width in bytes and any block ids."""

    count: int
    width: int
    blocks: list[list[str]] | None = field(default=None, repr=False)


class _Writer:
    """Decode base64 CLKs, check their width and write them out in batches."""

    def __init__(self, out, key: str, width: int | None, width_source: str) -> None:
        self.out, self.key = out, key
        self.width, self.width_source = width, width_source
        self.count = 0
        self.buf: list[bytes] = []

    def add(self, value: object) -> None:
        i = self.count
        if not isinstance(value, str):
            raise UploadError(f"{self.key}[{i}]: expected a base64 string, "
                              f"got {type(value).__name__}")
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise UploadError(f"{self.key}[{i}]: not valid base64") from None
        if self.width is None:
            if not raw:
                raise UploadError(f"{self.key}[{i}]: empty CLK")
            self.width, self.width_source = len(raw), f"{self.key}[0]"
        elif len(raw) != self.width:
            raise UploadError(f"{self.key}[{i}]: has {len(raw) * 8} bits but "
                              f"{self.width_source} has {self.width * 8}")
        self.buf.append(raw)
        self.count += 1
        if len(self.buf) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.out.write(b"".join(self.buf))
            self.buf = []


def _expected(width: int | None, source: str | None) -> tuple[int | None, str]:
    return width, (source or "the project")


def read_json_upload(src: Path, dst: Path, *, uses_blocking: bool,
                     width: int | None = None, width_source: str | None = None) -> Upload:
    """Parse the JSON upload in ``src`` and write its CLKs to ``dst`` (raw bytes).

    Parameters
    ----------
    src : Path
        The request body as received.
    dst : Path
        Where the CLKs go, ``count * width`` bytes, row after row.
    uses_blocking : bool
        Whether the project expects block ids (``clknblocks`` or ``blocks``).
    width, width_source : int or None, str or None
        The width in bytes every CLK must have and what set it (the schema,
        another party's upload), or None to take the first CLK's.

    Raises
    ------
    UploadError
        Not JSON, the wrong keys, invalid base64, mixed widths, a width that
        disagrees with ``width``, an empty list, or blocks that do not fit.
    """
    import ijson

    width, source = _expected(width, width_source)
    blocks: list[list[str]] | None = None
    block_map: dict[str, list[str]] | None = None
    seen: set[str] = set()
    with open(src, "rb") as fh, open(dst, "wb") as out:
        writer: _Writer | None = None
        row: list | None = None
        try:
            for prefix, event, value in ijson.parse(fh, use_float=True):
                if prefix == "" and event not in ("start_map", "end_map", "map_key"):
                    raise UploadError("expected a JSON object with 'clks', 'clknblocks' or "
                                      "'encodings'")
                if prefix == "" and event == "map_key":
                    if value not in ("clks", "clknblocks", "encodings", "blocks"):
                        raise UploadError(f"unexpected key {value!r}; expected 'clks', "
                                          "'clknblocks' or 'encodings' (with 'blocks')")
                    if value != "blocks":
                        if writer is not None:
                            raise UploadError(f"{value!r}: the upload already holds CLKs")
                        writer = _Writer(out, value, width, source)
                    seen.add(value)
                    continue
                if prefix in ("clks", "encodings"):
                    if event == "start_map":
                        raise UploadError(f"{prefix}: files in an object store cannot be "
                                          "pulled; this server has no object store "
                                          "configured. Upload the CLKs in the body.")
                    if event not in ("start_array", "end_array"):
                        raise UploadError(f"{prefix}: expected an array of base64 strings")
                elif prefix in ("clks.item", "encodings.item"):
                    writer.add(value)
                elif prefix == "clknblocks":
                    if event not in ("start_array", "end_array"):
                        raise UploadError("clknblocks: expected an array of [clk, block, ...]")
                    blocks = [] if event == "start_array" else blocks
                elif prefix == "clknblocks.item":
                    if event == "start_array":
                        row = []
                    elif event == "end_array":
                        i = len(blocks)
                        if not row:
                            raise UploadError(f"clknblocks[{i}]: expected [clk, block, ...], "
                                              "got an empty array")
                        writer.add(row[0])
                        blocks.append([str(b) for b in row[1:]])
                    else:
                        raise UploadError(f"clknblocks[{len(blocks)}]: expected an array "
                                          "[clk, block, ...]")
                elif prefix == "clknblocks.item.item":
                    if event not in ("string", "number"):
                        raise UploadError(f"clknblocks[{len(blocks)}][{len(row)}]: expected "
                                          "a string or an integer")
                    row.append(value)
                elif prefix == "blocks":
                    if event == "start_map":
                        block_map = {}
                    elif event not in ("map_key", "end_map"):
                        raise UploadError("blocks: expected an object {row id: [block, ...]}")
                elif prefix.startswith("blocks."):
                    key = prefix[len("blocks."):].removesuffix(".item")
                    if event == "start_array":
                        block_map.setdefault(key, [])
                    elif event in ("string", "number") and prefix.endswith(".item"):
                        block_map.setdefault(key, []).append(str(value))
                    elif event != "end_array":
                        raise UploadError(f"blocks[{key!r}]: expected a list of block ids")
                elif prefix.startswith(("clks.", "encodings.")):
                    raise UploadError(f"{prefix.split('.')[0]}[{writer.count}]: expected a "
                                      "base64 string")
        except ijson.JSONError as exc:
            raise UploadError(f"not valid JSON ({_short(exc)})") from None
        except ijson.IncompleteJSONError as exc:  # pragma: no cover - subclass of JSONError
            raise UploadError(f"incomplete JSON ({_short(exc)})") from None
        if writer is None:
            raise UploadError("expected a JSON object with 'clks', 'clknblocks' or 'encodings'")
        writer.flush()
    if writer.count == 0:
        raise UploadError(f"{writer.key}: the list is empty; upload at least one CLK")
    if block_map is not None:
        blocks = _blocks_from_map(block_map, writer.count)
    if uses_blocking and blocks is None:
        raise UploadError("this project uses blocking: upload 'clknblocks' (or 'encodings' "
                          "with 'blocks')")
    if not uses_blocking and blocks is not None:
        raise UploadError("this project does not use blocking, but the upload has block ids")
    return Upload(writer.count, writer.width, blocks)


def _blocks_from_map(block_map: dict[str, list[str]], count: int) -> list[list[str]]:
    out: list[list[str]] = [[] for _ in range(count)]
    for key, ids in block_map.items():
        try:
            row = int(key)
        except ValueError:
            raise UploadError(f"blocks[{key!r}]: expected a row number") from None
        if not 0 <= row < count:
            raise UploadError(f"blocks[{key!r}]: there are only {count} CLKs")
        out[row] = ids
    return out


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def check_binary_upload(size: int, count: int, width: int, expected: int | None,
                        source: str | None) -> None:
    """Check a binary upload of ``size`` bytes against its ``Hash-Count`` and ``Hash-Size``.

    Raises
    ------
    UploadError
        An empty upload, a width that disagrees with ``expected``, a body
        that ends inside a CLK, or a count that disagrees with Hash-Count.

    Examples
    --------
    >>> check_binary_upload(256, 2, 128, 128, "the schema")
    >>> check_binary_upload(300, 2, 128, None, None)
    Traceback (most recent call last):
    ...
    pprl.service.server.uploads.UploadError: row 2 is incomplete: the body has 300 bytes, \
not a multiple of Hash-Size 128
    """
    if expected is not None and width != expected:
        raise UploadError(f"Hash-Size is {width} bytes ({width * 8} bits) but {source} has "
                          f"{expected} bytes ({expected * 8} bits)")
    if size % width:
        raise UploadError(f"row {size // width} is incomplete: the body has {size} bytes, "
                          f"not a multiple of Hash-Size {width}")
    if size // width != count:
        raise UploadError(f"Hash-Count says {count} CLKs but the body holds {size // width}")
