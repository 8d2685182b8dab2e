"""Decisions are records (issue 20): no refusal without a ground that holds when it is made,
letters kept as issued and never rewritten, requests after a decision are new ones, proposals
and placements can be withdrawn, and `placement audit decisions` checks them all."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from placement.area import Area
from placement.cli import main
from placement.domain import Need, SettingKind
from placement.service.areas.service import store_area
from placement.service.decisions.check import check_decisions
from placement.service.security import Principal
from tests.factories import at, child, setting, special

from .conftest import World, confirmed, consulted


def decide(w: World, pid: int, **body: Any) -> Any:
    return w.client.post(f"/placements/{pid}/decision", json=body, headers=w.as_("officer"))


def decisions(w: World, child_id: str, who: str = "officer") -> list[dict[str, Any]]:
    r = w.client.get(f"/areas/{w.area_id}/children/{child_id}/decisions", headers=w.as_(who))
    assert r.status_code == 200, r.text
    out: list[dict[str, Any]] = r.json()
    return out


def reply(w: World, pid: int, **body: Any) -> Any:
    r = w.client.post(f"/placements/{pid}/setting-response", json=body, headers=w.as_("officer"))
    assert r.status_code == 200, r.text
    return r.json()


# -- no refusal without a ground ---------------------------------------------------------------


def test_confirming_another_setting_needs_a_ground_for_each_open_request(world: World) -> None:
    # C01's family asked for S1, which is suitable and has a place left: nothing refuses it
    pid = consulted(world, "C01", "S2")
    r = decide(world, pid, outcome="confirmed", reason="nearer, the officer thinks")
    assert r.status_code == 422, r.text
    assert r.json()["type"].endswith("/request-needs-ground")
    assert "S1" in r.json()["detail"] and r.json()["setting_id"] == "S1"
    assert decisions(world, "C01") == []  # nothing half-done: no decision, no place taken
    s2 = world.client.get(f"/areas/{world.area_id}/settings/S2", headers=world.as_("officer"))
    assert s2.json()["confirmed"] == 0


def test_a_setting_objection_with_evidence_is_a_ground(world: World) -> None:
    s1 = consulted(world, "C01", "S1")
    reply(world, s1, response="objects", ground="others", note="class of 6 already at the limit")
    s2 = consulted(world, "C01", "S2")
    r = decide(world, s2, outcome="confirmed", reason="S1 objected")
    assert r.status_code == 201, r.text
    (d,) = decisions(world, "C01")
    assert d["kind"] == "named" and d["setting_id"] == "S2"
    (q,) = d["record"]["requests"]
    assert (q["setting_id"], q["outcome"]) == ("S1", "refused")
    assert [g["code"] for g in q["grounds"]] == ["setting_objects_others"]
    assert q["grounds"][0]["ground"] == "s.39(4)(b) efficient education of others"
    assert "class of 6" in q["grounds"][0]["family"]


def test_an_objection_needs_its_ground_and_evidence(world: World) -> None:
    pid = consulted(world, "C02", "S1")
    for body in (
        {"response": "objects", "note": "full"},
        {"response": "objects", "ground": "needs"},
    ):
        r = world.client.post(
            f"/placements/{pid}/setting-response", json=body, headers=world.as_("officer")
        )
        assert r.status_code == 422, r.text


def test_no_place_left_names_the_children_holding_the_places(world: World) -> None:
    confirmed(world, "C03", "S1")  # S1's last place
    pid = consulted(world, "C01", "S2")
    assert decide(world, pid, outcome="confirmed", reason="S1 is full").status_code == 201
    (q,) = decisions(world, "C01")[0]["record"]["requests"]
    (g,) = q["grounds"]
    assert g["code"] == "no_place_now" and g["facts"]["holders"] == ["C03"]
    assert g["facts"]["places"] - g["facts"]["roll"] - g["facts"]["confirmed"] <= 0
    fam = decisions(world, "C01", "family")[0]["record"]["requests"][0]["grounds"][0]["family"]
    assert "C03" not in fam  # a family is never told who holds the places


def _dear_area(la: str) -> Area:
    """C1 asks for an independent special school costing far more than the LA school."""
    settings = (
        special("LA1", {Need.ASD: 5}, places=10, capacity=10, la_code=la),
        setting(
            "IND",
            SettingKind.INDEPENDENT_SPECIAL,
            capacity=10,
            location=at(0.5, 0),
            designations={Need.ASD: 5},
            annual_fee_gbp=90_000,
            s41_approved=True,
            low_age=4,
            high_age=19,
            la_code=la,
        ),
    )
    kids = (child("C1", Need.ASD, band=3, prefs=("IND",), location=at(0, 0)),)
    return Area("dear", kids, settings, la_code=la)


def test_cost_against_the_setting_actually_named(world: World) -> None:
    with Session(world.app.state.ctx.engine, expire_on_commit=False) as s:
        row = store_area(
            s, Principal(0, "t", "planner", "886", None, None), area=_dear_area("886"),
            overrides={}, name="dear", source="test", max_children=10,
        )  # fmt: skip
    aid = row.id
    r = world.client.post(
        f"/areas/{aid}/children/C1/placements", json={"setting_id": "LA1"},
        headers=world.as_("officer"),
    )  # fmt: skip
    pid = r.json()["id"]
    world.client.post(f"/placements/{pid}/consultation", headers=world.as_("officer"))
    r = decide(world, pid, outcome="confirmed", reason="the LA school meets the needs")
    assert r.status_code == 201, r.text
    d = world.client.get(f"/areas/{aid}/children/C1/decisions", headers=world.as_("officer"))
    (g,) = d.json()[0]["record"]["requests"][0]["grounds"]
    f = g["facts"]
    assert g["code"] == "cost_disproportionate" and f["alternative_setting_id"] == "LA1"
    assert f["alternative_is"] == "named" and f["extra_gbp"] == f["cost_gbp"] - f["alternative_gbp"]
    assert f["extra_gbp"] > f["threshold_gbp"]


# -- letters are records ---------------------------------------------------------------------


def test_the_letter_is_kept_as_issued_and_in_the_audit_trail(world: World) -> None:
    confirmed(world, "C03", "S1")
    d = decisions(world, "C03")[0]
    got = world.client.get(d["letter"], headers=world.as_("family_other"))  # not their child
    assert got.status_code == 404
    own = world.client.get(
        f"/areas/{world.area_id}/children/C01/decisions", headers=world.as_("family")
    )
    assert own.json() == []
    letter = world.client.get(d["letter"], headers=world.as_("officer"))
    assert letter.status_code == 200 and "Setting S1" in letter.text
    assert hashlib.sha256(letter.content).hexdigest() == d["letter_sha256"]
    events = world.client.get("/audit/events?size=100", headers=world.as_("officer")).json()
    issued = [e for e in events["items"] if e["action"] == "decision.issue"]
    assert issued and issued[0]["details"]["letter_sha256"] == d["letter_sha256"]
    with Session(world.app.state.ctx.engine) as s:
        n, found = check_decisions(s)
    assert (n, found) == (1, [])


def test_a_decision_cannot_be_changed_or_removed(world: World) -> None:
    confirmed(world, "C03", "S1")
    with world.app.state.ctx.engine.connect() as c:
        for sql in ("UPDATE decision SET letter = 'x'", "DELETE FROM decision"):
            with pytest.raises(Exception, match="decisions are records"):
                c.execute(text(sql))
            c.rollback()


def test_a_request_after_the_decision_is_new_and_the_letter_stays(world: World) -> None:
    confirmed(world, "C03", "S1")
    pid = consulted(world, "C01", "S2")
    assert decide(world, pid, outcome="confirmed", reason="S1 full").status_code == 201
    (d,) = decisions(world, "C01", "family")
    before = world.client.get(d["letter"], headers=world.as_("family")).content
    r = world.client.put(
        f"/areas/{world.area_id}/children/C01/requests",
        json={"setting_ids": ["M1", "S1"]},
        headers=world.as_("family"),
    )
    assert r.json()["status"] == "after_decision"
    view = world.client.get(
        f"/areas/{world.area_id}/children/C01/requests", headers=world.as_("family")
    ).json()
    status = [(x["setting_id"], x["status"]) for x in view["requests"]]
    # the refused S1 asked again is a new request, beside the decided one
    assert status == [("M1", "after_decision"), ("S1", "after_decision"), ("S1", "refused")]
    assert world.client.get(d["letter"], headers=world.as_("family")).content == before
    assert decisions(world, "C01", "family") == [d]


# -- withdrawals and refusals ------------------------------------------------------------------


def test_a_mistaken_proposal_is_withdrawn_before_consultation(world: World) -> None:
    r = world.client.post(
        f"/areas/{world.area_id}/children/C02/placements", json={"setting_id": "M1"},
        headers=world.as_("officer"),
    )  # fmt: skip
    pid = r.json()["id"]
    w = world.client.post(
        f"/placements/{pid}/withdrawal", json={"reason": "wrong child"},
        headers=world.as_("officer"),
    )  # fmt: skip
    assert w.status_code == 200 and w.json()["status"] == "withdrawn"
    again = world.client.post(
        f"/placements/{pid}/withdrawal", json={"reason": "again"}, headers=world.as_("officer")
    )
    assert again.status_code == 409 and "nothing to withdraw" in again.json()["detail"]
    c = world.client.post(f"/placements/{pid}/consultation", headers=world.as_("officer"))
    assert c.status_code == 409 and "only a proposal" in c.json()["detail"]
    assert decisions(world, "C02") == []  # nothing was decided, nothing to write


def test_wrong_state_messages_say_what_to_do(world: World) -> None:
    pid = confirmed(world, "C02", "S2")
    r = decide(world, pid, outcome="confirmed", reason="again")
    assert r.status_code == 409 and "withdraw it first" in r.json()["detail"]
    r2 = world.client.post(
        f"/areas/{world.area_id}/children/C04/placements", json={"setting_id": "S2"},
        headers=world.as_("officer"),
    )  # fmt: skip
    r = decide(world, r2.json()["id"], outcome="confirmed", reason="x")
    assert r.status_code == 409 and "start the consultation first" in r.json()["detail"]


def test_withdrawing_a_confirmed_place_gives_it_back_and_writes(world: World) -> None:
    pid = confirmed(world, "C03", "S1")
    r = world.client.post(
        f"/placements/{pid}/withdrawal", json={"reason": "the family moved out of the area"},
        headers=world.as_("officer"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    s1 = world.client.get(f"/areas/{world.area_id}/settings/S1", headers=world.as_("officer"))
    assert s1.json()["confirmed"] == 0 and s1.json()["free"] == 1
    kinds = [d["kind"] for d in decisions(world, "C03")]
    assert kinds == ["named", "withdrawn"]
    letter = world.client.get(decisions(world, "C03")[1]["letter"], headers=world.as_("officer"))
    assert "moved out of the area" in letter.text


def test_refusing_one_request_needs_a_ground_now(world: World) -> None:
    view = world.client.get(
        f"/areas/{world.area_id}/children/C01/requests", headers=world.as_("officer")
    ).json()
    rid = view["requests"][0]["request_id"]
    url = f"/areas/{world.area_id}/children/C01/requests/{rid}/refusal"
    r = world.client.post(url, json={"reason": "x"}, headers=world.as_("officer"))
    assert r.status_code == 422  # S1 is suitable, has a place and is the cheapest
    confirmed(world, "C03", "S1")
    r = world.client.post(url, json={"reason": "full"}, headers=world.as_("officer"))
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "refused" and r.json()["setting_id"] is None
    again = world.client.post(url, json={}, headers=world.as_("officer"))
    assert again.status_code == 409
    fam = world.client.post(url, json={}, headers=world.as_("family"))
    assert fam.status_code == 403


def test_audit_decisions_finds_a_tampered_letter(world: World, tmp_path: Path) -> None:
    confirmed(world, "C03", "S1")
    url = str(world.app.state.ctx.engine.url)
    assert main(["audit", "decisions", "--database-url", url]) == 0
    with world.app.state.ctx.engine.begin() as c:  # someone with the database's keys
        c.execute(text("DROP TRIGGER decision_no_update"))
        c.execute(text("UPDATE decision SET letter = replace(letter, 'Setting S1', 'Setting S9')"))
    assert main(["audit", "decisions", "--database-url", url]) == 1
    with Session(world.app.state.ctx.engine) as s:
        _, found = check_decisions(s)
    assert {f.problem for f in found} >= {"the letter is not the one issued (its hash differs)"}
