"""Alembic environment of the service's database (run by ``pprl serve --migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pprl.service.server.db import Base


def run() -> None:
    """Run the migrations on the URL Alembic was configured with."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# Alembic executes this file with its context set up; a plain import (a walk over
# pprl's modules) finds no configuration and does nothing.
if getattr(context, "config", None) is not None:
    run()
