"""Recorded answers: every API route, for every role, on a fixed small area.

A refactor of the service must not change what the API answers. :func:`play` runs one fixed
script of requests (reads by every role, including the ones that must be refused, and one
path through every write: requests, a run, a proposal, consultation, reply, decision, a
policy, a scenario and its reports, an import, a generated area) against a fresh service and
returns each answer's status and body with what legitimately varies from run to run made
stable: times, dates (as days from today), tokens, hashes and solver timings.

``tests/service/test_recorded_answers.py`` compares a fresh play with the answers recorded in
``tests/service/data/recorded_answers.json``. After a change that is meant to change an
answer, record again and read the diff::

    .venv/bin/python -m tests.service.recorded --write
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from placement.files.area_writer import write_area
from tests.service.conftest import PASSWORD, World, build_world, small_area

RECORDED = Path(__file__).parent / "data" / "recorded_answers.json"
ROLES = ("officer", "officer_other", "planner", "planner_other", "family", "family_other")

SCENARIO = """\
name = "Ten more ASD places at S2"
description = "The ASD pool at S2 grows from 5 to 15 places."

[base]
seed = 3

[[add_places]]
setting_id = "S2"
need = "ASD"
places = 10
"""

_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HEX = re.compile(r"^[0-9a-f]{32,}$")
# keys whose values vary between plays for reasons that are not the service's answer
_VOLATILE = {
    "access_token",
    "hash",
    "prev_hash",
    "event_hash",
    "head_hash",
    "solve_s",
    "time_s",
    "seconds",
    "wall_s",
    "elapsed_s",
    "build_s",
    "duration_s",
}


_DATE_WORDS = (
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|October"
    r"|November|December) (\d{4})\b"
)


def _relative_date(m: re.Match[str]) -> str:
    """A date in words as days from today (it moves with the day the answers are played)."""
    d = dt.datetime.strptime(f"{m.group(1)} {m.group(2)} {m.group(3)}", "%d %B %Y").date()
    return _days_from_today(d)


def _days_from_today(d: dt.date) -> str:
    """A date as days from today; one months away (an appeal's 2 months: 59 to 62 days,
    by the month) only as a date."""
    days = (d - dt.date.today()).days
    return f"<today{days:+d}>" if abs(days) <= 40 else "<date>"


def _stable(value: Any, key: str = "") -> Any:
    """``value`` with volatile parts replaced by placeholders."""
    if isinstance(value, dict):
        return {k: _stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v, key) for v in value]
    if key in _VOLATILE or key.endswith(("_seconds", "_ms")):
        return f"<{key}>"
    if isinstance(value, float) and (key.endswith("_s") or "time" in key):
        return f"<{key}>"
    if isinstance(value, str):
        if _TIME.match(value):
            return "<time>"
        if _DATE.match(value):
            return _days_from_today(dt.date.fromisoformat(value))
        if _HEX.match(value):
            return "<hex>"
        value = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)?", "<time>", value)
        return re.sub(_DATE_WORDS, _relative_date, value)
    return value


def _html_text(body: str) -> str:
    """The visible text of an HTML answer, tags and spacing dropped."""
    body = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", body)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text).strip()


class Recorder:
    def __init__(self, w: World) -> None:
        self.w = w
        self.answers: dict[str, Any] = {}

    def call(self, label: str, method: str, path: str, who: str | None, **kw: Any) -> Any:
        headers = dict(self.w.as_(who)) if who else {}
        headers.update(kw.pop("headers", {}))
        r = self.w.client.request(method, path, headers=headers, **kw)
        ops = self.w.app.state.ctx.ops
        if ops is not None:  # read events are written in groups: in a fixed order here
            ops.reads.flush()
        media = r.headers.get("content-type", "").split(";")[0]
        body: Any
        if media.endswith("json"):
            body = r.json()
        elif media == "text/html":
            body = _stable(_html_text(r.text))
        else:
            body = _stable(r.text)
        if label in self.answers:
            raise AssertionError(f"label {label!r} twice")
        self.answers[label] = {
            "method": method,
            "path": re.sub(r"/(\d+)(?=/|$|\?)", "/{id}", path),
            "status": r.status_code,
            "media": media,
            "body": _stable(body),
        }
        return r

    def each_role(self, label: str, method: str, path: str, **kw: Any) -> None:
        for who in (*ROLES, None):
            self.call(f"{label} as {who or 'anonymous'}", method, path, who, **kw)


def _until_done(w: World, path: str) -> None:
    for _ in range(1200):
        st = w.client.get(path, headers=w.as_("officer")).json().get("status")
        if st in ("succeeded", "failed"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} did not finish")


def play(w: World, import_root: Path) -> dict[str, Any]:
    """Run the script on ``w`` (a fresh world) and return the answers by label."""
    rec = Recorder(w)
    a, b = w.area_id, w.other_area_id
    rec.each_role("health", "GET", "/health")
    rec.each_role("me", "GET", "/me")
    rec.each_role("areas", "GET", "/areas")
    rec.each_role("area", "GET", f"/areas/{a}")
    rec.each_role("other area", "GET", f"/areas/{b}")
    rec.each_role("aggregates before runs", "GET", f"/areas/{a}/aggregates")
    rec.each_role("settings", "GET", f"/areas/{a}/settings?size=2&page=2")
    rec.each_role("setting S1", "GET", f"/areas/{a}/settings/S1")
    rec.each_role("setting missing", "GET", f"/areas/{a}/settings/NOPE")
    rec.each_role("worklist", "GET", f"/areas/{a}/children?size=5")
    rec.each_role("child C01", "GET", f"/areas/{a}/children/C01")
    rec.each_role("child C02", "GET", f"/areas/{a}/children/C02")
    rec.each_role("list C01 before runs", "GET", f"/areas/{a}/children/C01/list")
    rec.each_role("requests C01", "GET", f"/areas/{a}/children/C01/requests")
    rec.each_role("policies", "GET", "/policies")
    rec.each_role("runs before", "GET", f"/areas/{a}/runs")
    rec.each_role("scenarios before", "GET", f"/areas/{a}/scenarios")
    # the family saves requests, an officer too (on behalf), with mistakes first
    rec.call("put requests twice", "PUT", f"/areas/{a}/children/C01/requests", "family",
             json={"setting_ids": ["S1", "S1"]})  # fmt: skip
    rec.call("put requests unknown", "PUT", f"/areas/{a}/children/C01/requests", "family",
             json={"setting_ids": ["NOPE"]})  # fmt: skip
    rec.call("put requests family", "PUT", f"/areas/{a}/children/C01/requests", "family",
             json={"setting_ids": ["S1", "M1"]})  # fmt: skip
    rec.call("put requests other family", "PUT", f"/areas/{a}/children/C01/requests",
             "family_other", json={"setting_ids": ["S2"]})  # fmt: skip
    rec.call("put requests officer", "PUT", f"/areas/{a}/children/C03/requests", "officer",
             json={"setting_ids": ["S2", "S1"]})  # fmt: skip
    rec.call("put requests planner", "PUT", f"/areas/{a}/children/C03/requests", "planner",
             json={"setting_ids": ["S2"]})  # fmt: skip
    # runs: refused shapes, then one of each mechanism
    rec.call("run from scratch as officer", "POST", f"/areas/{a}/runs", "officer",
             json={"scope": "from_scratch"})  # fmt: skip
    rec.call("start run as family", "POST", f"/areas/{a}/runs", "family", json={})
    rec.call("run bad mechanism", "POST", f"/areas/{a}/runs", "planner",
             json={"mechanism": "lottery"})  # fmt: skip
    r = rec.call("run preference-first", "POST", f"/areas/{a}/runs", "planner",
                 json={"mechanism": "preference-first", "seed": 2})  # fmt: skip
    _until_done(w, f"/runs/{r.json()['id']}")
    r = rec.call("run optimised", "POST", f"/areas/{a}/runs", "officer", json={"seed": 1})
    run_id = r.json()["id"]
    _until_done(w, f"/runs/{run_id}")
    rec.each_role("run", "GET", f"/runs/{run_id}")
    rec.each_role("runs", "GET", f"/areas/{a}/runs")
    rec.each_role("run placements", "GET", f"/runs/{run_id}/placements?size=30")
    rec.each_role("dashboard", "GET", f"/runs/{run_id}/dashboard")
    rec.each_role("dashboard html", "GET", f"/runs/{run_id}/dashboard.html")
    rec.each_role("aggregates after run", "GET", f"/areas/{a}/aggregates")
    rec.each_role("round", "GET", f"/areas/{a}/round")
    rec.each_role("waiting lists before", "GET", f"/areas/{a}/waiting-lists")
    rec.each_role("panel", "GET", f"/areas/{a}/panel")
    rec.each_role("worklist after run", "GET", f"/areas/{a}/children?size=30")
    for q in (
        "run_outcome=placed&size=3",
        "run_outcome=unplaced",
        "status=none&size=2",
        "need=ASD&year=3&size=2",
        "q=c1&size=4",
        "consultation_overdue=true",
        "deadline_within_days=30",
        "bogus=1",
        "year=99",
    ):
        rec.call(f"worklist {q}", "GET", f"/areas/{a}/children?{q}", "officer")
    for who in ("officer", "family"):
        rec.call(f"list C01 as {who}", "GET", f"/areas/{a}/children/C01/list", who)
    rec.call("list C01 family wording", "GET",
             f"/areas/{a}/children/C01/list?audience=family", "officer")  # fmt: skip
    rec.call("list C03", "GET", f"/areas/{a}/children/C03/list", "officer")
    for sid in ("S1", "S2", "M1", "NOPE"):
        rec.each_role(f"explain C01 {sid}", "GET", f"/areas/{a}/children/C01/explanations/{sid}")
        rec.each_role(f"what-if C01 {sid}", "GET", f"/areas/{a}/children/C01/what-if/{sid}")
    rec.call("explain C01 S1 family wording", "GET",
             f"/areas/{a}/children/C01/explanations/S1?audience=family", "officer")  # fmt: skip
    rec.each_role("requests C01 after run", "GET", f"/areas/{a}/children/C01/requests")
    rec.each_role("requests C03 after run", "GET", f"/areas/{a}/children/C03/requests")
    # placements: propose, consult, reply, decide, with the mistakes on the way
    rec.call("propose as family", "POST", f"/areas/{a}/children/C01/placements", "family",
             json={"setting_id": "S1"})  # fmt: skip
    rec.call("propose unknown", "POST", f"/areas/{a}/children/C01/placements", "officer",
             json={"setting_id": "NOPE"})  # fmt: skip
    r = rec.call("propose S1", "POST", f"/areas/{a}/children/C01/placements", "officer",
                 json={"setting_id": "S1", "note": "first choice"})  # fmt: skip
    pid = r.json()["id"]
    r2 = rec.call("propose M1", "POST", f"/areas/{a}/children/C01/placements", "officer",
                  json={"setting_id": "M1"})  # fmt: skip
    pid2 = r2.json()["id"]
    rec.call("decide before consult", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "confirmed", "reason": "x"})  # fmt: skip
    rec.call("reply before consult", "POST", f"/placements/{pid}/setting-response", "officer",
             json={"response": "agrees", "note": "ok"})  # fmt: skip
    rec.call("consult as other officer", "POST", f"/placements/{pid}/consultation",
             "officer_other")  # fmt: skip
    rec.call("consult", "POST", f"/placements/{pid}/consultation", "officer")
    rec.call("consult again", "POST", f"/placements/{pid}/consultation", "officer")
    rec.call("reply", "POST", f"/placements/{pid}/setting-response", "officer",
             json={"response": "agrees", "note": "we can meet the needs"})  # fmt: skip
    rec.each_role("placement", "GET", f"/placements/{pid}")
    rec.each_role("child placements", "GET", f"/areas/{a}/children/C01/placements")
    rec.call("decline without reason", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "declined", "reason": ""})  # fmt: skip
    rec.call("decide bad outcome", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "maybe", "reason": "x"})  # fmt: skip
    rec.call("confirm", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "confirmed", "reason": "the family's request"},
             headers={"Idempotency-Key": "k-1"})  # fmt: skip
    rec.call("confirm replay", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "confirmed", "reason": "the family's request"},
             headers={"Idempotency-Key": "k-1"})  # fmt: skip
    rec.call("confirm replay other body", "POST", f"/placements/{pid}/decision", "officer",
             json={"outcome": "confirmed", "reason": "changed"},
             headers={"Idempotency-Key": "k-1"})  # fmt: skip
    rec.each_role("placement M1 after", "GET", f"/placements/{pid2}")
    rec.each_role("decisions C01", "GET", f"/areas/{a}/children/C01/decisions")
    first = w.client.get(f"/areas/{a}/children/C01/decisions", headers=w.as_("officer")).json()
    did = first[0]["id"]
    rec.each_role("decision", "GET", f"/decisions/{did}")
    rec.each_role("letter", "GET", f"/decisions/{did}/letter")
    # refusing one request: S1 is now full (a ground), S2 has places (none)
    c03 = w.client.get(f"/areas/{a}/children/C03/requests", headers=w.as_("officer")).json()
    ids = {x["setting_id"]: x["request_id"] for x in c03["requests"]}
    for sid in ("S2", "S1"):
        for who in ("family", "officer"):
            rec.call(f"refuse C03 {sid} as {who}", "POST",
                     f"/areas/{a}/children/C03/requests/{ids[sid]}/refusal", who,
                     json={"reason": "no place"})  # fmt: skip
    rec.each_role("waiting lists", "GET", f"/areas/{a}/waiting-lists")
    # withdrawing a proposal made by mistake, twice
    r = rec.call("propose C09 M1", "POST", f"/areas/{a}/children/C09/placements", "officer",
                 json={"setting_id": "M1"})  # fmt: skip
    for n in (1, 2):
        rec.call(f"withdraw C09 {n}", "POST", f"/placements/{r.json()['id']}/withdrawal",
                 "officer", json={"reason": "proposed by mistake"})  # fmt: skip
    rec.each_role("requests C01 after decision", "GET", f"/areas/{a}/children/C01/requests")
    rec.call("put requests after decision", "PUT", f"/areas/{a}/children/C01/requests",
             "family", json={"setting_ids": ["S2"]})  # fmt: skip
    rec.call("list C01 after decision", "GET", f"/areas/{a}/children/C01/list", "family")
    rec.call("list C01 officer after decision", "GET", f"/areas/{a}/children/C01/list",
             "officer")  # fmt: skip
    # a placement that fails the rules: override named, then declined
    r = rec.call("propose C05 M1", "POST", f"/areas/{a}/children/C05/placements", "officer",
                 json={"setting_id": "M1"})  # fmt: skip
    pid3 = r.json()["id"]
    rec.call("consult C05", "POST", f"/placements/{pid3}/consultation", "officer")
    rec.call("confirm C05 no reason", "POST", f"/placements/{pid3}/decision", "officer",
             json={"outcome": "confirmed", "reason": ""})  # fmt: skip
    rec.call("confirm C05 wrong override", "POST", f"/placements/{pid3}/decision", "officer",
             json={"outcome": "confirmed", "reason": "x",
                   "overrides": ["age_out_of_range"]})  # fmt: skip
    rec.call("confirm C05 override", "POST", f"/placements/{pid3}/decision", "officer",
             json={"outcome": "confirmed", "reason": "extra support agreed",
                   "overrides": ["need_level_above_designation"]})  # fmt: skip
    r = rec.call("propose C07 S2", "POST", f"/areas/{a}/children/C07/placements", "officer",
                 json={"setting_id": "S2"})  # fmt: skip
    pid4 = r.json()["id"]
    rec.call("consult C07", "POST", f"/placements/{pid4}/consultation", "officer")
    rec.call("reply C07", "POST", f"/placements/{pid4}/setting-response", "officer",
             json={"response": "objects", "ground": "others", "note": "full"})  # fmt: skip
    rec.call("decline C07", "POST", f"/placements/{pid4}/decision", "officer",
             json={"outcome": "declined", "reason": "the family changed its mind"})  # fmt: skip
    rec.each_role("worklist after decisions", "GET", f"/areas/{a}/children?size=6")
    rec.each_role("setting S1 after", "GET", f"/areas/{a}/settings/S1")
    rec.each_role("aggregates after decisions", "GET", f"/areas/{a}/aggregates")
    # policies
    rec.call("policy bad", "POST", "/policies", "planner",
             json={"overrides": {"travel": {"nonsense": 1}}, "note": "bad"})  # fmt: skip
    rec.call("policy as officer", "POST", "/policies", "officer",
             json={"overrides": {}, "note": "x"})  # fmt: skip
    r = rec.call("policy", "POST", "/policies", "planner",
                 json={"overrides": {"funding": {"efficiency": {"max_extra_cost_ratio": 0.25}}},
                       "note": "v2"})  # fmt: skip
    pol = r.json().get("id", 1)
    rec.each_role("policy get", "GET", f"/policies/{pol}")
    rec.each_role("policies after", "GET", "/policies")
    # scenarios and their reports
    rec.call("scenario bad", "POST", f"/areas/{a}/scenarios", "planner",
             json={"scenario": "name = 1\n[[add_places]]\nsetting_id = 'NOPE'\n"})  # fmt: skip
    rec.call("scenario as officer", "POST", f"/areas/{a}/scenarios", "officer",
             json={"scenario": SCENARIO})  # fmt: skip
    r = rec.call("scenario", "POST", f"/areas/{a}/scenarios", "planner",
                 json={"scenario": SCENARIO, "marginal": 2})  # fmt: skip
    sid = r.json()["id"]
    _until_done(w, f"/scenarios/{sid}")
    rec.each_role("scenario get", "GET", f"/scenarios/{sid}")
    rec.each_role("scenarios", "GET", f"/areas/{a}/scenarios")
    rec.each_role("report json", "GET", f"/scenarios/{sid}/report.json")
    rec.each_role("report html", "GET", f"/scenarios/{sid}/report.html")
    for t in ("metrics", "settings", "marginal", "nope"):
        rec.call(f"report csv {t}", "GET", f"/scenarios/{sid}/report/{t}.csv", "planner")
    # the panel's decision; the working run and the next round
    panel = w.client.get(f"/areas/{a}/panel", headers=w.as_("officer")).json()
    hard = panel[0]["child_id"] if panel else "C02"
    rec.call("panel decision", "POST", f"/areas/{a}/children/{hard}/panel-decision", "officer",
             json={"decision": "two more ASD places at S2 from January"})  # fmt: skip
    rec.call("panel decision empty", "POST", f"/areas/{a}/children/{hard}/panel-decision",
             "officer", json={"decision": ""})  # fmt: skip
    for who in ("planner", "officer_other", "officer"):
        rec.call(f"designate as {who}", "POST", "/runs/1/working", who)
    rec.call("open round as planner", "POST", f"/areas/{a}/rounds", "planner")
    rec.call("open round", "POST", f"/areas/{a}/rounds", "officer")
    rec.each_role("round after", "GET", f"/areas/{a}/round")
    # areas: import and generate
    rec.call("import outside", "POST", "/areas/import", "planner", json={"path": "../etc"})
    rec.call("import missing", "POST", "/areas/import", "planner", json={"path": "nope"})
    rec.call("import", "POST", "/areas/import", "planner", json={"path": "small", "name": "S"})
    rec.call("import as officer", "POST", "/areas/import", "officer", json={"path": "small"})
    rec.call("generate unknown", "POST", "/areas/generate", "planner", json={"like": "Atlantis"})
    rec.call("generate", "POST", "/areas/generate", "planner",
             json={"like": "Rutland", "seed": 1, "scale": 0.1})  # fmt: skip
    rec.each_role("areas after", "GET", "/areas")
    # audit
    rec.each_role("audit events", "GET", "/audit/events?size=100")
    rec.each_role("audit verify", "GET", "/audit/verify")
    rec.call("logout", "POST", "/auth/logout", "family_other")
    rec.call("after logout", "GET", "/me", "family_other")
    rec.call("token bad", "POST", "/auth/token", None,
             data={"username": "officer", "password": "wrong password!"})  # fmt: skip
    rec.call("token", "POST", "/auth/token", None,
             data={"username": "planner", "password": PASSWORD})  # fmt: skip
    return rec.answers


def fresh_answers() -> dict[str, Any]:
    """Build a fresh world in a temporary folder and play the script on it."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "imports").mkdir()
        write_area(small_area("imported", "886", num_children=6), root / "imports" / "small")
        w = build_world(f"sqlite:///{root / 'test.db'}", root)
        try:
            return play(w, root / "imports")
        finally:
            w.app.state.ctx.jobs.shutdown()
            if w.app.state.ctx.ops is not None:
                w.app.state.ctx.ops.stop()
            w.app.state.ctx.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--write", action="store_true", help="record the answers afresh")
    args = ap.parse_args(argv)
    got = fresh_answers()
    if args.write:
        RECORDED.parent.mkdir(exist_ok=True)
        RECORDED.write_text(json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"recorded {len(got)} answers to {RECORDED}")
        return 0
    want = json.loads(RECORDED.read_text())
    diff = [k for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
    for k in diff[:20]:
        print(k, file=sys.stderr)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
