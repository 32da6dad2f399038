"""``/projects/{project_id}/runs``: create, list, describe, delete, follow and read runs."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select

from . import results
from .auth import authorize
from .compute import stages
from .db import Party, Run, utcnow
from .models import NewRun, RunDescription, RunListItem, RunStatus
from .problems import conflict, forbidden, not_found
from .projects import AUTH, _errors, _iso, _svc
from .tokens import new_id
from .worker import queue_ready_runs

__all__ = ["router"]

router = APIRouter()

_STAGE_NAMES = {1: "waiting for CLKs", 2: "compute similarity scores", 3: "compute output"}
_RESULT_DOC = {200: {"description": "The result; its shape depends on the project's "
                                    "result_type and on the token", "content": {
    "application/json": {"schema": {"type": "object", "properties": {
        "similarity_scores": {"type": "array", "items": {"type": "array"}},
        "groups": {"type": "array", "items": {"type": "array"}},
        "permutation": {"type": "array", "items": {"type": "integer"}},
        "rows": {"type": "integer"},
        "mask": {"type": "array", "items": {"type": "integer"}}}}}}}}


def _describe(run: Run) -> dict:
    p = run.params or {}
    return {"run_id": run.id, "threshold": run.threshold, "name": run.name, "notes": run.notes,
            "blocking": p.get("blocking", "none"), "target_pc": p.get("target_pc", 0.99),
            "solver": p.get("solver", "greedy"), "k": p.get("k"), "seed": p.get("seed")}


def _run(s, project_id: str, run_id: str) -> Run:
    run = s.get(Run, run_id)
    if run is None or run.project_id != project_id:
        raise not_found(f"no run {run_id!r} in project {project_id!r}")
    return run


@router.post("/projects/{project_id}/runs", status_code=201, response_model=RunDescription,
             tags=["Run"], summary="Create a run", responses=_errors(400, 403, 404, 409))
def create_run(project_id: str, body: NewRun, request: Request,
               authorization: str | None = AUTH):
    """Queue a linkage run (the result token).

    The run starts as soon as every party has uploaded: at once if they
    have, else when the last upload arrives.
    """
    svc = _svc(request)
    with svc.sessions() as s, s.begin():
        project, _, _ = authorize(s, project_id, authorization, {"result"}, deleted_ok=True)
        if project.deleted:
            raise conflict(f"project {project_id!r} was deleted; it takes no new runs")
        params = {"blocking": body.blocking, "target_pc": body.target_pc,
                  "solver": body.solver, "k": body.k, "seed": body.seed}
        run = Run(id=new_id(), project_id=project_id, name=body.name, notes=body.notes,
                  threshold=body.threshold, params=params, state="created", stage=1,
                  progress_absolute=0, progress_relative=0.0, progress_description="",
                  attempts=0, time_added=utcnow())
        s.add(run)
        s.flush()
        queued = queue_ready_runs(s, project_id)
    if queued:
        svc.wake()
    return _describe(run)


@router.get("/projects/{project_id}/runs", response_model=list[RunListItem], tags=["Run"],
            summary="List runs", responses=_errors(403, 404))
def list_runs(project_id: str, request: Request, authorization: str | None = AUTH):
    """The project's runs with their states (the result token)."""
    with _svc(request).sessions() as s:
        authorize(s, project_id, authorization, {"result"})
        rows = s.scalars(select(Run).where(Run.project_id == project_id)
                         .order_by(Run.time_added)).all()
    return [{"run_id": r.id, "time_added": _iso(r.time_added), "state": r.state} for r in rows]


@router.get("/projects/{project_id}/runs/{run_id}", response_model=RunDescription,
            tags=["Run"], summary="Description of a run", responses=_errors(403, 404))
def get_run(project_id: str, run_id: str, request: Request, authorization: str | None = AUTH):
    """The parameters the run was created with (the result token)."""
    with _svc(request).sessions() as s:
        authorize(s, project_id, authorization, {"result"})
        return _describe(_run(s, project_id, run_id))


@router.delete("/projects/{project_id}/runs/{run_id}", status_code=204, response_class=Response,
               tags=["Run"], summary="Delete a run", responses=_errors(403, 404))
def delete_run(project_id: str, run_id: str, request: Request,
               authorization: str | None = AUTH):
    """Remove the run and its result (the result token); a computing run is abandoned."""
    svc = _svc(request)
    with svc.sessions() as s, s.begin():
        authorize(s, project_id, authorization, {"result"})
        s.delete(_run(s, project_id, run_id))
    svc.store.delete_run(project_id, run_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/runs/{run_id}/status", response_model=RunStatus,
            response_model_exclude_none=True, tags=["Run"], summary="Run status",
            responses=_errors(403, 404))
def run_status(project_id: str, run_id: str, request: Request,
               authorization: str | None = AUTH):
    """State, stage and progress of a run (any token of the project)."""
    with _svc(request).sessions() as s:
        project, role, _ = authorize(s, project_id, authorization,
                                     {"result", "upload", "receipt"})
        run = _run(s, project_id, run_id)
        done = s.scalar(select(func.count()).select_from(Party).where(
            Party.project_id == project_id, Party.state == "ready"))
    if run.state == "created":
        progress = {"absolute": done, "relative": done / project.number_parties,
                    "description": "number of parties already contributed"}
    else:
        progress = {"absolute": run.progress_absolute, "relative": run.progress_relative,
                    "description": run.progress_description or _STAGE_NAMES[run.stage]}
    out = {"state": run.state, "stages": stages(project.result_type),
           "current_stage": {"number": run.stage, "description": _STAGE_NAMES[run.stage],
                             "progress": progress},
           "time_added": _iso(run.time_added), "time_started": _iso(run.time_started),
           "time_completed": _iso(run.time_completed),
           # the estimate describes the links, which only the result token may read
           "quality": run.quality if role == "result" else None}
    if run.state == "error":
        out["message"] = run.message or "the run failed"
    return out


@router.get("/projects/{project_id}/runs/{run_id}/result", tags=["Run"], summary="Run result",
            responses={**_RESULT_DOC, **_errors(403, 404)})
async def run_result(project_id: str, run_id: str, request: Request,
                     authorization: str | None = AUTH):
    """The result of a completed run, in the project's result type.

    ``similarity_scores`` and ``groups`` need the result token.  For
    ``permutations`` a party's upload or receipt token reads that party's
    permutation and the result token reads the mask.  404 while the run
    has not completed.
    """
    svc = _svc(request)

    def lookup():
        with svc.sessions() as s:
            project, role, party = authorize(s, project_id, authorization,
                                             {"result", "upload", "receipt"})
            run = _run(s, project_id, run_id)
        if project.result_type != "permutations" and role != "result":
            raise forbidden(f"the result of a {project.result_type!r} project is read with "
                            "the result token only")
        if run.state == "error":
            raise not_found(f"run {run_id!r} failed: {run.message}")
        if run.state != "completed":
            raise not_found(f"run {run_id!r} is not complete (state {run.state!r})")
        return project, role, party, svc.store.read_result(project_id, run_id)

    project, role, party, arrays = await run_in_threadpool(lookup)
    if project.result_type == "similarity_scores":
        body = results.similarity_scores(arrays)
    elif project.result_type == "groups":
        body = results.groups(arrays)
    elif role == "result":
        body = iter([results.mask(arrays)])
    else:
        body = iter([results.permutation(arrays, party)])
    return StreamingResponse(body, media_type="application/json")
