"""Alembic environment: run against the connection handed over by ``placement.service.db``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import placement.service.tables  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic path is supported
    raise RuntimeError("run migrations through placement.service.db.migrate(engine)")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
