"""Candidate pairs on disk: sorted chunks written by a scan, read back in canonical order.

``candidate_pairs(..., out_dir=folder)`` writes each chunk of pairs, sorted
in the canonical order (score descending, then ``a``, then ``b``), as three
``.npy`` files (``chunk-00000-a.npy``, ``-b.npy``, ``-score.npy``) and, once
the scan has finished, ``candidates.json`` (sizes, threshold, chunk list).
:class:`CandidateChunks` opens such a folder and yields the pairs in the
global canonical order, batch by batch, by a k-way merge over memory-mapped
chunks, so no reader ever holds more than a batch per chunk.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._atomic import atomic_open, atomic_path
from ..errors import InputError
from .candidates import Candidates

__all__ = ["CandidateChunks", "ChunkWriter", "MANIFEST"]

#: name of the manifest file of a chunk folder
MANIFEST = "candidates.json"
_FORMAT = "pprl-candidate-chunks"
_COLUMNS = ("a", "b", "score")


class ChunkWriter:
    """Writes sorted chunks into ``out_dir``; the manifest last, so a folder is complete or absent.

    On :meth:`abort` (any failure of the scan) every file written is removed,
    and the folder too when this writer created it.
    """

    def __init__(self, out_dir, n_a: int, n_b: int, threshold: float, k: int | None,
                 func: str) -> None:
        self.path = Path(out_dir)
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"{func}: out_dir {str(self.path)!r} exists and is not a folder.")
        if (self.path / MANIFEST).exists() or any(self.path.glob("chunk-*.npy")):
            raise InputError(
                f"{func}: out_dir {str(self.path)!r} already holds candidate chunks; "
                "give an empty or new folder (or remove them first)."
            )
        self.created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        self.meta = {"format": _FORMAT, "version": 1, "n_a": int(n_a), "n_b": int(n_b),
                     "threshold": float(threshold), "k": k, "pairs": 0, "chunks": []}
        self.written: list[Path] = []

    def write(self, c: Candidates) -> None:
        """Save one sorted chunk."""
        name = f"chunk-{len(self.meta['chunks']):05d}"
        for col in _COLUMNS:
            target = self.path / f"{name}-{col}.npy"
            with atomic_path(target) as tmp, open(tmp, "wb") as fh:
                np.save(fh, getattr(c, col))
            self.written.append(target)
        self.meta["chunks"].append({"name": name, "pairs": len(c)})
        self.meta["pairs"] += len(c)

    def close(self) -> CandidateChunks:
        """Write the manifest and open the folder for reading."""
        target = self.path / MANIFEST
        with atomic_open(target, "w", encoding="utf-8") as fh:
            json.dump(self.meta, fh, indent=1)
        return CandidateChunks(self.path)

    def abort(self) -> None:
        """Remove every chunk written so far."""
        for p in self.written:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        if self.created:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only when empty: never anything else's files


class _ChunkReader:
    """Reads windows of a chunk's three ``.npy`` files with plain reads, not through memory maps.

    Pages of a memory map stay in the process's resident set once touched, so
    a merge over mapped chunks would grow to the whole folder's size; reads
    into fresh arrays keep it at a window per chunk.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.cols = []
        for col in _COLUMNS:
            f = path / f"{name}-{col}.npy"
            try:
                with open(f, "rb") as fh:
                    major, _ = np.lib.format.read_magic(fh)
                    read_header = (np.lib.format.read_array_header_1_0 if major == 1
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(fh)
                    offset = fh.tell()
            except (OSError, ValueError) as exc:
                raise InputError(f"{f}: cannot read this candidate chunk ({exc}).") from None
            if len(shape) != 1 or dtype.hasobject:
                raise InputError(f"{f}: not a 1-D candidate column (shape {shape}).")
            self.cols.append((f, offset, dtype))
            self.n = shape[0]

    def __len__(self) -> int:
        return self.n

    def read(self, p: int, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs ``p .. q`` as ``(a, b, score)`` arrays of their own."""
        out = []
        for name, offset, dtype in self.cols:
            with open(name, "rb") as fh:
                fh.seek(offset + p * dtype.itemsize)
                out.append(np.fromfile(fh, dtype=dtype, count=q - p))
        return out[0], out[1], out[2]

    def key(self, i: int) -> tuple[float, int, int]:
        """The canonical sort key of pair ``i``: (-score, a, b)."""
        a, b, s = self.read(i, i + 1)
        return -float(s[0]), int(a[0]), int(b[0])


class CandidateChunks:
    """Candidate pairs stored as sorted chunks in a folder (see the module notes).

    Parameters
    ----------
    path : path
        A folder written by ``candidate_pairs(..., out_dir=path)``.

    Attributes
    ----------
    n_a, n_b : int
        Rows of A and B the scan compared.
    threshold : float
        The scan's threshold.

    Examples
    --------
    >>> import tempfile, numpy as np, pprl
    >>> a = np.array([[0b11110000], [0b00001111]], dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     chunks = pprl.candidate_pairs(a, a, 0.5, out_dir=d)
    ...     len(chunks), chunks.load().a.tolist()
    (2, [0, 1])
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        manifest = self.path / MANIFEST
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{str(self.path)!r} holds no candidate chunks: {MANIFEST} is "
                             "missing (was the scan interrupted?).") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{manifest}: not a readable candidate-chunk manifest ({exc}).") \
                from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise InputError(f"{manifest}: expected a {_FORMAT!r} manifest.")
        self.meta = meta
        self.n_a, self.n_b = int(meta["n_a"]), int(meta["n_b"])
        self.threshold = float(meta["threshold"])

    def __len__(self) -> int:
        return int(self.meta["pairs"])

    def __repr__(self) -> str:
        return f"CandidateChunks({str(self.path)!r}, n={len(self)}, chunks={self.n_chunks})"

    @property
    def n_chunks(self) -> int:
        """Number of chunk files (each sorted on its own)."""
        return len(self.meta["chunks"])

    def chunk(self, i: int) -> Candidates:
        """Chunk ``i`` as Candidates over read-only memory maps (sorted within the chunk)."""
        name = self.meta["chunks"][i]["name"]
        cols = []
        for col in _COLUMNS:
            f = self.path / f"{name}-{col}.npy"
            try:
                cols.append(np.load(f, mmap_mode="r"))
            except (OSError, ValueError) as exc:
                raise InputError(f"{f}: cannot read this candidate chunk ({exc}).") from None
        return Candidates(*cols)  # no copy: the maps are int64 / float64 already

    def batches(self, size: int = 1 << 20) -> Iterator[Candidates]:
        """All pairs in the canonical order, about ``size`` at a time (k-way merge).

        Each round reads a window of every chunk, finds the least of the
        windows' last pairs (the frontier: no pair after it in any chunk can
        come before it), and yields every windowed pair up to the frontier,
        sorted.  Memory: about ``size`` pairs in all.
        """
        chunks = [_ChunkReader(self.path, c["name"]) for c in self.meta["chunks"]]
        pos = [0] * len(chunks)
        win = max(1, size // max(1, len(chunks)))
        while True:
            spans, frontier = [], None
            for i, c in enumerate(chunks):
                p = pos[i]
                if p >= len(c):
                    continue
                q = min(len(c), p + win)
                spans.append((i, p, q))
                if q < len(c):  # more of this chunk follows: its window's end bounds the rest
                    last = c.key(q - 1)
                    frontier = last if frontier is None or last < frontier else frontier
            if not spans:
                return
            parts = []
            for i, p, q in spans:
                a, b, s = chunks[i].read(p, q)
                if frontier is not None:
                    fs, fa, fb = -frontier[0], frontier[1], frontier[2]
                    upto = (s > fs) | ((s == fs) & ((a < fa) | ((a == fa) & (b <= fb))))
                    cnt = int(upto.sum())  # a prefix: the window is sorted
                    a, b, s = a[:cnt], b[:cnt], s[:cnt]
                pos[i] = p + len(a)
                parts.append((a, b, s))
            a = np.concatenate([x[0] for x in parts])
            b = np.concatenate([x[1] for x in parts])
            s = np.concatenate([x[2] for x in parts])
            order = np.lexsort((b, a, -s))
            yield Candidates(a[order], b[order], s[order])

    def load(self) -> Candidates:
        """Every pair in memory, in the canonical order."""
        parts = list(self.batches())
        if not parts:
            return Candidates.empty()
        return Candidates(*(np.concatenate([getattr(c, col) for c in parts])
                            for col in _COLUMNS))
