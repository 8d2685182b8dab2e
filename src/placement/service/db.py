"""Engines, sessions, migrations and the write lock.

Every write transaction starts with :func:`begin_write`: on SQLite it is ``BEGIN IMMEDIATE``
(the database write lock is taken before the first read, so no two writers interleave); on
PostgreSQL it locks the audit head row (``SELECT ... FOR UPDATE``), which serialises writers
that append to the audit chain. Capacity is still guarded by conditional ``UPDATE``s, so a
setting can never be over-filled even if a writer skipped the lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from placement.service.settings import Settings

__all__ = ["begin_write", "is_sqlite", "make_engine", "migrate", "read_session", "write_session"]

MIGRATIONS = Path(__file__).with_name("migrations")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url``; SQLite gets WAL, foreign keys, a busy timeout
    and explicit transaction control (so ``BEGIN IMMEDIATE`` is possible)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        db = url.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "BEGIN")
            conn.exec_driver_sql(mode)

        return engine
    return create_engine(url, pool_size=settings.db_pool_size, max_overflow=10, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (idempotent)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def begin_write(session: Session) -> None:
    """Start the session's write transaction with the database-wide write lock (see module)."""
    engine = session.get_bind()
    if session.in_transaction():
        session.commit()  # end any read transaction: the lock must come before the reads
    if engine.dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
    else:
        session.connection()
        session.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session holding the write lock; commits on success, rolls back on error."""
    with Session(engine, expire_on_commit=False) as s:
        begin_write(s)
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
