"""Placements: the workflow, statutory dates, reasons, capacity under concurrency, idempotency."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, col, func, select

from placement.service.audit.models import AuditEvent
from placement.service.placements.models import PlacementRow
from tests.service.conftest import World, consulted


def _decide(w: World, pid: int, body: dict[str, str], key: str | None = None) -> tuple[int, dict]:
    headers = dict(w.as_("officer"))
    if key:
        headers["Idempotency-Key"] = key
    r = w.client.post(f"/placements/{pid}/decision", json=body, headers=headers)
    return r.status_code, r.json()


def test_workflow_dates_and_reasons(world: World) -> None:
    pid = consulted(world, "C01", "S1")
    p = world.client.get(f"/placements/{pid}", headers=world.as_("officer")).json()
    started = dt.datetime.fromisoformat(p["consultation_started_at"]).date()
    assert p["status"] == "consulted"
    assert dt.date.fromisoformat(p["consultation_due"]) - started == dt.timedelta(days=15)
    assert p["phase_transfer_deadline"] is None  # Year 3: not a transfer year
    r = world.client.post(
        f"/placements/{pid}/setting-response",
        json={"response": "objects", "ground": "others", "note": "class sizes"},
        headers=world.as_("officer"),
    )
    assert r.json()["setting_response"] == "objects"
    assert r.json()["setting_ground"] == "others" and r.json()["setting_reply_late"] is False
    top = world.client.get(
        f"/areas/{world.area_id}/children/C01/list", headers=world.as_("officer")
    ).json()["options"][0]["setting_id"]
    if top != "S1":  # anything but the top option needs a reason
        code, body = _decide(world, pid, {"outcome": "confirmed"})
        assert code == 422 and body["type"].endswith("/reason-required")
    code, body = _decide(world, pid, {"outcome": "confirmed", "reason": "family's first choice"})
    assert code == 201, body
    assert body["status"] == "confirmed" and body["decided_by"] == "officer"
    assert body["top_setting_id"] == top
    # decided: no second decision, and no second confirmed placement for the child
    assert _decide(world, pid, {"outcome": "declined", "reason": "x"})[0] == 409
    r = world.client.post(
        f"/areas/{world.area_id}/children/C01/placements",
        json={"setting_id": "M1"},
        headers=world.as_("officer"),
    )
    assert r.status_code == 409
    s1 = world.client.get(f"/areas/{world.area_id}/settings/S1", headers=world.as_("officer"))
    assert s1.json()["free"] == 0 and s1.json()["confirmed"] == 1
    s1 = world.client.get(f"/areas/{world.area_id}/settings/S1", headers=world.as_("planner"))
    assert s1.json()["free"] == 0 and s1.json()["confirmed"] == "<10"  # 1 child


def test_must_consult_before_deciding(world: World) -> None:
    r = world.client.post(
        f"/areas/{world.area_id}/children/C03/placements",
        json={"setting_id": "M1"},
        headers=world.as_("officer"),
    )
    code, body = _decide(world, r.json()["id"], {"outcome": "confirmed", "reason": "r"})
    assert code == 409 and body["type"].endswith("/wrong-state")


def _race(w: World, setting_id: str, n: int, step: int = 1) -> list[int]:
    """``n`` children (every ``step``-th from C01, or from C02 when ``step`` is 2: children
    whose families asked for nothing) confirmed at once at ``setting_id``."""
    first = 2 if step == 2 else 1
    pids = [consulted(w, f"C{i:02d}", setting_id) for i in range(first, first + n * step, step)]
    body = {"outcome": "confirmed", "reason": "last place race"}
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda pid: _decide(w, pid, body)[0], pids))


def _confirmed(w: World, setting_id: str) -> int:
    with Session(w.app.state.ctx.engine) as s:
        return s.exec(
            select(func.count())
            .select_from(PlacementRow)
            .where(PlacementRow.setting_id == setting_id, PlacementRow.status == "confirmed")
        ).one()


@pytest.mark.parametrize("attempt", range(3))
def test_last_place_sqlite(world: World, attempt: int) -> None:
    codes = _race(world, "S1", 20)  # S1 has one place left
    assert sorted(codes) == [201] + [409] * 19
    assert _confirmed(world, "S1") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("attempt", range(3))
def test_last_place_postgres(pg_world: World, attempt: int) -> None:
    codes = _race(pg_world, "S1", 20)
    assert sorted(codes) == [201] + [409] * 19
    assert _confirmed(pg_world, "S1") == 1


def test_pool_is_never_overfilled(world: World) -> None:
    codes = _race(world, "S2", 8, step=2)  # S2 has 20 places but an ASD pool of 5
    assert sorted(codes) == [201] * 5 + [409] * 3
    s2 = world.client.get(f"/areas/{world.area_id}/settings/S2", headers=world.as_("officer"))
    assert s2.json()["pools"]["ASD"]["free"] == 0


def _replays(w: World) -> None:
    pid = consulted(w, "C06", "S2")
    body = {"outcome": "confirmed", "reason": "nearest school"}
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: _decide(w, pid, body, key="confirm-c06"), range(10)))
    assert {c for c, _ in results} == {201}
    assert all(b == results[0][1] for _, b in results)  # the first result, replayed
    with Session(w.app.state.ctx.engine) as s:
        n = s.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "placement.confirmed", AuditEvent.object_id == str(pid))
        ).one()
        placed = s.exec(
            select(func.count())
            .select_from(PlacementRow)
            .where(col(PlacementRow.child_id) == "C06", PlacementRow.status == "confirmed")
        ).one()
    assert (n, placed) == (1, 1)
    code, problem = _decide(w, pid, {"outcome": "confirmed", "reason": "other"}, key="confirm-c06")
    assert code == 422 and problem["type"].endswith("/idempotency-key")


def test_idempotent_replays_sqlite(world: World) -> None:
    _replays(world)


@pytest.mark.postgres
def test_idempotent_replays_postgres(pg_world: World) -> None:
    _replays(pg_world)
