"""The service's database: projects, parties (one upload each) and runs, through SQLAlchemy 2.

SQLite (the embedded default) and Postgres (``postgresql://…``, driven by
psycopg 3) share one set of tables; Alembic migrations in
:mod:`pprl.service.server.migrations` create and upgrade them
(``pprl serve --migrate``).  Only token *hashes* are stored.

Every state change is one short transaction; the claims that must not race
(an upload slot, a queued run) are conditional ``UPDATE … WHERE state = …``
statements whose row count says who won.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

__all__ = ["Base", "Project", "Party", "Run", "connect", "migrate", "utcnow", "engine_url"]

ID = String(64)
HASH = String(64)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class Project(Base):
    """A linkage project: schema, result type, parties and the result token's hash."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    schema: Mapped[dict] = mapped_column(JSON)
    result_type: Mapped[str] = mapped_column(String(32))
    number_parties: Mapped[int] = mapped_column(Integer)
    uses_blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    result_token_hash: Mapped[str] = mapped_column(HASH)
    time_added: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Party(Base):
    """One data provider of a project: its upload token, receipt and uploaded CLKs."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("project_id", "index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    update_token_hash: Mapped[str] = mapped_column(HASH)
    receipt_token_hash: Mapped[str | None] = mapped_column(HASH, nullable=True)
    #: empty -> uploading -> ready (a failed upload goes back to empty)
    state: Mapped[str] = mapped_column(String(16), default="empty")
    count: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_blocks: Mapped[bool] = mapped_column(Boolean, default=False)
    time_uploaded: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)


class Run(Base):
    """A linkage run: parameters, state, progress and where its result lies."""

    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    threshold: Mapped[float] = mapped_column(Float)
    #: pprl extensions: blocking, solver, k, seed
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: created (waiting for uploads) -> queued -> running -> completed | error
    state: Mapped[str] = mapped_column(String(16), default="created", index=True)
    stage: Mapped[int] = mapped_column(Integer, default=1)
    progress_absolute: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_relative: Mapped[float] = mapped_column(Float, default=0.0)
    progress_description: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the quality estimate of the result (issue 20), when one was computed
    quality: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    time_added: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    time_started: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)
    time_completed: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True)


def engine_url(url: str) -> str:
    """SQLAlchemy's URL for ``url``: ``postgresql://`` is driven by psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def connect(url: str) -> tuple[Engine, sessionmaker]:
    """An engine and a session factory for ``url`` (SQLite gets WAL and a busy timeout)."""
    url = engine_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine, sessionmaker(engine, expire_on_commit=False)


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.set_main_option("sqlalchemy.url", engine_url(url).replace("%", "%%"))
    command.upgrade(cfg, "head")


def is_current(engine: Engine) -> bool:
    """Whether the database has been migrated to the newest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).with_name("migrations")))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current == script.get_current_head()
