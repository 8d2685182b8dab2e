"""The audit chain: verified intact, append-only in the database, tampering detected."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from placement.cli import main
from tests.service.conftest import World, confirmed, consulted, failed_run


def _verify(w: World) -> dict:
    r = w.client.get("/audit/verify", headers=w.as_("planner"))
    assert r.status_code == 200
    return r.json()


def test_chain_intact_then_tamper_detected(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    consulted(world, "C01", "M1")
    ok = _verify(world)
    assert ok["ok"] and ok["events"] >= 4
    engine = world.app.state.ctx.engine
    url = engine.url.render_as_string(hide_password=False)
    assert main(["audit", "verify", "--database-url", url]) == 0
    with engine.begin() as c:  # an attacker with database access drops the guard first
        c.execute(text("DROP TRIGGER audit_event_no_update"))
        c.execute(text("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 3"))
    bad = _verify(world)
    assert not bad["ok"] and bad["first_bad_seq"] == 3
    assert main(["audit", "verify", "--database-url", url]) == 1
    assert "BROKEN at event 3" in capsys.readouterr().out


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"])
def test_audit_rows_cannot_change(world: World, sql: str) -> None:
    consulted(world, "C01", "M1")
    with pytest.raises(DBAPIError, match="append-only"), world.app.state.ctx.engine.begin() as c:
        c.execute(text(sql))
    assert _verify(world)["ok"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"],
)
def test_audit_rows_cannot_change_postgres(pg_world: World, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), pg_world.app.state.ctx.engine.begin() as c:
        c.execute(text(sql))


def test_removed_tail_is_detected(world: World) -> None:
    consulted(world, "C01", "M1")
    with world.app.state.ctx.engine.begin() as c:
        c.execute(text("DROP TRIGGER audit_event_no_delete"))
        c.execute(text("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)"))
    bad = _verify(world)
    assert not bad["ok"] and "head" in bad["problem"]


def test_planners_read_no_child_level_events(world: World) -> None:
    """A planner sees no child's record: the trail's events about children, placements and
    family users (a child's id, their requests, a decision and its reason) are for officers."""
    confirmed(world, "C02", "S1")
    r = world.client.put(
        f"/areas/{world.area_id}/children/C01/requests",
        json={"setting_ids": ["S2"]},
        headers=world.as_("family"),
    )
    assert r.status_code == 200, r.text
    assert (
        world.client.post(
            f"/areas/{world.area_id}/runs", json={}, headers=world.as_("planner")
        ).status_code
        == 202
    )
    url = "/audit/events?size=100"
    seen = world.client.get(url, headers=world.as_("planner")).json()["items"]
    assert {e["object_type"] for e in seen} <= {"area", "policy", "run", "scenario"}
    assert "run" in {e["object_type"] for e in seen}
    assert not any("C01" in json.dumps(e) or "C02" in json.dumps(e) for e in seen)
    everything = world.client.get(url, headers=world.as_("officer")).json()["items"]
    assert {"child", "placement", "user"} <= {e["object_type"] for e in everything}


def test_planners_see_counts_controlled_and_no_failed_runs_reason(world: World) -> None:
    """A failed run's error can name a child: planners read that it failed, not why (in the
    run and in the trail); an area's count of children reaches them disclosure-controlled.
    Officers see both as stored, and the chain still verifies."""
    from sqlmodel import Session

    from placement import disclosure
    from placement.service.areas.models import AreaRow
    from placement.service.audit import chain
    from placement.service.disclosed import PLANNER_RUN_ERROR

    why = "validation: unsuitable: C01 at S1: fails the age rule"
    rid = failed_run(world, why)
    with Session(world.app.state.ctx.engine) as s:
        area = s.get(AreaRow, world.area_id)
        assert area is not None
        chain.append(
            s,
            actor="system",
            role="system",
            action="run.failed",
            object_type="run",
            object_id=str(rid),
            la_code=area.la_code,
            details={"error": why},
        )
        s.commit()
    as_planner = world.client.get(f"/runs/{rid}", headers=world.as_("planner")).json()
    assert as_planner["error"] == PLANNER_RUN_ERROR
    assert world.client.get(f"/runs/{rid}", headers=world.as_("officer")).json()["error"] == why
    url = "/audit/events?size=100"
    seen = world.client.get(url, headers=world.as_("planner")).json()["items"]
    everything = world.client.get(url, headers=world.as_("officer")).json()["items"]
    assert not any("C01" in json.dumps(e) for e in seen)
    failed = [e for e in seen if e["action"] == "run.failed"]
    assert [e["details"] for e in failed] == [{"error": PLANNER_RUN_ERROR}]
    created = [e for e in everything if e["action"] == "area.create"]
    shown = {e["seq"]: e["details"]["children"] for e in seen if e["action"] == "area.create"}
    assert created and all(
        shown[e["seq"]] == disclosure.count(e["details"]["children"]) for e in created
    )
    assert _verify(world)["ok"]


def test_planner_details() -> None:
    from placement.service.disclosed import PLANNER_RUN_ERROR, planner_details

    assert planner_details({"children": 7, "settings": 3}) == {"children": "<10", "settings": 3}
    assert planner_details({"children": 1234}) == {"children": 1235}
    assert planner_details({"error": "C01 ..."}) == {"error": PLANNER_RUN_ERROR}
    assert planner_details({"error": None}) == {"error": None}
