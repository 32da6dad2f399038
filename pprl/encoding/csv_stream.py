"""Read a UTF-8 CSV file in chunks of records, keeping each record's line number.

Memory stays bounded by the block size, whatever the number of rows.  Each
block of whole lines is parsed one of two ways, with the same result:

* **fast**: a block without a double quote (and without a bare carriage
  return) cannot hold a quoted field or a field spanning lines, so a record
  is a line and the C parser of pyarrow (when installed) splits it;
* **exact**: any other block -- or any block the fast parser rejects -- goes
  through Python's :mod:`csv` module in strict mode, which names the line of
  a problem.  A block that ends inside a quoted field is joined to the next.

Either way a record with the wrong number of fields, a byte that is not
UTF-8 or broken quoting is a :class:`~pprl.errors.FileFormatError` naming the
file and the line, as :func:`read_csv_rows` (the whole-file reader) does.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ._factorize import arrow_numbers

__all__ = ["CsvChunk", "CsvChunks", "read_csv_rows"]

_BOM = b"\xef\xbb\xbf"
_BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class CsvChunk:
    """Consecutive records of a CSV file, column by column.

    Attributes
    ----------
    columns : list
        Per header column: an object array of ``str``; or, from the fast
        parser, a pair ``(codes, uniques)`` -- integer codes into an object
        array of the column's distinct values; ``None`` for columns not asked
        for.  :meth:`values` gives the strings either way.
    n : int
        Number of records.
    first_row : int
        0-based index of the chunk's first record among the file's records.
    end_offset : int
        Bytes of the file consumed once this chunk is read (for progress).
    """

    columns: list
    n: int
    first_row: int
    end_offset: int
    first_line: int
    lines_: np.ndarray | None = None

    def values(self, j: int) -> np.ndarray:
        """Column ``j`` as an object array of ``str``."""
        col = self.columns[j]
        if isinstance(col, tuple):
            codes, uniques = col
            return uniques[codes]
        return col

    def line(self, i: int) -> int:
        """The 1-based file line on which record ``i`` of this chunk ends."""
        if self.lines_ is not None:
            return int(self.lines_[i])
        return self.first_line + i


def _utf8(block: bytes, path: str, base_line: int) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = base_line + block[:exc.start].count(b"\n")
        raise FileFormatError(path, f"line {line}: not UTF-8 text (byte "
                                    f"0x{block[exc.start]:02x} cannot be decoded); save the "
                                    "file as UTF-8") from None


class _NeedMore(Exception):
    """The block ends inside a quoted field."""


def _parse_exact(text: str, path: str, base_line: int, width: int, at_eof: bool):
    """Records of ``text`` (whole lines) with the csv module: rows, end lines, lines read."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if len(row) != width:
                raise FileFormatError(
                    path, f"line {base_line + reader.line_num - 1}: has {len(row)} fields but "
                          f"the header has {width}")
            rows.append(row)
            ends.append(base_line + reader.line_num - 1)
    except csv.Error as exc:
        if not at_eof and str(exc) == "unexpected end of data":
            raise _NeedMore from None
        raise FileFormatError(path, f"line {base_line + reader.line_num - 1}: {exc}") from None
    return rows, ends, reader.line_num


def _arrow():
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow ships with pandas >= 3
        return None
    return pa, pacsv


def _parse_fast(block: bytes, width: int, want: Sequence[bool], arrow):
    """Columns of a quote-free block with pyarrow, or None to take the exact path."""
    if arrow is None or b'"' in block:
        return None
    n_cr = block.count(b"\r")
    if n_cr and n_cr != block.count(b"\r\n"):
        return None
    pa, pacsv = arrow
    names = [f"c{j}" for j in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(block),
            # one thread: each of pyarrow's pool threads keeps its own heap, so the peak grew
            # with the core count (200k rows: 324 MiB on 2 threads, 436 MiB on 32); this
            # block is parsed on a helper thread while the last one encodes anyway
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 22,
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names},
                strings_can_be_null=False, quoted_strings_can_be_null=False,
                include_columns=[c for c, w in zip(names, want, strict=True) if w]
                or names[:1]),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError):
        return None
    n = table.num_rows
    lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    offsets = None
    if n != lines:  # blank lines, skipped as the csv module does
        a = np.frombuffer(block, dtype=np.uint8)
        ends = np.flatnonzero(a == 10)
        if ends.size < lines:
            ends = np.append(ends, a.size)
        starts = np.concatenate(([0], ends[:-1] + 1))
        length = ends - starts
        blank = (length == 0) | ((length == 1) & (a[np.minimum(starts, a.size - 1)] == 13))
        offsets = np.flatnonzero(~blank)
        if offsets.size != n:
            return None
    cols = []
    for j, w in enumerate(want):
        if not w:
            cols.append(None)
            continue
        d = table.column(names[j]).combine_chunks().dictionary_encode()
        # no to_numpy: pyarrow converts to numpy through pandas, which would cost
        # pprl encode the import of pandas
        uniques = np.empty(len(d.dictionary), dtype=object)
        uniques[:] = d.dictionary.to_pylist()
        cols.append((arrow_numbers(d.indices), uniques))
    return cols, n, lines, offsets


class CsvChunks:
    r"""A UTF-8 CSV file with a header row, read as chunks of records.

    A gzip-compressed file (``pprl synth --gzip``) is read as well.

    Parameters
    ----------
    path : path-like
    block_bytes : int, optional
        Bytes read at a time (default 8 MiB; whole lines are parsed, so a
        block grows to the end of a line); memory grows with it.
    columns : sequence of bool, optional
        Which header columns to return (default: all); the others are still
        checked for their number of fields.

    Attributes
    ----------
    header : list of str
    size : int
        Size of the file in bytes.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "x.csv")
    >>> _ = open(p, "w").write('a,b\n1,2\n3,"4\n5"\n')
    >>> with CsvChunks(p) as chunks:
    ...     [(c.values(1).tolist(), c.line(c.n - 1)) for c in chunks]
    [(['2', '4\n5'], 4)]
    """

    def __init__(self, path, *, block_bytes: int | None = None, columns=None):
        self.path = str(path)
        self._block = max(1, int(_BLOCK_BYTES if block_bytes is None else block_bytes))
        p = Path(path)
        try:
            self._raw = open(p, "rb")  # noqa: SIM115 - closed by close() / the iterator
        except FileNotFoundError:
            raise FileFormatError(self.path, "no such file") from None
        except IsADirectoryError:
            raise FileFormatError(self.path, "is a folder, not a CSV file") from None
        self._fh = self._raw
        try:
            self.size = p.stat().st_size
            self._gzip = self._raw.peek(2)[:2] == b"\x1f\x8b"  # pprl synth --gzip
            if self._gzip:
                import gzip

                self._fh = gzip.GzipFile(fileobj=self._raw, mode="rb")
            self.header, self._rest, self._offset = self._read_header()
        except BaseException:
            self.close()
            raise
        self._want = [True] * len(self.header)
        if columns is not None:
            try:
                self.use_columns(columns)
            except ValueError:
                self.close()
                raise

    def _read(self, size: int) -> bytes:
        try:
            return self._fh.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            if not self._gzip:
                raise
            raise FileFormatError(self.path, f"damaged gzip file ({exc})") from None

    def _read_header(self):
        buf = b""
        while True:
            more = self._read(1 << 16)
            buf += more
            if b"\n" in buf or not more:
                break
        offset = 0
        if buf.startswith(_BOM):
            buf, offset = buf[3:], 3
        cut = buf.find(b"\n") + 1 or len(buf)
        line = _utf8(buf[:cut], self.path, 1)
        if not line.strip("\r\n") and not buf[cut:]:
            raise FileFormatError(self.path, "empty file; expected a header row")
        try:
            header = next(csv.reader(io.StringIO(line, newline=""), strict=True), [])
        except csv.Error as exc:
            raise FileFormatError(self.path, f"line 1: {exc}") from None
        if not header:
            raise FileFormatError(self.path, "line 1: blank; expected a header row")
        return header, buf[cut:], offset + cut

    def use_columns(self, columns: Sequence[bool]) -> None:
        """Return only the header columns marked True (call before iterating)."""
        want = [bool(c) for c in columns]
        if len(want) != len(self.header):
            raise ValueError(f"columns has {len(want)} entries for {len(self.header)} columns")
        self._want = want

    def close(self) -> None:
        """Close the file (iterating to the end also closes it)."""
        self._fh.close()
        self._raw.close()

    def __enter__(self) -> CsvChunks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _blocks(self) -> Iterator[tuple[bytes, bool]]:
        """Blocks of the file, each with whether it reaches the end of the file.

        A block is at most ``block_bytes`` of whole lines, or one longer line.
        """
        size = min(self._block, 1 << 20)  # a small first block: encoding starts sooner
        buf, self._rest = self._rest, b""
        eof = False
        while True:
            while not eof and len(buf) <= size:
                more = self._read(size)
                eof = not more
                buf += more
            if not buf:
                return
            if eof and len(buf) <= size:
                yield buf, True
                return
            cut = buf.rfind(b"\n", 0, size) + 1 or buf.find(b"\n", size) + 1
            if cut == 0:  # one line longer than the buffer: read on
                if eof:
                    yield buf, True
                    return
                more = self._read(size)
                eof = not more
                buf += more
                continue
            yield buf[:cut], False
            buf = buf[cut:]
            size = self._block

    def _parsed(self) -> Iterator[tuple[bytes, bool, object, bool]]:
        """Blocks with their fast parse, each read and parsed on a helper thread.

        pyarrow parses without the GIL, so the next block is read and parsed
        while the caller encodes this one.  Yields ``(block, at_eof, fast,
        utf8_ok)``; ``fast`` is None where the exact parser must be used.
        """
        arrow = _arrow()
        width = len(self.header)
        want = list(self._want)
        blocks = self._blocks()

        def work():
            item = next(blocks, None)
            if item is None:
                return None
            block, at_eof = item
            fast = _parse_fast(block, width, want, arrow)
            ok = True
            if fast is not None and not all(want):  # pyarrow checked only what it read
                try:
                    block.decode("utf-8")
                except UnicodeDecodeError:
                    ok = False
            return block, at_eof, fast, ok

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="pprl-csv") as pool:
            future = pool.submit(work)
            while (item := future.result()) is not None:
                future = pool.submit(work)
                yield item

    def __iter__(self) -> Iterator[CsvChunk]:
        width = len(self.header)
        line = 2
        row = 0
        pending = b""
        parsed = self._parsed()
        try:
            for block, at_eof, fast, utf8_ok in parsed:
                self._offset += len(block)
                if pending:
                    block, pending, fast = pending + block, b"", None
                if not utf8_ok:
                    _utf8(block, self.path, line)
                if fast is not None:
                    cols, n, nlines, offsets = fast
                    lines = None if offsets is None else line + offsets
                else:
                    text = _utf8(block, self.path, line)
                    try:
                        rows, ends, nlines = _parse_exact(text, self.path, line, width, at_eof)
                    except _NeedMore:
                        pending = block
                        continue
                    n = len(rows)
                    lines = np.asarray(ends, dtype=np.int64)
                    cols = []
                    for j, w in enumerate(self._want):
                        col = None
                        if w:
                            col = np.empty(n, dtype=object)
                            col[:] = [r[j] for r in rows]
                        cols.append(col)
                if n:
                    done = self._offset
                    if self._gzip:  # progress in compressed bytes, as self.size is
                        done = min(self.size, self._raw.tell())
                    yield CsvChunk(cols, n, row, done, line, lines)
                row += n
                line += nlines
            if pending:  # only if the last block ended inside quotes: raise its error
                _parse_exact(_utf8(pending, self.path, line), self.path, line, width, True)
        finally:
            parsed.close()  # waits for the helper thread before the file is closed
            self.close()


def read_csv_rows(path) -> tuple[list[str], list[list[str]], list[int]]:
    """Read a whole UTF-8 CSV: header, rows, and the file line on which each row ends.

    Raises
    ------
    FileFormatError
        With the line number for bad encoding or a row whose number of fields
        differs from the header's.
    """
    with CsvChunks(path) as chunks:
        rows: list[list[str]] = []
        lines: list[int] = []
        for c in chunks:
            rows.extend(map(list, zip(*(c.values(j) for j in range(len(c.columns))),
                                      strict=True)))
            lines.extend(c.line(i) for i in range(c.n))
        return chunks.header, rows, lines
