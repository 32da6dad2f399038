"""Making multi-party synthetic data sets: people, overlap, duplicates, corruption, truth.

Definitions
-----------
* ``n_records``: the number of distinct people (entities) in each party's
  file, before within-party duplicates are added.
* ``overlap``: the fraction of each party's people who are also in every
  other party. ``overlap * n_records`` people, rounded half up, are shared by all
  parties; each party's other people appear in that party only.
* ``duplicates``: within-party duplicates. A fraction ``rate`` of each
  party's people get extra records; how many extras (1 to ``max_per_record``)
  follows a ``uniform``, ``poisson`` (1 + Poisson(``param``), default 1) or
  ``zipf`` (Zipf(``param``), default 2) distribution, truncated at the max.
  Each duplicate is logged in the corruption log like the other corruptions:
  one line ``party, row, "record", "duplicate", SOURCE_ROW, ""`` per record
  whose person has a record at a lower row of the same party (the lowest
  such row is the source). The truth's ``n_changes / fields_changed / kinds``
  count changes of values only, so they leave these lines out.
* Every record of every party (duplicates included) is corrupted
  independently under the :class:`CorruptionConfig`; rows are shuffled and
  ``rec_id`` is a random 16-hex-digit id, so neither row order nor id says
  anything about the person.
* ``columns``: a column description (:mod:`pprl.synthetic.columns`) gives the
  files the user's column names and kinds instead of ``PERSON_COLUMNS``; the
  corruption log and truth then name the user's columns.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .._validation import check_rng, param_error
from ._duplicate_log import DUPLICATE, log_duplicates
from .columns import (
    EXTRA_PROBABILITIES,
    ColumnSpec,
    _rename_log,
    _render,
    read_columns,
)
from .config import CorruptionConfig
from .corruptors import CORRUPTORS, RECORD_KINDS
from .dataset import FORMAT_VERSION, SyntheticDataset, _party_names
from .generate import (
    PERSON_COLUMNS,
    _address_block,
    _address_extra,
    _id_numbers,
    _people_columns,
    _pools_for,
    _rec_ids,
)
from .pipeline import _corrupt_columns

__all__ = ["Duplicates", "make_dataset", "config_for_columns"]

_FIELDS = tuple(PERSON_COLUMNS[1:])
_KINDS = tuple(sorted(set(CORRUPTORS) | set(RECORD_KINDS)))



@dataclass(frozen=True)
class Duplicates:
    """Within-party duplicates: which fraction of people get extra records, and how many.

    Parameters
    ----------
    rate : float in [0, 1]
        Fraction of each party's people with at least one duplicate.
    distribution : {"uniform", "poisson", "zipf"}, default="zipf"
        Number of extra records per such person, truncated to ``max_per_record``.
    max_per_record : int, default=3
        Most extra records for one person.
    param : float, optional
        Poisson mean of ``count - 1`` (default 1.0) or Zipf exponent (default 2.0).
    """

    rate: float
    distribution: str = "zipf"
    max_per_record: int = 3
    param: float | None = None

    def __post_init__(self) -> None:
        f = "Duplicates"
        if isinstance(self.rate, bool) or not isinstance(self.rate, numbers.Real) \
                or not 0.0 <= self.rate <= 1.0:
            raise param_error("rate", f, "a float in [0, 1]", self.rate)
        if self.distribution not in ("uniform", "poisson", "zipf"):
            raise param_error("distribution", f, "'uniform', 'poisson' or 'zipf'",
                              self.distribution)
        if isinstance(self.max_per_record, bool) or not isinstance(
                self.max_per_record, numbers.Integral) or self.max_per_record < 1:
            raise param_error("max_per_record", f, "a positive integer", self.max_per_record)
        if self.param is not None:
            lo = 1.0 if self.distribution == "zipf" else 0.0
            if not isinstance(self.param, numbers.Real) or not self.param > lo:
                raise param_error("param", f, f"a number > {lo}", self.param)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Extra records for each of ``n`` people (0 for most)."""
        has = rng.random(n) < self.rate
        k = int(has.sum())
        if self.distribution == "uniform":
            extra = rng.integers(1, self.max_per_record + 1, size=k)
        elif self.distribution == "poisson":
            extra = 1 + rng.poisson(self.param or 1.0, size=k)
        else:
            extra = rng.zipf(self.param or 2.0, size=k)
        out = np.zeros(n, dtype=np.int64)
        out[has] = np.minimum(extra, self.max_per_record)
        return out

    def to_dict(self) -> dict:
        """The JSON object form."""
        return {"rate": float(self.rate), "distribution": self.distribution,
                "max_per_record": int(self.max_per_record), "param": self.param}



def _masks(log_party, log_field, log_kind, log_row, names, sizes, fields=_FIELDS):
    """Per record: bit masks of changed fields and kinds, and the number of changes."""
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    pidx = {n: i for i, n in enumerate(names)}
    fidx = {f: i for i, f in enumerate(fields)}
    kidx = {k: i for i, k in enumerate(_KINDS)}
    rec = offsets[np.array([pidx[p] for p in log_party], dtype=np.int64)] + np.array(
        log_row, dtype=np.int64) if log_party else np.zeros(0, np.int64)
    fbits = np.array([1 << fidx[f] for f in log_field], dtype=np.int64)
    kbits = np.array([1 << kidx[k] for k in log_kind], dtype=np.int64)
    fmask = np.zeros(total, np.int64)
    kmask = np.zeros(total, np.int64)
    np.bitwise_or.at(fmask, rec, fbits)
    np.bitwise_or.at(kmask, rec, kbits)
    count = np.bincount(rec, minlength=total).astype(np.int64)
    return offsets, fmask, kmask, count


def _mask_strings(mask: np.ndarray, labels: tuple[str, ...]) -> list[str]:
    uniq, inv = np.unique(mask, return_inverse=True)
    text = [";".join(sorted(lab for i, lab in enumerate(labels) if (int(m) >> i) & 1))
            for m in uniq]
    return [text[i] for i in inv.tolist()]


def make_dataset(
    n_records: int,
    *,
    parties: int = 2,
    overlap: float = 0.5,
    locale: str = "en_AU",
    config: CorruptionConfig | None = None,
    duplicates: Duplicates | dict | None = None,
    rng: object = None,
    progress: bool = False,
    columns: ColumnSpec | dict | str | None = None,
) -> SyntheticDataset:
    """Generate a multi-party synthetic data set with ground truth.

    Parameters
    ----------
    n_records : int
        People per party (before duplicates); see the module docstring.
    parties : int, default=2
        Number of parties (2 to 26); files ``a.csv``, ``b.csv``, ...
    overlap : float in [0, 1], default=0.5
        Fraction of each party's people present in every other party.
    locale : {"en_AU", "en_US", "en_GB", "de_DE"}, default="en_AU"
    config : CorruptionConfig, optional
        Default :meth:`CorruptionConfig.default`; ``CorruptionConfig.none()`` for clean copies.
    duplicates : Duplicates or dict, optional
        Within-party duplicates (``dict`` is passed to :class:`Duplicates`).
    rng : None, int, SeedSequence or numpy.random.Generator
        Source of every random choice. With ``None`` or an int the seed is
        recorded in the manifest (``None`` draws a fresh one) so the set can be
        regenerated; a Generator's seed cannot be recorded.
    progress : bool, default=False
        Show a tqdm progress bar (one step per stage and party).
    columns : ColumnSpec, dict or path, optional
        A column description (:mod:`pprl.synthetic.columns`): the parties get
        the user's columns, in its order, instead of ``PERSON_COLUMNS``.  The
        corruption configuration still names generator fields (``given_name``,
        ``suburb``, ``address_extra``, ``id_number``, ...); fields the
        description does not use are dropped from it, and the default adds
        :data:`~pprl.synthetic.columns.EXTRA_PROBABILITIES`.

    Returns
    -------
    SyntheticDataset

    Raises
    ------
    InputError
        For a bad parameter.

    Examples
    --------
    >>> ds = make_dataset(100, overlap=0.5, rng=7)
    >>> [len(p) for p in ds.parties], len(ds.truth)
    ([100, 100], 50)
    >>> ds = make_dataset(5, rng=7, columns={"id": "ignore", "fn": "first_name",
    ...                                      "dob": "date_of_birth:%Y%m%d"})
    >>> list(ds.parties[0].columns), len(ds.parties[0]["dob"][0])
    (['id', 'fn', 'dob'], 8)
    """
    f = "make_dataset"
    if isinstance(n_records, bool) or not isinstance(n_records, numbers.Integral) or n_records < 0:
        raise param_error("n_records", f, "a non-negative integer", n_records)
    if isinstance(parties, bool) or not isinstance(parties, numbers.Integral) \
            or not 2 <= parties <= 26:
        raise param_error("parties", f, "an integer from 2 to 26", parties)
    if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real) \
            or not 0.0 <= overlap <= 1.0:
        raise param_error("overlap", f, "a float in [0, 1]", overlap)
    if config is not None and not isinstance(config, CorruptionConfig):
        raise param_error("config", f, "a CorruptionConfig or None", config)
    spec = None if columns is None else read_columns(columns)
    if spec is not None:
        config = config_for_columns(config, spec)
    elif config is None:
        config = CorruptionConfig.default()
    if isinstance(duplicates, dict):
        duplicates = Duplicates(**duplicates)
    elif duplicates is not None and not isinstance(duplicates, Duplicates):
        raise param_error("duplicates", f, "a Duplicates, a dict or None", duplicates)
    seed: int | None = None
    if rng is None:
        seed = int(np.random.SeedSequence().entropy)
        rng = seed
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        seed = int(rng)
    rng = check_rng(rng)

    from tqdm.auto import tqdm

    n, k = int(n_records), int(parties)
    n_shared = _round_half_up(overlap * n)
    n_entities = n_shared + k * (n - n_shared)
    bar = tqdm(total=k + 2, desc="synth", unit="step", disable=not progress)
    bar.set_postfix_str("people")
    pools = _pools_for(locale, rng)
    if spec is not None:
        pools = _flatter_places(pools)
    clean = _people_columns(pools, rng, n_entities)
    if spec is not None:
        _add_extra_fields(clean, spec, pools, rng)
    bar.update()
    names = _party_names(k)
    frames, ent_rows = [], []
    log_p: list[str] = []
    log_cols: dict[str, list] = {c: [] for c in ("row", "field", "kind", "before", "after")}
    for i, name in enumerate(names):
        bar.set_postfix_str(f"party {name}")
        own = n_shared + i * (n - n_shared) + np.arange(n - n_shared)
        people = np.concatenate([np.arange(n_shared), own]).astype(np.int64)
        if duplicates is not None:
            people = np.repeat(people, 1 + duplicates.draw(rng, len(people)))
        people = people[rng.permutation(len(people))]
        cols = {c: v[people] for c, v in clean.items()}
        cols, log = _corrupt_columns(cols, config, rng, _mover(pools, rng, spec))
        if spec is None:
            cols["rec_id"] = _rec_ids(rng, len(people))
            frames.append(pd.DataFrame({c: cols[c] for c in PERSON_COLUMNS}))
        else:
            repeats = _corrupt_repeats(cols, spec, config, rng)
            frames.append(_render(cols, spec, rng, len(people)))
            log = _rename_log(log, {f: spec[n] for n, f in spec.slots.items() if "#" not in f})
            for column, extra in repeats:
                for key, values in _rename_log(extra, {column.field: column}).items():
                    log[key].extend(values)
        if duplicates is not None:
            log_duplicates(log, people)
        ent_rows.append(pd.DataFrame({"party": name, "row": np.arange(len(people)),
                                      "entity": people}))
        log_p.extend([name] * len(log["row"]))
        for c in log_cols:
            log_cols[c].extend(log[c])
        bar.update()
    bar.set_postfix_str("truth")
    entities = pd.concat(ent_rows, ignore_index=True)
    corruptions = pd.DataFrame({"party": log_p, **log_cols})
    labels = _FIELDS if spec is None else tuple(c.name for c in spec.linked)
    changes = (log_p, log_cols["field"], log_cols["kind"], log_cols["row"])
    if duplicates is not None:  # the truth counts changes of values: not the duplicate lines
        keep = [i for i, kind in enumerate(log_cols["kind"]) if kind != DUPLICATE]
        changes = tuple([x[i] for i in keep] for x in changes)
    offsets, fmask, kmask, count = _masks(*changes, names, [len(x) for x in frames], labels)
    ds = SyntheticDataset(frames, pd.DataFrame(), corruptions, entities)
    if k == 2:
        truth = ds.pairs(0, 1)
        ra = truth["a"].to_numpy()
        rb = truth["b"].to_numpy() + offsets[1]
        fm, km, cnt = fmask[ra] | fmask[rb], kmask[ra] | kmask[rb], count[ra] + count[rb]
    else:
        truth = entities.copy()
        fm, km, cnt = fmask, kmask, count
    truth["n_changes"] = cnt
    truth["fields_changed"] = _mask_strings(fm, labels)
    truth["kinds"] = _mask_strings(km, _KINDS)
    ds.truth = truth
    bar.update()
    bar.close()
    ds.manifest = _manifest(seed, n, k, overlap, locale, config, duplicates)
    if spec is not None:
        ds.manifest["columns"] = list(spec.names)
        ds.manifest["column_kinds"] = spec.to_dict()
    return ds


def config_for_columns(config: CorruptionConfig | None, spec: ColumnSpec) -> CorruptionConfig:
    """The configuration restricted to the fields ``spec`` uses.

    ``config`` defaults to the defaults plus
    :data:`~pprl.synthetic.columns.EXTRA_PROBABILITIES`.
    """
    if config is None:
        base = CorruptionConfig.default()
        fields = {**base.fields, **EXTRA_PROBABILITIES}
        record, cap = base.record, base.max_per_record
    else:
        fields, record, cap = config.fields, config.record, config.max_per_record
    used = {c.field for c in spec.linked}
    fields = {f: kinds for f, kinds in fields.items() if f in used}
    record = dict(record)
    if not {"given_name", "surname"} <= used:
        record.pop("swap_names", None)
    if not used & {"street_number", "street_address", "address_extra", "suburb", "postcode",
                   "state"}:
        record.pop("moved", None)
    return CorruptionConfig(fields, record, cap)


#: Zipf exponent of places (suburb, postcode, state together) with a column description.
PLACE_ZIPF_COLUMNS = 0.5


def _flatter_places(pools):
    """The pools with places drawn less skewed (same ranking, Zipf ``PLACE_ZIPF_COLUMNS``).

    The default sets keep the steeper exponent they were built with (byte for
    byte); with a column description -- the data the tuner learns from -- two
    random people share a postcode about 0.2% of the time (Zipf 0.5 over the
    pool's places), near a real population's, instead of about 2%.
    """
    n = len(pools.place.values)
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** PLACE_ZIPF_COLUMNS
    return replace(pools, place=type(pools.place)(pools.place.values, w / w.sum()))


def _add_extra_fields(clean: dict, spec: ColumnSpec, pools, rng) -> None:
    """Generate the fields only a column description asks for (in place)."""
    n = len(clean["given_name"])
    for c, slot in zip(spec.linked, spec.slots.values(), strict=True):
        if c.kind == "address_extra":
            clean[slot] = _address_extra(pools, rng, n)
        elif c.kind == "id_number":
            clean[slot] = _id_numbers(rng, n, c.length)
        elif slot != c.field:  # a further column of a kind: independent values
            clean[slot] = _people_columns(pools, rng, n)[c.field]


def _corrupt_repeats(cols: dict, spec: ColumnSpec, config: CorruptionConfig, rng) -> list:
    """Field corruptions of the further columns of a kind, with the first one's rates."""
    out = []
    for c, slot in zip(spec.linked, spec.slots.values(), strict=True):
        if slot == c.field or not config.fields.get(c.field):
            continue
        sub = CorruptionConfig({c.field: config.fields[c.field]}, {}, config.max_per_record)
        done, log = _corrupt_columns({c.field: cols[slot]}, sub, rng, None)
        cols[slot] = done[c.field]
        out.append((c, log))
    return out


def _mover(pools, rng, spec: ColumnSpec | None):
    """New addresses for the ``moved`` corruption (with an address_extra line if asked)."""
    extra = spec is not None and any(c.kind == "address_extra" for c in spec.linked)

    def new_addresses(m: int) -> dict[str, np.ndarray]:
        block = _address_block(pools, rng, m)
        if extra:
            block["address_extra"] = _address_extra(pools, rng, m)
        return block
    return new_addresses


def _round_half_up(x: float) -> int:
    """``x`` rounded to the nearest integer, halves up (2.5 -> 3; ``round`` gives 2).

    A tiny tolerance keeps products such as ``0.7 * 5 = 3.4999999999999996``
    at their decimal value.
    """
    return int(math.floor(x + 0.5 + 1e-9))


def _manifest(seed, n, k, overlap, locale, config, duplicates) -> dict:
    from .._version import __version__
    from .._version import package_version as v

    return {
        "format": "pprl-synthetic", "format_version": FORMAT_VERSION,
        "generator": "pprl.synthetic.make_dataset", "seed": seed,
        "n_records": n, "parties": k, "overlap": float(overlap), "locale": locale,
        "config": config.to_dict(),
        "duplicates": None if duplicates is None else duplicates.to_dict(),
        "columns": list(PERSON_COLUMNS),
        "versions": {"pprl": __version__, "faker": v("faker"), "numpy": np.__version__,
                     "pandas": pd.__version__},
    }

