"""``/projects``: create, list, describe and delete projects, and receive the uploads."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import func, select, update

from .auth import authorize
from .db import Party, Project, Run, utcnow
from .models import (
    NewProject,
    NewProjectResponse,
    ProjectDescription,
    ProjectListItem,
    UploadReceipt,
)
from .problems import Problem, bad_request, conflict
from .tokens import new_id, new_token, token_hash
from .uploads import Upload, UploadError, check_binary_upload, read_json_upload
from .worker import queue_ready_runs

__all__ = ["router", "schema_width", "ERRORS"]

router = APIRouter()

ERRORS = {s: {"description": d, "content": {"application/problem+json": {}}} for s, d in (
    (400, "Bad input"), (403, "The token does not permit this call"),
    (404, "Unknown project or run"), (409, "Conflict with the resource's state"))}


def _errors(*codes: int) -> dict:
    return {c: ERRORS[c] for c in codes}


AUTH = Header(None, alias="Authorization",
              description="A token of the project: its result token, a party's upload "
                          "(update) token or a receipt token")


def _svc(request: Request):
    return request.app.state.service


def schema_width(schema: dict) -> int | None:
    """CLK width in bytes that a clkhash linkage schema sets (``clkConfig.l / 8``), if any.

    Examples
    --------
    >>> schema_width({"version": 3, "clkConfig": {"l": 1024}})
    128
    >>> schema_width({"version": 3}) is None
    True
    """
    cfg = schema.get("clkConfig") if isinstance(schema, dict) else None
    size = cfg.get("l") if isinstance(cfg, dict) else None
    if isinstance(size, int) and not isinstance(size, bool) and size > 0 and size % 8 == 0:
        return size // 8
    return None


@router.get("/projects", response_model=list[ProjectListItem], tags=["Project"],
            summary="List of record linkage projects")
def list_projects(request: Request):
    """Every project on this server (identifier and time created)."""
    with _svc(request).sessions() as s:
        rows = s.execute(select(Project.id, Project.time_added)
                         .where(Project.deleted.is_(False)).order_by(Project.time_added)).all()
    return [{"project_id": r.id, "time_added": _iso(r.time_added)} for r in rows]


@router.post("/projects", status_code=201, response_model=NewProjectResponse, tags=["Project"],
             summary="Create a linkage project", responses=_errors(400))
def create_project(body: NewProject, request: Request):
    """Create a project; the answer holds one upload token per party and the result token.

    The tokens are shown only here: the server keeps their hashes.
    """
    if body.number_parties > 2 and body.result_type != "groups":
        raise bad_request(f"result_type {body.result_type!r} links 2 parties; "
                          f"{body.number_parties} parties need 'groups'")
    if body.uses_blocking and body.result_type == "groups":
        raise bad_request("uses_blocking: uploaded block ids are used by 'similarity_scores' "
                          "and 'permutations' runs; 'groups' runs block with LSH instead "
                          "(a run's 'blocking': 'lsh')")
    pid, result = new_id(), new_token()
    uploads = [new_token() for _ in range(body.number_parties)]
    with _svc(request).sessions() as s, s.begin():
        s.add(Project(id=pid, name=body.name, notes=body.notes, schema=body.linkage_schema,
                      result_type=body.result_type, number_parties=body.number_parties,
                      uses_blocking=body.uses_blocking, result_token_hash=token_hash(result),
                      time_added=utcnow(), deleted=False))
        s.flush()
        for i, tok in enumerate(uploads):
            s.add(Party(project_id=pid, index=i, update_token_hash=token_hash(tok),
                        state="empty", has_blocks=False))
    return {"project_id": pid, "update_tokens": uploads, "result_token": result}


@router.get("/projects/{project_id}", response_model=ProjectDescription, tags=["Project"],
            summary="Description of a linkage project", responses=_errors(403, 404))
def get_project(project_id: str, request: Request, authorization: str | None = AUTH):
    """The project's settings and how many parties have uploaded (any token of the project)."""
    with _svc(request).sessions() as s:
        p, _, _ = authorize(s, project_id, authorization, {"result", "upload", "receipt"})
        done = s.scalar(select(func.count()).select_from(Party).where(
            Party.project_id == project_id, Party.state == "ready"))
    return {"project_id": p.id, "schema": p.schema, "result_type": p.result_type,
            "number_parties": p.number_parties, "name": p.name, "notes": p.notes,
            "uses_blocking": p.uses_blocking, "parties_contributed": done, "error": False}


@router.delete("/projects/{project_id}", status_code=204, response_class=Response,
               tags=["Project"], summary="Delete a linkage project", responses=_errors(403, 404))
def delete_project(project_id: str, request: Request, authorization: str | None = AUTH):
    """Remove the project's uploads, runs and results (the result token)."""
    svc = _svc(request)
    with svc.sessions() as s, s.begin():
        p, _, _ = authorize(s, project_id, authorization, {"result"})
        p.deleted = True
        s.execute(update(Party).where(Party.project_id == project_id).values(
            state="deleted", count=None, width=None))
        for run in s.scalars(select(Run).where(Run.project_id == project_id)):
            s.delete(run)
    svc.store.delete_project(project_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/authorize-external-upload", tags=["Project"],
            summary="Object-store credentials (not configured)", status_code=201,
            responses={**_errors(403, 404), 501: {
                "description": "No object store is configured: upload to /clks or /binaryclks",
                "content": {"application/problem+json": {}}}})
def authorize_external_upload(project_id: str, request: Request,
                              authorization: str | None = AUTH):
    """Always 501 on this server: it has no object store to hand out credentials for.

    anonlink-client's ``upload`` then sends the CLKs to ``/clks`` itself.
    """
    with _svc(request).sessions() as s:
        authorize(s, project_id, authorization, {"upload"})
    raise Problem(501, "this server has no object store configured; upload the CLKs to "
                       f"/projects/{project_id}/clks or /binaryclks instead")


_JSON_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object",
    "description": "One of {clks: [base64, ...]}, {clknblocks: [[base64, block, ...], ...]} "
                   "or {encodings: [base64, ...], blocks: {row: [block, ...]}}",
    "properties": {
        "clks": {"type": "array", "items": {"type": "string", "format": "byte"}},
        "clknblocks": {"type": "array", "items": {"type": "array", "items": {
            "anyOf": [{"type": "string"}, {"type": "integer"}]}}},
        "encodings": {"type": "array", "items": {"type": "string", "format": "byte"}},
        "blocks": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}},
    }}}}}}

_BINARY_BODY = {"requestBody": {"required": True, "content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary",
               "description": "Hash-Count CLKs of Hash-Size bytes each, one after another"}}}}}


async def _receive(request: Request, store) -> Path:
    tmp = store.new_tmp(".body")
    try:
        with open(tmp, "wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _claim(svc, project_id: str, authorization: str | None):
    """Authorize an upload and take the party's upload slot (409 when taken)."""
    with svc.sessions() as s, s.begin():
        p, _, idx = authorize(s, project_id, authorization, {"upload"}, deleted_ok=True)
        if p.deleted:
            raise conflict(f"project {project_id!r} was deleted")
        res = s.execute(update(Party).where(Party.project_id == project_id,
                                            Party.index == idx, Party.state == "empty")
                        .values(state="uploading"))
        if res.rowcount != 1:
            state = s.scalar(select(Party.state).where(Party.project_id == project_id,
                                                       Party.index == idx))
            raise conflict(f"party {idx} has already uploaded its CLKs" if state == "ready"
                           else f"an upload of party {idx} is in progress")
        others = s.execute(select(Party.index, Party.width).where(
            Party.project_id == project_id, Party.state == "ready")).all()
    width, source = schema_width(p.schema), "the project's schema (clkConfig.l)"
    if width is None and others:
        width, source = others[0].width, f"party {others[0].index}'s upload"
    return p, idx, width, source


def _release(svc, project_id: str, idx: int) -> None:
    with svc.sessions() as s, s.begin():
        s.execute(update(Party).where(Party.project_id == project_id, Party.index == idx,
                                      Party.state == "uploading").values(state="empty"))


def _commit(svc, project_id: str, idx: int, up: Upload, data: Path) -> str:
    """Place the file, then commit the party's row; queue runs when all have uploaded."""
    receipt = new_token()
    svc.store.put_clks(project_id, idx, data)
    if up.blocks is not None:
        svc.store.put_blocks(project_id, idx, up.blocks)
    try:
        _commit_row(svc, project_id, idx, up, receipt)
    except BaseException:
        svc.store.delete_upload(project_id, idx)
        raise
    return receipt


def _commit_row(svc, project_id: str, idx: int, up: Upload, receipt: str) -> None:
    with svc.sessions() as s, s.begin():
        project = s.get(Project, project_id)
        if project.deleted:
            raise conflict(f"project {project_id!r} was deleted during the upload")
        for other in s.scalars(select(Party).where(Party.project_id == project_id,
                                                   Party.state == "ready")):
            if other.width != up.width:
                raise bad_request(f"the CLKs have {up.width * 8} bits but party "
                                  f"{other.index}'s upload has {other.width * 8}")
        s.execute(update(Party).where(Party.project_id == project_id, Party.index == idx)
                  .values(state="ready", count=up.count, width=up.width,
                          receipt_token_hash=token_hash(receipt),
                          has_blocks=up.blocks is not None, time_uploaded=utcnow()))
        queued = queue_ready_runs(s, project_id)
    if queued:
        svc.wake()


async def _upload(request: Request, project_id: str, authorization: str | None, parse):
    svc = _svc(request)
    project, idx, width, source = await run_in_threadpool(_claim, svc, project_id,
                                                          authorization)
    body = data = None
    try:
        body = await _receive(request, svc.store)
        data = svc.store.new_tmp(".clk")
        up = await run_in_threadpool(parse, project, body, data, width, source)
        receipt = await run_in_threadpool(_commit, svc, project_id, idx, up, data)
    except UploadError as exc:
        raise bad_request(str(exc)) from None
    finally:
        for path in (body, data):
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        await run_in_threadpool(_release, svc, project_id, idx)
    return {"receipt_token": receipt, "message": f"Updated: {up.count} CLKs of "
                                                 f"{up.width * 8} bits from party {idx}"}


@router.post("/projects/{project_id}/clks", status_code=201, response_model=UploadReceipt,
             tags=["Project"], summary="Upload a party's CLKs as JSON",
             responses=_errors(400, 403, 404, 409), openapi_extra=_JSON_BODY)
async def upload_clks(project_id: str, request: Request, authorization: str | None = AUTH):
    """Upload the CLKs of the party whose upload token is given (once per party).

    The body is parsed as a stream.  A bad upload (invalid base64, mixed
    widths, a width that disagrees with the schema or another party, an
    empty list) is refused with 400 naming the row, stores nothing, and
    the same token can upload again.
    """
    def parse(project, body, data, width, source):
        return read_json_upload(body, data, uses_blocking=project.uses_blocking,
                                width=width, width_source=source)

    return await _upload(request, project_id, authorization, parse)


def _int_header(request: Request, name: str) -> int:
    value = request.headers.get(name)
    if value is None:
        raise bad_request(f"the {name} header is missing")
    try:
        n = int(value)
    except ValueError:
        raise bad_request(f"the {name} header must be an integer; got {value[:20]!r}") from None
    if n < 1:
        raise bad_request(f"the {name} header must be positive; got {n}")
    return n


@router.post("/projects/{project_id}/binaryclks", status_code=201, response_model=UploadReceipt,
             tags=["Project"], summary="Upload a party's CLKs as raw bytes",
             responses=_errors(400, 403, 404, 409), openapi_extra={
                 **_BINARY_BODY, "parameters": [
                     {"in": "header", "name": "Hash-Count", "required": True,
                      "schema": {"type": "integer"}},
                     {"in": "header", "name": "Hash-Size", "required": True,
                      "schema": {"type": "integer"}}]})
async def upload_binary(project_id: str, request: Request, authorization: str | None = AUTH):
    """Upload CLKs as ``Hash-Count`` records of ``Hash-Size`` bytes each (no separators)."""
    count = _int_header(request, "Hash-Count")
    size = _int_header(request, "Hash-Size")

    def parse(project, body, data, width, source):
        if project.uses_blocking:
            raise UploadError("this project uses blocking: upload 'clknblocks' as JSON to /clks")
        check_binary_upload(body.stat().st_size, count, size, width, source)
        body.replace(data)
        return Upload(count, size)

    return await _upload(request, project_id, authorization, parse)


def _iso(t) -> str | None:
    """ISO 8601 with the UTC offset (SQLite returns naive datetimes, stored as UTC)."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat()
