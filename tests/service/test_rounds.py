"""The working run, rounds, waiting lists and the panel (issue 20): only the working run feeds
what officers and families see (a study never changes a family's page), a later round keeps
what is decided, a place that frees goes first to whom the waiting list says, and the panel
sees the children hardest to place."""

from __future__ import annotations

import time
from typing import Any

from .conftest import World, confirmed, consulted, finished_run


def _list(w: World, child_id: str, who: str) -> dict[str, Any]:
    r = w.client.get(f"/areas/{w.area_id}/children/{child_id}/list", headers=w.as_(who))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _wait(w: World, run_id: int) -> dict[str, Any]:
    for _ in range(600):
        run: dict[str, Any] = w.client.get(f"/runs/{run_id}", headers=w.as_("officer")).json()
        if run["status"] in ("succeeded", "failed"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish")


def test_a_planners_study_never_changes_what_a_family_sees(world: World) -> None:
    before = _list(world, "C01", "family")
    assert before["run_id"] is None
    study = finished_run(world, who="planner", mechanism="preference-first")
    assert study["status"] == "succeeded" and study["working"] is False
    assert _list(world, "C01", "family") == before
    assert (
        world.client.get(f"/areas/{world.area_id}/round", headers=world.as_("officer")).json()[
            "working_run_id"
        ]
        is None
    )
    work = finished_run(world)  # an officer's run of the children moving this round
    assert work["working"] is True
    after = _list(world, "C01", "family")
    assert after["run_id"] == work["id"] != study["id"]
    again = finished_run(world, who="planner")  # a later study: still nothing changes
    assert _list(world, "C01", "family") == after
    assert again["id"] != after["run_id"]


def test_only_an_officer_designates_and_only_a_finished_moving_run(world: World) -> None:
    study = finished_run(world, who="planner")
    r = world.client.post(f"/runs/{study['id']}/working", headers=world.as_("planner"))
    assert r.status_code == 403
    r = world.client.post(f"/runs/{study['id']}/working", headers=world.as_("officer"))
    assert r.status_code == 200 and r.json()["working_run_id"] == study["id"]
    assert _list(world, "C03", "officer")["run_id"] == study["id"]
    scratch = finished_run(world, scope="from_scratch")
    r = world.client.post(f"/runs/{scratch['id']}/working", headers=world.as_("officer"))
    assert r.status_code == 409 and "from scratch" in r.json()["detail"]
    r = world.client.post(
        f"/areas/{world.area_id}/runs", json={"working": True}, headers=world.as_("planner")
    )
    assert r.status_code == 403
    other = world.client.post(f"/runs/{study['id']}/working", headers=world.as_("officer_other"))
    assert other.status_code == 404


def test_a_later_round_keeps_what_is_decided(world: World) -> None:
    first = finished_run(world)
    pid = confirmed(world, "C03", "S1")
    r = world.client.post(f"/areas/{world.area_id}/rounds", headers=world.as_("officer"))
    assert r.status_code == 201 and r.json()["number"] == 2
    assert r.json()["working_run_id"] is None  # the new round has no working run yet
    second = finished_run(world)
    assert second["id"] != first["id"]
    rnd = world.client.get(f"/areas/{world.area_id}/round", headers=world.as_("officer")).json()
    assert (rnd["number"], rnd["working_run_id"]) == (2, second["id"])
    placements = world.client.get(
        f"/runs/{second['id']}/placements?size=100", headers=world.as_("officer")
    ).json()["items"]
    assert "C03" not in {x["child_id"] for x in placements}  # decided: not placed again
    got = world.client.get(f"/placements/{pid}", headers=world.as_("officer")).json()
    assert got["status"] == "confirmed"


def _refuse_s1_as_full(w: World, child_id: str) -> None:
    pid = consulted(w, child_id, "S2")
    r = w.client.post(
        f"/placements/{pid}/decision",
        json={"outcome": "confirmed", "reason": "S1 is full"},
        headers=w.as_("officer"),
    )
    assert r.status_code == 201, r.text


def test_a_freed_place_goes_first_to_whom_the_waiting_list_says(world: World) -> None:
    holder = confirmed(world, "C03", "S1")  # S1's only place
    for cid in ("C05", "C01"):  # both asked for S1: refused as full, in that order
        _refuse_s1_as_full(world, cid)
    lists = world.client.get(
        f"/areas/{world.area_id}/waiting-lists", headers=world.as_("officer")
    ).json()
    (s1,) = lists
    assert s1["setting_id"] == "S1" and s1["free_now"] == 0 and s1["offer_first"] is None

    # the casework policy's order, recomputed here: in care, band, sibling, journey, refused
    def key(x: dict[str, Any]) -> tuple[Any, ...]:
        return (not x["looked_after"], -x["need_band"], not x["sibling"], x["journey_min"])

    expected = sorted(s1["waiting"], key=lambda x: (*key(x), x["refused_at"]))
    assert [x["child_id"] for x in s1["waiting"]] == [x["child_id"] for x in expected]
    assert {x["child_id"] for x in s1["waiting"]} == {"C01", "C05"}
    first = s1["waiting"][0]["child_id"]
    r = world.client.post(
        f"/placements/{holder}/withdrawal", json={"reason": "moved away"},
        headers=world.as_("officer"),
    )  # fmt: skip
    assert r.status_code == 200
    (s1,) = world.client.get(
        f"/areas/{world.area_id}/waiting-lists", headers=world.as_("officer")
    ).json()
    assert s1["free_now"] == 1 and s1["offer_first"] == first
    planner = world.client.get(
        f"/areas/{world.area_id}/waiting-lists", headers=world.as_("planner")
    )
    assert planner.status_code == 403


def test_the_panel_sees_the_children_hardest_to_place(world: World) -> None:
    finished_run(world)
    panel = world.client.get(f"/areas/{world.area_id}/panel", headers=world.as_("officer"))
    assert panel.status_code == 200, panel.text
    items = panel.json()
    unplaced = world.client.get(
        f"/areas/{world.area_id}/children?run_outcome=unplaced&size=100",
        headers=world.as_("officer"),
    ).json()["items"]
    assert {c["child_id"] for c in unplaced} <= {h["child_id"] for h in items}
    h = items[0]
    assert h["blocks"] and h["nearest"] and h["first_name"]
    r = world.client.post(
        f"/areas/{world.area_id}/children/{h['child_id']}/panel-decision",
        json={"decision": "commission two more ASD places at S2 from January"},
        headers=world.as_("officer"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "panel"
    letter = world.client.get(r.json()["letter"], headers=world.as_("officer")).text
    assert "commission two more ASD places" in letter
    assert (
        world.client.get(f"/areas/{world.area_id}/panel", headers=world.as_("family")).status_code
        == 403
    )


def _w(cid: str, **kw: Any) -> Any:
    import datetime as dt

    from placement.service.rounds.waiting import Waiting

    base = {
        "first_name": "", "rank": 1, "decision_id": 1, "looked_after": False, "need_band": 3,
        "sibling": False, "journey_min": 20,
        "refused_at": dt.datetime(2027, 1, 10, tzinfo=dt.UTC),
    }  # fmt: skip
    base.update(kw)
    return Waiting(child_id=cid, **base)


def test_the_waiting_list_order_is_the_policys() -> None:
    import datetime as dt

    from placement.service.rounds.waiting import waiting_key

    early = dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
    kids = [
        _w("A"),  # the baseline
        _w("B", refused_at=early),  # refused first
        _w("C", journey_min=5),  # nearer
        _w("D", sibling=True),  # a sibling there
        _w("E", need_band=5),  # higher need
        _w("F", looked_after=True),  # in care
    ]
    order = ("looked_after", "need_band", "sibling", "distance", "refused_first")
    assert [w.child_id for w in sorted(kids, key=lambda w: waiting_key(w, order))] == list("FEDCBA")
    only_time = ("refused_first",)
    assert sorted(kids, key=lambda w: waiting_key(w, only_time))[0].child_id == "B"
