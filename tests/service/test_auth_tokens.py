"""Short-lived tokens (time injected, no sleeps) and revocation by the per-user token version:
logout, disable, enable, password reset and role change each end every earlier token, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jwt
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from placement.service.accounts import service as accounts
from placement.service.accounts.models import User
from placement.service.accounts.service import create_user
from placement.service.audit.models import AuditEvent
from placement.service.db import MIGRATIONS
from placement.service.errors import ConflictError, InvalidError, NotFoundError
from placement.service.security import issue_token
from tests.service.conftest import PASSWORD, TEST_SECRET, World

NEW_PASSWORD = "a new password, long enough"


def _token(w: World, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = w.client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(w: World, headers: dict[str, str]) -> int:
    code: int = w.client.get("/me", headers=headers).status_code
    return code


# -- expiry ------------------------------------------------------------------------------------


def test_tokens_last_15_minutes_by_default(world: World) -> None:
    t0 = dt.datetime.now(dt.UTC)
    world.app.state.ctx.clock = lambda: t0
    r = world.client.post("/auth/token", data={"username": "officer", "password": PASSWORD})
    assert r.json()["expires_in"] == 15 * 60
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert isinstance(claims["ver"], int)
    world.app.state.ctx.clock = lambda: t0 + dt.timedelta(minutes=14, seconds=59)
    assert _me(world, auth) == 200
    world.app.state.ctx.clock = lambda: t0 + dt.timedelta(minutes=15)
    assert _me(world, auth) == 401
    world.app.state.ctx.clock = lambda: t0 + dt.timedelta(days=1)
    assert _me(world, auth) == 401


def test_a_token_from_the_future_is_refused(world: World) -> None:
    t0 = dt.datetime.now(dt.UTC)
    world.app.state.ctx.clock = lambda: t0 + dt.timedelta(hours=1)
    auth = _token(world, "officer")
    world.app.state.ctx.clock = lambda: t0
    assert _me(world, auth) == 401


def test_a_token_without_a_version_is_refused(world: World) -> None:
    """Tokens made before versions (no ``ver``) stop working, even if correctly signed."""
    now = dt.datetime.now(dt.UTC)
    with Session(world.app.state.ctx.engine) as s:
        uid = s.exec(select(User.id).where(User.username == "officer")).one()
    claims = {"sub": str(uid), "iat": now, "exp": now + dt.timedelta(minutes=5), "iss": "placement"}
    old = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    assert _me(world, {"Authorization": f"Bearer {old}"}) == 401
    good, _ = issue_token(uid or 0, "officer", 0, TEST_SECRET, 5)
    assert _me(world, {"Authorization": f"Bearer {good}"}) == 200
    stale, _ = issue_token(uid or 0, "officer", 1, TEST_SECRET, 5)  # not the user's version
    assert _me(world, {"Authorization": f"Bearer {stale}"}) == 401


# -- revocation --------------------------------------------------------------------------------

EVENTS = ("disable", "enable", "reset_password", "set_role")


def _event(s: Session, event: str) -> None:
    if event in ("disable", "enable"):
        accounts.disable_user(s, "officer")
    if event == "enable":
        accounts.enable_user(s, "officer")
    elif event == "reset_password":
        accounts.reset_password(s, "officer", NEW_PASSWORD)
    elif event == "set_role":
        accounts.set_role(s, "officer", "planner")


@pytest.fixture(params=["world", "pg_world"])
def any_world(request: pytest.FixtureRequest) -> World:
    w: World = request.getfixturevalue(request.param)
    return w


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_revokes_earlier_tokens(any_world: World, event: str) -> None:
    w = any_world
    first, second = w.as_("officer"), _token(w, "officer")  # two sessions
    other = w.as_("officer_other")
    assert _me(w, first) == _me(w, second) == 200
    with Session(w.app.state.ctx.engine, expire_on_commit=False) as s:
        _event(s, event)
    assert _me(w, first) == 401
    assert _me(w, second) == 401
    assert _me(w, other) == 200  # only that user's tokens
    r = w.client.post("/auth/token", data={"username": "officer", "password": PASSWORD})
    if event == "disable":
        assert r.status_code == 401
    elif event == "reset_password":
        assert r.status_code == 401
        assert _me(w, _token(w, "officer", NEW_PASSWORD)) == 200
    else:
        assert r.status_code == 200
        fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = w.client.get("/me", headers=fresh).json()
        assert me["role"] == ("planner" if event == "set_role" else "officer")
    with Session(w.app.state.ctx.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
    assert f"user.{event}" in actions


def test_logout_ends_every_session_of_the_caller(any_world: World) -> None:
    w = any_world
    first, second = w.as_("family"), _token(w, "family")
    r = w.client.post("/auth/logout", headers=first)
    assert r.status_code == 204
    assert _me(w, first) == _me(w, second) == 401
    assert w.client.post("/auth/logout", headers=first).status_code == 401
    assert _me(w, w.as_("family_other")) == 200
    assert _me(w, _token(w, "family")) == 200  # signing in again works


def test_re_enabling_does_not_revive_old_tokens(world: World) -> None:
    old = world.as_("planner")
    with Session(world.app.state.ctx.engine, expire_on_commit=False) as s:
        accounts.disable_user(s, "planner")
        assert _me(world, old) == 401
        accounts.enable_user(s, "planner")
    assert _me(world, old) == 401
    assert _me(world, _token(world, "planner")) == 200


def test_account_changes_check_their_input(world: World) -> None:
    with Session(world.app.state.ctx.engine, expire_on_commit=False) as s:
        with pytest.raises(NotFoundError):
            accounts.disable_user(s, "nobody")
        with pytest.raises(InvalidError, match="12 characters"):
            accounts.reset_password(s, "officer", "short")
        with pytest.raises(InvalidError, match="--la 9999"):
            accounts.set_role(s, "officer", "planner", la="9999")
        with pytest.raises(InvalidError, match="--area and --child"):
            accounts.set_role(s, "officer", "family")
        with pytest.raises(NotFoundError):
            accounts.set_role(s, "officer", "family", area_id=world.area_id, child_id="C99")
        with pytest.raises(ConflictError):
            accounts.set_role(s, "officer", "officer")
        u = accounts.set_role(s, "officer", "family", area_id=world.area_id, child_id="C05")
        assert (u.role, u.la_code, u.area_id, u.child_id) == ("family", "886", world.area_id, "C05")
        u = accounts.set_role(s, "officer", "officer", la="Wandsworth")
        assert (u.role, u.la_code, u.area_id, u.child_id) == ("officer", "212", None, None)


def test_user_la_codes_are_checked(world: World) -> None:
    with Session(world.app.state.ctx.engine, expire_on_commit=False) as s:
        with pytest.raises(InvalidError, match="--la 9999: not one of the 153"):
            create_user(s, username="x", password=PASSWORD, role="officer", la_code="9999")
        u = create_user(s, username="y", password=PASSWORD, role="planner", la_code="E10000016")
        assert u.la_code == "886"  # stored as the three-digit code the areas use


# -- the migration -----------------------------------------------------------------------------


def test_migration_0005_gives_existing_users_version_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
        conn.execute(
            text(
                "INSERT INTO app_user (username, password_hash, role, la_code, disabled,"
                " created_at) VALUES ('old', 'x', 'officer', '886', 0, '2026-01-01')"
            )
        )
        command.upgrade(cfg, "0005")
        assert conn.execute(text("SELECT token_version FROM app_user")).scalar_one() == 0
        command.downgrade(cfg, "0004")
        conn.commit()
    engine.dispose()
