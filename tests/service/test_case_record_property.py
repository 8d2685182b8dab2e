"""The case record stays true over any sequence of what people do (issue 20): a property test
over random sequences of families' requests, proposals, consultations, settings' replies,
decisions, withdrawals, refusals, runs (working and studies) and moves of the clock.

After every step: no letter has changed since it was issued, every decision passes the
independent check (`placement audit decisions`), and a study never changes a family's page.
After every decision: each request it refused had, at that moment, a ground that held on
the service's own facts, re-derived here from the database and the rules."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlmodel import Session, select

from placement.rules import why_unsuitable
from placement.service import clock
from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.decisions.check import check_decisions
from placement.service.decisions.models import DecisionRow
from placement.service.placements.models import PlacementRow

from .conftest import PASSWORD, World, build_world

CHILDREN = [f"C{i:02d}" for i in range(1, 9)]
SETTINGS = ["M1", "S1", "S2"]


class CaseRecord(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        root = Path(self.tmp.name)
        self.w: World = build_world(f"sqlite:///{root / 't.db'}", root)
        self.letters: dict[int, bytes] = {}
        self.open_placements: list[int] = []
        self.start = clock.utcnow()

    # -- helpers ---------------------------------------------------------------------------

    def call(self, method: str, path: str, who: str = "officer", **kw: Any) -> Any:
        r = self.w.client.request(method, path, headers=self.w.as_(who), **kw)
        assert r.status_code < 500, (path, r.status_code, r.text)
        return r

    def run(self, who: str) -> dict[str, Any]:
        r = self.call("POST", f"/areas/{self.w.area_id}/runs", who, json={})
        assert r.status_code == 202, r.text
        for _ in range(600):
            run: dict[str, Any] = self.call("GET", f"/runs/{r.json()['id']}").json()
            if run["status"] in ("succeeded", "failed"):
                return run
            time.sleep(0.02)
        raise AssertionError("run did not finish")

    def family_page(self) -> Any:
        a = self.w.area_id
        return self.call("GET", f"/areas/{a}/children/C01/list", "family").json()

    def _held_now(self, d: dict[str, Any]) -> None:
        """Each refusal of the decision just made rests on a ground that holds now, checked
        against the database (places, replies) and the suitability rules directly."""
        engine = self.w.app.state.ctx.engine
        with Session(engine) as s:
            area = s.get(AreaRow, self.w.area_id)
            assert area is not None
            p = self.w.app.state.ctx.cache.get(s, area).problem
            for q in d["record"]["requests"]:
                if q["outcome"] != "refused":
                    continue
                codes = {g["code"] for g in q["grounds"]}
                assert codes, q
                sid, cid = q["setting_id"], d["child_id"]
                ok = []
                if codes & {"no_place_now"}:
                    f = next(g["facts"] for g in q["grounds"] if g["code"] == "no_place_now")
                    ok.append(self._full(s, sid, f.get("need")))
                if codes & {"setting_objects_others", "setting_objects_needs"}:
                    ok.append(
                        s.exec(
                            select(PlacementRow).where(
                                PlacementRow.child_id == cid,
                                PlacementRow.setting_id == sid,
                                PlacementRow.setting_response == "objects",
                            )
                        ).first()
                        is not None
                    )
                suit = codes - {
                    "no_place_now", "setting_objects_others", "setting_objects_needs",
                    "cost_disproportionate", "not_s41_unreasonable_expenditure",
                }  # fmt: skip
                if suit:
                    i, k = p.child_index[cid], p.setting_index[sid]
                    ok.append({r.code.value for r in why_unsuitable(p, i, k)} >= suit)
                if codes & {"cost_disproportionate"}:
                    f = next(
                        g["facts"] for g in q["grounds"] if g["code"] == "cost_disproportionate"
                    )
                    ok.append(f["cost_gbp"] - f["alternative_gbp"] > f["threshold_gbp"])
                assert ok and all(ok), (q, ok)

    def _full(self, s: Session, sid: str, need: str | None) -> bool:
        """No place free now at the setting (or in its pool for ``need``): the counters."""
        row = s.exec(
            select(SettingRow).where(
                SettingRow.area_id == self.w.area_id, SettingRow.setting_id == sid
            )
        ).one()
        if need is None:
            return row.capacity - row.roll - row.confirmed <= 0
        pool = s.exec(
            select(PoolRow).where(PoolRow.setting_row_id == row.id, PoolRow.need == need)
        ).one()
        return pool.places - pool.roll - pool.confirmed <= 0

    def decided(self, r: Any) -> None:
        if r.status_code == 201 and "record" in r.json():
            self._held_now(r.json())

    # -- what people do --------------------------------------------------------------------

    @rule(child=st.sampled_from(CHILDREN), picks=st.lists(st.sampled_from(SETTINGS), unique=True))
    def family_saves(self, child: str, picks: list[str]) -> None:
        who = "family" if child == "C01" else "officer"
        self.call("PUT", f"/areas/{self.w.area_id}/children/{child}/requests", who,
                  json={"setting_ids": picks})  # fmt: skip

    @rule(child=st.sampled_from(CHILDREN), setting=st.sampled_from(SETTINGS))
    def propose_and_consult(self, child: str, setting: str) -> None:
        r = self.call("POST", f"/areas/{self.w.area_id}/children/{child}/placements",
                      json={"setting_id": setting})  # fmt: skip
        if r.status_code == 201:
            pid = r.json()["id"]
            self.call("POST", f"/placements/{pid}/consultation")
            self.open_placements.append(pid)

    @precondition(lambda self: self.open_placements)
    @rule(data=st.data(), kind=st.sampled_from(["agrees", "needs", "others"]))
    def setting_replies(self, data: st.DataObject, kind: str) -> None:
        pid = data.draw(st.sampled_from(self.open_placements))
        body = {"response": "agrees"} if kind == "agrees" else {
            "response": "objects", "ground": kind, "note": "the reason it gives"}  # fmt: skip
        self.call("POST", f"/placements/{pid}/setting-response", json=body)

    @precondition(lambda self: self.open_placements)
    @rule(data=st.data(), outcome=st.sampled_from(["confirmed", "declined"]))
    def officer_decides(self, data: st.DataObject, outcome: str) -> None:
        pid = data.draw(st.sampled_from(self.open_placements))
        r = self.call("POST", f"/placements/{pid}/decision",
                      json={"outcome": outcome, "reason": "the officer's reason"})  # fmt: skip
        if r.status_code == 201 and outcome == "confirmed":
            p = r.json()
            ds = self.call("GET", f"/areas/{self.w.area_id}/children/{p['child_id']}/decisions")
            self._held_now(ds.json()[-1])

    @precondition(lambda self: self.open_placements)
    @rule(data=st.data())
    def officer_withdraws(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(self.open_placements))
        self.call("POST", f"/placements/{pid}/withdrawal", json={"reason": "changed course"})

    @rule(child=st.sampled_from(CHILDREN))
    def officer_refuses(self, child: str) -> None:
        view = self.call("GET", f"/areas/{self.w.area_id}/children/{child}/requests").json()
        for q in view["requests"]:
            if q["status"] in ("being_considered", "after_decision"):
                r = self.call(
                    "POST",
                    f"/areas/{self.w.area_id}/children/{child}/requests/{q['request_id']}/refusal",
                    json={"reason": "x"},
                )
                assert r.status_code in (201, 409, 422), r.text
                self.decided(r)
                return

    @rule()
    def officer_run(self) -> None:
        assert self.run("officer")["status"] == "succeeded"

    @rule()
    def planner_study(self) -> None:
        before = self.family_page()
        assert self.run("planner")["status"] == "succeeded"
        assert self.family_page() == before  # a study never changes what a family sees

    @rule(days=st.integers(1, 60))
    def time_passes(self, days: int) -> None:
        clock.set_now(clock.utcnow() + dt.timedelta(days=days))
        for name in self.w.tokens:  # their tokens have expired: everyone signs in again
            r = self.w.client.post("/auth/token", data={"username": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.w.tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}

    # -- what must always hold -------------------------------------------------------------

    @invariant()
    def letters_never_change(self) -> None:
        with Session(self.w.app.state.ctx.engine) as s:
            ids = s.exec(select(DecisionRow.id)).all()
        for did in ids:
            assert did is not None
            got = self.call("GET", f"/decisions/{did}/letter").content
            assert self.letters.setdefault(did, got) == got

    @invariant()
    def every_decision_passes_the_check(self) -> None:
        with Session(self.w.app.state.ctx.engine) as s:
            _, found = check_decisions(s)
        assert not found, found

    def teardown(self) -> None:
        clock.set_now(None)
        self.w.app.state.ctx.jobs.shutdown()
        if self.w.app.state.ctx.ops is not None:
            self.w.app.state.ctx.ops.stop()
        self.w.app.state.ctx.engine.dispose()
        self.tmp.cleanup()


CaseRecord.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestCaseRecord = CaseRecord.TestCase
