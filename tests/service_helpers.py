"""A real ``pprl serve`` (uvicorn) on a free localhost port, on SQLite or on Postgres.

Postgres comes from ``.ci/postgres.sh`` (``PPRL_TEST_POSTGRES``); each server
gets a fresh database.  With ``CI=true`` a missing Postgres fails the tests
instead of skipping them.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BACKENDS = ("sqlite", "postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_database() -> str:
    """A fresh, empty Postgres database's URL (skip, or fail in CI, without Postgres)."""
    base = os.environ.get("PPRL_TEST_POSTGRES")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("PPRL_TEST_POSTGRES is not set: .ci/run must start Postgres "
                        "(eval \"$(bash .ci/postgres.sh)\")")
        pytest.skip("no Postgres: run eval \"$(bash .ci/postgres.sh)\" first")
    import psycopg

    name = "pprl_test_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.rsplit("/", 1)[0] + "/" + name


class Server:
    """``pprl serve`` in a subprocess; ``url`` is its address."""

    def __init__(self, data_dir: Path, database: str | None = None, workers: int = 2,
                 env: dict | None = None, args: tuple[str, ...] = ()) -> None:
        self.data_dir, self.database, self.workers = data_dir, database, workers
        self.args = tuple(args)
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self, migrate: bool = True) -> Server:
        cmd = [sys.executable, "-m", "pprl.cli", "serve", "--data-dir", str(self.data_dir),
               "--port", str(self.port), "--workers", str(self.workers),
               "--log-level", "warning"]
        if self.database:
            cmd += ["--database", self.database]
        if migrate:
            cmd.append("--migrate")
        cmd += self.args
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "ab"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/v1/status", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no clean-up at all."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def make_server(kind: str, tmp: Path, **kw) -> Server:
    database = postgres_database() if kind == "postgres" else None
    return Server(tmp / "data", database, **kw)
