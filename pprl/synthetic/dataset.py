"""Multi-party synthetic data sets with ground truth, a corruption log and a manifest.

Definitions
-----------
* ``n_records``: the number of distinct people (entities) in each party's
  file, before within-party duplicates are added.
* ``overlap``: the fraction of each party's people who are also in every
  other party. ``round(overlap * n_records)`` people are shared by all
  parties; each party's other people appear in that party only.
* ``duplicates``: within-party duplicates. A fraction ``rate`` of each
  party's people get extra records; how many extras (1 to ``max_per_record``)
  follows a ``uniform``, ``poisson`` (1 + Poisson(``param``), default 1) or
  ``zipf`` (Zipf(``param``), default 2) distribution, truncated at the max.
* Every record of every party (duplicates included) is corrupted
  independently under the :class:`CorruptionConfig`; rows are shuffled and
  ``rec_id`` is a random 16-hex-digit id, so neither row order nor id says
  anything about the person.

Files (:meth:`SyntheticDataset.write`)
--------------------------------------
``a.csv``, ``b.csv``, ... (columns ``PERSON_COLUMNS``), ``entities.csv``
(``party,row,entity``: one line per record, records with the same ``entity``
are the same person), ``truth.csv``, ``corruptions.csv``
(``party,row,field,kind,before,after``), ``manifest.json`` (seed, config,
versions, file checksums: enough to regenerate the set byte for byte).

``truth.csv`` for two parties: ``a,b,n_changes,fields_changed,kinds`` with one
line per true pair (0-based rows of ``a.csv`` and ``b.csv``; every pairing of
the person's records when there are duplicates) and the changes made to
either record (``;``-separated, sorted). For three or more parties it is the
``entities.csv`` table plus ``n_changes,fields_changed,kinds`` of each record;
:meth:`SyntheticDataset.pairs` gives the pairs of any two parties.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import re
import shutil
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import current_umask
from .._validation import check_rng, param_error
from ..errors import FileFormatError, InputError
from .config import CorruptionConfig
from .corrupt import CORRUPTORS, RECORD_KINDS
from .generate import PERSON_COLUMNS, _address_block, _people_columns, _pools_for, _rec_ids
from .pipeline import _corrupt_columns

__all__ = ["Duplicates", "SyntheticDataset", "make_dataset", "read_dataset", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_FIELDS = tuple(PERSON_COLUMNS[1:])
_OUR_FILE = re.compile(r"([a-z]|truth|entities|corruptions)\.csv(\.gz)?")
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
        return {"rate": float(self.rate), "distribution": self.distribution,
                "max_per_record": int(self.max_per_record), "param": self.param}


def _party_names(k: int) -> list[str]:
    return list(string.ascii_lowercase[:k])


@dataclass
class SyntheticDataset:
    """Parties, ground truth and corruption log of one synthetic data set.

    Attributes
    ----------
    parties : list of pandas.DataFrame
        Party A, B, ...; columns ``PERSON_COLUMNS``, all strings.
    truth : pandas.DataFrame
        Two parties: ``a, b`` (0-based rows of true pairs) and ``n_changes,
        fields_changed, kinds``. More parties: ``party, row, entity`` and the same
        log columns per record.
    corruptions : pandas.DataFrame
        One row per change: ``party, row, field, kind, before, after``.
    entities : pandas.DataFrame
        ``party, row, entity`` for every record.
    manifest : dict
        Seed, configuration and versions (plus file checksums once written or read).
    """

    parties: list[pd.DataFrame]
    truth: pd.DataFrame
    corruptions: pd.DataFrame
    entities: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    @property
    def party_names(self) -> list[str]:
        return _party_names(len(self.parties))

    def pairs(self, p: int | str = 0, q: int | str = 1) -> pd.DataFrame:
        """True pairs between two parties: columns ``a, b`` (rows of ``p`` and ``q``).

        Sorted by ``a`` then ``b``; includes every pairing of duplicated records.
        """
        names = self.party_names
        p, q = (names[x] if isinstance(x, int) else x for x in (p, q))
        if p not in names or q not in names or p == q:
            raise InputError(f"pairs: expected two different parties of {names}, got {p!r}, {q!r}")
        e = self.entities
        left = e[e["party"] == p][["row", "entity"]]
        right = e[e["party"] == q][["row", "entity"]]
        m = left.merge(right, on="entity", suffixes=("_a", "_b"))
        out = pd.DataFrame({"a": m["row_a"].to_numpy(np.int64), "b": m["row_b"].to_numpy(np.int64)})
        return out.sort_values(["a", "b"], kind="stable").reset_index(drop=True)

    def write(self, out_dir: str | os.PathLike[str], *, overwrite: bool = False,
              compress: bool = False) -> Path:
        """Write the set to a folder, all or nothing.

        Files are written into a temporary folder beside ``out_dir`` and moved
        into place at the end; on any error nothing is left behind.

        Parameters
        ----------
        out_dir : path
            Target folder; must not exist or be empty unless ``overwrite``.
        overwrite : bool, default=False
            Replace the files of an existing set in ``out_dir``.
        compress : bool, default=False
            Write ``*.csv.gz`` (reproducible gzip: no time stamp, no file name).

        Returns
        -------
        pathlib.Path
            ``out_dir``.
        """
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise InputError(f"{out}: exists and is not a folder")
        if out.is_dir() and any(out.iterdir()) and not overwrite:
            raise InputError(f"{out}: folder is not empty (pass overwrite=True / --force)")
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(f"{out}: parent folder {parent} does not exist")
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
        try:
            os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it 0700
            files = self._write_files(tmp, compress)
            if out.is_dir():
                for name in files + ["manifest.json"]:
                    os.replace(tmp / name, out / name)
                tmp.rmdir()
                for stale in out.iterdir():  # files of an earlier set that this one lacks
                    if stale.name not in files and _OUR_FILE.fullmatch(stale.name):
                        stale.unlink()
            else:
                os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def _write_files(self, folder: Path, compress: bool) -> list[str]:
        ext = ".csv.gz" if compress else ".csv"
        tables = {f"{n}{ext}": df for n, df in zip(self.party_names, self.parties, strict=True)}
        tables[f"entities{ext}"] = self.entities
        tables[f"truth{ext}"] = self.truth
        tables[f"corruptions{ext}"] = self.corruptions
        checksums = {}
        for name, df in tables.items():
            data = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
            if compress:
                import gzip
                import io
                buf = io.BytesIO()
                with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
                    gz.write(data)
                data = buf.getvalue()
            (folder / name).write_bytes(data)
            checksums[name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": len(df)}
        self.manifest = {**self.manifest, "files": checksums}
        text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        (folder / "manifest.json").write_text(text, encoding="utf-8")
        return list(tables)


def _masks(log_party, log_field, log_kind, log_row, names, sizes):
    """Per record: bit masks of changed fields and kinds, and the number of changes."""
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    total = int(offsets[-1])
    pidx = {n: i for i, n in enumerate(names)}
    fidx = {f: i for i, f in enumerate(_FIELDS)}
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
    if config is None:
        config = CorruptionConfig.default()
    elif not isinstance(config, CorruptionConfig):
        raise param_error("config", f, "a CorruptionConfig or None", config)
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
    n_shared = int(round(overlap * n))
    n_entities = n_shared + k * (n - n_shared)
    bar = tqdm(total=k + 2, desc="synth", unit="step", disable=not progress)
    bar.set_postfix_str("people")
    pools = _pools_for(locale, rng)
    clean = _people_columns(pools, rng, n_entities)
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
        cols, log = _corrupt_columns(cols, config, rng,
                                     lambda m: _address_block(pools, rng, m))
        cols["rec_id"] = _rec_ids(rng, len(people))
        frames.append(pd.DataFrame({c: cols[c] for c in PERSON_COLUMNS}))
        ent_rows.append(pd.DataFrame({"party": name, "row": np.arange(len(people)),
                                      "entity": people}))
        log_p.extend([name] * len(log["row"]))
        for c in log_cols:
            log_cols[c].extend(log[c])
        bar.update()
    bar.set_postfix_str("truth")
    entities = pd.concat(ent_rows, ignore_index=True)
    corruptions = pd.DataFrame({"party": log_p, **log_cols})
    offsets, fmask, kmask, count = _masks(log_p, log_cols["field"], log_cols["kind"],
                                          log_cols["row"], names, [len(x) for x in frames])
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
    truth["fields_changed"] = _mask_strings(fm, _FIELDS)
    truth["kinds"] = _mask_strings(km, _KINDS)
    ds.truth = truth
    bar.update()
    bar.close()
    ds.manifest = _manifest(seed, n, k, overlap, locale, config, duplicates)
    return ds


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


def _read_table(folder: Path, stem: str, required: bool = True) -> pd.DataFrame | None:
    for ext in (".csv", ".csv.gz"):
        path = folder / f"{stem}{ext}"
        if path.is_file():
            try:
                return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
            except (ValueError, OSError, EOFError) as exc:
                raise FileFormatError(str(path), f"cannot read CSV ({exc})") from None
    if required:
        raise FileFormatError(str(folder / f"{stem}.csv"), "file not found")
    return None


def _ints(df: pd.DataFrame, cols, where: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise FileFormatError(where, f"missing column {c!r}")
        try:
            df[c] = df[c].astype(np.int64)
        except ValueError:
            raise FileFormatError(where, f"column {c!r} must hold integers") from None


def read_dataset(folder: str | os.PathLike[str]) -> SyntheticDataset:
    """Read a data set written by :meth:`SyntheticDataset.write` (or ``pprl synth``).

    Parameters
    ----------
    folder : path
        Folder with ``manifest.json`` and the CSV files (plain or ``.gz``).

    Returns
    -------
    SyntheticDataset
        Party columns are strings (blank = ``""``); ``truth`` row indices are int64.

    Raises
    ------
    FileFormatError
        If a file is missing or malformed.
    """
    d = Path(folder)
    if not d.is_dir():
        raise InputError(f"{d}: data set folder not found")
    mpath = d / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileFormatError(str(mpath), "file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(str(mpath), f"not valid JSON ({exc})") from None
    k = manifest.get("parties")
    if not isinstance(k, int) or not 2 <= k <= 26:
        raise FileFormatError(str(mpath), f"'parties' must be an integer from 2 to 26, got {k!r}")
    frames = [_read_table(d, name) for name in _party_names(k)]
    truth = _read_table(d, "truth")
    _ints(truth, ["a", "b"] if k == 2 else ["row", "entity"], str(d / "truth.csv"))
    if "n_changes" in truth.columns:
        _ints(truth, ["n_changes"], str(d / "truth.csv"))
    entities = _read_table(d, "entities")
    _ints(entities, ["row", "entity"], str(d / "entities.csv"))
    corruptions = _read_table(d, "corruptions")
    _ints(corruptions, ["row"], str(d / "corruptions.csv"))
    return SyntheticDataset(frames, truth, corruptions, entities, manifest)
