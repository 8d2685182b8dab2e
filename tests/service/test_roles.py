"""PostgreSQL with two roles (docs/service.md, "Deploying"): the owner runs the migrations,
the service runs as a role with DML rights only, which cannot change the schema, drop or
disable the audit triggers, or change or remove audit events."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from placement.app import create_app
from placement.cli import main
from placement.service.settings import Settings
from tests.service.conftest import (
    PASSWORD,
    TEST_SECRET,
    World,
    build_world,
    confirmed,
    finished_run,
)

pytestmark = pytest.mark.postgres


def _with_user(url: str, user: str) -> str:
    """``url`` (postgresql+psycopg://owner@host/db?options=...) signed in as ``user``."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}@{rest.split('@', 1)[1]}"


@pytest.fixture
def restricted(pg_url: str, tmp_path: Path) -> Iterator[tuple[World, str, str]]:
    """The world run as a new DML-only role, migrated by the owner (the test's superuser),
    set up as docs/service.md says; the role is dropped afterwards."""
    schema = parse_qs(urlsplit(pg_url).query)["options"][0].split("=", 1)[1]
    role = f"placement_app_{secrets.token_hex(4)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        owner = c.execute(text("SELECT current_user")).scalar_one()
        for sql in (
            f"CREATE ROLE {role} LOGIN",
            f'GRANT USAGE ON SCHEMA "{schema}" TO {role}',
            # tables and sequences the owner's migrations create: DML only
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "{schema}" '
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "{schema}" '
            f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ):
            c.execute(text(sql))
    app_url = _with_user(pg_url, role)
    w = build_world(app_url, tmp_path, migration_database_url=pg_url)
    with admin.connect() as c:  # the audit trail: append and read only
        c.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}"))
    try:
        yield w, app_url, pg_url
    finally:
        w.app.state.ctx.jobs.shutdown()
        w.app.state.ctx.ops.stop()
        w.app.state.ctx.engine.dispose()
        with admin.connect() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_the_service_works_as_a_dml_only_role(restricted: tuple[World, str, str]) -> None:
    w, app_url, _ = restricted
    who = create_engine(app_url)
    with who.connect() as c:
        assert c.execute(text("SELECT current_user")).scalar_one().startswith("placement_app_")
    who.dispose()
    run = finished_run(w)
    assert run["status"] == "succeeded", run
    confirmed(w, "C02", "S2")
    r = w.client.get(f"/areas/{w.area_id}/children/C01/list", headers=w.as_("officer"))
    assert r.status_code == 200
    assert w.client.get("/audit/verify", headers=w.as_("officer")).json()["ok"]


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE sneaky (id int)",
        "DROP TABLE placement",
        "ALTER TABLE audit_event ADD COLUMN x int",
        "DROP TRIGGER audit_event_no_change ON audit_event",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change",
        "DROP FUNCTION audit_event_append_only()",
        "UPDATE audit_event SET actor = 'x'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ],
)
def test_the_service_role_cannot_change_the_schema_or_the_audit_trail(
    restricted: tuple[World, str, str], sql: str
) -> None:
    _, app_url, _ = restricted
    eng = create_engine(app_url)
    try:
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), eng.begin() as c:
            c.execute(text(sql))
    finally:
        eng.dispose()


def test_migrated_by_the_owner_then_started_with_the_service_role_only(
    restricted: tuple[World, str, str], tmp_path: Path
) -> None:
    """The deploy without owner credentials in the service: ``placement db upgrade`` as the
    owner, then the service with the DML-only role's URL alone."""
    _, app_url, owner_url = restricted
    assert main(["db", "upgrade", "--database-url", owner_url]) == 0
    app = create_app(
        Settings(database_url=app_url, jwt_secret=TEST_SECRET, import_root=tmp_path / "i")
    )
    try:
        client = TestClient(app)
        assert client.get("/health").status_code == 200
        r = client.post("/auth/token", data={"username": "officer", "password": PASSWORD})
        assert r.status_code == 200, r.text
    finally:
        app.state.ctx.jobs.shutdown()
        app.state.ctx.ops.stop()
        app.state.ctx.engine.dispose()


def test_the_job_queue_works_as_the_service_role(restricted: tuple[World, str, str]) -> None:
    """Several processes with two roles: the DML-only role puts a job on the queue (with the
    run's row, in one transaction), a worker signed in as it runs the job, and its sweep for
    dead workers' jobs reads and writes what it must."""
    import asyncio

    from sqlmodel import Session

    from placement.service.areas.models import AreaRow
    from placement.service.jobs import JobRunner
    from placement.service.queue import QUEUE, QueueJobs, conninfo, queue_app, sweep_stalled
    from placement.service.runs.models import RunRow
    from placement.service.runs.schemas import RunCreate
    from placement.service.runs.service import queue_run
    from placement.service.security import Principal

    w, app_url, _ = restricted
    engine = w.app.state.ctx.engine  # the service role's
    with Session(engine, expire_on_commit=False) as s:
        area = s.get(AreaRow, w.area_id)
        assert area is not None
        run = queue_run(
            s,
            Principal(0, "planner", "planner", "886", None, None),
            area,
            RunCreate(mechanism="optimised", seed=1),
            jobs=QueueJobs(),
            max_queued=4,
            limit=300,
        )
    runner = JobRunner(engine, validate=True)
    settings = Settings(database_url=app_url, jwt_secret=TEST_SECRET)

    async def work() -> list[str]:
        app = queue_app(conninfo(app_url))
        async with app.open_async():
            await app.run_worker_async(  # until the queue is empty
                queues=[QUEUE],
                wait=False,
                additional_context={"runner": runner},
                install_signal_handlers=False,
            )
            return await sweep_stalled(app, runner, settings)

    assert asyncio.run(work()) == []
    with Session(engine) as s:
        got = s.get(RunRow, run.id)
        assert got is not None and got.status == "succeeded", got
