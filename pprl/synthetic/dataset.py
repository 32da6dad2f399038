"""Multi-party synthetic data sets with ground truth, a corruption log and a manifest.

How a set is made (people, overlap, duplicates) is in :mod:`pprl.synthetic.make`.

Files (:meth:`SyntheticDataset.write`)
--------------------------------------
``a.csv``, ``b.csv``, ... (columns ``PERSON_COLUMNS``, or a column description's), ``entities.csv``
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
from ..errors import FileFormatError, InputError

__all__ = ["SyntheticDataset", "read_dataset", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_OUR_FILE = re.compile(r"([a-z]|truth|entities|corruptions)\.csv(\.gz)?")


def _party_names(k: int) -> list[str]:
    return list(string.ascii_lowercase[:k])


@dataclass
class SyntheticDataset:
    """Parties, ground truth and corruption log of one synthetic data set.

    Attributes
    ----------
    parties : list of pandas.DataFrame
        Party A, B, ...; columns ``PERSON_COLUMNS`` (or the column description's), all
        strings.
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
        """The parties' names, in order (``a``, ``b``, ...)."""
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
