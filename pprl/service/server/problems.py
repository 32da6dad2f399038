"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal is a :class:`Problem` with the status the entity service's
clients expect: 400 bad input, 403 a token that does not permit the call,
404 an unknown resource, 409 a conflict (a second upload, a run on a
deleted project).  A detail never contains a token.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = ["Problem", "problem_response", "install_handlers", "MEDIA_TYPE",
           "bad_request", "forbidden", "not_found", "conflict"]

MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An HTTP error answered as a problem-details document."""

    def __init__(self, status: int, detail: str, title: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.title = title or HTTPStatus(status).phrase


def bad_request(detail: str) -> Problem:
    """400: the request cannot be processed as sent."""
    return Problem(400, detail)


def forbidden(detail: str = "the Authorization token does not permit this call") -> Problem:
    """403: missing or wrong token for this resource and action."""
    return Problem(403, detail)


def not_found(detail: str) -> Problem:
    """404: unknown project or run (or a result not ready)."""
    return Problem(404, detail)


def conflict(detail: str) -> Problem:
    """409: the resource's state forbids the call."""
    return Problem(409, detail)


def problem_response(status: int, detail: str, title: str | None = None,
                     instance: str | None = None) -> JSONResponse:
    """The problem-details response for ``status``."""
    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase,
            "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _where(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem details."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc.status, exc.detail, exc.title, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        details = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}"
                            for e in errors[:5])
        return problem_response(400, details or "invalid request", None, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        resp = problem_response(exc.status_code, detail, None, request.url.path)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp
