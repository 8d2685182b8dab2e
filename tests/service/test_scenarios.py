"""Scenario runs in the service: a planner's scenario file on a stored area as a job, the same
answer as the core gives, reports to download with small counts withheld, and clear 4xx for
every mistake in the file."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from placement.app import create_app
from placement.scenarios.run import run_scenario
from placement.service.areas.models import AreaRow
from placement.service.engine import area_from_db
from placement.service.jobs import service_scenario
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.settings import Settings
from tests.service.conftest import World, confirmed, failed_run, finished_run

MORE_ASD = """\
name = "Ten more ASD places at S2"
description = "The ASD pool at S2 grows from 5 to 15 places."

[base]
seed = 3

[[add_places]]
setting_id = "S2"
need = "ASD"
places = 10
"""


def start(w: World, text: str, who: str = "planner", **body: Any) -> Any:
    return w.client.post(
        f"/areas/{w.area_id}/scenarios", json={"scenario": text, **body}, headers=w.as_(who)
    )


def finished(w: World, sid: int) -> dict[str, Any]:
    """Poll until the job ends (the bound only stops a broken test from hanging)."""
    for _ in range(600):
        job: dict[str, Any] = w.client.get(f"/scenarios/{sid}", headers=w.as_("planner")).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"scenario run {sid} did not finish: {job}")


def run_ok(w: World, text: str = MORE_ASD, **body: Any) -> dict[str, Any]:
    r = start(w, text, **body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued" and r.json()["reports"] is None
    job = finished(w, r.json()["id"])
    assert job["status"] == "succeeded", job
    return job


def counts_shown(rows: list[dict[str, str]], keys: list[str]) -> list[str]:
    return [row[k] for row in rows for k in keys]


def _scenario_flow(w: World) -> None:
    job = run_ok(w)
    assert job["name"] == "Ten more ASD places at S2" and job["seed"] == 3
    opt = job["summary"]["metrics"]["optimised"]
    # 24 children: 6 placed in the baseline (1 at S1, 5 in S2's ASD pool), 16 with 10 more;
    # exported rounded to 5 (24 -> 25, 16 -> 15), 1-9 as "<10", shares from the rounded counts
    assert opt["children"] == {"baseline": 25, "scenario": 25, "change": 0}
    assert opt["placed"] == {"baseline": "<10", "scenario": 15, "change": "suppressed"}
    assert opt["placed_pct"] == {"baseline": "suppressed", "scenario": 60.0, "change": "suppressed"}
    assert opt["unplaced"] == {"baseline": 20, "scenario": "<10", "change": "suppressed"}
    assert job["summary"]["changes"] == ["add_places: added 10 ASD places at S2 (Setting S2)"]
    sid = job["id"]
    links = job["reports"]
    html = w.client.get(links["html"], headers=w.as_("planner"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"].startswith("attachment; filename=")
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "script-src" not in html.headers["content-security-policy"]
    assert "<svg" in html.text and "<script" not in html.text
    assert "Ten more ASD places at S2" in html.text
    data = w.client.get(links["json"], headers=w.as_("planner")).json()
    assert data["metrics"] == job["summary"]["metrics"]
    assert data["areas"]["baseline"] == "Kent test"
    settings = list(
        csv.DictReader(io.StringIO(w.client.get(links["settings"], headers=w.as_("planner")).text))
    )
    s2 = next(r for r in settings if r["setting_id"] == "S2")
    assert (s2["changed"], s2["places_free_baseline"], s2["places_free_scenario"]) == (
        "True",
        "20",
        "30",
    )
    taken = [k for k in settings[0] if k.startswith("taken_") and not k.endswith("_change")]
    for v in counts_shown(settings, taken):  # no count of 1 to 9 children leaves the service
        assert v in ("<10", "0") or int(v) >= 10, v
    assert s2["taken_optimised_baseline"] == "<10" and s2["taken_optimised_scenario"] == "15"
    for v in counts_shown(settings, taken):
        assert v in ("<10", "0") or int(v) % 5 == 0, v
    metrics = list(
        csv.DictReader(io.StringIO(w.client.get(links["metrics"], headers=w.as_("planner")).text))
    )
    assert {r["mechanism"] for r in metrics} == {"optimised", "preference-first"}
    marginal = w.client.get(links["marginal"], headers=w.as_("planner"))
    assert marginal.headers["content-type"].startswith("text/csv")
    assert marginal.text.startswith("setting_id,setting_name,need_pool,unmet_demand")
    # officers of the LA may read it too; families and other LAs may not
    assert w.client.get(links["json"], headers=w.as_("officer")).status_code == 200
    for who, code in (("family", 403), ("planner_other", 404), ("officer_other", 404)):
        assert w.client.get(f"/scenarios/{sid}", headers=w.as_(who)).status_code == code
        assert w.client.get(links["html"], headers=w.as_(who)).status_code == code
    listed = w.client.get(f"/areas/{w.area_id}/scenarios", headers=w.as_("planner")).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == sid
    trail = w.client.get("/audit/events?size=100", headers=w.as_("planner")).json()["items"]
    mine = {
        e["action"] for e in trail if e["object_type"] == "scenario" and e["object_id"] == str(sid)
    }
    assert mine == {"scenario.start", "scenario.succeeded"}
    assert w.client.get("/audit/verify", headers=w.as_("planner")).json()["ok"] is True


def test_scenario_run_sqlite(world: World) -> None:
    _scenario_flow(world)


def test_scenario_run_postgresql(pg_world: World) -> None:
    _scenario_flow(pg_world)


def _hashes_of(report_json: str | None) -> dict[str, tuple[str, str]]:
    assert report_json is not None
    got = json.loads(report_json)["manifest"]
    return {m: (v["baseline"]["output_hash"], v["scenario"]["output_hash"]) for m, v in got.items()}


def _core_hashes(w: World, marginal: int, *, for_run: bool) -> dict[str, tuple[str, str]]:
    with Session(w.app.state.ctx.engine) as s:
        area = s.get(AreaRow, w.area_id)
        assert area is not None
        a = area_from_db(s, area, for_run=for_run)
    r = run_scenario(service_scenario(MORE_ASD), marginal=marginal, base=(a, {}, None))
    return {
        m: (r.baseline[m].allocation.manifest.output_hash, side.allocation.manifest.output_hash)
        for m, side in r.outcome.items()
    }


def _stored(w: World, job: dict[str, Any]) -> ScenarioRunRow:
    with Session(w.app.state.ctx.engine) as s:
        row = s.get(ScenarioRunRow, job["id"])
    assert row is not None
    return row


def test_service_gives_the_core_answer(world: World) -> None:
    """The job is the core's run_scenario on the stored area: the same output hashes, and
    the same again when run twice (deterministic)."""
    one, two = run_ok(world), run_ok(world)
    want = _core_hashes(world, one["marginal"], for_run=True)
    for job in (one, two):
        assert _hashes_of(_stored(world, job).report_json) == want
    assert one["summary"] == two["summary"]


def test_confirmed_placements_count_as_taken(world: World) -> None:
    """The baseline is the area as an allocation run sees it: a confirmed child keeps their
    place and is not allocated again."""
    confirmed(world, "C02", "S1")
    job = run_ok(world)
    got = _hashes_of(_stored(world, job).report_json)
    assert got == _core_hashes(world, job["marginal"], for_run=True)
    assert got != _core_hashes(world, job["marginal"], for_run=False)


BAD = [
    ("x = [\n", "not valid TOML"),
    ('[[add_places]]\nsetting_id = "S2"\nplaces = 1\nneeds = "ASD"\n', "did you mean 'need'"),
    ("[base]\nsede = 3\n", "scenario.toml:2: base.sede: unknown key (did you mean 'seed'?)"),
    (
        '[[add_places]]\nsetting_id = "NOPE"\nplaces = 5\n',
        "scenario.toml:1: add_places: unknown setting 'NOPE'",
    ),
    (
        '[[open_setting]]\nid = "S1"\nname = "again"\nkind = "special_la_maintained"\n'
        'near = "centre"\nlow_age = 4\nhigh_age = 11\ndesignations = { ASD = 4 }\ncapacity = 10\n',
        "already in this area",
    ),
    ('mechanism = "fastest"\n', "must be optimised, preference-first or both"),
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("[policy.objective]\ntailored_list = 5\n", "policy.objective.tailored_list: must be a table"),
    ("[policy.funding]\nschool_contribution_gbp = 5\n", "school_contribution_gbp: must be a table"),
    ("[policy.funding]\ntransport.base_gbp" + ".a" * 20_000 + " = 1\n", "transport.base_gbp"),
    ("name" + ".a" * 20_000 + " = 1\n", "nested too deeply"),
    ("[[add_places]]\nsetting_id = 'S1'\nplaces" + ".a" * 20_000 + " = 1\n", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "says"), BAD)
def test_bad_scenario_is_422_naming_the_fault(world: World, text: str, says: str) -> None:
    r = start(world, text)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert says in r.json()["detail"], r.json()
    listed = world.client.get(f"/areas/{world.area_id}/scenarios", headers=world.as_("planner"))
    assert listed.json()["total"] == 0  # nothing queued, nothing half-written


def test_body_limits(world: World) -> None:
    assert start(world, "").status_code == 422
    assert start(world, "a = 1\x00").status_code == 422
    assert start(world, MORE_ASD, marginal=500).status_code == 422
    assert start(world, MORE_ASD, unknown=1).status_code == 422
    r = start(world, MORE_ASD, marginal=21)  # above the service's max_marginal (20)
    assert r.status_code == 422 and "at most 20" in r.json()["detail"]


def test_roles(world: World) -> None:
    assert start(world, MORE_ASD, who="officer").status_code == 403
    assert start(world, MORE_ASD, who="family").status_code == 403
    other = world.client.post(
        f"/areas/{world.other_area_id}/scenarios",
        json={"scenario": MORE_ASD},
        headers=world.as_("planner"),
    )
    assert other.status_code == 404


def test_a_scenario_that_cannot_apply_fails_with_its_line(world: World) -> None:
    """Removing more places than a setting has is found when the change is applied: the job
    fails with the file's line, and its reports are a 409, not an empty file."""
    r = start(world, 'name = "too few"\n\n[[add_places]]\nsetting_id = "S1"\nplaces = -100\n')
    assert r.status_code == 202
    job = finished(world, r.json()["id"])
    assert job["status"] == "failed"
    assert job["error"].startswith("scenario.toml:3: add_places: setting S1 has 10 places")
    got = world.client.get(f"/scenarios/{job['id']}/report.html", headers=world.as_("planner"))
    assert got.status_code == 409 and got.json()["detail"].endswith("once it has succeeded")


def test_queue_is_bounded_and_shared_with_runs(world: World) -> None:
    engine = world.app.state.ctx.engine
    with Session(engine) as s:
        for _ in range(4):  # the default max_queued_runs
            s.add(
                ScenarioRunRow(
                    area_id=world.area_id,
                    area_revision=1,
                    name="stuck",
                    scenario="",
                    seed=1,
                    marginal=0,
                    time_limit_s=60,
                    status="running",
                    created_by="planner",
                )
            )
        s.commit()
    r = start(world, MORE_ASD)
    assert r.status_code == 503 and r.json()["detail"].startswith("4 runs are queued or running")
    run = world.client.post(f"/areas/{world.area_id}/runs", json={}, headers=world.as_("planner"))
    assert run.status_code == 503


def test_restart_fails_unfinished_scenario_runs(world: World, tmp_path: Any) -> None:
    engine = world.app.state.ctx.engine
    with Session(engine) as s:
        row = ScenarioRunRow(
            area_id=world.area_id,
            area_revision=1,
            name="left behind",
            scenario=MORE_ASD,
            seed=1,
            marginal=0,
            time_limit_s=60,
            status="running",
            created_by="planner",
        )
        s.add(row)
        s.commit()
        rid = row.id
    settings: Settings = world.app.state.ctx.settings
    again = create_app(settings)
    try:
        with Session(again.state.ctx.engine) as s:
            got = s.get(ScenarioRunRow, rid)
            assert got is not None and got.status == "failed"
            assert got.error == "interrupted: the service restarted"
    finally:
        again.state.ctx.jobs.shutdown()
        again.state.ctx.engine.dispose()


def test_run_dashboard(world: World) -> None:
    """Each successful run has its area dashboard (JSON and HTML) for the LA's staff: the mix
    against the LA's real mix and England's, disclosure-controlled."""
    rid = finished_run(world)["id"]
    d = world.client.get(f"/runs/{rid}/dashboard", headers=world.as_("planner"))
    assert d.status_code == 200, d.text
    data = d.json()
    assert data["la"] == "Kent" and data["area"] == "Kent test"
    assert data["children"] == 25 and data["placed"] == "<10"  # 24 and 6, disclosure-controlled
    mix = data["placement_mix"]
    assert mix["allocation_children"]["unplaced"] == 20
    assert abs(sum(mix["la_real_pct"].values()) - 100) < 0.1
    # the journeys of the 6 placed children would be theirs: withheld
    assert data["journeys"]["mean_min"] == data["journeys"]["p95_min"] == "suppressed"
    page = world.client.get(f"/runs/{rid}/dashboard.html", headers=world.as_("officer"))
    assert page.status_code == 200 and page.text.count("<svg") == 5
    assert "Mean journey withheld; 95th percentile withheld." in page.text
    assert (
        "<script" not in page.text and "script-src" not in page.headers["content-security-policy"]
    )
    for who, code in (("family", 403), ("planner_other", 404)):
        assert (
            world.client.get(f"/runs/{rid}/dashboard", headers=world.as_(who)).status_code == code
        )


def test_dashboard_of_an_unfinished_run_is_409(world: World) -> None:
    rid = failed_run(world, "for the test")
    got = world.client.get(f"/runs/{rid}/dashboard", headers=world.as_("planner"))
    assert got.status_code == 409 and "once it has succeeded" in got.json()["detail"]


def test_money_and_free_places_do_not_give_counts_away(world: World) -> None:
    """6 placed at £24,500 each would be £147,000: money spent on 1-9 children is withheld,
    other money is rounded to £250,000; 1 free place at S1 is shown as "<10"."""
    job = run_ok(world)
    opt = job["summary"]["metrics"]["optimised"]
    assert opt["total_cost_gbp"]["baseline"] == "suppressed"  # 6 placed
    assert opt["total_cost_gbp"]["scenario"] % 250_000 == 0  # 16 placed
    assert opt["total_cost_gbp"]["change"] == "suppressed"
    settings = world.client.get(job["reports"]["settings"], headers=world.as_("planner")).text
    s1 = next(r for r in csv.DictReader(io.StringIO(settings)) if r["setting_id"] == "S1")
    assert s1["places_free_baseline"] == "<10" and s1["taken_optimised_baseline"] == "<10"


def test_report_escapes_what_the_planner_wrote(world: World) -> None:
    text = 'name = "<script>alert(1)</script>"\ndescription = "<img src=x onerror=alert(2)>"\n'
    job = run_ok(world, text)
    page = world.client.get(job["reports"]["html"], headers=world.as_("planner")).text
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        world.client.get(job["reports"]["html"], headers=world.as_("planner")).headers[
            "content-disposition"
        ]
        == f'attachment; filename="scenario-{job["id"]}-script-alert-1-script.html"'
    )


def test_time_limit_fails_the_job_and_keeps_its_worker_counted(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job past its time bound is failed at once; its thread cannot be stopped, so it still
    holds a place in the queue until it returns, and then the place is free again."""
    import threading

    from placement.scenarios import run as run_module
    from tests.service.conftest import build_world

    release = threading.Event()
    real = run_module.run_scenario

    def slow(*args: Any, **kw: Any) -> Any:
        release.wait(timeout=60)
        return real(*args, **kw)

    monkeypatch.setattr(run_module, "run_scenario", slow)
    w = build_world(f"sqlite:///{tmp_path / 't.db'}", tmp_path, max_queued_runs=1)
    try:
        r = start(w, MORE_ASD, time_limit_s=1)
        assert r.status_code == 202
        job = finished(w, r.json()["id"])
        assert job["status"] == "failed"
        assert job["error"] == "the solver passed its time limit of 1 s"
        assert w.app.state.ctx.jobs.in_flight() == 1
        busy = start(w, MORE_ASD)
        assert busy.status_code == 503, busy.text  # the worker is still computing
        release.set()
        for _ in range(600):
            if w.app.state.ctx.jobs.in_flight() == 0:
                break
            time.sleep(0.05)
        late = w.client.get(f"/scenarios/{job['id']}", headers=w.as_("planner")).json()
        assert late["status"] == "failed" and late["reports"] is None  # its late result dropped
        assert run_ok(w)["status"] == "succeeded"
    finally:
        release.set()
        w.app.state.ctx.jobs.shutdown()
        w.app.state.ctx.engine.dispose()


def test_planners_see_area_and_setting_counts_disclosure_controlled(world: World) -> None:
    confirmed(world, "C02", "S2")
    url = f"/areas/{world.area_id}"
    assert world.client.get(url, headers=world.as_("officer")).json()["num_children"] == 24
    assert world.client.get(url, headers=world.as_("planner")).json()["num_children"] == 25
    s2 = f"{url}/settings/S2"
    exact = world.client.get(s2, headers=world.as_("officer")).json()
    shown = world.client.get(s2, headers=world.as_("planner")).json()
    assert (exact["confirmed"], exact["pools"]["ASD"]["confirmed"]) == (1, 1)
    assert (shown["confirmed"], shown["pools"]["ASD"]["confirmed"]) == ("<10", "<10")
    assert (exact["free"], shown["free"]) == (19, 20)
    assert (exact["pools"]["ASD"]["free"], shown["pools"]["ASD"]["free"]) == (4, "<10")


ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def test_the_shipped_scenario_files_run_on_a_stored_area(world: World) -> None:
    """The shipped files' [base] (like, scale, cohort) describes a generated area: on a stored
    area those keys are ignored, never read, and the result says so; seed applies."""
    assert len(SHIPPED) == 5
    made = world.client.post(
        "/areas/generate",
        json={"like": "Kent", "scale": 0.05, "seed": 1},
        headers=world.as_("planner"),
    )
    assert made.status_code == 201, made.text
    area_id = made.json()["id"]
    for f in SHIPPED:
        r = world.client.post(
            f"/areas/{area_id}/scenarios",
            json={"scenario": f.read_text(), "marginal": 0},
            headers=world.as_("planner"),
        )
        assert r.status_code == 202, (f.name, r.text)
        job = finished(world, r.json()["id"])
        assert job["status"] == "succeeded", (f.name, job["error"])
        assert job["seed"] == 1
        note = job["summary"]["changes"][0]
        assert note.startswith("base.like"), (f.name, note)
        assert "ignored: the scenario runs on the stored area it was sent to" in note
        if "scale = " in f.read_text():
            assert "base.scale" in note and "base.cohort" in note
    # a [base] folder is ignored too, and never looked at
    text = '[base]\narea = "/etc"\nseed = 2\n'
    job = run_ok(world, text)
    assert job["seed"] == 2
    assert job["summary"]["changes"][0].startswith("base.area ignored")


def test_service_scenario_keeps_seed_and_from_scratch_and_notes_what_it_ignores() -> None:
    sc = service_scenario('[base]\nlike = "Leeds"\nscale = 0.5\nseed = 9\nfrom_scratch = true\n')
    assert (sc.base.seed, sc.base.from_scratch, sc.base.like, sc.base.area) == (9, True, None, None)
    assert sc.base.ignored == ("like", "scale")
    assert (
        sc.base.ignored_note is not None and "base.like, base.scale ignored" in sc.base.ignored_note
    )
    assert service_scenario("[base]\nseed = 4\n").base.ignored_note is None


def test_free_places_shown_to_planners_never_exceed_the_capacity(world: World) -> None:
    """An independent special school with 59 places and none taken showed planners 60 free:
    rounded to 5 past its capacity. Shown free places stay within capacity less roll, per
    setting, per pool and per kind in the aggregates."""
    from placement.area import Area
    from placement.domain import Need, SettingKind
    from placement.service.areas.service import store_area
    from placement.service.security import Principal
    from tests.factories import child, special

    area = Area(
        "sixty",
        (child("C1", Need.ASD, 3),),
        (
            special(
                "IS1",
                {Need.ASD: 5},
                places=58,
                capacity=59,
                kind=SettingKind.INDEPENDENT_SPECIAL,
                la_code="886",
            ),
        ),
        la_code="886",
    )
    engine = world.app.state.ctx.engine
    with Session(engine, expire_on_commit=False) as s:
        row = store_area(
            s,
            Principal(0, "setup", "planner", "886", None, None),
            area=area,
            overrides={},
            name="sixty",
            source="test",
            max_children=100,
        )
    url = f"/areas/{row.id}"
    shown = world.client.get(f"{url}/settings/IS1", headers=world.as_("planner")).json()
    assert (shown["capacity"], shown["free"]) == (59, 59)  # rounding alone gave 60
    assert shown["pools"]["ASD"]["free"] == 58  # of 58 places, not 60
    exact = world.client.get(f"{url}/settings/IS1", headers=world.as_("officer")).json()
    assert exact["free"] == 59
    agg = world.client.get(f"{url}/aggregates", headers=world.as_("planner")).json()
    kind = agg["places_by_kind"]["independent_special"]
    assert kind["capacity"] == 59 and kind["free"] == 59
