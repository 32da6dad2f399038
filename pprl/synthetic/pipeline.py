"""Apply a :class:`CorruptionConfig` to records, logging every change.

The random *choices* (which corruption hits which record) are drawn for all
records at once with numpy; the corruptors then run only on the chosen
values, each with a few pre-drawn uniforms. That keeps the cost per record
low and every outcome a function of the caller's generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .._validation import check_rng
from .config import CorruptionConfig
from .corruptors import CORRUPTORS, N_UNIFORMS

__all__ = ["corrupt", "LOG_COLUMNS"]

#: Columns of a corruption log (one row per change actually made).
LOG_COLUMNS = ("row", "field", "kind", "before", "after")

_ADDRESS = ("street_number", "street_address", "suburb", "postcode", "state")

AddressFn = Callable[[int], dict[str, np.ndarray]]


def _choose(config: CorruptionConfig, rng: np.random.Generator, n: int):
    """Boolean matrix (n, slots) of drawn corruptions after the per-record limit."""
    slots = [("", k, p) for k, p in config.record.items()]
    slots += [(f, k, p) for f, kinds in config.fields.items() for k, p in kinds.items()]
    if not slots or n == 0:
        return slots, np.zeros((n, len(slots)), dtype=bool)
    p = np.array([s[2] for s in slots])
    drawn = rng.random((n, len(slots))) < p
    cap = config.max_per_record
    if cap is not None:
        over = np.flatnonzero(drawn.sum(axis=1) > cap)
        if len(over):
            keys = rng.random((len(over), len(slots)))
            keys[~drawn[over]] = 2.0  # never keep what was not drawn
            keep = np.argsort(keys, axis=1, kind="stable")[:, :cap]
            sub = np.zeros((len(over), len(slots)), dtype=bool)
            np.put_along_axis(sub, keep, True, axis=1)
            drawn[over] = sub
    return slots, drawn


def _corrupt_columns(
    cols: dict[str, np.ndarray],
    config: CorruptionConfig,
    rng: np.random.Generator,
    new_addresses: AddressFn | None,
) -> tuple[dict[str, np.ndarray], dict[str, list]]:
    """Corrupt object-array columns in place; return them and the log as lists."""
    n = len(next(iter(cols.values()))) if cols else 0
    slots, drawn = _choose(config, rng, n)
    log: dict[str, list] = {c: [] for c in LOG_COLUMNS}
    total = int(drawn.sum())
    uniforms = rng.random((total, N_UNIFORMS)).tolist() if total else []
    pos = 0
    for j, (field, kind, _) in enumerate(slots):
        rows = np.flatnonzero(drawn[:, j])
        if not len(rows):
            continue
        us = uniforms[pos:pos + len(rows)]
        pos += len(rows)
        if field == "":
            _record_level(kind, rows, cols, log, new_addresses)
            continue
        col = cols[field]
        fn = CORRUPTORS[kind]
        r_log, b_log, a_log = log["row"], log["before"], log["after"]
        for r, u in zip(rows.tolist(), us, strict=True):
            before = col[r]
            after = fn(before, u)
            if after is not None and after != before:
                col[r] = after
                r_log.append(r)
                b_log.append(before)
                a_log.append(after)
        added = len(r_log) - len(log["field"])
        log["field"].extend([field] * added)
        log["kind"].extend([kind] * added)
    return cols, log


def _record_level(kind, rows, cols, log, new_addresses) -> None:
    def add(r, field, before, after):
        log["row"].append(r)
        log["field"].append(field)
        log["kind"].append(kind)
        log["before"].append(before)
        log["after"].append(after)

    if kind == "swap_names":
        g, s = cols["given_name"], cols["surname"]
        for r in rows.tolist():
            if g[r] != s[r]:
                add(r, "given_name", g[r], s[r])
                add(r, "surname", s[r], g[r])
                g[r], s[r] = s[r], g[r]
    elif kind == "moved":
        if new_addresses is None:
            raise ValueError("the 'moved' corruption needs a source of new addresses")
        fresh = new_addresses(len(rows))
        fields = [f for f in fresh if f in cols]  # _ADDRESS, plus address_extra if asked
        for i, r in enumerate(rows.tolist()):
            for field in fields:
                before, after = cols[field][r], fresh[field][i]
                if before != after:
                    add(r, field, before, after)
                    cols[field][r] = after


def corrupt(
    records: pd.DataFrame,
    config: CorruptionConfig | None = None,
    *,
    locale: str = "en_AU",
    rng: object = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrupt a table of person records and log what changed.

    Parameters
    ----------
    records : pandas.DataFrame
        String columns named as in ``PERSON_COLUMNS`` (others are left alone;
        missing ones may not be configured).
    config : CorruptionConfig, optional
        Default: :meth:`CorruptionConfig.default`.
    locale : str, default="en_AU"
        Where new addresses for the ``moved`` corruption come from.
    rng : None, int, SeedSequence or numpy.random.Generator
        Source of every random choice.

    Returns
    -------
    corrupted : pandas.DataFrame
        A copy of ``records`` with the changes applied (same shape and index).
    log : pandas.DataFrame
        One row per change: ``row`` (0-based position), ``field``, ``kind``,
        ``before``, ``after``.

    Raises
    ------
    InputError
        If the configuration names a column ``records`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> from pprl.synthetic import CorruptionConfig
    >>> df = pd.DataFrame({"surname": ["Smith", "Jones"]})
    >>> cfg = CorruptionConfig({"surname": {"missing": 1.0}})
    >>> out, log = corrupt(df, cfg, rng=0)
    >>> list(out["surname"]), list(log["kind"])
    (['', ''], ['missing', 'missing'])
    """
    from ..errors import InputError
    from .generate import _address_block, _pools_for

    rng = check_rng(rng)
    config = CorruptionConfig.default() if config is None else config
    needed = set(config.fields)
    if config.record.get("swap_names"):
        needed |= {"given_name", "surname"}
    if config.record.get("moved"):
        needed |= set(_ADDRESS)
    missing = sorted(needed - set(records.columns))
    if missing:
        raise InputError(f"corrupt: the configuration changes column(s) {missing} that the "
                         f"records do not have")
    cols = {c: records[c].to_numpy(dtype=object, copy=True) for c in needed}
    new_addresses = None
    if config.record.get("moved"):
        pools = _pools_for(locale, rng)
        def new_addresses(k):  # noqa: E306
            return _address_block(pools, rng, k)
    cols, log = _corrupt_columns(cols, config, rng, new_addresses)
    out = records.copy()
    for c, v in cols.items():
        out[c] = v
    return out, pd.DataFrame(log, columns=list(LOG_COLUMNS))
