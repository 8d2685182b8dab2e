"""Officers' pages in a real browser: the worklist's filters, search and pages against the API's
own answers; a child's page (the tailored list with its score components, the requests with
their statutory tests, why not, what-if); the placement workflow end to end with the keyboard
only, through the guard rails' refusal and the override; declining with a reason; stale edits;
bad and tampered input answered with error summaries or 4xx pages (never a 500); a run started
and followed to its result; the main form without JavaScript; axe on every page visited."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from placement.service.areas.models import AreaRow, PoolRow, SettingRow
from placement.service.areas.service import store_area
from placement.service.placements.models import PlacementRow
from placement.service.placements.service import eligibility_failures
from placement.service.security import Principal
from placement.web.officer_words import RULE_WORDS
from tests.service.conftest import PASSWORD, small_area
from tests.web.conftest import Site, assert_accessible, sign_in, tab_to

# -- helpers ----------------------------------------------------------------------------------


class Api:
    """The service's JSON API as an officer of LA 886: the truth the pages must show."""

    def __init__(self, site: Site, username: str) -> None:
        r = httpx.post(site.path("/auth/token"), data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.site = site
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def get(self, path: str, **params: Any) -> Any:
        r = httpx.get(self.site.path(path), params=params, headers=self.headers, timeout=60)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def post(self, path: str, body: dict[str, Any] | None = None, code: int = 200) -> Any:
        r = httpx.post(self.site.path(path), json=body or {}, headers=self.headers, timeout=60)
        assert r.status_code == code, (path, r.status_code, r.text)
        return r.json()

    def put(self, path: str, body: dict[str, Any]) -> Any:
        r = httpx.put(self.site.path(path), json=body, headers=self.headers, timeout=60)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def no_requests(self, area_id: int, child_id: str) -> None:
        """Clear the family's requests: a test of the workflow, not of refusing them (a
        confirmation elsewhere needs a ground for each open request: tests/service)."""
        self.put(f"/areas/{area_id}/children/{child_id}/requests", {"setting_ids": []})

    def children(self, area_id: int, **filters: Any) -> dict[str, Any]:
        out: dict[str, Any] = self.get(f"/areas/{area_id}/children", **{"size": 25, **filters})
        return out


@pytest.fixture
def officer(page: Page, site: Site) -> Api:
    """A fresh officer of LA 886, signed in on ``page``, and the API as them."""
    name = site.user("officer")
    sign_in(page, site, name)
    expect(page).to_have_url(site.path("/officer"))
    return Api(site, name)


def finished_run(api: Api, area_id: int) -> dict[str, Any]:
    """The area's latest run, finished (one is started if the area has none)."""
    runs = api.get(f"/areas/{area_id}/runs", size=100)["items"]
    done = [r for r in runs if r["status"] == "succeeded" and r["scope"] == "moving"]
    rid = done[0]["id"] if done else api.post(f"/areas/{area_id}/runs", {}, code=202)["id"]
    for _ in range(1200):
        run: dict[str, Any] = api.get(f"/runs/{rid}")
        if run["status"] in ("succeeded", "failed"):
            assert run["status"] == "succeeded", run
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {rid} did not finish")


def rows(page: Page, table: str) -> list[str]:
    """The first (header) cell of each body row of a table, as text."""
    return [t.strip() for t in page.locator(f"{table} tbody tr th").all_inner_texts()]


def used_children(site: Site) -> set[str]:
    with site.session() as s:
        return set(
            s.exec(select(PlacementRow.child_id).where(PlacementRow.area_id == site.area_id)).all()
        )


def room(site: Site, setting_id: str, need: str) -> int:
    """Places left at a setting for a child with this primary need (its pool if it has one)."""
    with site.session() as s:
        row = s.exec(
            select(SettingRow).where(
                SettingRow.area_id == site.area_id, SettingRow.setting_id == setting_id
            )
        ).one()
        left = row.capacity - row.roll - row.confirmed
        pool = s.exec(
            select(PoolRow).where(PoolRow.setting_row_id == row.id, PoolRow.need == need)
        ).first()
        if pool is not None:
            left = min(left, pool.places - pool.roll - pool.confirmed)
        return left


def computed(site: Site) -> Any:
    with site.session() as s:
        area = s.get(AreaRow, site.area_id)
        assert area is not None
        return site.app.state.ctx.cache.get(s, area)


def child_with(site: Site, api: Api, want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """A moving child of the area with no placement yet whose officer list satisfies ``want``."""
    finished_run(api, site.area_id)
    used = used_children(site)
    p = computed(site).problem
    for i, c in enumerate(p.children):
        if not p.c_moving[i] or c.child_id in used:
            continue
        lst: dict[str, Any] = api.get(f"/areas/{site.area_id}/children/{c.child_id}/list")
        if want(lst):
            return lst
    raise AssertionError("no child fits")


def override_case(site: Site, api: Api) -> tuple[str, str, list[str]]:
    """A moving child with no placement and a setting with room that fails one or more of the
    engine's rules for it: confirming there needs each rule overridden with a reason."""
    finished_run(api, site.area_id)
    used = used_children(site)
    p = computed(site).problem
    for i, c in enumerate(p.children):
        if not p.c_moving[i] or c.child_id in used:
            continue
        for s in p.settings:
            failed, _ = eligibility_failures(p, c.child_id, s.setting_id)
            if 1 <= len(failed) <= 2 and room(site, s.setting_id, c.primary_need.value) >= 1:
                return c.child_id, s.setting_id, failed
    raise AssertionError("no child and setting to override")


def setting_name(site: Site, setting_id: str) -> str:
    with site.session() as s:
        return s.exec(
            select(SettingRow.name).where(
                SettingRow.area_id == site.area_id, SettingRow.setting_id == setting_id
            )
        ).one()


def consulted(api: Api, area_id: int, child_id: str, setting_id: str) -> int:
    pid: int = api.post(
        f"/areas/{area_id}/children/{child_id}/placements", {"setting_id": setting_id}, code=201
    )["id"]
    api.post(f"/placements/{pid}/consultation")
    return pid


def placement(site: Site, pid: int) -> PlacementRow:
    with site.session() as s:
        row = s.get(PlacementRow, pid)
        assert row is not None
        return row


def choose_by_typing(page: Page, label: str, text: str, value: str) -> None:
    """Pick an option of a select with the keyboard only: focus it with Tab, type its text."""
    tab_to(page, label)
    page.keyboard.type(text)
    expect(page.get_by_label(label, exact=True)).to_have_value(value)


# -- the worklist -------------------------------------------------------------------------------


def test_the_officer_home_is_the_worklist_of_the_las_only_area(
    page: Page, site: Site, officer: Api
) -> None:
    with site.session() as s:
        areas = s.exec(select(AreaRow).where(AreaRow.la_code == "886")).all()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Worklist" if len(areas) == 1 else "Choose an area"
    )
    expect(page).to_have_title(re.compile(r"– Find a school place \(SEND\)$"))
    expect(page.locator(".govuk-service-navigation__item--active")).to_have_text("Worklist")
    assert_accessible(page)


def test_worklist_filters_search_and_pages_match_the_api(
    page: Page, site: Site, officer: Api
) -> None:
    aid = site.area_id
    finished_run(officer, aid)
    base = site.path(f"/officer/areas/{aid}")
    page.goto(base)
    everyone = officer.children(aid)
    expect(page.locator("#worklist caption")).to_contain_text(f"{everyone['total']:,} children")
    assert rows(page, "#worklist") == [c["child_id"] for c in everyone["items"]]
    # needs in words with the code; status as a tag
    first = everyone["items"][0]
    expect(page.locator("#worklist tbody tr").first).to_contain_text(f"({first['primary_need']})")
    assert_accessible(page)

    # the next page is the API's second page
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    second = officer.get(f"/areas/{aid}/children", size=25, page=2)
    assert rows(page, "#worklist") == [c["child_id"] for c in second["items"]]
    assert_accessible(page)

    # unplaced in the latest run, through the form
    page.goto(base)
    page.get_by_label("Latest run").select_option("unplaced")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"run_outcome=unplaced"))
    unplaced = officer.children(aid, run_outcome="unplaced")
    assert unplaced["total"] >= 1
    assert rows(page, "#worklist") == [c["child_id"] for c in unplaced["items"]]
    expect(page.locator("#worklist tbody .govuk-tag", has_text="Unplaced")).to_have_count(
        len(unplaced["items"])
    )
    assert_accessible(page)

    # need and year together narrow the table
    kid = everyone["items"][3]
    page.goto(base)
    page.get_by_label("Primary need").select_option(kid["primary_need"])
    page.get_by_label("School year").select_option(str(kid["nc_year"]))
    page.get_by_role("button", name="Apply filters").click()
    both = officer.children(aid, need=kid["primary_need"], year=kid["nc_year"])
    assert 1 <= both["total"] < everyone["total"]
    assert rows(page, "#worklist") == [c["child_id"] for c in both["items"]]
    expect(page.get_by_label("Primary need")).to_have_value(kid["primary_need"])  # kept

    # search by child id (a part of it)
    page.goto(base)
    page.get_by_label("Child ID").fill(kid["child_id"][-3:])
    page.get_by_role("button", name="Apply filters").click()
    found = officer.children(aid, q=kid["child_id"][-3:])
    assert kid["child_id"] in rows(page, "#worklist")
    assert rows(page, "#worklist") == [c["child_id"] for c in found["items"]]

    # phase-transfer deadline near
    page.goto(base)
    page.get_by_label("Phase-transfer deadline").select_option("366")
    page.get_by_role("button", name="Apply filters").click()
    near = officer.children(aid, deadline_within_days=366)
    assert rows(page, "#worklist") == [c["child_id"] for c in near["items"]]
    assert near["total"] < everyone["total"]

    # nothing matches: an empty state, not an empty table
    page.goto(base + "?q=ZZZZZ")
    expect(page.get_by_role("heading", name="No children match")).to_be_visible()
    expect(page.locator("#worklist")).to_have_count(0)
    assert_accessible(page)


def test_awaiting_consultation_and_overdue_filters(page: Page, site: Site, officer: Api) -> None:
    aid = site.area_id
    lst = child_with(site, officer, lambda d: bool(d["options"]))
    cid, sid = lst["child_id"], lst["options"][0]["setting_id"]
    officer.post(f"/areas/{aid}/children/{cid}/placements", {"setting_id": sid}, code=201)
    page.goto(site.path(f"/officer/areas/{aid}?status=proposed"))
    expect(page.get_by_label("Placement")).to_have_value("proposed")
    awaiting = officer.children(aid, status="proposed", size=100)
    assert cid in [c["child_id"] for c in awaiting["items"]]
    assert rows(page, "#worklist") == [c["child_id"] for c in awaiting["items"]][:25]
    # a consultation past its 15 days without a reply
    other = child_with(site, officer, lambda d: bool(d["options"]))
    pid = consulted(officer, aid, other["child_id"], other["options"][0]["setting_id"])
    with site.session() as s:
        row = s.get(PlacementRow, pid)
        assert row is not None
        row.consultation_due = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
        s.add(row)
        s.commit()
    page.goto(site.path(f"/officer/areas/{aid}"))
    page.get_by_label("Only consultations overdue").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"consultation_overdue=true"))
    overdue = officer.children(aid, consultation_overdue="true")
    assert other["child_id"] in rows(page, "#worklist")
    assert rows(page, "#worklist") == [c["child_id"] for c in overdue["items"]]
    expect(page.locator("#worklist")).to_contain_text("Reply overdue")
    assert_accessible(page)


@pytest.mark.parametrize(
    ("query", "says", "field"),
    [
        ({"colour": "red"}, "There is no filter called ‘colour’", "run_outcome"),
        ({"need": "XYZ"}, "Choose a primary need from the list", "need"),
        ({"year": "99"}, "Choose a school year from the list", "year"),
        ({"status": "lost"}, "Choose a placement status from the list", "status"),
        ({"deadline_within_days": "-3"}, "Choose a number of days", "deadline_within_days"),
        ({"q": "C0<script>"}, "Enter all or part of a child ID", "q"),
    ],
)
def test_unknown_filter_values_are_an_error_summary(
    page: Page, site: Site, officer: Api, query: dict[str, str], says: str, field: str
) -> None:
    resp = page.goto(site.path(f"/officer/areas/{site.area_id}?") + urlencode(query))
    assert resp is not None and resp.status == 400
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(says)
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary.get_by_role("link").first.click()
    expect(page.locator(f"#{field}")).to_be_focused()
    assert_accessible(page)


# -- a child ----------------------------------------------------------------------------------


def test_child_page_shows_the_list_requests_why_not_and_what_if(
    page: Page, site: Site, officer: Api
) -> None:
    aid = site.area_id
    lst = child_with(
        site, officer, lambda d: len(d["options"]) >= 2 and bool(d["requests"]) and d["left_off"]
    )
    cid = lst["child_id"]
    child = officer.get(f"/areas/{aid}/children/{cid}")["child"]
    page.goto(site.path(f"/officer/areas/{aid}/children/{cid}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"({cid})")
    assert_accessible(page)
    # needs and plan limits, in words
    expect(page.locator("dl").first).to_contain_text(f"({child['primary_need']}), level")
    expect(page.locator("dl").first).to_contain_text(f"{lst['journey_limit_min']} minutes each way")
    # the options in the list's order, with each score component as the API gives it
    names = [f"{n}. {o['name']}" for n, o in enumerate(lst["options"], 1)]
    got = rows(page, "#options")
    assert [g.split("\n")[0].strip() for g in got] == names
    for comp in ("Need fit", "Journey", "Cost", "Family preference", "Capacity pressure"):
        expect(page.locator("#components thead")).to_contain_text(comp)
    top = lst["options"][0]
    cells = page.locator("#components tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == f"{top['components']['need_fit']:.1f}"
    assert cells[-1] == f"{top['score']:.1f}"
    # the family's requests, each with its statutory tests and grounds
    reqs = officer.get(f"/areas/{aid}/children/{cid}/requests")
    section = page.locator(".app-officer-request")
    expect(section).to_have_count(len(reqs["requests"]))
    first = reqs["requests"][0]
    expect(section.first).to_contain_text(f"Choice 1: {first['name']}")
    expect(section.first).to_contain_text("Being considered")
    if first["tests"]:
        expect(section.first).to_contain_text(
            "Suitable for the child's age, ability, aptitude and SEN"
        )
        expect(section.first).to_contain_text(first["tests"][0]["ground"])

    # why not a setting left off the list
    off = lst["left_off"][0]
    page.locator("#setting").select_option(off["setting_id"])
    page.get_by_role("button", name="Explain").click()
    expect(page).to_have_url(re.compile(rf"why-not\?setting={off['setting_id']}$"))
    exp = officer.get(f"/areas/{aid}/children/{cid}/explanations/{off['setting_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{exp['name']}: not on the list")
    for r in exp["why_not"]:
        expect(page.locator("main")).to_contain_text(r["text"])
    assert_accessible(page)

    # what if the child went to its second option: the change and everyone who moves
    page.goto(site.path(f"/officer/areas/{aid}/children/{cid}"))
    second = lst["options"][1]
    page.get_by_role("link", name=f"What if {second['name']}", exact=True).click()
    w = officer.get(f"/areas/{aid}/children/{cid}/what-if/{second['setting_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"What if {cid} went to {second['name']}"
    )
    if w["possible"]:
        expect(page.locator("#change")).to_contain_text("Public cost a year")
        if w["moves"]:
            assert rows(page, "#moves") == [m["child_id"] for m in w["moves"]]
        else:
            expect(page.locator("main")).to_contain_text("No other child would move")
    assert_accessible(page)


# -- the workflow -------------------------------------------------------------------------------


def test_keyboard_only_propose_consult_reply_and_confirm_with_an_override(
    page: Page, site: Site
) -> None:
    name = site.user("officer")
    api = Api(site, name)
    cid, sid, failed = override_case(site, api)
    api.no_requests(site.area_id, cid)
    sname = setting_name(site, sid)
    sign_in(page, site, name)  # typed; Enter submits
    page.goto(site.path(f"/officer/areas/{site.area_id}/children/{cid}"))
    assert_accessible(page)
    # why not this setting? (the select is worked by typing the setting's name)
    choose_by_typing(page, "Why is a setting on the list, or not?", sname, sid)
    tab_to(page, "Explain")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/why-not\?setting="))
    expect(page.get_by_role("heading", level=1)).to_contain_text(sname)
    assert_accessible(page)
    tab_to(page, f"Propose {sname}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Propose a setting")
    expect(page.get_by_label("Setting", exact=True)).to_have_value(sid)
    assert_accessible(page)
    tab_to(page, "Propose this setting")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Proposed {sname}")
    pid = int(page.url.split("?")[0].rsplit("/", 1)[1])
    assert placement(site, pid).status == "proposed"
    assert_accessible(page)
    # consult: the reply is due in 15 days
    tab_to(page, "Start consultation")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Consultation started")
    due = placement(site, pid).consultation_due
    assert due is not None
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"due by {due.day} {due:%B %Y}"
    )
    expect(page.locator("#dates")).to_contain_text(f"{due.day} {due:%B %Y}")
    # the setting's reply
    tab_to(page, "Record the setting's reply")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"What did {sname} reply?")
    assert_accessible(page)
    tab_to(page, "It agrees to admit the child")
    page.keyboard.press("Space")
    tab_to(page, "Save the reply")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("reply is recorded")
    assert placement(site, pid).setting_response == "agrees"
    # confirm: the guard rails refuse, naming the rules, with the override form
    tab_to(page, "Confirm this placement")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Confirm {sname}")
    assert_accessible(page)
    tab_to(page, "Confirm placement")
    page.keyboard.press("Enter")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(f"{sname} fails {len(failed)} of the rules")
    expect(summary).to_contain_text("Give your reason for overriding the rules")
    assert placement(site, pid).status == "consulted"  # nothing confirmed
    boxes = page.locator("input[name=overrides]")
    expect(boxes).to_have_count(len(failed))
    _, texts = eligibility_failures(computed(site).problem, cid, sid)
    texts = {c: f"{RULE_WORDS[c]}: {t.split('] ', 1)[-1]}" for c, t in texts.items()}
    for code in failed:
        expect(page.locator("main")).to_contain_text(texts[code])
    assert_accessible(page)
    # tick each rule, give the reason, confirm
    for code in failed:
        tab_to(page, texts[code][:40])
        page.keyboard.press("Space")
    tab_to(page, "Your reason for overriding the rules")
    page.keyboard.type("Panel of 12 May: the school has agreed extra support for this child.")
    tab_to(page, "Confirm placement")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-panel")).to_contain_text("Placement confirmed")
    expect(page.locator(".govuk-panel")).to_contain_text(f"{sname} is named for child {cid}")
    assert_accessible(page)
    row = placement(site, pid)
    assert row.status == "confirmed"
    assert sorted((row.override_rules or "").split(",")) == sorted(failed)
    assert row.decision_reason.startswith("Panel of 12 May")
    # the placement page shows the decision and the rules overridden
    page.get_by_role("link", name="See the placement").click()
    expect(page.locator("main")).to_contain_text("Rules overridden")
    expect(page.get_by_role("button", name="Start consultation")).to_have_count(0)


def test_the_recommended_option_needs_no_reason_and_others_do(
    page: Page, site: Site, officer: Api
) -> None:
    lst = child_with(
        site,
        officer,
        lambda d: (
            len(d["options"]) >= 2
            and d["recommended_setting_id"] == d["options"][0]["setting_id"]
            and d["options"][1]["places_left"] > 0
        ),
    )
    cid = lst["child_id"]
    other = lst["options"][1]
    pid = consulted(officer, site.area_id, cid, other["setting_id"])
    url = site.path(f"/officer/areas/{site.area_id}/children/{cid}/placements/{pid}")
    page.goto(url + "/confirm")
    page.get_by_role("button", name="Confirm placement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        f"Give your reason: {other['name']} is not the recommended option"
    )
    assert placement(site, pid).status == "consulted"
    assert_accessible(page)


def test_decline_needs_a_reason(page: Page, site: Site, officer: Api) -> None:
    lst = child_with(site, officer, lambda d: bool(d["options"]))
    cid, sid = lst["child_id"], lst["options"][0]["setting_id"]
    pid = consulted(officer, site.area_id, cid, sid)
    url = site.path(f"/officer/areas/{site.area_id}/children/{cid}/placements/{pid}")
    page.goto(url)
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decline")
    assert_accessible(page)
    page.get_by_role("button", name="Decline the placement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for declining")
    assert placement(site, pid).status == "consulted"
    assert_accessible(page)
    page.get_by_label("Reason for declining").fill("   ")  # spaces are no reason
    page.get_by_role("button", name="Decline the placement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for declining")
    page.get_by_label("Reason for declining").fill("The setting cannot meet the therapy needs.")
    page.get_by_role("button", name="Decline the placement").click()
    expect(page).to_have_url(re.compile(rf"/children/{cid}\?done="))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("declined")
    row = placement(site, pid)
    assert (row.status, row.decision_reason) == (
        "declined",
        "The setting cannot meet the therapy needs.",
    )
    expect(page.locator("#placements ~ table").first).to_contain_text("Declined")
    # a declined placement is not "confirmed"
    page.goto(url + "/confirmed")
    expect(page).to_have_url(url)


def test_a_stale_edit_says_this_has_changed(page: Page, site: Site, officer: Api) -> None:
    lst = child_with(site, officer, lambda d: bool(d["options"]))
    cid, sid = lst["child_id"], lst["options"][0]["setting_id"]
    pid = officer.post(
        f"/areas/{site.area_id}/children/{cid}/placements", {"setting_id": sid}, code=201
    )["id"]
    url = site.path(f"/officer/areas/{site.area_id}/children/{cid}/placements/{pid}")
    page.goto(url)
    officer.post(f"/placements/{pid}/consultation")  # someone else consults meanwhile
    page.get_by_role("button", name="Start consultation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This has changed")
    expect(page.locator("main")).to_contain_text("already being consulted")
    assert_accessible(page)
    page.get_by_role("link", name="Go back to the placement").click()
    expect(page).to_have_url(url)
    expect(page.get_by_role("button", name="Confirm this placement")).to_be_visible()


def test_bad_and_tampered_input_is_never_a_server_error(
    page: Page, site: Site, officer: Api
) -> None:
    aid = site.area_id
    lst = child_with(site, officer, lambda d: bool(d["options"]))
    cid = lst["child_id"]
    child = site.path(f"/officer/areas/{aid}/children/{cid}")
    # propose: nothing chosen, then a setting that is not the area's
    page.goto(child + "/propose?setting=")
    page.locator("#setting").select_option("")
    page.get_by_role("button", name="Propose this setting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose the setting to propose")
    assert_accessible(page)
    page.evaluate(
        "() => { const s = document.querySelector('#setting');"
        " s.add(new Option('Made up', 'NOPE99')); s.value = 'NOPE99'; }"
    )
    page.get_by_role("button", name="Propose this setting").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose a setting of this area from the list"
    )
    assert used_children(site).isdisjoint({cid})  # nothing proposed
    # why not / what-if: no setting, an unknown one
    for path in ("/why-not", "/why-not?setting=NOPE99", "/what-if", "/what-if?setting=..%2F"):
        resp = page.goto(child + path)
        assert resp is not None and resp.status == 400, path
        expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a setting")
        assert_accessible(page)
    # tampered ids and another LA's child, run or area: 404 (or 400), never a 500
    other_child = site.children(site.other_area_id)[0]
    pid = officer.post(
        f"/areas/{aid}/children/{cid}/placements", {"setting_id": lst["options"][0]["setting_id"]},
        code=201,
    )["id"]  # fmt: skip
    another = next(c for c in site.children() if c != cid)
    for path, code in (
        (f"/officer/areas/{aid}/children/NOPE", 404),
        (f"/officer/areas/{aid}/children/..%2F..", 404),
        (f"/officer/areas/{site.other_area_id}", 404),
        (f"/officer/areas/{site.other_area_id}/children/{other_child}", 404),
        (f"/officer/areas/{site.other_area_id}/children/{other_child}/why-not?setting=S1", 404),
        (f"/officer/areas/{site.other_area_id}/runs", 404),
        (f"/officer/areas/{aid}/children/{another}/placements/{pid}", 404),
        (f"/officer/areas/{aid}/children/{cid}/placements/999999999", 404),
        (f"/officer/areas/{aid}/runs/999999999", 404),
        ("/officer/areas/abc", 400),
        (f"/officer/areas/{aid}?page=0", 404),
    ):
        resp = page.goto(site.path(path))
        assert resp is not None and resp.status == code, (path, resp and resp.status)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Page not found" if code == 404 else "There is a problem"
        )
    assert_accessible(page)
    # an officer cannot start a study from scratch, even with a tampered form
    page.goto(site.path(f"/officer/areas/{aid}/runs"))
    page.evaluate(
        "() => { const f = document.querySelector('main form'); const i ="
        " document.createElement('input'); i.type = 'hidden'; i.name = 'scope';"
        " i.value = 'from_scratch'; f.appendChild(i); }"
    )
    page.get_by_label("Optimised").check()
    with page.expect_response(lambda r: r.request.method == "POST") as got:
        page.get_by_role("button", name="Start a run").click()
    assert got.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    # a form posted with the session but without its CSRF token
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    before = len(officer.get(f"/areas/{aid}/runs", size=100)["items"])
    r = httpx.post(
        site.path(f"/officer/areas/{aid}/runs"), data={"mechanism": "optimised"}, cookies=cookies
    )
    assert r.status_code == 403
    assert len(officer.get(f"/areas/{aid}/runs", size=100)["items"]) == before


def test_a_family_cannot_open_a_childs_officer_page(page: Page, site: Site) -> None:
    kid = site.children()[5]
    sign_in(page, site, site.user("family", child_id=kid))
    resp = page.goto(site.path(f"/officer/areas/{site.area_id}/children/{kid}"))
    assert resp is not None and resp.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")


def test_an_officer_of_another_la_sees_its_own_area_only(page: Page, site: Site) -> None:
    sign_in(page, site, site.user("officer", la="212"))
    expect(page.locator("#worklist caption")).to_contain_text("24 children")
    resp = page.goto(site.path(f"/officer/areas/{site.area_id}"))
    assert resp is not None and resp.status == 404


def test_an_la_with_several_areas_chooses_one(page: Page, site: Site) -> None:
    with site.session() as s:
        ids = [
            store_area(
                s, Principal(0, "setup", "planner", "857", None, None),
                area=small_area(f"rutland-{n}", "857", num_children=3), overrides={},
                name=f"Rutland part {n}", source="test", max_children=100,
            ).id
            for n in (1, 2)
        ]  # fmt: skip
    sign_in(page, site, site.user("officer", la="857"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose an area")
    assert_accessible(page)
    page.get_by_role("link", name="Rutland part 2").click()
    expect(page).to_have_url(site.path(f"/officer/areas/{ids[1]}"))
    expect(page.locator("#worklist caption")).to_contain_text("3 children")
    page.get_by_role("link", name="Runs", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose an area")
    page.get_by_role("link", name="Rutland part 1").click()
    expect(page).to_have_url(site.path(f"/officer/areas/{ids[0]}/runs"))
    expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()
    assert_accessible(page)


# -- runs -----------------------------------------------------------------------------------------


def test_start_a_run_follow_it_and_see_its_result(page: Page, site: Site, officer: Api) -> None:
    aid = site.area_id
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs")
    expect(page.locator(".govuk-service-navigation__item--active")).to_have_text("Runs")
    assert_accessible(page)
    page.get_by_role("button", name="Start a run").click()  # nothing chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose how the run places children"
    )
    assert_accessible(page)
    page.get_by_label("Preference-first").check()
    page.get_by_role("button", name="Start a run").click()
    expect(page).to_have_url(re.compile(rf"/officer/areas/{aid}/runs/\d+"))
    rid = int(re.sub(r"\?.*", "", page.url).rsplit("/", 1)[1])
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Run {rid} has started")
    # the page checks again by itself (JavaScript) until the run has finished
    expect(page.locator("main .govuk-tag").first).to_have_text("Finished", timeout=120_000)
    run = officer.get(f"/runs/{rid}")
    assert run["status"] == "succeeded" and run["mechanism"] == "preference-first"
    m = run["metrics"]
    counts = page.locator("#counts")
    expect(counts.locator("tr", has_text="Placed").first).to_contain_text(f"{m['placed']:,}")
    expect(counts.locator("tr", has_text="Unplaced")).to_contain_text(
        f"{m['children'] - m['placed']:,}"
    )
    placements = officer.get(f"/runs/{rid}/placements", size=25)
    assert rows(page, "#placements") == [x["child_id"] for x in placements["items"]]
    unplaced = next((x for x in placements["items"] if x["setting_id"] is None), None)
    if unplaced is not None:
        row = page.locator("#placements tr", has_text=unplaced["child_id"])
        expect(row).to_contain_text("Unplaced")
        expect(row).to_contain_text(f"[{unplaced['unplaced']['code']}]")
    assert_accessible(page)
    # the runs table lists it; a child links to their page
    page.get_by_role("link", name="Runs").first.click()
    expect(page.locator("#runs tbody tr").first).to_contain_text(f"Run {rid}")
    page.goto(site.path(f"/officer/areas/{aid}/runs/{rid}"))
    first = placements["items"][0]["child_id"]
    page.locator("#placements").get_by_role("link", name=first, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"({first})")


def test_a_waiting_run_has_a_check_again_link_without_javascript(
    nojs_page: Page, page: Page, site: Site
) -> None:
    from placement.service.runs.models import RunRow

    with site.session() as s:
        row = RunRow(
            area_id=site.area_id, area_revision=1, mechanism="optimised", seed=0,
            time_limit_s=60, status="queued", created_by="someone",
        )  # fmt: skip
        s.add(row)
        s.commit()
        rid = row.id
    sign_in(nojs_page, site, site.user("officer"))
    url = site.path(f"/officer/areas/{site.area_id}/runs/{rid}")
    nojs_page.goto(url)
    expect(nojs_page.locator("main .govuk-tag").first).to_have_text("Waiting to start")
    nojs_page.get_by_role("link", name="Check again").click()
    expect(nojs_page).to_have_url(url)
    with site.session() as s:  # leave no queued run behind for the job queue's count
        got = s.get(RunRow, rid)
        assert got is not None
        got.status, got.error = "failed", "a test's stand-in run"
        s.add(got)
        s.commit()
    nojs_page.goto(url)
    expect(nojs_page.locator("main")).to_contain_text("a test's stand-in run")
    sign_in(page, site, site.user("officer"))  # axe runs in the page: JavaScript on
    page.goto(url)
    assert_accessible(page)


# -- without JavaScript ---------------------------------------------------------------------------


def test_the_workflow_works_without_javascript(nojs_page: Page, site: Site) -> None:
    page = nojs_page
    name = site.user("officer")
    api = Api(site, name)
    lst = child_with(
        site,
        api,
        lambda d: (
            bool(d["options"])
            and d["recommended_setting_id"] == d["options"][0]["setting_id"]
            and d["options"][0]["chance"] == "placed"
        ),
    )
    cid = lst["child_id"]
    api.no_requests(site.area_id, cid)
    rec = lst["options"][0]
    assert room(site, rec["setting_id"], lst["primary_need"]) >= 1
    sign_in(page, site, name)
    page.goto(site.path(f"/officer/areas/{site.area_id}?") + urlencode({"q": cid}))
    page.get_by_role("link", name=cid, exact=True).click()
    page.get_by_role("link", name=f"Propose {rec['name']}", exact=True).click()
    expect(page.get_by_label("Setting", exact=True)).to_have_value(rec["setting_id"])
    page.get_by_label("Note for the case file (optional)").fill("Run plans this place.")
    page.get_by_role("button", name="Propose this setting").click()
    page.get_by_role("button", name="Start consultation").click()
    page.get_by_role("button", name="Record the setting's reply").click()
    page.get_by_role("button", name="Save the reply").click()  # nothing chosen
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Choose whether the setting agrees or objects"
    )
    page.get_by_label("It objects").check()
    page.get_by_role("button", name="Save the reply").click()  # no ground, no evidence
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the ground the setting gives for objecting")
    expect(summary).to_contain_text("Enter the setting's evidence for its objection")
    page.get_by_label("A place would be incompatible with the efficient education").check()
    page.get_by_label("The setting's evidence").fill("Class sizes are high.")
    page.get_by_role("button", name="Save the reply").click()
    expect(page.locator("main")).to_contain_text(
        "Objects (Incompatible with the efficient education of others (s.39(4)(b))): "
        "Class sizes are high."
    )
    page.get_by_role("button", name="Confirm this placement").click()
    page.get_by_role("button", name="Confirm placement").click()  # recommended: no reason
    expect(page.locator(".govuk-panel")).to_contain_text("Placement confirmed")
    pid = int(page.url.rsplit("/", 2)[1])
    row = placement(site, pid)
    assert (row.status, row.setting_id, row.decision_reason) == ("confirmed", rec["setting_id"], "")
    # the child page now shows the confirmation; proposing again is not offered
    page.get_by_role("link", name=f"Back to child {cid}").click()
    expect(page.locator("#placements ~ .govuk-inset-text").first).to_contain_text(
        f"Confirmed at {rec['name']}"
    )
    expect(page.get_by_role("button", name="Propose a setting")).to_have_count(0)
