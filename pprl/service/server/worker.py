"""Runs as database rows, executed by a pool of worker threads inside the server.

A run is ``created`` until every party has uploaded, then ``queued``.  A
worker claims a queued run with one conditional ``UPDATE`` (so two workers,
or two servers on one Postgres, never take the same run), computes it
(:mod:`.compute`, on the Dask cluster when the server has one), writes the
result file and only then marks the run ``completed``.  Progress is written
to the run's row while it computes (at most a few times a second).

When the server starts, runs left ``running`` by a server that died (a
SIGKILL, a power cut) are queued again and computed from the uploads, which
were committed before the runs could start; a run that has been started
:data:`MAX_ATTEMPTS` times is marked ``error`` with a message instead.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback

from sqlalchemy import select, update

from .compute import compute, stages
from .db import Party, Project, Run, utcnow
from .storage import Store

__all__ = ["WorkerPool", "MAX_ATTEMPTS", "queue_ready_runs", "recover"]

log = logging.getLogger("pprl.service")

#: a run started this many times without finishing is marked ``error``
MAX_ATTEMPTS = 3
_PROGRESS_EVERY_S = 0.25


def recover(sessions) -> int:
    """Queue again the runs a stopped server left ``running``; returns how many."""
    with sessions() as s, s.begin():
        stuck = s.scalars(select(Run).where(Run.state == "running")).all()
        for run in stuck:
            if run.attempts >= MAX_ATTEMPTS:
                run.state, run.time_completed = "error", utcnow()
                run.message = (f"the server stopped during this run {run.attempts} times; "
                               "giving up (see the server's log)")
            else:
                run.state, run.stage = "queued", 2
                run.progress_absolute, run.progress_relative = 0, 0.0
                run.progress_description = "restarted after the server stopped"
        # uploads that were being received when the server stopped are void
        s.execute(update(Party).where(Party.state == "uploading").values(state="empty"))
        return len(stuck)


def queue_ready_runs(s, project_id: str) -> int:
    """Queue the project's ``created`` runs when every party has uploaded (in session ``s``)."""
    project = s.get(Project, project_id)
    ready = s.scalars(select(Party).where(Party.project_id == project_id,
                                          Party.state == "ready")).all()
    if project is None or len(ready) < project.number_parties:
        return 0
    res = s.execute(update(Run).where(Run.project_id == project_id, Run.state == "created")
                    .values(state="queued", stage=2, progress_description="queued"))
    return res.rowcount


class WorkerPool:
    """``n`` threads that take queued runs from the database and compute them."""

    def __init__(self, sessions, store: Store, n: int = 2, client=None) -> None:
        self.sessions, self.store, self.client = sessions, store, client
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, name=f"pprl-run-{i}", daemon=True)
                        for i in range(max(1, n))]

    def start(self) -> None:
        """Start the threads."""
        for t in self.threads:
            t.start()

    def close(self, timeout: float = 5.0) -> None:
        """Ask the threads to stop after their current run; wait up to ``timeout`` s."""
        self.stop.set()
        self.wake.set()
        for t in self.threads:
            t.join(timeout)

    def _claim(self) -> str | None:
        with self.sessions() as s, s.begin():
            ids = s.scalars(select(Run.id).where(Run.state == "queued")
                            .order_by(Run.time_added).limit(8)).all()
            for rid in ids:
                res = s.execute(update(Run).where(Run.id == rid, Run.state == "queued").values(
                    state="running", time_started=utcnow(), attempts=Run.attempts + 1,
                    stage=2, progress_description="starting"))
                if res.rowcount == 1:
                    return rid
        return None

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                rid = self._claim()
            except Exception:  # pragma: no cover - database unreachable: retry later
                log.exception("could not poll for queued runs")
                rid = None
            if rid is None:
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            self.execute(rid)

    def _progress(self, rid: str):
        last = [0.0]

        def report(absolute: int, relative: float, description: str, stage: int = 2) -> None:
            now = time.monotonic()
            if now - last[0] < _PROGRESS_EVERY_S and relative < 1.0:
                return
            last[0] = now
            with self.sessions() as s, s.begin():
                s.execute(update(Run).where(Run.id == rid, Run.state == "running").values(
                    stage=stage, progress_absolute=int(absolute),
                    progress_relative=float(min(max(relative, 0.0), 1.0)),
                    progress_description=description))
        return report

    def execute(self, rid: str) -> None:
        """Compute run ``rid`` (already claimed) and record its result or its error."""
        with self.sessions() as s:
            run = s.get(Run, rid)
            if run is None:  # deleted meanwhile
                return
            project = s.get(Project, run.project_id)
            parties = s.scalars(select(Party).where(Party.project_id == project.id)
                                .order_by(Party.index)).all()
        report = self._progress(rid)
        try:
            clks = [self.store.read_clks(project.id, p.index, p.count, p.width)
                    for p in parties]
            blocks = None
            if project.uses_blocking:
                blocks = [self.store.read_blocks(project.id, p.index) for p in parties]
            arrays, quality = compute(project.result_type, clks, run.threshold,
                                      dict(run.params or {}), report, client=self.client,
                                      blocks=blocks)
            if project.result_type != "similarity_scores":
                report(0, 1.0, "solving", stage=3)
            self.store.write_result(project.id, rid, arrays)
        except Exception as exc:
            log.error("run %s failed: %s", rid, traceback.format_exc(limit=5))
            self._finish(rid, "error", f"{type(exc).__name__}: {exc}")
            return
        if not self._finish(rid, "completed", None, quality, stages(project.result_type)):
            self.store.delete_run(project.id, rid)  # the run was deleted while it computed

    def _finish(self, rid: str, state: str, message: str | None, quality=None,
                stage: int | None = None) -> bool:
        values = dict(state=state, message=message, time_completed=utcnow(), quality=quality)
        if stage is not None:
            values.update(stage=stage, progress_relative=1.0)
        with self.sessions() as s, s.begin():
            # a run deleted while it computed stays deleted
            res = s.execute(update(Run).where(Run.id == rid, Run.state == "running")
                            .values(**values))
            return res.rowcount == 1
