"""The service's files: uploaded CLKs and run results, in a folder that may be any fsspec URL.

Layout under the data folder::

    projects/<project>/party-<i>.clk          raw CLK bytes, count x width (as /binaryclks)
    projects/<project>/party-<i>.blocks.json  block ids per row (uploads with blocking information)
    projects/<project>/runs/<run>.npz         a run's result arrays
    tmp/                                      uploads being received (local folder)

A file appears under its final name only when it is complete: it is written
under a temporary name and moved (a rename on a local disk; on an object
store the move happens after the object is fully written).  Uploads are
first spooled to a local temporary folder, so a remote store (``s3://…``
through s3fs) receives only complete files.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["Store"]


class Store:
    """Files of the service under ``url`` (a local path or an fsspec URL)."""

    def __init__(self, url: str | os.PathLike[str]) -> None:
        import fsspec.core

        self.url = str(url)
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.local = getattr(self.fs, "protocol", None) in ("file", ("file", "local"))
        if isinstance(self.fs.protocol, tuple):
            self.local = "file" in self.fs.protocol
        self.root = root.rstrip("/")
        self.fs.makedirs(self._p("projects"), exist_ok=True)
        if self.local:
            self.tmp = Path(self.root) / "tmp"
        else:  # pragma: no cover - needs an object store
            self.tmp = Path(tempfile.gettempdir()) / "pprl-service-tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def _p(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def clean_tmp(self) -> None:
        """Remove partial uploads left by a server that stopped mid-upload."""
        for p in self.tmp.iterdir():
            with contextlib.suppress(OSError):
                p.unlink()

    def new_tmp(self, suffix: str = "") -> Path:
        """A fresh empty local temporary file (the caller removes or places it)."""
        fd, name = tempfile.mkstemp(dir=self.tmp, suffix=suffix)
        os.close(fd)
        return Path(name)

    def clks_path(self, project: str, party: int) -> str:
        """Where party ``party``'s CLKs of ``project`` lie."""
        return self._p("projects", project, f"party-{party}.clk")

    def _place(self, local: Path, target: str) -> None:
        if self.local:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            with open(local, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(local, target)
        else:  # pragma: no cover - needs an object store
            self.fs.put_file(str(local), target + ".part")
            self.fs.mv(target + ".part", target)
            local.unlink()

    def put_clks(self, project: str, party: int, local: Path) -> None:
        """Move a complete local CLK file into place."""
        self._place(local, self.clks_path(project, party))

    def put_blocks(self, project: str, party: int, blocks: list[list[str]]) -> None:
        """Store the block ids of each row of a party's upload."""
        tmp = self.new_tmp(".json")
        tmp.write_text(json.dumps(blocks), encoding="utf-8")
        self._place(tmp, self._p("projects", project, f"party-{party}.blocks.json"))

    def read_blocks(self, project: str, party: int) -> list[list[str]]:
        """The block ids of each row of a party's upload."""
        path = self._p("projects", project, f"party-{party}.blocks.json")
        with self.fs.open(path, "rb") as fh:
            return json.loads(fh.read().decode("utf-8"))

    def read_clks(self, project: str, party: int, count: int, width: int) -> np.ndarray:
        """A party's CLKs as a ``(count, width)`` uint8 array."""
        path = self.clks_path(project, party)
        if self.local:
            data = np.fromfile(path, dtype=np.uint8)
        else:  # pragma: no cover - needs an object store
            with self.fs.open(path, "rb") as fh:
                data = np.frombuffer(fh.read(), dtype=np.uint8)
        if data.size != count * width:
            raise OSError(f"{path}: {data.size} bytes on disk but the upload had "
                          f"{count} x {width}")
        return data.reshape(count, width)

    def delete_upload(self, project: str, party: int) -> None:
        """Remove a party's CLKs and block ids (an upload whose row was not committed)."""
        for path in (self.clks_path(project, party),
                     self._p("projects", project, f"party-{party}.blocks.json")):
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(path)

    def _result(self, project: str, run: str) -> str:
        return self._p("projects", project, "runs", f"{run}.npz")

    def write_result(self, project: str, run: str, arrays: dict[str, np.ndarray]) -> None:
        """Store a run's result arrays (complete or not at all)."""
        tmp = self.new_tmp(".npz")
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        self._place(tmp, self._result(project, run))

    def read_result(self, project: str, run: str) -> dict[str, np.ndarray]:
        """A run's result arrays."""
        with self.fs.open(self._result(project, run), "rb") as fh:
            data = io.BytesIO(fh.read())
        with np.load(data, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}

    def delete_run(self, project: str, run: str) -> None:
        """Remove a run's result, if any."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self._result(project, run))

    def delete_project(self, project: str) -> None:
        """Remove every file of a project."""
        path = self._p("projects", project)
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)
