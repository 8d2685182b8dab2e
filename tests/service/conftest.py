"""Fixtures for the service: an app on a fresh database (SQLite file, or a PostgreSQL schema
of its own), two LAs' areas, and users of every role."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, text
from sqlmodel import Session

from placement.app import create_app
from placement.area import Area
from placement.domain import Need, SettingKind
from placement.service import security
from placement.service.accounts.service import create_user
from placement.service.areas.service import store_area
from placement.service.security import Principal
from placement.service.settings import Settings
from tests.factories import at, child, setting, special

PASSWORD = "correct horse battery"
# a signing secret strong enough for the start-up check (32+ bytes, varied); tests only
TEST_SECRET = "tests-only:5f0c9a1e7b3d48c2a6e4f1b8d0c7a9e3b5d2f6a4c8e0b1d7"

# Argon2 at production cost takes about 0.3 s a hash here; the tests make hundreds of users
# and sign-ins, so they use the same algorithm at its lowest cost.
security._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_url() -> str | None:
    """The PostgreSQL to test against: PLACEMENT_TEST_POSTGRES_URL, else the local default if
    something answers on 127.0.0.1:5432; None (skip) only when neither is there."""
    url = os.environ.get("PLACEMENT_TEST_POSTGRES_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return PG_DEFAULT
    except OSError:
        return None


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = _pg_url()
    if base is None:
        pytest.skip("PostgreSQL not configured (PLACEMENT_TEST_POSTGRES_URL) and not reachable")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def small_area(name: str, la: str, *, num_children: int = 24) -> Area:
    """Mainstream school M1 (30 places), special school S1 with ONE place left (ASD), special
    school S2 (ASD pool of 5). Children C01.. are Year 3, ASD band 3 near all of them."""
    settings = (
        setting("M1", SettingKind.MAINSTREAM, capacity=30, la_code=la),
        special("S1", {Need.ASD: 5}, capacity=10, roll=9, location=at(1, 0), la_code=la),
        special("S2", {Need.ASD: 5}, places=5, capacity=20, location=at(2, 0), la_code=la),
    )
    kids = tuple(
        child(
            f"C{i:02d}", Need.ASD, band=3, prefs=("S1",) if i % 2 else (), location=at(0, i * 0.1)
        )
        for i in range(1, num_children + 1)
    )
    return Area(name, kids, settings, la_code=la)


@dataclass
class World:
    app: FastAPI
    client: TestClient
    area_id: int
    other_area_id: int
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        return self.tokens[who]


def build_world(url: str, tmp: Path, **settings_kw: Any) -> World:
    settings = Settings(
        database_url=url,
        jwt_secret=TEST_SECRET,
        import_root=tmp / "imports",
        **settings_kw,
    )
    app = create_app(settings)
    engine = app.state.ctx.engine
    with Session(engine, expire_on_commit=False) as s:
        a = store_area(
            s,
            Principal(0, "setup", "planner", "886", None, None),
            area=small_area("kent-test", "886"),
            overrides={},
            name="Kent test",
            source="test",
            max_children=1000,
        )
        b = store_area(
            s,
            Principal(0, "setup", "planner", "212", None, None),
            area=small_area("wandsworth-test", "212"),
            overrides={},
            name="Wandsworth test",
            source="test",
            max_children=1000,
        )
        assert a.id is not None and b.id is not None
        users = [
            ("officer", "officer", "886", None, None),
            ("officer_other", "officer", "212", None, None),
            ("planner", "planner", "886", None, None),
            ("planner_other", "planner", "212", None, None),
            ("family", "family", "", a.id, "C01"),
            ("family_other", "family", "", a.id, "C02"),
        ]
        for name, role, la, area_id, cid in users:
            create_user(
                s,
                username=name,
                password=PASSWORD,
                role=role,
                la_code=la,
                area_id=area_id,
                child_id=cid,
            )
    client = TestClient(app)
    w = World(app, client, a.id, b.id)
    for name, *_ in users:
        r = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        w.tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return w


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = build_world(f"sqlite:///{tmp_path / 'test.db'}", tmp_path)
    yield w
    w.app.state.ctx.jobs.shutdown()
    w.app.state.ctx.ops.stop()  # read auditing: pending events written, its thread ended
    w.app.state.ctx.engine.dispose()


@pytest.fixture
def pg_world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    w = build_world(pg_url, tmp_path)
    yield w
    w.app.state.ctx.jobs.shutdown()
    w.app.state.ctx.ops.stop()
    w.app.state.ctx.engine.dispose()


def consulted(w: World, child_id: str, setting_id: str, area_id: int | None = None) -> int:
    """Propose and consult: the placement id, ready for a decision."""
    aid = area_id or w.area_id
    r = w.client.post(
        f"/areas/{aid}/children/{child_id}/placements",
        json={"setting_id": setting_id},
        headers=w.as_("officer"),
    )
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    r = w.client.post(f"/placements/{pid}/consultation", headers=w.as_("officer"))
    assert r.status_code == 200, r.text
    return pid


Consulted = Callable[[World, str, str], int]


def confirmed(w: World, child_id: str, setting_id: str) -> int:
    """Propose, consult and confirm (with a reason, so any option will do)."""
    pid = consulted(w, child_id, setting_id)
    r = w.client.post(
        f"/placements/{pid}/decision",
        json={"outcome": "confirmed", "reason": "the family's request"},
        headers=w.as_("officer"),
    )
    assert r.status_code == 201, r.text
    return pid


def finished_run(w: World, who: str | None = None, **body: Any) -> dict[str, Any]:
    """Start an allocation run and poll (as an officer: exact figures) until it ends; the
    bound only stops a broken test from hanging. By default an officer starts it (so it
    becomes the working run), or the planner for a study from scratch."""
    who = who or ("planner" if body.get("scope") == "from_scratch" else "officer")
    r = w.client.post(f"/areas/{w.area_id}/runs", json=body, headers=w.as_(who))
    assert r.status_code == 202, r.text
    for _ in range(600):
        run: dict[str, Any] = w.client.get(
            f"/runs/{r.json()['id']}", headers=w.as_("officer")
        ).json()
        if run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {r.json()['id']} did not finish: {run}")


def failed_run(w: World, error: str) -> int:
    """A run stored as failed with ``error`` (as the job runner leaves one), made directly."""
    from placement.service.runs.models import RunRow

    with Session(w.app.state.ctx.engine) as s:
        row = RunRow(
            area_id=w.area_id,
            area_revision=1,
            mechanism="optimised",
            seed=0,
            time_limit_s=60,
            status="failed",
            error=error,
            created_by="planner",
        )
        s.add(row)
        s.commit()
        assert row.id is not None
        return row.id
