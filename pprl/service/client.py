"""A Python client of the linkage service (and of any entity-service v1 server).

:class:`Client` speaks the REST API of ``pprl serve``: create a project,
upload a party's CLKs (JSON streamed from a clkhash CLK file, or raw bytes
from a ``.npy`` file or an array through the binary endpoint), create runs,
follow them and read their results.  Tokens travel in the
``Authorization`` header and never appear in an exception's message.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import InputError, PPRLError

__all__ = ["Client", "ServiceError"]

_CHUNK = 1 << 20


class ServiceError(PPRLError):
    """The server refused a call; ``status`` is the HTTP status, ``detail`` its explanation."""

    def __init__(self, what: str, status: int, detail: str) -> None:
        super().__init__(f"{what}: the server answered {status}: {detail}")
        self.status, self.detail = status, detail


def _json_clks(path: Path) -> Iterator[bytes]:
    """A clkhash CLK file re-emitted as ``{"clks": [...]}`` while it is read.

    Only the CLKs leave: record IDs (``"ids"``) and other keys stay with
    the custodian.  The file is parsed as a stream (ijson), never held whole.
    """
    import ijson

    with open(path, "rb") as fh:
        yield b'{"clks":['
        first = True
        buf: list[str] = []
        for prefix, event, value in ijson.parse(fh):
            if prefix == "clks.item":
                if event != "string":
                    raise InputError(f"{path}: clks[{len(buf)}]: expected a base64 string")
                buf.append(("" if first else ",") + json.dumps(value))
                first = False
                if len(buf) >= 8192:
                    yield "".join(buf).encode("ascii")
                    buf = []
        if buf:
            yield "".join(buf).encode("ascii")
        yield b"]}"


def _binary(clks: np.ndarray) -> Iterator[bytes]:
    rows = max(1, _CHUNK // max(clks.shape[1], 1))
    for lo in range(0, clks.shape[0], rows):
        yield np.ascontiguousarray(clks[lo:lo + rows]).tobytes()


class Client:
    """The REST API of a linkage service at ``server`` (``http://host:port``).

    Parameters
    ----------
    server : str
        The server's address, without ``/api/v1``.
    timeout : float, default=600
        Seconds to wait for any one answer (uploads of millions of CLKs
        stream, so this bounds silence, not the upload's length).

    Examples
    --------
    >>> Client("http://127.0.0.1:8851/").server
    'http://127.0.0.1:8851'
    """

    def __init__(self, server: str, *, timeout: float = 600.0) -> None:
        self.server = server.rstrip("/")
        self.timeout = timeout

    # -- plumbing --------------------------------------------------------
    def _call(self, what: str, method: str, path: str, token: str | None = None,
              expect: tuple[int, ...] = (200,), **kw):
        import httpx

        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = token
        try:
            resp = httpx.request(method, f"{self.server}/api/v1{path}", headers=headers,
                                 timeout=self.timeout, **kw)
        except httpx.HTTPError as exc:
            raise PPRLError(f"{what}: cannot reach {self.server} ({type(exc).__name__})") \
                from None
        if resp.status_code not in expect:
            try:
                detail = resp.json().get("detail") or resp.text
            except ValueError:
                detail = resp.text[:300]
            raise ServiceError(what, resp.status_code, " ".join(str(detail).split()))
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # -- the server --------------------------------------------------------
    def status(self) -> dict:
        """``GET /status``: ``{"status": "ok", "project_count": n, ...}``."""
        return self._call("status", "GET", "/status")

    def version(self) -> dict:
        """``GET /version``."""
        return self._call("version", "GET", "/version")

    # -- projects ---------------------------------------------------------
    def create_project(self, schema: dict, result_type: str, number_parties: int = 2, *,
                       name: str = "", notes: str = "", uses_blocking: bool = False) -> dict:
        """Create a project; returns ``project_id``, ``update_tokens`` and ``result_token``."""
        body = {"schema": schema, "result_type": result_type, "number_parties": number_parties,
                "name": name, "notes": notes, "uses_blocking": uses_blocking}
        return self._call("create project", "POST", "/projects", json=body, expect=(201,))

    def projects(self) -> list[dict]:
        """Every project on the server (``project_id``, ``time_added``)."""
        return self._call("list projects", "GET", "/projects")

    def project(self, project_id: str, token: str) -> dict:
        """The project's description (any of its tokens)."""
        return self._call("describe project", "GET", f"/projects/{project_id}", token)

    def delete_project(self, project_id: str, token: str) -> None:
        """Delete the project and every file of it (the result token)."""
        self._call("delete project", "DELETE", f"/projects/{project_id}", token, expect=(204,))

    def upload(self, project_id: str, token: str,
               clks: str | os.PathLike[str] | np.ndarray) -> dict:
        """Upload one party's CLKs with its upload token; returns the receipt.

        ``clks`` is a clkhash CLK file (``.json``, streamed to ``/clks``
        without its record IDs), a ``.npy`` file or a uint8 array of shape
        ``(n, bytes)`` (streamed to ``/binaryclks``).
        """
        what = "upload"
        if isinstance(clks, np.ndarray):
            arr = clks
        else:
            path = Path(clks)
            if not path.is_file():
                raise InputError(f"{path}: file not found")
            if path.suffix.lower() != ".npy":
                return self._call(what, "POST", f"/projects/{project_id}/clks", token,
                                  expect=(201,), content=_json_clks(path),
                                  headers={"Content-Type": "application/json"})
            arr = np.load(path, mmap_mode="r")
        if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] == 0:
            raise InputError(f"{what}: expected a uint8 array of shape (n, bytes); got "
                             f"{arr.dtype} {arr.shape}")
        headers = {"Content-Type": "application/octet-stream",
                   "Hash-Count": str(arr.shape[0]), "Hash-Size": str(arr.shape[1])}
        return self._call(what, "POST", f"/projects/{project_id}/binaryclks", token,
                          expect=(201,), content=_binary(arr), headers=headers)

    # -- runs -------------------------------------------------------------
    def create_run(self, project_id: str, token: str, threshold: float, *, name: str = "",
                   notes: str = "", **extensions) -> dict:
        """Create a run (the result token); ``extensions``: blocking, solver, k, seed, target_pc."""
        body = {"threshold": threshold, "name": name, "notes": notes, **extensions}
        return self._call("create run", "POST", f"/projects/{project_id}/runs", token,
                          json=body, expect=(201,))

    def runs(self, project_id: str, token: str) -> list[dict]:
        """The project's runs (``run_id``, ``time_added``, ``state``)."""
        return self._call("list runs", "GET", f"/projects/{project_id}/runs", token)

    def run(self, project_id: str, run_id: str, token: str) -> dict:
        """The run's parameters."""
        return self._call("describe run", "GET", f"/projects/{project_id}/runs/{run_id}", token)

    def delete_run(self, project_id: str, run_id: str, token: str) -> None:
        """Delete the run and its result."""
        self._call("delete run", "DELETE", f"/projects/{project_id}/runs/{run_id}", token,
                   expect=(204,))

    def run_status(self, project_id: str, run_id: str, token: str) -> dict:
        """The run's state, stage and progress."""
        return self._call("run status", "GET",
                          f"/projects/{project_id}/runs/{run_id}/status", token)

    def wait(self, project_id: str, run_id: str, token: str, *, timeout: float | None = None,
             poll: float = 0.5, progress: bool = False) -> dict:
        """Poll the run until it completes or fails; returns the last status.

        With ``progress``, a tqdm bar follows the current stage.

        Raises
        ------
        TimeoutError
            ``timeout`` seconds passed first.
        """
        start = time.monotonic()
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=1.0, unit="", bar_format="{desc} {percentage:3.0f}%|{bar}| "
                                                      "{elapsed}")
        try:
            while True:
                st = self.run_status(project_id, run_id, token)
                if bar is not None:
                    stage = st["current_stage"]
                    rel = (stage.get("progress") or {}).get("relative", 0.0)
                    bar.set_description_str(f"stage {stage['number']}/{st['stages']} "
                                            f"{stage.get('description', '')}")
                    bar.n = float(rel)
                    bar.refresh()
                if st["state"] in ("completed", "error"):
                    return st
                if timeout is not None and time.monotonic() - start > timeout:
                    raise TimeoutError(f"run {run_id} did not finish within {timeout} s")
                time.sleep(poll)
        finally:
            if bar is not None:
                bar.close()

    def result(self, project_id: str, run_id: str, token: str) -> dict:
        """The result of a completed run (its shape depends on the result type and token)."""
        return self._call("run result", "GET",
                          f"/projects/{project_id}/runs/{run_id}/result", token)
