"""Engines, sessions, migrations and the write lock.

Every write transaction starts with :func:`begin_write`: on SQLite it is ``BEGIN IMMEDIATE``
(the database write lock is taken before the first read, so no two writers interleave); on
PostgreSQL it locks the audit head row (``SELECT ... FOR UPDATE``), which serialises writers
that append to the audit chain. Capacity is still guarded by conditional ``UPDATE``s, so a
setting can never be over-filled even if a writer skipped the lock.
"""

from __future__ import annotations

import contextlib
import os
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

__all__ = [
    "begin_write",
    "is_sqlite",
    "make_engine",
    "migrate",
    "migrate_as_owner",
    "needs_postgresql",
    "private_sqlite_file",
    "read_session",
    "write_session",
]

MIGRATIONS = Path(__file__).with_name("migrations")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def needs_postgresql(database_url: str, what: str) -> str | None:
    """Why ``what`` (several processes, the job queue, a worker) cannot run on
    ``database_url``, or None on PostgreSQL. The job queue lives in PostgreSQL (its rows and
    LISTEN/NOTIFY); SQLite serves one process, whose jobs run on its own threads."""
    try:
        url = make_url(database_url)
    except Exception:
        return f"{what} needs a PostgreSQL database URL; {database_url!r} is not a URL"
    if url.get_backend_name() == "postgresql":
        return None
    shown = url.render_as_string(hide_password=True)
    return (
        f"{what} needs PostgreSQL (PLACEMENT_DATABASE_URL or --database-url"
        f" postgresql+psycopg://user@host:5432/db): the database here is {shown}, and"
        " SQLite serves a single process, which runs its jobs on its own threads"
        " (`placement serve` without --workers)"
    )


def private_sqlite_file(db: str) -> None:
    """Create the SQLite file ``db`` readable by its owner only (0600), or take group and
    other rights off an existing one and its WAL and shared-memory files (SQLite creates
    those with the database file's mode)."""
    path = Path(db)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for p in (path, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if p.stat().st_mode & 0o077:
                p.chmod(0o600)


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database_url``; SQLite gets WAL, foreign keys, a busy timeout
    and explicit transaction control (so ``BEGIN IMMEDIATE`` is possible); PostgreSQL a lock
    timeout. Either way a wait for a lock longer than ``db_lock_timeout_s`` fails (a 503),
    and SQL parameters (child ids, names) are never put in exception messages or logs."""
    url = make_url(settings.database_url)
    lock_ms = int(settings.db_lock_timeout_s * 1000)
    if url.get_backend_name() == "sqlite":
        db = url.database
        if db and db != ":memory:" and not db.startswith("file:"):
            private_sqlite_file(db)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": settings.db_lock_timeout_s},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={lock_ms}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "BEGIN")
            conn.exec_driver_sql(mode)

        return engine
    args = {} if "application_name" in url.query else {"application_name": "placement"}
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args=args,
    )

    @event.listens_for(engine, "connect")
    def _pg_connect(dbapi_conn: Any, _rec: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {lock_ms}")
        dbapi_conn.commit()

    return engine


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (idempotent)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()


def migrate_as_owner(settings: Settings, engine: Engine) -> None:
    """Apply the migrations as the owner role (``migration_database_url``) if one is set, so
    ``engine``'s role needs no DDL or trigger rights; else through ``engine`` itself."""
    if settings.migration_database_url is None:
        migrate(engine)
        return
    owner_url = settings.migration_database_url.get_secret_value()
    owner = make_engine(settings.model_copy(update={"database_url": owner_url}))
    try:
        migrate(owner)
    finally:
        owner.dispose()


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
