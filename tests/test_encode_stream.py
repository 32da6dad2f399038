"""Streaming encode: chunked CSV reader and CLK writers, and `pprl encode` on them."""

from __future__ import annotations

import base64
import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import encode, encode_with_mask, person_schema, read_clks, write_clks
from pprl.cli import main
from pprl.encoding import csv_stream
from pprl.encoding.clk_stream import base64_rows, clk_writer
from pprl.encoding.csv_stream import CsvChunks, read_csv_rows
from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.encoding.workers import ordered_map
from pprl.errors import FileFormatError, InvalidRecordError

SECRET = "stream-test-secret-0123456789abcdef"


def reference_rows(text: str):
    """What the csv module makes of a whole file: header, rows, end line of each row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader)
    rows, lines = [], []
    for row in reader:
        if row:
            rows.append(row)
            lines.append(reader.line_num)
    return header, rows, lines


def chunked(path, block_bytes, columns=None):
    with CsvChunks(path, block_bytes=block_bytes, columns=columns) as chunks:
        header = chunks.header
        got = [(c.first_row, c.n, [c.values(j) if w else None for j, w in
                                   enumerate(chunks._want)], [c.line(i) for i in range(c.n)])
               for c in chunks]
    rows, lines, first = [], [], 0
    for first_row, n, cols, ls in got:
        assert first_row == first
        first += n
        rows.extend(list(r) for r in zip(*[c for c in cols if c is not None], strict=True))
        lines.extend(ls)
    return header, rows, lines


field = st.one_of(
    st.sampled_from(["", "anna", "o'brien", "12", "x y", "ä€", "a,b", 'say "hi"', "two\nlines",
                     "cr\r\nlf"]),
    st.text(alphabet="ab,\"\n é", max_size=6),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(field, min_size=3, max_size=3), max_size=12),
       blanks=st.lists(st.integers(0, 12), max_size=3),
       crlf=st.booleans(), block=st.sampled_from([1, 7, 40, 1 << 20]))
def test_chunks_read_what_the_csv_module_reads(tmp_path_factory, rows, blanks, crlf, block):
    # Law: whatever the block size, the records and their end lines are those
    # of the csv module reading the whole file (quoted newlines, blank lines, CRLF).
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    w.writerow(["h1", "h2", "h3"])
    for i, r in enumerate(rows):
        if i in blanks:
            buf.write("\r\n" if crlf else "\n")
        w.writerow(r)
    text = buf.getvalue()
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    expected = reference_rows(text)
    assert chunked(path, block) == expected
    assert read_csv_rows(path) == expected


def test_fast_and_exact_blocks_mix(tmp_path):
    # Quote-free blocks take pyarrow, quoted ones the csv module; same records.
    lines = ["a,b,c"] + [f"{i},x{i},y" for i in range(300)]
    lines[150] = '150,"q,uoted",y'
    lines[220] = '220,"multi\nline",y'
    text = "\n".join(lines) + "\n"
    p = tmp_path / "mix.csv"
    p.write_text(text, encoding="utf-8")
    assert chunked(p, 256) == reference_rows(text)
    with CsvChunks(p, block_bytes=256) as chunks:
        kinds = {isinstance(c.columns[0], tuple) for c in chunks}
    assert kinds == {True, False}  # both paths ran


@pytest.mark.parametrize("block", [16, 1 << 20])
@pytest.mark.parametrize("body,fragment", [
    ("1,2,3\n4,5,6\n7,8\n", "line 4: has 2 fields but the header has 3"),
    ("1,2,3\n\n4,5,6,7\n", "line 4: has 4 fields but the header has 3"),
    ('1,2,3\n4,"5"x,6\n', "line 3: ',' expected after '\"'"),
    ('1,2,3\n4,"5\n6,7\n', "line 4: unexpected end of data"),
])
def test_bad_rows_name_their_line(tmp_path, body, fragment, block):
    p = tmp_path / "bad.csv"
    p.write_text("a,b,c\n" + body, encoding="utf-8")
    with pytest.raises(FileFormatError, match=fragment.replace('"', '.').replace("'", ".")):
        chunked(p, block)


@pytest.mark.parametrize("block", [8, 1 << 20])
def test_not_utf8_in_an_unread_column_is_still_an_error(tmp_path, block):
    p = tmp_path / "bad.csv"
    p.write_bytes(b"a,b\n1,2\n3,4\n5,\xff\n")
    with pytest.raises(FileFormatError, match="line 4: not UTF-8"):
        chunked(p, block, columns=[True, False])


def test_header_problems(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty file"):
        CsvChunks(p)
    p.write_bytes(b"\xef\xbb\xbfa,b\n1,2")  # BOM stripped, no final newline
    assert chunked(p, 4) == (["a", "b"], [["1", "2"]], [2])
    with pytest.raises(FileFormatError, match="no such file"):
        CsvChunks(tmp_path / "missing.csv")


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 6), w=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_base64_rows_is_per_row_base64(n, w, seed):
    x = np.random.default_rng(seed).integers(0, 256, size=(n, w), dtype=np.uint8)
    got = [bytes(r).decode("ascii") for r in base64_rows(x)]
    assert got == [base64.b64encode(r.tobytes()).decode("ascii") for r in x]


@pytest.mark.parametrize("width", [15, 16, 17])  # no, two and one padding bytes
@pytest.mark.parametrize("fmt", ["json", "npy"])
def test_writer_matches_write_clks(tmp_path, fmt, width):
    x = np.random.default_rng(0).integers(0, 256, size=(11, width), dtype=np.uint8)
    ref, got = tmp_path / f"ref.{fmt}", tmp_path / f"got.{fmt}"
    write_clks(x, ref)
    with clk_writer(got, width) as w:
        for lo in range(0, 11, 4):
            w.write(x[lo:lo + 4])
    assert got.read_bytes() == ref.read_bytes()
    assert np.array_equal(read_clks(got), x)


def test_writer_ids_and_failure(tmp_path):
    x = np.arange(8, dtype=np.uint8).reshape(4, 2)
    p = tmp_path / "c.json"
    with clk_writer(p, 2, ids=True) as w:
        w.write(x[:3], ["a", 'b"q', "ü"])
        w.write(x[3:], ["d"])
    doc = json.loads(p.read_text(encoding="utf-8"))
    assert doc["ids"] == ["a", 'b"q', "ü", "d"] and np.array_equal(read_clks(p), x)
    q = tmp_path / "never.npy"
    with pytest.raises(RuntimeError), clk_writer(q, 2) as w:
        w.write(x)
        raise RuntimeError("half-way")
    assert not q.exists() and list(tmp_path.iterdir()) == [p]


ROW = ["a1", "anna", "smith", "f", "1980-01-02", "12", "main street", "springfield", "2000",
       "nsw", "02 1234 5678", "anna@example.org"]


def _people(n):
    rows = []
    for i in range(n):
        r = list(ROW)
        r[0] = f"id{i}"
        r[1] = ["anna", "bob", "cleo", "dan", 'o"neil', "é"][i % 6]
        r[5] = str(i % 97)
        rows.append(r)
    return rows


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(person_schema().identifiers)
        w.writerows(rows)
    return str(path)


def test_cli_many_chunks_same_clks_and_lines(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(csv_stream, "_BLOCK_BYTES", 500)  # a few rows per chunk
    monkeypatch.setenv("PPRL_SECRET", SECRET)
    rows = _people(60)
    data = _csv(tmp_path / "p.csv", rows)
    out = tmp_path / "c.json"
    argv = ["encode", data, str(PERSON_SCHEMA_PATH), "-o", str(out), "--no-progress"]
    assert main(argv) == 0
    assert np.array_equal(read_clks(out), encode(rows, person_schema(), SECRET, progress=False))
    rows[47][3] = "x"
    data = _csv(tmp_path / "p.csv", rows)
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "row 47, column 'sex'" in err and "(line 49)" in err
    assert np.array_equal(read_clks(out), encode(_people(60), person_schema(), SECRET,
                                                 progress=False))  # left as it was
    out.unlink()
    assert main(argv) == 2 and not out.exists()
    assert main(argv + ["--skip-invalid"]) == 0  # all-zero CLK for the bad row only
    res = encode_with_mask(rows, person_schema(), SECRET, progress=False)
    assert np.array_equal(read_clks(out), res.clks) and res.n_invalid == 1
    assert SECRET not in capsys.readouterr().err


def _square_or_fail(x, state):
    if x == state:
        raise InvalidRecordError("bad", row=x, column="c")
    return x * x


@pytest.mark.parametrize("workers,share", [(1, True), (2, True), (3, False)])
def test_ordered_map_keeps_order_and_errors(workers, share):
    got = []
    for item, out in ordered_map(_square_or_fail, iter(range(9)), workers=workers, state=5,
                                 share=share):
        try:
            got.append(out.get())
        except InvalidRecordError as exc:  # raised here, at its item, with its fields
            got.append((exc.row, exc.column))
        assert item == len(got) - 1
    assert got == [0, 1, 4, 9, 16, (5, "c"), 36, 49, 64]


def test_cli_workers_same_bytes_and_lines(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(csv_stream, "_BLOCK_BYTES", 400)
    monkeypatch.setenv("PPRL_SECRET", SECRET)
    rows = _people(50)
    data = _csv(tmp_path / "p.csv", rows)
    outs = []
    for w in ("1", "2", "3"):
        out = tmp_path / f"c{w}.json"
        assert main(["encode", data, str(PERSON_SCHEMA_PATH), "-o", str(out), "--no-progress",
                     "--workers", w]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    rows[33][4] = "1980-02-30"
    data = _csv(tmp_path / "p.csv", rows)
    capsys.readouterr()
    out = tmp_path / "bad.json"
    assert main(["encode", data, str(PERSON_SCHEMA_PATH), "-o", str(out), "--no-progress",
                 "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "row 33, column 'date_of_birth'" in err and "(line 35)" in err and not out.exists()


@pytest.mark.parametrize("chunk_size", [7, 100_000])
def test_categorical_columns_encode_like_strings(chunk_size):
    import pandas as pd

    df = pd.DataFrame(_people(40), columns=person_schema().identifiers)
    df.loc[::5, "surname"] = ""
    cat = df.astype("category")
    # unused categories, missing values (-> ""), a category never seen in a slice
    cat["given_name"] = pd.Categorical(df["given_name"].where(df.index % 3 != 0),
                                       categories=["zz-unused", *sorted(set(df["given_name"]))])
    strings = df.copy()
    strings.loc[df.index % 3 == 0, "given_name"] = ""
    schema = person_schema()
    assert np.array_equal(encode(cat, schema, SECRET, progress=False, chunk_size=chunk_size),
                          encode(strings, schema, SECRET, progress=False))
    bad = cat.copy()
    bad["sex"] = bad["sex"].cat.add_categories(["male"])
    bad.loc[23, "sex"] = "male"
    with pytest.raises(InvalidRecordError, match="row 23, column 'sex'"):
        encode(bad, schema, SECRET, progress=False, chunk_size=chunk_size)


def test_gzip_input_reads_the_same(tmp_path):
    import gzip

    text = "a,b\n" + "".join(f"{i},\"x{i}\"\n" if i % 7 == 0 else f"{i},y\n" for i in range(500))
    plain = tmp_path / "p.csv"
    plain.write_text(text, encoding="utf-8")
    packed = tmp_path / "p.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    assert chunked(packed, 300) == chunked(plain, 300) == reference_rows(text)
    with CsvChunks(packed, block_bytes=300) as chunks:
        ends = [c.end_offset for c in chunks]
    assert ends == sorted(ends) and ends[-1] == packed.stat().st_size
    packed.write_bytes(gzip.compress(text.encode("utf-8"))[:-30])  # truncated
    with pytest.raises(FileFormatError, match="damaged gzip"):
        chunked(packed, 300)


def test_cli_progress_bar_on_and_off(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(csv_stream, "_BLOCK_BYTES", 400)
    monkeypatch.setenv("PPRL_SECRET", SECRET)
    data = _csv(tmp_path / "p.csv", _people(30))
    out = str(tmp_path / "c.json")
    base = ["encode", data, str(PERSON_SCHEMA_PATH), "-o", out]
    assert main(base + ["--progress"]) == 0
    assert "encoding" in capsys.readouterr().err  # tqdm's bar, by bytes read
    assert main(base + ["--no-progress"]) == 0
    assert "encoding" not in capsys.readouterr().err
