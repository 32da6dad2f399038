"""The attacker's view of a plaintext database under a schema (no secret).

The attacker knows the schema but not the secret: which columns are
encoded, how they are formatted and tokenised and how many bits each token
sets.  From that it can build each plaintext record's token set and predict
how a Bloom filter of it would look (popcount, Dice with another record),
with the usual model of independent uniform insertions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_bits_array
from ..encoding.formats import check_and_format
from ..encoding.model import BitsPerFeature, Schema
from ..encoding.schema import load_schema
from ..encoding.tokenize import tokenize_batch
from ..errors import InputError

__all__ = ["PlaintextView", "plaintext_view", "expected_dice", "permuted", "check_clks"]


class PlaintextView:
    """Tokens of plaintext records as an attacker sees them.

    Attributes
    ----------
    tokens : scipy.sparse.csr_matrix, shape (n, T)
        ``tokens[i, t]`` is the number of insertions record ``i`` makes for
        token ``t`` (0 if absent).  Tokens of different features are
        different columns (each feature has its own hash key).
    token_names : list of str
        ``"<feature>:<token>"`` per column.
    keys : ndarray of object, shape (n,)
        The formatted values of the hashed features, joined: equal keys give
        equal encodings under any secret.
    hash_l : int
        Bits the tokens are hashed into.
    """

    def __init__(self, tokens, token_names, keys, hash_l):
        self.tokens = tokens
        self.token_names = token_names
        self.keys = keys
        self.hash_l = hash_l

    @property
    def insertions(self) -> np.ndarray:
        """Insertions per record (``k`` times the number of tokens, summed)."""
        return np.asarray(self.tokens.sum(axis=1), dtype=np.float64).ravel()

    def expected_popcount(self, l: int | None = None) -> np.ndarray:  # noqa: E741
        """Expected set bits of each record's filter of ``l`` bits (default ``hash_l``)."""
        L = self.hash_l if l is None else l
        return L * -np.expm1(np.log1p(-1.0 / L) * self.insertions)


def check_clks(clks: object, schema: Schema, func: str) -> np.ndarray:
    """The CLKs as a uint8 array, refused when their width is not the schema's CLK length.

    CLKs of another width were not made with this schema (or its hardening):
    an attack on them would measure nothing.

    Raises
    ------
    InputError
        For a bad array, or a width other than ``schema.clk_l`` bits.
    """
    arr = check_bits_array(clks, "clks", func)
    if arr.shape[1] * 8 != schema.clk_l:
        where = f" ({schema.source})" if schema.source else ""
        raise InputError(
            f"The CLKs given to {func} have {arr.shape[1] * 8} bits per row, but the "
            f"schema{where} makes CLKs of {schema.clk_l} bits (l after folding and "
            "hardening); attack CLKs with the schema that encoded them")
    return arr


def permuted(view: PlaintextView, rng: np.random.Generator
             ) -> tuple[PlaintextView, np.ndarray]:
    """The view with its records in a random order, and that order.

    Row ``j`` of the permuted view is row ``order[j]`` of ``view``.  Every
    attack works on a permuted view and maps its guesses back with
    ``order``: an attack then cannot profit from plaintext rows that happen
    to be in the encodings' order, and the ties of an assignment are broken
    at random instead of towards the identity.
    """
    order = rng.permutation(view.tokens.shape[0]).astype(np.int64)
    return PlaintextView(view.tokens[order], view.token_names, view.keys[order],
                         view.hash_l), order


def _column(df: pd.DataFrame, ident: str, func: str, source: str | None) -> np.ndarray:
    if ident not in df.columns:
        where = f"{source}: " if source else ""
        raise InputError(f"{where}the plaintext has no column {ident!r}, which the schema "
                         f"encodes ({func} reads plaintext columns by feature identifier)")
    col = df[ident]
    return np.array(["" if (v is None or (isinstance(v, float) and v != v)) else str(v)
                     for v in col.tolist()], dtype=object)


def plaintext_view(df: pd.DataFrame, schema, *, func: str = "attack",
                   source: str | None = None) -> PlaintextView:
    """Tokenise a plaintext DataFrame as the schema would, without hashing.

    Values that break the schema's format are treated as missing (the
    attacker's database is not the custodian's and need not be clean).

    Raises
    ------
    InputError
        If ``df`` is not a DataFrame or lacks a column the schema hashes.
    """
    import scipy.sparse as sp  # imported here: ``import pprl`` stays light

    schema = load_schema(schema) if not isinstance(schema, Schema) else schema
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"The 'plaintext' parameter of {func} must be a pandas DataFrame. "
                         f"Got a {type(df).__name__} instead.")
    n = len(df)
    blocks, names, key_parts = [], [], []
    for f in schema.features:
        if f.ignored:
            continue
        col = _column(df, f.identifier, func, source)
        codes, uniques = pd.factorize(col)
        formatted, problems = check_and_format(f, list(uniques))
        formatted = ["" if v is None else v for v in formatted]
        batch = tokenize_batch(formatted, f.hashing.comparison)
        strat = f.hashing.strategy
        if isinstance(strat, BitsPerFeature):
            cnt = np.maximum(batch.count[batch.row], 1)
            base, extra = np.divmod(strat.bits, cnt)
            w = (base + (batch.pos < extra)).astype(np.float64)
        else:
            w = np.full(batch.row.size, float(strat.k))
        per_value = sp.csr_matrix((w, (batch.row, batch.token_id)),
                                  shape=(len(uniques), len(batch.tokens)))
        per_value.sum_duplicates()
        blocks.append(per_value[codes] if n else per_value[:0])
        names.extend(f"{f.identifier}:{t}" for t in batch.tokens)
        key_parts.append(np.asarray(formatted, dtype=object)[codes] if n else
                         np.zeros(0, dtype=object))
    if not blocks:
        raise InputError(f"{func}: the schema hashes no feature")
    tokens = sp.hstack(blocks, format="csr") if n else sp.csr_matrix((0, len(names)))
    keys = np.array(["\x1f".join(parts) for parts in zip(*key_parts, strict=True)],
                    dtype=object) if n else np.zeros(0, dtype=object)
    return PlaintextView(tokens, names, keys, schema.hash_l)


def expected_dice(x: PlaintextView, y: PlaintextView | None = None, l: int | None = None,  # noqa: E741
                  ) -> np.ndarray:
    """Expected Dice coefficient of the filters of every pair of records.

    With ``s`` shared insertions and ``m_a``, ``m_b`` insertions in all, a
    bit is set in both filters unless it escapes the shared insertions and
    one record's own: ``E|A & B| = L (1 - q^{m_a} - q^{m_b} + q^{m_a + m_b - s})``
    with ``q = 1 - 1/L``.

    Returns
    -------
    ndarray of float64, shape (n_x, n_y)
    """
    y = x if y is None else y
    L = x.hash_l if l is None else l
    q = np.log1p(-1.0 / L)
    xa, yb = x.tokens.sqrt(), y.tokens.sqrt()
    shared = (xa @ yb.T).toarray()  # sum over common tokens of sqrt(k_a k_b) = k
    ma, mb = x.insertions, y.insertions
    ea, eb = -np.expm1(q * ma), -np.expm1(q * mb)
    both = ea[:, None] + eb[None, :] - 1.0 + np.exp(q * (ma[:, None] + mb[None, :] - shared))
    den = ea[:, None] + eb[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den > 0, 2.0 * both / den, 0.0)
    return out
