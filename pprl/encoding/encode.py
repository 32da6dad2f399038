"""Records + schema + secret -> CLKs (Bloom filter encodings).

The encoder gives the same bytes as clkhash 0.18 for the same records,
schema and secret, and gets its speed from doing each piece of work once:

1. per column, the distinct values of a chunk are found (pyarrow's hash
   table, :mod:`._factorize`);
2. each distinct value is checked and formatted once, and tokenised in a
   vectorised pass (:func:`pprl.encoding.tokenize.tokenize_batch`);
3. each distinct token is hashed once per feature (cached across chunks);
4. the bits of every distinct value are scattered into a boolean matrix with
   numpy and packed into bytes;
5. a record's CLK is the OR of its columns' value masks, folded if asked.

This is the only module where fields meet hashing.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError, InvalidRecordError
from .formats import check_and_format
from .hardening import apply_hardening, hardening_keys, salted_tokens, xor_fold
from .hashing import TokenHasher, derive_keys
from .records import columns as _columns
from .records import factorize as _factorize
from .schema import (
    BitsPerFeature,
    BitsPerToken,
    DoubleHash,
    NumericComparison,
    SchemaLike,
    load_schema,
)
from .tokenize import numeric_tokens, tokenize_batch

if TYPE_CHECKING:  # pandas is imported when a DataFrame is made, not before
    import pandas as pd

__all__ = ["encode", "encode_with_mask", "EncodeResult"]

_MAX_PROBLEMS = 1000
#: What to do with a value that breaks the schema (see :func:`encode_with_mask`).
INVALID_POLICIES = ("error", "skip", "missing")


@dataclass(frozen=True)
class EncodeResult:
    """CLKs of all records, with the rows that could not be encoded marked.

    Attributes
    ----------
    clks : ndarray of uint8, shape (n, l // 8)
        Skipped rows are all zero, so row indices never shift.
    valid : ndarray of bool, shape (n,)
        False for skipped rows (``invalid="skip"``); all True with
        ``invalid="missing"``, where only the bad fields are left out.
    problems : tuple of InvalidRecordError
        The first problem of each affected row, in row order (at most 1000);
        each carries the offending ``value`` outside its message.
    invalid_by_column : dict of str to int
        ``"skip"``: skipped rows by the column of their first problem;
        ``"missing"``: fields left out, by column.
    issues : pandas.DataFrame
        Every bad cell, in row then column order: ``row`` (0-based),
        ``column``, ``reason`` (never quotes the value) and ``value``.
    """

    clks: np.ndarray
    valid: np.ndarray
    problems: tuple[InvalidRecordError, ...] = ()
    invalid_by_column: dict[str, int] = field(default_factory=dict)
    issues: pd.DataFrame | None = None

    @property
    def n_invalid(self) -> int:
        """Number of rows that were not encoded."""
        return int(self.valid.size - np.count_nonzero(self.valid))


def _check_secret(secret) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, (bytes, bytearray)):
        raise InputError(f"The 'secret' parameter of encode must be bytes or str. "
                         f"Got a {type(secret).__name__} instead.")
    if not secret:
        raise InputError("The 'secret' parameter of encode must not be empty.")
    return bytes(secret)


class _FeatureEncoder:
    def __init__(self, feature, keys, hash_l: int):
        h = feature.hashing
        self.feature = feature
        self.hash_l = hash_l
        strat = h.strategy
        max_k = strat.k if isinstance(strat, BitsPerToken) else strat.bits
        ps = isinstance(h.hash, DoubleHash) and h.hash.prevent_singularity
        self.hasher = TokenHasher(h.hash.type, keys, hash_l, h.encoding, max_k, ps)

    def masks(self, values: list[str], salts=None) -> np.ndarray:
        """Packed bits of each formatted value, shape (len(values), hash_l // 8).

        ``salts``: optional ``(salt index of each value, salt strings)``;
        each token is then salted with its value's salt (hardening ``salt``).
        """
        h = self.feature.hashing
        m = len(values)
        batch = tokenize_batch(values, h.comparison)
        width = self.hash_l // 8
        out = np.zeros((m, width), dtype=np.uint8)
        if not batch.tokens:
            return out
        rows, tids, pos = batch.row, batch.token_id, batch.pos
        if salts is None:
            table = self.hasher.positions(batch.tokens)
        else:
            tokens, tids = salted_tokens(batch.tokens, tids, salts[0][rows], salts[1])
            table = self.hasher.positions(tokens)
        strat = h.strategy
        if rows.size > 1 and not (rows[1:] >= rows[:-1]).all():
            order = np.argsort(rows, kind="stable")
            rows, tids, pos = rows[order], tids[order], pos[order]
        if isinstance(strat, BitsPerFeature):
            cnt = batch.count[rows]
            base, extra = np.divmod(strat.bits, np.maximum(cnt, 1))
            k_occ = base + (pos < extra)
        else:
            k_occ = None
        L = self.hash_l
        block = max(1, (1 << 24) // L)
        bounds = np.searchsorted(rows, np.arange(0, m + block, block))
        if k_occ is None:  # the same k for every token: gather from a contiguous table
            table_k = np.ascontiguousarray(table[:, :strat.k])
        for b in range(len(bounds) - 1):
            lo, hi = int(bounds[b]), int(bounds[b + 1])
            if lo == hi:
                continue
            r0 = b * block
            nrows = min(block, m - r0)
            bits = np.zeros(nrows * L, dtype=bool)
            local = (rows[lo:hi] - r0) * L
            if k_occ is None:
                flat = np.take(table_k, tids[lo:hi], axis=0)
                flat += local[:, None]
            else:
                kk = k_occ[lo:hi]
                occ = np.repeat(np.arange(hi - lo), kk)
                r = np.arange(occ.size) - np.repeat(np.cumsum(kk) - kk, kk)
                flat = local[occ] + table[tids[lo:hi][occ], r]
            bits[flat.ravel()] = True
            out[r0:r0 + nrows] = np.packbits(bits.reshape(nrows, L), axis=1)
        return out


def _encode(records, schema, secret, *, match, progress, chunk_size, source, invalid):
    if invalid not in INVALID_POLICIES:
        raise InputError(f"The 'invalid' parameter of encode_with_mask must be one of "
                         f"{', '.join(map(repr, INVALID_POLICIES))}. Got {invalid!r} instead.")
    skip = invalid != "error"
    schema = load_schema(schema)
    secret = _check_secret(secret)
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"The 'chunk_size' parameter of encode must be a positive integer. "
                         f"Got {chunk_size!r} instead.")
    n, columns, whole_floats = _columns(records, schema, match, source)
    for ident in whole_floats:
        _whole_floats(ident, source, refuse=not skip)
    kdf = schema.kdf
    keys = derive_keys(secret, len(schema.features), hash_name=kdf.hash, salt=kdf.salt,
                       info=kdf.info, key_size=kdf.key_size)
    hash_l = schema.hash_l
    encoders = [None if f.ignored else _FeatureEncoder(f, keys[i], hash_l)
                for i, f in enumerate(schema.features)]
    harden_keys = hardening_keys(secret, schema)
    salt = schema.salt
    salt_fi = schema.identifiers.index(salt.field) if salt else -1
    width = schema.clk_l // 8
    clks = np.zeros((n, width), dtype=np.uint8)
    valid = np.ones(n, dtype=bool)
    # every bad cell: (rows, feature index, reasons, values) per chunk and feature
    cells: list[tuple[np.ndarray, int, list[str], list[str]]] = []
    earliest = None  # first bad (row, column, message, value) when invalid="error"
    bar = None
    if progress and n:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="rec", desc="encoding", leave=False)
    try:
        for start in range(0, n, chunk_size):
            stop = min(n, start + chunk_size)
            acc = np.zeros((stop - start, hash_l // 8), dtype=np.uint8)
            acc64 = acc.view(np.uint64) if (hash_l // 8) % 8 == 0 else acc
            salts = None
            if salt is not None:  # each row's salt: its formatted salt-field value
                s_codes, s_uniques = _factorize(columns[salt_fi][start:stop])
                s_fmt, _ = check_and_format(encoders[salt_fi].feature, s_uniques)
                s_fmt = ["" if v is None else v[:salt.prefix] for v in s_fmt]
                salts = (s_codes, s_fmt)
            for fi, enc in enumerate(encoders):
                if enc is None:
                    continue
                codes, uniques = _factorize(columns[fi][start:stop])
                formatted, problems = check_and_format(enc.feature, uniques)
                comp = enc.feature.hashing.comparison
                if isinstance(comp, NumericComparison):
                    for u, v in enumerate(formatted):
                        if v is None:
                            continue
                        try:
                            numeric_tokens(v, comp)
                        except ValueError:
                            problems[u] = ("expected a finite number (hashing.comparison is "
                                           "numeric)")
                if problems:
                    bad_u = np.fromiter(problems, dtype=np.int64)
                    is_bad = np.zeros(len(uniques), dtype=bool)
                    is_bad[bad_u] = True
                    bad_rows = np.flatnonzero(is_bad[codes])
                    ident = enc.feature.identifier
                    if not skip:  # remember the earliest bad row; raise after all columns
                        r = int(bad_rows[0])
                        if earliest is None or start + r < earliest[0]:
                            u = int(codes[r])
                            earliest = (start + r, ident, problems[u], uniques[u])
                        continue
                    bad_codes = codes[bad_rows].tolist()
                    cells.append((bad_rows + start, fi, [problems[u] for u in bad_codes],
                                  [uniques[u] for u in bad_codes]))
                    formatted = ["" if v is None else v for v in formatted]
                if salts is not None and fi != salt_fi:  # one mask per (value, salt)
                    pair, codes = np.unique(codes * len(salts[1]) + salts[0],
                                            return_inverse=True)
                    codes = codes.reshape(-1)
                    formatted = [formatted[i] for i in (pair // len(salts[1])).tolist()]
                    masks = enc.masks(formatted, (pair % len(salts[1]), salts[1]))
                else:
                    masks = enc.masks(formatted)
                masks = masks.view(np.uint64) if acc64 is not acc else masks
                acc64 |= masks[codes]
            if earliest is not None:
                row, ident, message, value = earliest
                raise InvalidRecordError(message, row=row, column=ident, source=source,
                                         value=value)
            acc = xor_fold(acc, schema.xor_folds)
            clks[start:stop] = apply_hardening(acc, schema.hardening, harden_keys)
            if bar is not None:
                bar.update(stop - start)
    finally:
        if bar is not None:
            bar.close()
    # encode() (invalid="error") has raised on any bad cell: no table, no pandas
    issues = _issues(cells, schema) if skip else None
    problems_out: list[InvalidRecordError] = []
    by_col: Counter = Counter()
    if issues is not None and len(issues):
        first = issues.drop_duplicates("row")
        if invalid == "skip":
            bad_rows = first["row"].to_numpy()
            valid[bad_rows] = False
            clks[bad_rows] = 0
            by_col.update(first["column"].tolist())
        else:
            by_col.update(issues["column"].tolist())
        for row, col, msg, value in first.head(_MAX_PROBLEMS).itertuples(index=False):
            problems_out.append(InvalidRecordError(msg, row=row, column=col, source=source,
                                                   value=value))
    return clks, valid, tuple(problems_out), dict(by_col), issues


def _whole_floats(ident: str, source: str | None, refuse: bool) -> None:
    """Warn (or refuse) about a hashed column of whole numbers stored as floats."""
    where = f"{source}: " if source else ""
    message = (f"{where}column {ident!r} holds whole numbers as floats (pandas reads a column "
               "of integers with a missing value as float64), so 6006 would be hashed as "
               "'6006.0' and match no other party's '6006'; read the file with dtype=str "
               "(pandas.read_csv(path, dtype=str, keep_default_na=False)) or convert the "
               "column to text first")
    if refuse:
        raise InputError(message + " (invalid='error')")
    warnings.warn(message, UserWarning, stacklevel=4)


def _issues(cells, schema) -> pd.DataFrame:
    """Every bad cell, by row and then column order: row, column, reason, value."""
    import pandas as pd
    if not cells:
        return pd.DataFrame({"row": np.zeros(0, np.int64), "column": [], "reason": [],
                             "value": []})
    rows = np.concatenate([c[0] for c in cells]).astype(np.int64)
    fis = np.concatenate([np.full(len(c[0]), c[1], dtype=np.int64) for c in cells])
    reasons = np.array([m for c in cells for m in c[2]], dtype=object)
    values = np.array([v for c in cells for v in c[3]], dtype=object)
    order = np.lexsort((fis, rows))
    idents = np.array(schema.identifiers, dtype=object)
    return pd.DataFrame({"row": rows[order], "column": idents[fis[order]],
                         "reason": reasons[order], "value": values[order]})


def encode(
    records,
    schema: SchemaLike,
    secret: bytes | str,
    *,
    match: str = "position",
    progress: bool = True,
    chunk_size: int = 100_000,
    source: str | None = None,
) -> np.ndarray:
    """Encode records into CLKs, byte for byte as clkhash 0.18 does.

    Parameters
    ----------
    records : pandas.DataFrame or iterable of rows
        One row per record, one column per schema feature (ignored features
        included).  Values are strings; ``None``/NaN become ``""`` and other
        values ``str(value)``.
    schema : Schema, path-like or dict
        A linkage schema (see :func:`pprl.load_schema`).
    secret : bytes or str
        The secret shared by the custodians (a ``str`` is UTF-8 encoded).
    match : {"position", "name"}, default="position"
        ``"position"``: column ``i`` is feature ``i``; a DataFrame's column
        names must then equal the identifiers.  ``"name"``: columns (or keys
        of mapping rows) are found by identifier; others are not used.
    progress : bool, default=True
        Show a progress bar.
    chunk_size : int, default=100000
        Records processed at a time (memory grows with it).
    source : str, optional
        Name of the data (a file name) used in error messages.

    Returns
    -------
    ndarray of uint8, shape (n, l // 8)

    Raises
    ------
    InvalidRecordError
        For the first row with a value that breaks the schema, naming the row
        (0-based), the column and the rule; see :func:`encode_with_mask` to
        skip such rows instead.
    InputError
        If columns and features do not match, or a parameter is bad.
    SchemaError
        If the schema is invalid.

    Examples
    --------
    >>> from pprl.encoding.schema import person_schema
    >>> row = ["0", "anna", "smith", "f", "1980-01-02", "12", "main street",
    ...        "springfield", "2000", "nsw", "", ""]
    >>> encode([row], person_schema(), b"secret", progress=False).shape
    (1, 128)
    """
    clks = _encode(records, schema, secret, match=match, progress=progress,
                   chunk_size=chunk_size, source=source, invalid="error")[0]
    return clks


def encode_with_mask(
    records,
    schema: SchemaLike,
    secret: bytes | str,
    *,
    match: str = "position",
    progress: bool = True,
    chunk_size: int = 100_000,
    source: str | None = None,
    invalid: str = "skip",
) -> EncodeResult:
    """Encode records, marking rows that break the schema instead of raising.

    Same parameters as :func:`encode`, plus ``invalid``, the policy for a
    value that breaks the schema:

    * ``"skip"`` (default): the row gets an all-zero CLK and
      ``valid[i] = False``; it stays in place so row indices never shift;
    * ``"missing"``: only the bad field is treated as missing (it sets no
      bits), so the rest of the record still links;
    * ``"error"``: raise :class:`InvalidRecordError`, as :func:`encode` does.

    Structural problems (a row with the wrong number of fields, missing
    columns) always raise.

    Returns
    -------
    EncodeResult

    Examples
    --------
    >>> from pprl.encoding.schema import person_schema
    >>> rows = [["0", "anna", "smith", "x", "1980-01-02", "12", "main st", "a", "2000",
    ...          "nsw", "", ""]]
    >>> res = encode_with_mask(rows, person_schema(), b"secret", progress=False)
    >>> res.n_invalid, res.invalid_by_column
    (1, {'sex': 1})
    >>> res = encode_with_mask(rows, person_schema(), b"secret", progress=False,
    ...                        invalid="missing")
    >>> res.n_invalid, res.invalid_by_column, res.clks.any()
    (0, {'sex': 1}, np.True_)
    >>> res.issues[["row", "column", "reason"]].to_dict("records")
    [{'row': 0, 'column': 'sex', 'reason': "expected one of 'f', 'm' (format.values)"}]
    """
    clks, valid, problems, by_col, issues = _encode(
        records, schema, secret, match=match, progress=progress, chunk_size=chunk_size,
        source=source, invalid=invalid)
    return EncodeResult(clks=clks, valid=valid, problems=problems, invalid_by_column=by_col,
                        issues=issues)

