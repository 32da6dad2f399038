"""Small ready-made synthetic data sets shipped with pprl, with provenance.

The sets live in the package (``pprl/data/datasets/<name>/``) so they are
there after ``pip install`` as well as in a source checkout. Each folder is a
data set written by :meth:`pprl.synthetic.SyntheticDataset.write` (gzip CSV),
plus a data card (``README.md``) and, where available, the linkage schema for
its columns (``schema.json``). ``manifest.json`` carries the seed, the
corruption configuration, the generator versions and a SHA-256 checksum of
every file, which :func:`load` verifies. ``datasets/make_datasets.py`` in the
source tree rebuilds them all.

Examples
--------
>>> from pprl.synthetic import datasets
>>> "au-1k" in datasets.list_datasets()
True
>>> ds = datasets.load("au-1k")
>>> a, b = ds.parties
>>> len(a), len(b), list(ds.truth.columns[:2])
(1000, 1000, ['a', 'b'])
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from ..errors import FileFormatError, InputError
from .dataset import SyntheticDataset, read_dataset

__all__ = ["list_datasets", "load", "card", "dataset_path"]


def _root() -> Path:
    return Path(str(resources.files("pprl").joinpath("data", "datasets")))


def list_datasets() -> list[str]:
    """Names of the shipped data sets, sorted."""
    root = _root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file())


def dataset_path(name: str) -> Path:
    """The folder holding data set ``name``.

    Raises
    ------
    InputError
        If there is no data set of that name.
    """
    names = list_datasets()
    if name not in names:
        raise InputError(f"unknown data set {name!r}; available: {', '.join(names) or 'none'}")
    return _root() / name


def card(name: str) -> str:
    """The data card (Markdown) of data set ``name``: source, seed, licence, date."""
    return (dataset_path(name) / "README.md").read_text(encoding="utf-8")


def load(name: str, *, verify: bool = True) -> SyntheticDataset:
    """Load a shipped data set.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    verify : bool, default=True
        Check every file against the SHA-256 recorded in its manifest.

    Returns
    -------
    SyntheticDataset
        ``.parties`` (DataFrames A, B, ...), ``.truth``, ``.corruptions``,
        ``.entities``, ``.manifest``.

    Raises
    ------
    InputError
        If ``name`` is unknown.
    FileFormatError
        If a file is missing, malformed or fails its checksum.
    """
    folder = dataset_path(name)
    ds = read_dataset(folder)
    if verify:
        for fname, meta in ds.manifest.get("files", {}).items():
            path = folder / fname
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except FileNotFoundError:
                raise FileFormatError(str(path), "file listed in manifest.json is missing") \
                    from None
            if digest != meta.get("sha256"):
                raise FileFormatError(str(path), "checksum does not match manifest.json")
    return ds
