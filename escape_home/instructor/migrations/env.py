"""Alembic environment: always run with a connection handed over by `db.upgrade`."""

from __future__ import annotations

from alembic import context

from escape_home.instructor.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run by hand
    raise RuntimeError("run migrations through `escape-home instructor init-db`")
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
