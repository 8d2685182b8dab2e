"""The job queue for several processes (PostgreSQL only): procrastinate's tables, types and
functions in the service's own database, so that ``placement worker`` and
``placement serve --workers N`` need nothing else (placement.service.queue).

SQLite has no queue: it serves one process, whose jobs run on its own thread pool.

Upgrading procrastinate: a release that changes its schema ships SQL migrations
(``procrastinate/sql/migrations/``); apply those that lie between the two versions in a new
Alembic migration here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from typing import Any

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _driver_connection() -> Any:
    """The psycopg connection under Alembic's (the same transaction): a script of many
    statements, with ``%`` in it, runs there as it is."""
    return op.get_bind().connection.driver_connection


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    _driver_connection().execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _driver_connection().execute(
        """
        DO $$
        DECLARE f record;
        BEGIN
            FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                     WHERE p.proname LIKE 'procrastinate%'
                       AND n.nspname = ANY (current_schemas(false))
            LOOP
                EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
            END LOOP;
        END $$;
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        """
    )
