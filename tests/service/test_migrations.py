"""The Alembic migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from placement.service import tables  # noqa: F401  (registers the tables)
from placement.service.db import make_engine, migrate
from placement.service.settings import Settings


def _ours(name: str | None, type_: str, _parents: Any) -> bool:
    """The service's own tables: the job queue's (procrastinate_*, PostgreSQL only) are
    procrastinate's schema, created by migration 0007 and checked in test_scale_out."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _diff(url: str) -> list[Any]:
    engine = make_engine(Settings(database_url=url, jwt_secret="s" * 48))
    try:
        migrate(engine)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _ours}
            )
            return list(compare_metadata(ctx, SQLModel.metadata))
    finally:
        engine.dispose()


def test_migrations_match_models_sqlite(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_migrations_match_models_postgresql(pg_url: str) -> None:
    assert _diff(pg_url) == []
