"""Alembic migrations of the service database (``pprl serve --migrate``)."""
