"""The ASGI application of ``pprl serve``: settings, start-up, routes and the OpenAPI document.

:func:`create_app` builds a FastAPI application from :class:`Settings`.  On
start-up it migrates an embedded SQLite database (a Postgres one must be
migrated with ``pprl serve --migrate``), recovers runs a stopped server left
behind (:func:`.worker.recover`), connects to the Dask cluster when one is
given, and starts the worker pool.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select

from .db import Project, connect, is_current, migrate
from .models import ServiceStatus, Version
from .problems import install_handlers
from .storage import Store
from .worker import WorkerPool, recover

__all__ = ["Settings", "create_app", "API_PREFIX"]

log = logging.getLogger("pprl.service")

API_PREFIX = "/api/v1"


@dataclass
class Settings:
    """How a server is set up (the options of ``pprl serve``)."""

    data_dir: str = "pprl-service"
    database: str | None = None
    dask: str | None = None
    workers: int = 2
    migrate: bool = False

    def database_url(self) -> str:
        """The database URL: ``database``, or SQLite in the (local) data folder."""
        if self.database:
            return self.database
        if "://" in self.data_dir and not self.data_dir.startswith("file://"):
            return "sqlite:///" + str(Path("pprl-service.db").resolve())
        folder = Path(self.data_dir.removeprefix("file://")).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + str(folder / "pprl.db")


class Service:
    """What the routes share: the database sessions, the files and the worker pool."""

    def __init__(self, settings: Settings) -> None:
        url = settings.database_url()
        self.engine, self.sessions = connect(url)
        if settings.migrate or url.startswith("sqlite"):
            migrate(url)
        elif not is_current(self.engine):
            raise RuntimeError("the database is not at the newest schema; run "
                               "pprl serve --migrate once (Alembic upgrades it)")
        self.store = Store(settings.data_dir)
        self.settings = settings
        self.pool: WorkerPool | None = None
        self._dask = contextlib.ExitStack()

    def start(self) -> None:
        """Recover runs, connect to Dask (if asked) and start the workers."""
        self.store.clean_tmp()
        n = recover(self.sessions)
        if n:
            log.warning("re-queued %d run(s) left running by a stopped server", n)
        client = None
        if self.settings.dask:
            from pprl.linkage.distributed import connect as dask_connect

            client = self._dask.enter_context(dask_connect(self.settings.dask))
        self.pool = WorkerPool(self.sessions, self.store, self.settings.workers, client)
        self.pool.start()

    def wake(self) -> None:
        """Tell the workers that a run was queued."""
        if self.pool is not None:
            self.pool.wake.set()

    def close(self) -> None:
        """Stop the workers, close Dask and the database."""
        if self.pool is not None:
            self.pool.close()
        self._dask.close()
        self.engine.dispose()


def _general(app: FastAPI) -> APIRouter:
    router = APIRouter(tags=["General"])

    @router.get("/status", response_model=ServiceStatus, summary="Service status")
    def status():
        """``ok`` when the database answers; the number of projects."""
        with app.state.service.sessions() as s:
            n = s.scalar(select(func.count()).select_from(Project)
                         .where(Project.deleted.is_(False)))
        return {"status": "ok", "project_count": n, "rate": 0}

    @router.get("/version", response_model=Version, summary="Version")
    def version():
        """Versions of pprl, of the entity-service API it speaks, and of Python."""
        from pprl._version import __version__

        return {"pprl": __version__, "entityservice": "v1.13",
                "python": platform.python_version()}

    return router


def _problem_schemas(app: FastAPI) -> None:
    """Document problem responses with the Problem schema, and 400 in place of 422."""
    from fastapi.openapi.utils import get_openapi

    from .models import ProblemModel

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, routes=app.routes,
                          description=app.description)
        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        comps["Problem"] = ProblemModel.model_json_schema()
        for item in doc["paths"].values():
            for op in item.values():
                responses = op.get("responses", {})
                responses.pop("422", None)
                if "requestBody" in op or op.get("parameters"):
                    responses.setdefault("400", {"description": "Bad input"})
                for resp in responses.values():
                    if resp.get("content", {}).get("application/problem+json") is not None \
                            or resp.get("description") == "Bad input":
                        resp["content"] = {"application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}}}
        for name in ("HTTPValidationError", "ValidationError"):
            comps.pop(name, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application of a linkage service with ``settings``."""
    from pprl._version import __version__

    settings = settings or Settings()
    service = Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        service.start()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="pprl linkage service",
        version=__version__,
        description="Privacy-preserving record linkage as a service, wire-compatible with "
                    "the entity service's REST API v1 (v1.13). Custodians upload CLKs with "
                    "their own tokens; only this server compares them.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    app.state.service = service
    install_handlers(app)
    from . import projects, runs

    app.include_router(_general(app), prefix=API_PREFIX)
    app.include_router(projects.router, prefix=API_PREFIX)
    app.include_router(runs.router, prefix=API_PREFIX)
    _problem_schemas(app)
    return app


def app_from_env() -> FastAPI:  # pragma: no cover - for `uvicorn --factory`
    """An application configured by ``PPRL_SERVICE_*`` environment variables."""
    return create_app(Settings(
        data_dir=os.environ.get("PPRL_SERVICE_DATA_DIR", "pprl-service"),
        database=os.environ.get("PPRL_SERVICE_DATABASE") or None,
        dask=os.environ.get("PPRL_SERVICE_DASK") or None,
        workers=int(os.environ.get("PPRL_SERVICE_WORKERS", "2")),
    ))
