"""A casework workflow that is safe to run (issue 12): confirmation guard rails, families'
privacy, requests "being considered" until a decision, the officer's worklist, what-if over
HTTP, officers' own runs, and no rebuild per family save."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from placement.service.areas.models import AreaRow
from placement.service.audit.models import AuditEvent

from .conftest import World, confirmed, consulted, finished_run


def decide(w: World, pid: int, **body: Any) -> Any:
    return w.client.post(f"/placements/{pid}/decision", json=body, headers=w.as_("officer"))


# -- confirmation guard rails --------------------------------------------------------------------


def test_a_setting_that_fails_a_rule_needs_each_rule_overridden_with_a_reason(world: World) -> None:
    # C02 is ASD band 3 (and asked for nothing): the mainstream school M1 meets ASD to band 2
    pid = consulted(world, "C02", "M1")
    r = decide(world, pid, outcome="confirmed", reason="parent insisted")
    assert r.status_code == 422, r.text
    assert "need_level_above_designation" in r.text and "overrides" in r.text
    r = decide(world, pid, outcome="confirmed", overrides=["need_level_above_designation"])
    assert r.status_code == 422 and "reason" in r.text  # an override needs a reason
    r = decide(
        world,
        pid,
        outcome="confirmed",
        reason="the school has agreed to extra support (panel 12 May)",
        overrides=["need_level_above_designation"],
    )
    assert r.status_code == 201, r.text
    assert r.json()["override_rules"] == ["need_level_above_designation"]
    with Session(world.app.state.ctx.engine) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "placement.confirmed")).one()
        assert "need_level_above_designation" in ev.details
    agg = world.client.get(f"/areas/{world.area_id}/aggregates", headers=world.as_("planner"))
    assert agg.json()["confirmed_with_overrides"] == "<10"  # 1 child: disclosure-controlled


def test_an_override_must_name_only_rules_that_fail(world: World) -> None:
    pid = consulted(world, "C02", "S2")
    r = decide(world, pid, outcome="confirmed", reason="x", overrides=["age_out_of_range"])
    assert r.status_code == 422 and "passes" in r.text


def test_confirming_withdraws_the_childs_other_open_proposals(world: World) -> None:
    first = consulted(world, "C02", "S1")
    second = world.client.post(
        f"/areas/{world.area_id}/children/C02/placements",
        json={"setting_id": "M1"},
        headers=world.as_("officer"),
    ).json()["id"]
    third = consulted(world, "C02", "S2")
    r = decide(world, third, outcome="confirmed", reason="the family's request")
    assert r.status_code == 201, r.text
    for pid in (first, second):
        got = world.client.get(f"/placements/{pid}", headers=world.as_("officer")).json()
        assert got["status"] == "withdrawn"
        assert str(third) in got["decision_reason"]


def test_a_decline_needs_a_reason(world: World) -> None:
    pid = consulted(world, "C02", "S2")
    r = decide(world, pid, outcome="declined")
    assert r.status_code == 422 and "reason" in r.text
    assert (
        decide(world, pid, outcome="declined", reason="the setting cannot meet ...").status_code
        == 201
    )


def test_the_recommended_option_needs_no_reason_others_do(world: World) -> None:
    finished_run(world)
    placed = world.client.get(
        f"/areas/{world.area_id}/children?run_outcome=placed", headers=world.as_("officer")
    ).json()["items"]
    first, second = placed[0]["child_id"], placed[1]["child_id"]
    for cid in (first, second):  # no open request needs a ground: this test is about the reason
        world.client.put(
            f"/areas/{world.area_id}/children/{cid}/requests",
            json={"setting_ids": []},
            headers=world.as_("officer"),
        )
    lst = world.client.get(
        f"/areas/{world.area_id}/children/{first}/list", headers=world.as_("officer")
    ).json()
    rec = lst["recommended_setting_id"]
    assert rec == lst["allocated_setting_id"] == placed[0]["planned_setting_id"]
    assert lst["options"][0]["setting_id"] == rec  # the run's plan is listed first
    assert lst["recommended_because"] == "the area run plans this place"
    assert decide(world, consulted(world, first, rec), outcome="confirmed").status_code == 201
    lst = world.client.get(
        f"/areas/{world.area_id}/children/{second}/list", headers=world.as_("officer")
    ).json()
    other = next(
        o["setting_id"] for o in lst["options"] if o["setting_id"] != lst["recommended_setting_id"]
    )
    r = decide(world, consulted(world, second, other), outcome="confirmed")
    assert r.status_code == 422 and "recommended" in r.text


# -- families' privacy ------------------------------------------------------------------------


def test_a_family_never_sees_internal_notes_or_staff_usernames(world: World) -> None:
    r = world.client.post(
        f"/areas/{world.area_id}/children/C01/placements",
        json={"setting_id": "S2", "note": "mum difficult on the phone"},
        headers=world.as_("officer"),
    )
    pid = r.json()["id"]
    world.client.post(f"/placements/{pid}/consultation", headers=world.as_("officer"))
    world.client.post(
        f"/placements/{pid}/setting-response",
        json={"response": "agree", "note": "head teacher reluctant"},
        headers=world.as_("officer"),
    )
    seen = world.client.get(f"/placements/{pid}", headers=world.as_("family")).json()
    assert seen["note"] is None and seen["setting_response_note"] is None
    assert seen["proposed_by"] is None and seen["decided_by"] is None
    assert "officer" not in str(seen) and "reluctant" not in str(seen)
    staff = world.client.get(f"/placements/{pid}", headers=world.as_("officer")).json()
    assert staff["note"] == "mum difficult on the phone" and staff["proposed_by"] == "officer"


def test_a_familys_list_has_no_costs_codes_or_other_children(world: World) -> None:
    finished_run(world)
    body = world.client.get(
        f"/areas/{world.area_id}/children/C01/list", headers=world.as_("family")
    ).text
    assert "£" not in body and "cost" not in body and "score" not in body
    assert "C02" not in body and "C03" not in body


# -- requests: being considered until a decision -------------------------------------------------


def test_requests_are_being_considered_until_an_officer_decides(world: World) -> None:
    finished_run(world)
    r = world.client.put(
        f"/areas/{world.area_id}/children/C01/requests",
        json={"setting_ids": ["S1", "S2"]},
        headers=world.as_("family"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "being_considered"
    view = world.client.get(
        f"/areas/{world.area_id}/children/C01/requests", headers=world.as_("family")
    ).json()
    assert [x["status"] for x in view["requests"]] == ["being_considered"] * 2
    assert all("tests" not in x for x in view["requests"])  # no draft refusals
    lst = world.client.get(
        f"/areas/{world.area_id}/children/C01/list", headers=world.as_("family")
    ).json()
    assert {x["status"] for x in lst["requests"]} == {"being_considered"}
    officer = world.client.get(
        f"/areas/{world.area_id}/children/C01/requests", headers=world.as_("officer")
    ).json()
    assert officer["changed_since_run"] is True  # S2 added since the run
    # a decision: S2 confirmed; S1 refused with its grounds: its last place went to C03 first
    confirmed(world, "C03", "S1")
    confirmed(world, "C01", "S2")
    view = world.client.get(
        f"/areas/{world.area_id}/children/C01/requests", headers=world.as_("family")
    ).json()
    status = {x["setting_id"]: x["status"] for x in view["requests"]}
    assert status == {"S1": "refused", "S2": "named"}
    # a change after the decision is told what happens next
    r = world.client.put(
        f"/areas/{world.area_id}/children/C01/requests",
        json={"setting_ids": ["M1"]},
        headers=world.as_("family"),
    )
    assert r.json()["status"] == "after_decision" and "review" in r.json()["words"]


def test_a_family_save_does_not_rebuild_the_areas_lists(world: World) -> None:
    finished_run(world)
    builds: list[int] = []
    cache = world.app.state.ctx.cache
    real = cache._build
    cache._build = lambda *a, **k: builds.append(1) or real(*a, **k)  # type: ignore[method-assign]
    url = f"/areas/{world.area_id}/children/C03/list"
    world.client.get(url, headers=world.as_("officer"))
    n = len(builds)
    with Session(world.app.state.ctx.engine) as s:
        rev = s.get(AreaRow, world.area_id).revision  # type: ignore[union-attr]
    for prefs in (["S1"], ["S2"], ["S1", "S2"]):
        world.client.put(
            f"/areas/{world.area_id}/children/C01/requests",
            json={"setting_ids": prefs},
            headers=world.as_("family"),
        )
        world.client.get(url, headers=world.as_("officer"))
    assert len(builds) == n  # no rebuild per save
    with Session(world.app.state.ctx.engine) as s:
        assert s.get(AreaRow, world.area_id).revision == rev  # type: ignore[union-attr]


def test_the_cache_is_bounded_by_memory() -> None:
    import numpy as np

    from placement.service.engine import CoreCache

    class Fake:
        def __init__(self, n: int) -> None:
            self.n = n

        def nbytes(self) -> int:
            return self.n

    cache = CoreCache(None, entries=8, max_bytes=1000)  # type: ignore[arg-type]
    for k in range(4):
        cache._items[(k, 0, 0, 0)] = Fake(400)  # type: ignore[assignment]
        with cache._lock:
            while len(cache._items) > 1 and (
                len(cache._items) > cache.entries
                or sum(c.nbytes() for c in cache._items.values()) > cache.max_bytes
            ):
                cache._items.popitem(last=False)
    assert list(cache._items) == [(2, 0, 0, 0), (3, 0, 0, 0)]
    assert np.sum([c.nbytes() for c in cache._items.values()]) <= 1000


# -- the officer's worklist, what-if, officers' runs ---------------------------------------------


def test_the_worklist_filters_and_refuses_unknown_filters(world: World) -> None:
    finished_run(world)
    url = f"/areas/{world.area_id}/children"
    everyone = world.client.get(url, headers=world.as_("officer")).json()
    assert everyone["total"] == 24
    placed = world.client.get(url + "?run_outcome=placed", headers=world.as_("officer")).json()
    unplaced = world.client.get(url + "?run_outcome=unplaced", headers=world.as_("officer")).json()
    assert placed["total"] + unplaced["total"] == 24
    assert all(x["planned_setting_id"] for x in placed["items"])
    consulted(world, "C05", "S2")
    got = world.client.get(url + "?status=consulted", headers=world.as_("officer")).json()
    assert [x["child_id"] for x in got["items"]] == ["C05"]
    got = world.client.get(url + "?q=c1&need=ASD&year=3", headers=world.as_("officer")).json()
    assert {x["child_id"] for x in got["items"]} == {f"C{i}" for i in range(10, 20)}
    r = world.client.get(url + "?colour=red", headers=world.as_("officer"))
    assert r.status_code == 422 and "colour" in r.text
    r = world.client.get(url + "?status=lost", headers=world.as_("officer"))
    assert r.status_code == 422


def test_what_if_over_http_names_settings_for_officers_only(world: World) -> None:
    finished_run(world)
    url = f"/areas/{world.area_id}/children/C01/what-if/S1"
    r = world.client.get(url, headers=world.as_("officer"))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["setting"] == {"setting_id": "S1", "name": "Setting S1"}
    assert set(d["change"]) >= {"placed", "cost_gbp"}
    for m in d["moves"]:
        assert m["to"] is None or m["to"]["name"].startswith("Setting")
    assert world.client.get(url, headers=world.as_("family")).status_code == 403


@pytest.mark.parametrize("who", ["officer", "planner"])
def test_officers_and_planners_run_their_own_area(world: World, who: str) -> None:
    r = world.client.post(f"/areas/{world.area_id}/runs", json={}, headers=world.as_(who))
    assert r.status_code == 202, r.text
    r = world.client.post(
        f"/areas/{world.area_id}/runs", json={"scope": "from_scratch"}, headers=world.as_(who)
    )
    assert r.status_code == (202 if who == "planner" else 403)
    other = world.client.post(f"/areas/{world.other_area_id}/runs", json={}, headers=world.as_(who))
    assert other.status_code == 404  # another LA's area
