"""The linkage unit's server (``pprl serve``): REST API, database, files and workers.

This package never imports :mod:`pprl.encoding`, :mod:`pprl.synthetic` or
:mod:`pprl.privacy` (an import-linter contract says so): the process that
holds every party's CLKs has no plaintext code path.  It needs the
``service`` extra (FastAPI, uvicorn, SQLAlchemy, Alembic, psycopg, ijson,
fsspec).
"""

from __future__ import annotations

__all__ = ["create_app", "Settings"]


def __getattr__(name: str):
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
