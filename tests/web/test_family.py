"""The family pages in a real browser: the child's options in plain words and why nearby
schools are not on the list; choices searched, added, ranked, checked and saved with the
keyboard alone; the decision as a printable letter with the refusal's ground and the family's
rights; what the list rests on; bad input as error summaries that change nothing; only the
family's own child; without JavaScript too; axe-core on every page visited."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from placement.service.accounts.models import User
from placement.service.areas.models import AreaRow
from placement.service.areas.service import setting_choices
from placement.service.children.models import ChildRow
from placement.service.placements import service as placements
from placement.service.placements.models import PlacementRow
from placement.service.placements.schemas import DecisionCreate, PlacementCreate
from placement.service.requests.service import REQUEST_WORDS, set_requests
from placement.service.security import Principal
from placement.tailored import ADVISORY
from placement.web.family import MAX_CHOICES, NEAREST_LEFT_OFF
from placement.wording import CHANCE_WORDS, NEED_WORDS
from tests.web.conftest import LA, Site, assert_accessible, sign_in, tab_to

# what a family must never see: SEN2 need codes, setting-kind codes, grid ids, money, scores
CODES = re.compile(
    r"\b(ASD|SLCN|SEMH|MLD|SLD|PMLD|SPLD|SpLD|HI|VI|MSI|PD|OTH|DS|rp_su|special_nm|"
    r"special_la_maintained|special_academy_free|independent_special|fe_college|"
    r"sen_unit|resourced_provision|mainstream_presumption|efficient_use_of_resources|"
    r"s39|E\d{6} N\d{6})\b|£|score"
)
STAFF_NOTE = "note for staff only"
_used: set[str] = set()  # children already given to a test (the server is shared)


def _lists(site: Site, child_id: str) -> dict[str, Any]:
    """The child's tailored list as an officer sees it (codes, tests), computed in process."""
    with site.session() as s:
        area = s.get(AreaRow, site.area_id)
        assert area is not None
        out: dict[str, Any] = json.loads(
            site.app.state.ctx.cache.get(s, area).list_json(child_id, "officer")
        )
        return out


def _child(site: Site, want: Callable[[dict[str, Any], dict[str, Any]], bool]) -> str:
    """A child no other test here has used and no officer has placed, whose list (officer
    view) and stored record satisfy ``want``; from the end of the area, away from the
    children other page tests take from its start."""
    with site.session() as s:
        placed = set(
            s.exec(select(PlacementRow.child_id).where(PlacementRow.area_id == site.area_id)).all()
        )
        data = {
            r.child_id: json.loads(r.data)
            for r in s.exec(select(ChildRow).where(ChildRow.area_id == site.area_id)).all()
        }
    for cid in reversed(site.children()):
        if cid in _used or cid in placed:
            continue
        if want(_lists(site, cid), data[cid]):
            _used.add(cid)
            return cid
    raise AssertionError("no child in the test area fits")


def _settings(site: Site) -> dict[str, dict[str, str]]:
    with site.session() as s:
        return {x["setting_id"]: x for x in setting_choices(s, area_id=site.area_id)}


def _saved(site: Site, child_id: str) -> list[str]:
    with site.session() as s:
        row = s.exec(
            select(ChildRow).where(ChildRow.area_id == site.area_id, ChildRow.child_id == child_id)
        ).one()
        prefs: list[str] = json.loads(row.data).get("preferences", [])
        return prefs


def _clear_requests(site: Site, child_id: str) -> str:
    """Start the child with no saved requests (the generated area gives each moving child
    some); the lists are not rebuilt by a save, as for a family's own save."""
    with site.session() as s:
        row = s.exec(
            select(ChildRow).where(ChildRow.area_id == site.area_id, ChildRow.child_id == child_id)
        ).one()
        who = Principal(0, "setup", "family", LA, site.area_id, child_id)
        set_requests(s, who, child=row, setting_ids=[])
    return child_id


def _no_codes(page: Page, site: Site, child_id: str) -> None:
    """The page's main text names no code, cost or score, and no child id (setting names are
    taken out first: they are the settings' own names)."""
    text = page.locator("main").inner_text()
    for s in sorted(_settings(site).values(), key=lambda x: -len(x["name"])):
        text = text.replace(s["name"], "")
    hit = CODES.search(text)
    assert hit is None, f"{page.url}: a family sees {hit.group(0)!r}"
    assert not re.search(r"\bC\d{6}\b", text), f"{page.url}: a child id is shown"
    assert child_id not in text


def _visit(
    page: Page, site: Site, path: str, child_id: str, status: int = 200, axe: bool = True
) -> None:
    """Open a page: its status, one h1, no codes, and axe-core (which needs JavaScript: the
    same pages are checked with it in the other tests)."""
    resp = page.goto(site.path(path))
    assert resp is not None and resp.status == status, f"{path}: {resp and resp.status}"
    assert page.locator("h1").count() == 1
    if axe:
        assert_accessible(page)
    _no_codes(page, site, child_id)


def _family(page: Page, site: Site, child_id: str) -> str:
    name = site.user("family", child_id=child_id)
    sign_in(page, site, name)
    expect(page).to_have_url(site.path("/family"))
    return name


def _moving(lst: dict[str, Any], _: dict[str, Any]) -> bool:
    return len(lst["options"]) >= 2 and len(lst["left_off"]) >= 1


# -- your child's options ---------------------------------------------------------------------


def test_the_family_sees_its_options_in_plain_words_and_why_not(page: Page, site: Site) -> None:
    cid = _child(site, _moving)
    lst = _lists(site, cid)
    _family(page, site, cid)
    expect(page).to_have_title("Your child's options – Find a school place (SEND)")
    assert_accessible(page)
    _no_codes(page, site, cid)
    main = page.locator("main")
    expect(main).to_contain_text(ADVISORY)  # the list is advice; any school may be asked for
    expect(main.get_by_role("link", name="ask for any school or college")).to_be_visible()
    cards = page.locator("ol.app-options > li")
    expect(cards).to_have_count(len(lst["options"]))
    for o, card in zip(lst["options"], cards.all(), strict=True):
        expect(card).to_contain_text(o["name"])
        label = " (an estimate)" if o["journey_source"] == "estimate" else ""
        expect(card).to_contain_text(f"About {o['journey_min']} minutes each way{label}.")
        transport = (
            "The council will arrange transport."
            if o["transport_provided"]
            else "You would need to arrange the journey."
        )
        expect(card).to_contain_text(transport)
        expect(card).to_contain_text(CHANCE_WORDS[o["chance"]].capitalize())
        expect(card).to_contain_text(o["kind_words"].capitalize())
    # why nearby schools are not on the list, and "why not" for one of them
    expect(
        page.get_by_role("heading", name="Why some schools near you are not on the list")
    ).to_be_visible()
    lo = lst["left_off"][0]
    famlo = _family_list(site, cid)["left_off"][0]
    expect(main).to_contain_text(famlo["reasons"][0]["text"])
    # the nearest ten at most, in the list's order (nearest first); a search for the rest
    shown = page.locator("#not-on-the-list ~ dl .govuk-summary-list__key")
    near = [x["name"] for x in lst["left_off"][:NEAREST_LEFT_OFF]]
    expect(shown).to_have_text(near)
    if len(lst["left_off"]) > NEAREST_LEFT_OFF:
        expect(main).to_contain_text(
            f"{len(lst['left_off']) - NEAREST_LEFT_OFF} other schools and colleges are not on"
        )
    page.get_by_role("link", name=f"Why not {lo['name']}").click()
    expect(page).to_have_url(site.path(f"/family/settings/{lo['setting_id']}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(lo["name"])
    expect(page.locator("main")).to_contain_text(f"{lo['name']} is not on your child's list")
    for r in famlo["reasons"]:
        expect(page.locator("main")).to_contain_text(r["text"])
    assert_accessible(page)
    _no_codes(page, site, cid)
    # and "why" for one on it
    page.get_by_role("link", name="Back to your child's options").click()
    top = lst["options"][0]
    page.locator("ol.app-options").get_by_role("link", name=top["name"], exact=True).click()
    expect(page.locator("main")).to_contain_text(f"{top['name']} is on your child's list")
    assert_accessible(page)


def _family_list(site: Site, child_id: str) -> dict[str, Any]:
    with site.session() as s:
        area = s.get(AreaRow, site.area_id)
        assert area is not None
        out: dict[str, Any] = json.loads(
            site.app.state.ctx.cache.get(s, area).list_json(child_id, "family")
        )
        return out


def test_a_staying_child_and_no_requests_have_their_own_words(page: Page, site: Site) -> None:
    cid = _child(
        site, lambda lst, d: lst["staying_setting_id"] is not None and not d["preferences"]
    )
    _family(page, site, cid)
    staying = _settings(site)[_lists(site, cid)["staying_setting_id"]]["name"]
    expect(page.get_by_role("heading", name=f"Your child is staying at {staying}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You have not asked for a school or college yet")
    assert_accessible(page)
    _visit(page, site, "/family/choices", cid)
    expect(page.locator("main")).to_contain_text("You have not asked for a school or college yet")
    _visit(page, site, "/family/decision", cid)
    expect(page.locator("main")).to_contain_text("No decision yet")
    expect(page.locator("main")).to_contain_text("What happens next")


# -- your choices, with the keyboard alone ------------------------------------------------------


def _search_and_add(page: Page, name: str) -> None:
    tab_to(page, "Name or type of school or college")
    page.keyboard.type(name)
    page.keyboard.press("Enter")  # the search form is a GET form
    page.wait_for_load_state()
    expect(page.locator("#results")).to_contain_text("result")
    assert_accessible(page)
    tab_to(page, f"Add {name}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/family/choices?done=*")


def test_keyboard_only_a_family_adds_ranks_checks_and_saves(page: Page, site: Site) -> None:
    cid = _clear_requests(site, _child(site, _moving))
    lst = _lists(site, cid)
    first = lst["options"][0]  # on the list
    other = lst["left_off"][0]  # not on it: a family may ask for any setting
    _family(page, site, cid)
    tab_to(page, "Your choices")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path("/family/choices"))
    assert_accessible(page)
    tab_to(page, "Add a school or college")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path("/family/choices/add"))
    assert_accessible(page)
    _search_and_add(page, first["name"])
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"{first['name']} is now choice 1"
    )
    expect(page.locator(".govuk-warning-text")).to_contain_text("not saved yet")
    assert_accessible(page)
    tab_to(page, "Add a school or college")
    page.keyboard.press("Enter")
    page.wait_for_url(site.path("/family/choices/add"))
    _search_and_add(page, other["name"])
    # rank: the second moves up
    tab_to(page, f"Move up {other['name']}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/family/choices?done=*")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"{other['name']} is now choice 1"
    )
    expect(page.locator("#choice-1")).to_contain_text(other["name"])
    expect(page.locator("#choice-2")).to_contain_text(first["name"])
    expect(page.locator("#choice-1")).to_contain_text("Not saved yet")
    assert_accessible(page)
    assert _saved(site, cid) == []  # nothing saved before check-your-answers
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path("/family/choices/check"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your choices before you save them"
    )
    rows = page.locator(".govuk-summary-list__row")
    for n, s in enumerate((other, first)):
        expect(rows.nth(n).locator("dt")).to_have_text(f"Choice {n + 1}")
        expect(rows.nth(n).locator(".govuk-summary-list__value")).to_contain_text(s["name"])
    expect(rows.nth(0).get_by_role("link", name="Change choice 1")).to_be_visible()
    assert_accessible(page)
    tab_to(page, "Save your choices")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path("/family/choices/saved"))
    expect(page.locator(".govuk-panel")).to_contain_text("Your choices are saved")
    expect(page.locator("main")).to_contain_text(REQUEST_WORDS["being_considered"])
    assert_accessible(page)
    assert _saved(site, cid) == [other["setting_id"], first["setting_id"]]
    # each status, on the choices page and the options page
    _visit(page, site, "/family/choices", cid)
    for n in (1, 2):
        expect(page.locator(f"#choice-{n}")).to_contain_text("Being considered")
    expect(page.locator(".govuk-warning-text")).to_have_count(0)  # nothing unsaved
    _visit(page, site, "/family", cid)
    expect(page.locator("main")).to_contain_text(f"Choice 1: {other['name']} Being considered")


def test_a_setting_page_is_reachable_from_the_search(page: Page, site: Site) -> None:
    cid = _child(site, _moving)
    lo = _lists(site, cid)["left_off"][0]
    _family(page, site, cid)
    _visit(page, site, "/family/choices/add?q=" + lo["name"].split()[0], cid)
    page.get_by_role("link", name=lo["name"], exact=True).click()
    expect(page).to_have_url(site.path(f"/family/settings/{lo['setting_id']}"))
    expect(page.locator("main")).to_contain_text("is not on your child's list")
    assert_accessible(page)
    # and from there it can be added
    page.get_by_role("button", name=f"Add {lo['name']} to your choices").click()
    n = len(_saved(site, cid)) + 1
    expect(page.locator(f"#choice-{n}")).to_contain_text(lo["name"])
    expect(page.locator(f"#choice-{n}")).to_contain_text("Not saved yet")
    # a search by type finds the settings of that type only
    _visit(page, site, "/family/choices/add?kind=mainstream", cid)
    kinds = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds and set(kinds) == {"A mainstream school"}


# -- the decision ---------------------------------------------------------------------------------


def _refused_by_suitability(lst: dict[str, Any], d: dict[str, Any]) -> bool:
    """The family asked only for settings that cannot meet the child's needs (each request
    then has a ground that holds, s.39(4)(a)), and another setting can."""
    reqs = lst["requests"]
    unsuitable = [
        r
        for r in reqs
        if any(t["test"] == "suitability" and t["outcome"] == "not_met" for t in r["tests"])
    ]
    others = [o for o in lst["options"] if o["setting_id"] not in d["preferences"]]
    return bool(reqs) and len(unsuitable) == len(reqs) and bool(others)


def _decide(site: Site, child_id: str, setting_id: str) -> dt.date:
    """An officer proposes, consults and confirms ``setting_id`` for the child (services)."""
    officer = site.user("officer")
    with site.session() as s:
        user = s.exec(select(User).where(User.username == officer)).one()
        assert user.id is not None
        who = Principal(user.id, officer, "officer", LA, None, None)
        ctx = site.app.state.ctx
        row = placements.propose(
            ctx, s, who, site.area_id, child_id,
            PlacementCreate(setting_id=setting_id, note=STAFF_NOTE),
        )  # fmt: skip
        placements.consult(s, who, row.id)
        code, _ = placements.decide(
            ctx, s, who, row.id,
            DecisionCreate(
                outcome="confirmed",
                reason="A nearer school that can meet the needs set out in the plan.",
            ),
        )  # fmt: skip
        assert code == 201
    return dt.datetime.now(dt.UTC).date()


def _named_option(lst: dict[str, Any], prefs: list[str]) -> dict[str, Any]:
    """The option with the most places left that the family did not ask for."""
    return max(
        (o for o in lst["options"] if o["setting_id"] not in prefs),
        key=lambda o: int(o["places_left"]),
    )


def test_after_a_decision_the_family_sees_the_setting_the_refusal_and_its_rights(
    page: Page, site: Site
) -> None:
    cid = _child(site, _refused_by_suitability)
    lst = _lists(site, cid)
    prefs = _saved(site, cid)
    named = _named_option(lst, prefs)
    _family(page, site, cid)
    _visit(page, site, "/family/decision", cid)
    expect(page.locator("main")).to_contain_text("No decision yet")
    decided = _decide(site, cid, named["setting_id"])

    _visit(page, site, "/family", cid)  # the home page says so plainly
    expect(page.locator("#confirmed")).to_contain_text("A place has been confirmed")
    expect(page.locator("#confirmed")).to_contain_text(named["name"])
    expect(page.locator("main")).not_to_contain_text("We suggest")
    _visit(page, site, "/family/decision", cid)
    expect(page).to_have_title(
        "Decisions about your child's school place – Find a school place (SEND)"
    )
    expect(page.locator("#confirmed")).to_contain_text(named["name"])
    page.locator("#decisions a").first.click()  # the letter, as it was sent
    main = page.locator("main")
    expect(main).to_contain_text(f"We have named {named['name']}")
    for rank, sid in enumerate(prefs, start=1):
        name = _settings(site)[sid]["name"]
        expect(main).to_contain_text(f"Choice {rank}: {name}")
    expect(main).to_contain_text("We have said no")
    expect(main).to_contain_text("section 39(4)(a) of the Children and Families Act 2014")
    expect(main).to_contain_text("mediation")
    expect(main).to_contain_text("First-tier Tribunal")
    idx = decided.month + 1  # two months on, counting months from 0
    y, m = decided.year + idx // 12, idx % 12 + 1
    day = min(decided.day, calendar.monthrange(y, m)[1])
    expect(main).to_contain_text(f"by {day} {calendar.month_name[m]} {y}")
    expect(main).to_contain_text("placeholders")  # a synthetic area's made-up contacts
    expect(main).not_to_contain_text(STAFF_NOTE)  # the officer's own note is not shown
    letter = page.content()
    # a choice saved after the decision is a new request: the letter does not change
    _visit(page, site, "/family/choices", cid)
    expect(page.locator("#choice-1")).to_contain_text("Refused")
    with site.session() as s:
        row = s.exec(
            select(ChildRow).where(ChildRow.area_id == site.area_id, ChildRow.child_id == cid)
        ).one()
        who = Principal(0, "family", "family", LA, site.area_id, cid)
        set_requests(s, who, child=row, setting_ids=[named["setting_id"], *prefs])
    _visit(page, site, "/family/decision", cid)
    page.locator("#decisions a").first.click()
    assert page.content() == letter


# -- bad input ------------------------------------------------------------------------------------


def _post_by_hand(page: Page, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer, with the page's own CSRF token, and wait for
    the answer (the page submitting is already loaded, so its load state says nothing)."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.evaluate(
            """([action, fields]) => {
                const f = document.createElement("form");
                f.method = "post"; f.action = action;
                const token = document.querySelector("input[name=csrftoken]").value;
                for (const [k, v] of Object.entries({...fields, csrftoken: token})) {
                    const i = document.createElement("input");
                    i.type = "hidden"; i.name = k; i.value = v; f.appendChild(i);
                }
                document.body.appendChild(f); f.submit();
            }""",
            [action, fields],
        )
    page.wait_for_load_state()


def _draft(page: Page) -> list[str]:
    return page.locator("ol.govuk-list > li h3").all_inner_texts()


def test_bad_input_is_an_error_summary_and_changes_nothing(page: Page, site: Site) -> None:
    cid = _clear_requests(site, _child(site, _moving))
    settings = sorted(_settings(site).values(), key=lambda s: s["name"])
    assert len(settings) > MAX_CHOICES
    a = settings[0]
    _family(page, site, cid)
    page.goto(site.path("/family/choices/add"))
    page.get_by_role("button", name=f"Add {a['name']}", exact=True).click()
    page.goto(site.path("/family/choices"))
    before = _draft(page)
    assert before == [f"Choice 1: {a['name']}"]

    # an unknown setting id, posted by hand (here: another LA's setting, then nonsense)
    for bad in ("S1", "NOT-A-SETTING", "../etc"):
        page.goto(site.path("/family/choices/add"))
        page.locator("form[action='/family/choices/add'] input[name=setting_id]").last.evaluate(
            "(el, v) => { el.value = v }", bad
        )
        with page.expect_response("**/family/choices/add") as r:
            page.locator("form[action='/family/choices/add'] button").last.click()
        assert r.value.status == 400
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Choose a school or college from the search results")
        expect(summary).to_be_focused()
        expect(page).to_have_title(re.compile("^Error: "))
        assert_accessible(page)
        summary.get_by_role("link").click()
        expect(page.locator("#q")).to_be_focused()
    # a duplicate
    page.goto(site.path("/family/choices/add"))
    _post_by_hand(page, "/family/choices/add", {"setting_id": a["setting_id"]})
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        f"{a['name']} is already in your choices"
    )
    assert_accessible(page)
    page.goto(site.path("/family/choices"))
    assert _draft(page) == before
    # a move or removal of something not in the choices
    _post_by_hand(page, "/family/choices/move", {"setting_id": "NOPE", "direction": "up"})
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a choice to move")
    assert_accessible(page)
    _post_by_hand(page, "/family/choices/move", {"setting_id": a["setting_id"], "direction": "up"})
    expect(page.locator(".govuk-error-summary")).to_contain_text("is already first")
    _post_by_hand(page, "/family/choices/remove", {"setting_id": "NOPE"})
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a choice to remove")
    page.goto(site.path("/family/choices"))
    assert _draft(page) == before
    # too many: up to the limit through the page, then one more by hand
    for s in settings[1:MAX_CHOICES]:
        _post_by_hand(page, "/family/choices/add", {"setting_id": s["setting_id"]})
        expect(page.locator(".govuk-notification-banner")).to_contain_text(s["name"])
    full = _draft(page)
    assert len(full) == MAX_CHOICES
    page.goto(site.path("/family/choices/add"))
    expect(page.get_by_role("button", name=re.compile("^Add "))).to_have_count(0)
    extra = settings[MAX_CHOICES]
    _post_by_hand(page, "/family/choices/add", {"setting_id": extra["setting_id"]})
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        f"You can ask for up to {MAX_CHOICES} schools or colleges"
    )
    assert_accessible(page)
    page.goto(site.path("/family/choices"))
    assert _draft(page) == full
    assert _saved(site, cid) == []  # nothing reached the saved requests
    # the full list saves; a forged draft cookie is ignored, not saved
    page.goto(site.path("/family/choices/check"))
    page.get_by_role("button", name="Save your choices").click()
    expect(page).to_have_url(site.path("/family/choices/saved"))
    assert len(_saved(site, cid)) == MAX_CHOICES


def test_a_forged_or_borrowed_draft_is_ignored(page: Page, site: Site) -> None:
    mine = _clear_requests(site, _child(site, _moving))
    theirs = _clear_requests(site, _child(site, _moving))
    s = sorted(_settings(site).values(), key=lambda x: x["name"])[0]
    # the other family makes a draft
    _family(page, site, theirs)
    page.goto(site.path("/family/choices/add"))
    page.get_by_role("button", name=f"Add {s['name']}", exact=True).click()
    cookie = next(c for c in page.context.cookies() if c["name"] == "placement_choices")
    assert cookie["httpOnly"] and cookie["path"] == "/family"
    page.context.clear_cookies()
    # this family, with the other's draft cookie, and with one tampered with
    _family(page, site, mine)
    flipped = cookie["value"][:-1] + ("0" if cookie["value"][-1] != "0" else "1")
    for value in (cookie["value"], flipped, "e30.nope"):
        page.context.add_cookies(
            [{"name": cookie["name"], "value": value, "url": site.path("/family")}]
        )
        _visit(page, site, "/family/choices", mine)
        expect(page.locator("main")).to_contain_text("You have not asked for a school")
        page.goto(site.path("/family/choices/check"))
        page.get_by_role("button", name="Save your choices").click()
        assert _saved(site, mine) == []


# -- only the family's own child ----------------------------------------------------------------


def test_a_family_sees_only_its_own_child(page: Page, site: Site) -> None:
    mine = _child(site, _moving)
    other = _child(site, _moving)
    other_names = {o["name"] for o in _lists(site, other)["options"]}
    _family(page, site, mine)
    # no page takes a child from the address: extra parameters and paths change nothing
    for path in (
        f"/family?child_id={other}",
        f"/family/choices?child_id={other}",
        f"/family/decision?child={other}&area_id={site.other_area_id}",
        f"/family/what-we-used?child_id={other}",
    ):
        _visit(page, site, path, mine)
        assert other not in page.content()
    for path in (
        f"/family/{other}",
        f"/family/children/{other}",
        "/family/settings/S1",  # the other LA's setting
        "/family/settings/NOPE",
        f"/family/settings/{other}",
    ):
        resp = page.goto(site.path(path))
        assert resp is not None and resp.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        assert other not in page.locator("main").inner_text()
    # the API's own routes do not take the page's cookie
    for path in (
        f"/areas/{site.area_id}/children/{other}/list",
        f"/areas/{site.area_id}/children/{mine}/list",
    ):
        resp = page.goto(site.path(path))
        assert resp is not None and resp.status == 401, path
    # the options page names this child's options, not the other's only ones
    page.goto(site.path("/family"))
    mine_names = {o["name"] for o in _lists(site, mine)["options"]}
    for n in other_names - mine_names:
        expect(page.locator("ol.app-options")).not_to_contain_text(n)
    # and staff pages stay shut
    resp = page.goto(site.path("/officer"))
    assert resp is not None and resp.status == 403


def test_other_roles_cannot_open_the_family_pages(page: Page, site: Site) -> None:
    sign_in(page, site, site.user("officer"))
    for path in ("/family", "/family/choices", "/family/decision", "/family/what-we-used"):
        resp = page.goto(site.path(path))
        assert resp is not None and resp.status == 403, path
    assert_accessible(page)


# -- what we used ---------------------------------------------------------------------------------


def test_what_we_used_lists_the_information_and_who_decides(page: Page, site: Site) -> None:
    cid = _child(site, lambda lst, d: _moving(lst, d) and (d["nc_year"] or 0) > 0)
    lst = _lists(site, cid)
    with site.session() as s:
        data = json.loads(
            s.exec(
                select(ChildRow.data).where(
                    ChildRow.area_id == site.area_id, ChildRow.child_id == cid
                )
            ).one()
        )
    _family(page, site, cid)
    tab_to(page, "What we used")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path("/family/what-we-used"))
    assert_accessible(page)
    _no_codes(page, site, cid)
    main = page.locator("main")
    expect(main).to_contain_text(NEED_WORDS[data["primary_need"]].capitalize())
    expect(main).to_contain_text(f"{data['need_band']} on the council's scale from 1 to 5")
    expect(main).to_contain_text(f"Year {data['nc_year']}")
    expect(main).to_contain_text("Like Kent")
    expect(main).to_contain_text(f"About {lst['journey_limit_min']} minutes each way")
    transport = (
        "can get free travel" if data["transport_eligible"] else "not recorded as able to get"
    )
    expect(main).to_contain_text(transport)
    # the six kinds of explanation (ICO and Alan Turing Institute): a section for each
    for heading in (
        "How the list is made",  # rationale
        "Who decides",  # responsibility
        "The information we used",  # data
        "Fairness",
        "How reliable it is",  # safety and performance
        "What it means for you",  # impact
        "If something here is wrong",  # how to ask for a correction
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(main).to_contain_text("A placement officer at the council decides")


# -- without JavaScript -------------------------------------------------------------------------


def test_the_family_pages_work_without_javascript(nojs_page: Page, site: Site) -> None:
    page = nojs_page
    cid = _child(
        site,
        lambda lst, d: (
            _refused_by_suitability(lst, d)
            and sum(o["setting_id"] not in d["preferences"] for o in lst["options"]) >= 2
        ),
    )
    lst = _lists(site, cid)
    prefs = _saved(site, cid)
    _family(page, site, cid)
    for path in ("/family", "/family/what-we-used", "/family/choices"):
        _visit(page, site, path, cid, axe=False)
    # add one more through the search, move it up, check and save
    add = next(o for o in lst["options"] if o["setting_id"] not in prefs)
    page.goto(site.path("/family/choices/add?q=" + add["name"].split()[0]))
    page.get_by_role("button", name=f"Add {add['name']}", exact=True).click()
    expect(page.locator(f"#choice-{len(prefs) + 1}")).to_contain_text(add["name"])
    page.get_by_role("button", name=f"Move up {add['name']}").click()
    expect(page.locator(f"#choice-{len(prefs)}")).to_contain_text(add["name"])
    page.get_by_role("button", name=f"Remove {add['name']}").click()
    expect(page.locator("main")).not_to_contain_text(f"Choice {len(prefs)}: {add['name']}")
    page.get_by_role("link", name="Add a school or college").click()
    page.get_by_label("Name or type of school or college").fill(add["name"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name=f"Add {add['name']}", exact=True).click()
    page.get_by_role("button", name=f"Move up {add['name']}").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save your choices").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Your choices are saved")
    want = [*prefs[:-1], add["setting_id"], prefs[-1]]
    assert _saved(site, cid) == want
    # the decisions page works without JavaScript (nothing is decided for this child yet)
    _visit(page, site, "/family/decision", cid, axe=False)
    expect(page.locator("main")).to_contain_text("No decision yet")


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/family/choices/nope", 404, "Page not found"),
        ("/family/settings/not%20an%20id", 400, "There is a problem"),
        ("/family/choices/remove", 405, "Page not found"),  # a form's address, opened
    ],
)
def test_unknown_family_addresses_are_error_pages(
    page: Page, site: Site, path: str, status: int, heading: str
) -> None:
    cid = _child(site, _moving)
    _family(page, site, cid)
    resp = page.goto(site.path(path))
    assert resp is not None and resp.status == status
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)
