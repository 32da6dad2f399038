"""``pprl serve``: run the linkage service (REST API v1, entity-service compatible)."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl serve`` sub-command and its options."""
    p = sub.add_parser(
        "serve",
        help="run the linkage service: custodians upload CLKs, only this server compares them",
        description=(
            "Serve the linkage service's REST API under /api/v1 (wire-compatible with the "
            "entity service v1.13; OpenAPI at /openapi.json, docs at /docs). With no options: "
            "SQLite and files in ./pprl-service, runs in worker threads of this process. "
            "Put TLS in a reverse proxy in front (see docs/service.md)."
        ),
    )
    p.add_argument("--data-dir", default="pprl-service", metavar="DIR",
                   help="folder or fsspec URL (e.g. s3://bucket/prefix through s3fs) for "
                        "uploads and results (default: ./pprl-service)")
    p.add_argument("--database", default=None, metavar="URL",
                   help="SQLAlchemy URL, e.g. postgresql://user@host/db (default: SQLite in "
                        "the data folder)")
    p.add_argument("--dask", default=None, metavar="local:N|tcp://HOST:PORT",
                   help="run the comparisons on a Dask cluster")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                                                          "127.0.0.1)")
    p.add_argument("--port", type=int, default=8851, help="port (default 8851)")
    p.add_argument("--workers", type=int, default=2,
                   help="runs computed at the same time (default 2)")
    p.add_argument("--migrate", action="store_true",
                   help="upgrade the database to the newest schema (Alembic) before serving")
    p.add_argument("--log-level", default="info",
                   choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``pprl serve`` until interrupted."""
    try:
        import uvicorn

        from ..service.server import Settings, create_app
    except ImportError as exc:
        raise InputError(f"pprl serve needs the service extra: pip install 'pprl[service]' "
                         f"({exc.name} is missing)") from None
    if not 0 < args.port < 65536:
        raise InputError(f"--port must be in 1..65535; got {args.port}")
    if args.workers < 1:
        raise InputError(f"--workers must be a positive integer; got {args.workers}")
    settings = Settings(data_dir=args.data_dir, database=args.database, dask=args.dask,
                        workers=args.workers, migrate=args.migrate)
    try:
        app = create_app(settings)
    except RuntimeError as exc:
        raise InputError(str(exc)) from None
    print(f"pprl serve: listening on http://{args.host}:{args.port}/api/v1 "
          f"(data: {args.data_dir}; database: "
          f"{'SQLite' if not args.database else args.database.split('://')[0]})",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
