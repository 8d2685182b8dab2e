"""Planners' pages, in a real browser: runs and their dashboards read in the page; scenarios
pasted or uploaded, followed while they run and read in the page (headline, charts each with
its data); a broken scenario named by line and key, starting nothing; disclosure control as
the API has it; another LA's runs and scenarios not found; every page accessible."""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from placement import disclosure
from placement.scenarios.plain import need_name, phase_name
from placement.service.runs.models import RunRow
from placement.service.scenarios.models import ScenarioRunRow
from tests.web.conftest import Site, assert_accessible, sign_in, tab_to

SCENARIO = """\
name = "Five more autism places"
description = "Five more places for autistic children where the gaps are largest."
marginal = 1

[base]
seed = 2

[[add_places]]
select = { need = "ASD", count = 1, near = "largest gaps" }
need = "ASD"
places = 5
"""

UPLOADED = """\
name = "A new special school"
mechanism = "optimised"
marginal = 0

[[open_setting]]
id = "NEW-1"
name = "Hillside Special School"
kind = "special_academy_free"
near = "largest gaps"
low_age = 4
high_age = 19
designations = { ASD = 5, SEMH = 5 }
pools = { ASD = 20, SEMH = 10 }
capacity = 30
"""

DONE = 300.0  # a guard against a hang: a run or scenario takes a few seconds here


def _planner(page: Page, site: Site) -> str:
    name = site.user("planner")
    sign_in(page, site, name)
    expect(page).to_have_url(site.path("/planner"))
    return name


def _scenarios(site: Site) -> int:
    with site.session() as s:
        return int(s.exec(select(func.count()).select_from(ScenarioRunRow)).one())


def _wait_for(page: Page, site: Site, selector: str) -> None:
    """Follow a job: the page polls and reloads itself (JavaScript); or "Check again".
    ``DONE`` only guards against a hang; when it passes, the failure says what the jobs were
    doing and what the page said."""
    deadline = time.monotonic() + DONE
    while time.monotonic() < deadline:
        if page.locator(selector).count():
            return
        page.wait_for_timeout(500)
    with site.session() as s:
        jobs = [
            f"{m.__tablename__} {r.id}: {r.status} {r.error or ''}".strip()
            for m in (RunRow, ScenarioRunRow)
            for r in s.exec(select(m)).all()
        ]
    raise AssertionError(
        f"{page.url}: {selector} did not appear within {DONE:.0f} s; "
        f"jobs in flight: {site.app.state.ctx.jobs.in_flight()}; jobs: {jobs}; "
        f"the page said: {page.locator('main').inner_text()[:600]!r}"
    )


def _tab_to(page: Page, name: str, *, limit: int = 200) -> None:
    """:func:`tab_to`, never taking the page itself for the element (focus on <body>, as
    after a reload, has the whole page's text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate(
            "() => { const e = document.activeElement;"
            " if (!e || e === document.body || e === document.documentElement) return '';"
            " return [e.innerText, e.value, e.getAttribute('aria-label')].join(' ') }"
        )
        if name.lower() in str(text).lower():
            return
    raise AssertionError(f"could not reach {name!r} with the Tab key")


def _texts_do_not_overlap(page: Page) -> None:
    """In the browser, as drawn: no two texts of a chart overlap, and all are inside it."""
    found = page.evaluate(
        """() => [...document.querySelectorAll('svg.app-chart')].map(svg => {
             const s = svg.getBoundingClientRect();
             return {svg: [s.left, s.top, s.right, s.bottom],
                     texts: [...svg.querySelectorAll('text')].map(t => {
                       const r = t.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom, t.textContent]; })}; })"""
    )
    assert found
    for chart in found:
        left, top, right, bottom = chart["svg"]
        for x0, y0, x1, y1, text in chart["texts"]:
            assert left - 0.5 <= x0 and x1 <= right + 0.5, text
            assert top - 0.5 <= y0 and y1 <= bottom + 0.5, text
        for a, b in itertools.combinations(chart["texts"], 2):
            apart = a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5
            assert apart or b[3] <= a[1] + 0.5, (a[4], b[4])


def _data_rows(page: Page, caption: str) -> dict[str, list[str]]:
    """The rows of the data table captioned ``caption``: header -> cells."""
    table = page.locator("table", has=page.locator("caption", has_text=caption)).first
    rows: dict[str, list[str]] = {}
    for tr in table.locator("tbody tr").all():
        rows[tr.locator("th").inner_text().strip()] = [
            c.strip() for c in tr.locator("td").all_inner_texts()
        ]
    return rows


def _counts_ok(cells: list[str]) -> None:
    """Counts of children as a planner may see them: 0, "<10" or a multiple of 5."""
    for c in cells:
        assert c == "<10" or (c.replace(",", "").isdigit() and int(c.replace(",", "")) % 5 == 0), c


# -- the home page ------------------------------------------------------------------------------


def test_the_home_page_lists_only_the_planners_own_areas(page: Page, site: Site) -> None:
    _planner(page, site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs and scenarios")
    expect(page.get_by_role("heading", name="Like Kent (2%)")).to_be_visible()
    expect(page.get_by_text("Wandsworth test")).to_have_count(0)
    expect(page.get_by_role("button", name="Start a run of Like Kent (2%)")).to_be_visible()
    assert_accessible(page)


# -- runs and the dashboard --------------------------------------------------------------------


def test_a_planner_starts_a_run_and_reads_its_dashboard_in_the_page(page: Page, site: Site) -> None:
    _planner(page, site)
    page.get_by_role("button", name="Start a run of Like Kent (2%)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a run")
    assert_accessible(page)
    page.get_by_label("Preference-first allocation").check()
    page.get_by_role("button", name="Start the run").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The run has started")
    m = re.search(r"/planner/runs/(\d+)", page.url)
    assert m is not None
    run_id = int(m.group(1))
    assert_accessible(page)  # waiting (or, on a quick machine, already finished)
    _wait_for(page, site, "#dashboard")
    expect(page.locator("#run-status .govuk-tag")).to_have_text("Finished")
    dash = page.locator("#dashboard")
    expect(dash.get_by_role("heading", name="Placement mix")).to_be_visible()
    expect(dash.locator(".app-headline")).to_contain_text("This run placed")
    figures = dash.locator("figure.app-figure")
    assert figures.count() >= 3
    # each chart: a picture with its name, then "Show the data" with a table
    for i in range(figures.count()):
        f = figures.nth(i)
        assert f.locator("svg[role=img]").get_attribute("aria-labelledby")
        expect(f.locator("details summary")).to_contain_text("Show the data")
        assert f.locator("details table").count() == 1
    assert page.content().count("<svg") == figures.count()
    _texts_do_not_overlap(page)
    for summary in dash.locator("details summary").all():
        summary.click()  # open every table, for axe to read them too
    assert_accessible(page)

    # disclosure: the page's counts against the run's own (exact) figures
    with site.session() as s:
        row = s.get(RunRow, run_id)
        assert row is not None and row.metrics is not None
        raw: dict[str, Any] = json.loads(row.metrics)
    assert row.mechanism == "preference-first"
    shown = _data_rows(page, "Children not placed, by primary need")
    small = 0
    for code, n in raw["unmet_by_need"].items():
        if n == 0:
            continue
        cells = shown[need_name(code)[:1].upper() + need_name(code)[1:]]
        assert cells == [disclosure.SMALL if disclosure.is_small(n) else f"{disclosure.count(n):,}"]
        small += disclosure.is_small(n)
    by_phase = _data_rows(page, "Children not placed, by phase")
    for ph, n in raw["unmet_by_phase"].items():
        if n:
            label = phase_name(ph)[:1].upper() + phase_name(ph)[1:]
            want = disclosure.SMALL if disclosure.is_small(n) else f"{disclosure.count(n):,}"
            assert by_phase[label] == [want]
            small += disclosure.is_small(n)
    assert small, "the area has no group of 1 to 9 children to withhold: the test checks nothing"
    for cells in _data_rows(page, "Children placed, by journey time").values():
        _counts_ok(cells)
    text = dash.inner_text()
    assert not re.search(r"\brp_su\b|\bspecial_nm\b|_gbp|_pct", text)

    # and on the home page: the run's counts as the API gives them to planners
    page.get_by_role("link", name="Runs and scenarios").first.click()
    runs = _data_rows(page, "Runs, latest first")
    assert runs[f"Run {run_id}"][0] == "Finished"
    for key, cell in (("children", runs[f"Run {run_id}"][3]), ("placed", runs[f"Run {run_id}"][4])):
        n = raw[key]
        assert cell == ("fewer than 10" if disclosure.is_small(n) else f"{disclosure.count(n):,}")
    # the dashboard as a file of its own downloads too
    got = page.context.request.get(site.path(f"/planner/runs/{run_id}/dashboard.html"))
    assert got.status == 200 and "<svg" in got.text() and "<script" not in got.text()
    assert got.headers["content-disposition"].startswith("inline; filename=")
    page.goto(site.path(f"/planner/runs/{run_id}/dashboard.html"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Area dashboard: Like Kent (2%)")
    assert_accessible(page)


# -- scenarios ------------------------------------------------------------------------------


def test_keyboard_only_a_planner_pastes_a_scenario_follows_it_and_reads_the_report(
    page: Page, site: Site
) -> None:
    _planner(page, site)
    before = _scenarios(site)
    tab_to(page, "Try a scenario")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Try a scenario")
    assert_accessible(page)
    tab_to(page, "Paste the scenario file")
    page.keyboard.type(SCENARIO)
    tab_to(page, "Run the scenario")
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The scenario has started")
    assert _scenarios(site) == before + 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Five more autism places")
    assert_accessible(page)
    # follow the job with the keyboard: "Check again" until the report is there (the page
    # also checks again by itself)
    deadline = time.monotonic() + DONE
    while not page.locator("#report").count():
        assert time.monotonic() < deadline, "the scenario did not finish"
        try:
            _tab_to(page, "Check again", limit=40)
            page.keyboard.press("Enter")
            page.wait_for_load_state()
        except AssertionError:
            page.wait_for_timeout(300)  # the page reloaded itself meanwhile
    report = page.locator("#report")
    headline = report.locator(".app-headline")
    expect(headline).to_contain_text("The scenario places")
    expect(headline).to_contain_text("a year")
    with site.session() as s:
        sid = int(page.url.rsplit("/", 1)[1].split("?")[0])
        row = s.get(ScenarioRunRow, sid)
        assert row is not None and row.report_json is not None
        data = json.loads(row.report_json)
    expect(headline).to_contain_text(data["headline"][0])
    expect(report.get_by_role("heading", name="What changed")).to_be_visible()
    expect(report).to_contain_text("Added 5 places for autism at ")
    # a chart's data: open "Show the data" with the keyboard and read its table
    _tab_to(page, "Show the data")
    page.keyboard.press("Enter")
    first = report.locator("figure").first
    table = first.locator("details table")
    expect(table).to_be_visible()
    title = first.locator("svg title").text_content() or ""
    expect(table.locator("caption")).to_have_text(title)
    values = first.locator("svg text.app-chart__value").all_text_contents()
    cells = table.locator("td").all_inner_texts()
    for v in values:
        assert v.split(": ", 1)[-1].split(" (", 1)[0] in cells, (v, cells)
    # counts of children in the report's figures: never 1 to 9
    every = _data_rows(page, "Every figure: optimised allocation")
    for label in ("Children in the run", "Placed", "Not placed"):
        _counts_ok(every[label][:2])
    _texts_do_not_overlap(page)
    assert_accessible(page)
    # the downloads
    links = {a.inner_text(): a.get_attribute("href") for a in page.locator("#downloads a").all()}
    csv = page.context.request.get(site.path(links["Every figure (CSV)"] or ""))
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text().startswith("scope,mechanism,metric,baseline,scenario,change")
    js = page.context.request.get(site.path(links["Everything (JSON)"] or "")).json()
    assert js["headline"] == data["headline"]
    # the report as a file of its own: it opens in the browser, accessible too
    page.goto(site.path(links["The report as a file of its own (HTML)"] or ""))
    expect(page.get_by_role("heading", level=1)).to_have_text("Scenario: Five more autism places")
    expect(page.locator(".app-headline")).to_contain_text(data["headline"][0])
    _texts_do_not_overlap(page)
    assert_accessible(page)


def test_a_planner_uploads_a_scenario_file(page: Page, site: Site, tmp_path: Path) -> None:
    _planner(page, site)
    page.get_by_role("button", name="Try a scenario on Like Kent (2%)").click()
    f = tmp_path / "new-school.toml"
    f.write_text(UPLOADED, encoding="utf-8")
    page.get_by_label("Or upload a scenario file").set_input_files(str(f))
    page.get_by_role("button", name="Run the scenario").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A new special school")
    _wait_for(page, site, "#report")
    report = page.locator("#report")
    expect(report).to_contain_text(
        "Opened Hillside Special School, a special school (academy or free school) with 30 places"
    )
    expect(report.locator(".app-headline")).to_contain_text("(optimised allocation)")
    # names, not codes: the report's own words (the scenario file, quoted in full, aside)
    words = page.evaluate(
        "() => { const r = document.querySelector('#report').cloneNode(true);"
        " r.querySelectorAll('pre, code').forEach(e => e.remove()); return r.innerText; }"
    )
    assert not re.search(r"\bE\d{6} N\d{6}\b|special_academy_free|\bNEW-1\b|_", words)
    expect(report.locator("pre")).to_contain_text('kind = "special_academy_free"')
    assert_accessible(page)


def test_a_broken_scenario_is_an_error_summary_naming_line_and_key_and_starts_nothing(
    page: Page, site: Site, tmp_path: Path
) -> None:
    _planner(page, site)
    before = _scenarios(site)
    page.goto(site.path(f"/planner/areas/{site.area_id}/scenarios/new"))
    broken = 'name = "typo"\n\n[base]\nsede = 3\n'
    page.get_by_label("Paste the scenario file").fill(broken)
    page.get_by_role("button", name="Run the scenario").click()
    expect(page).to_have_title(re.compile(r"^Error: Try a scenario"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "Line 4 of the scenario: base.sede: unknown key (did you mean 'seed'?)"
    )
    expect(summary).to_be_focused()
    expect(page.get_by_label("Paste the scenario file")).to_have_value(broken)
    assert_accessible(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Paste the scenario file")).to_be_focused()
    # a file with a mistake: the error names the file and the line, on the upload field
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\n[[add_places]]\nsetting_id = "NOPE"\nplaces = 5\n')
    page.get_by_label("Paste the scenario file").fill("")
    page.get_by_label("Or upload a scenario file").set_input_files(str(f))
    page.get_by_role("button", name="Run the scenario").click()
    expect(summary).to_contain_text(
        "Line 2 of the file bad.toml: add_places: unknown setting 'NOPE'"
    )
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Or upload a scenario file")).to_be_focused()
    # nothing, and nothing pasted or chosen
    page.get_by_role("button", name="Run the scenario").click()
    expect(summary).to_contain_text("Paste a scenario file, or choose one to upload")
    assert_accessible(page)
    assert _scenarios(site) == before  # nothing was started


def test_pasting_and_running_a_scenario_works_without_javascript(
    nojs_page: Page, site: Site
) -> None:
    page = nojs_page
    _planner(page, site)
    page.goto(site.path(f"/planner/areas/{site.area_id}/scenarios/new"))
    page.get_by_label("Paste the scenario file").fill(SCENARIO.replace("seed = 2", "seed = 3"))
    page.get_by_role("button", name="Run the scenario").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Five more autism places")
    deadline = time.monotonic() + DONE
    while not page.locator("#report").count():
        assert time.monotonic() < deadline, "the scenario did not finish"
        page.wait_for_timeout(500)
        page.get_by_role("link", name="Check again").click()  # no script: the page's link
    expect(page.locator("#report .app-headline")).to_contain_text("The scenario places")
    # the data tables are there without a script (a <details> opens by itself)
    page.locator("#report details summary").first.click()
    expect(page.locator("#report details table").first).to_be_visible()


# -- access ------------------------------------------------------------------------------------


def test_another_las_runs_and_scenarios_are_not_found(page: Page, site: Site) -> None:
    with site.session() as s:
        run = RunRow(
            area_id=site.other_area_id, area_revision=1, mechanism="optimised", seed=0,
            time_limit_s=60, status="succeeded", created_by="someone",
        )  # fmt: skip
        sc = ScenarioRunRow(
            area_id=site.other_area_id, area_revision=1, name="Theirs", scenario="x = 1",
            seed=1, marginal=0, time_limit_s=60, status="succeeded", created_by="someone",
            report_json="{}", report_html="<p>theirs</p>", report_csv="{}",
        )  # fmt: skip
        s.add(run)
        s.add(sc)
        s.commit()
        run_id, sc_id = run.id, sc.id
        top = s.exec(select(func.max(col(RunRow.id)))).one()
    _planner(page, site)
    for path in (
        f"/planner/runs/{run_id}",
        f"/planner/runs/{run_id}/dashboard.html",
        f"/planner/scenarios/{sc_id}",
        f"/planner/scenarios/{sc_id}/report.json",
        f"/planner/scenarios/{sc_id}/report/metrics.csv",
        f"/planner/areas/{site.other_area_id}/runs/new",
        f"/planner/areas/{site.other_area_id}/scenarios/new",
        f"/planner/runs/{(top or 0) + 1000}",
    ):
        resp = page.goto(site.path(path))
        assert resp is not None and resp.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        assert "theirs" not in page.content() and "Theirs" not in page.content()
    assert_accessible(page)
    # starting one on their area: not found either, and nothing started
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.goto(site.path(f"/planner/areas/{site.area_id}/scenarios/new"))
    token = page.locator("input[name=csrftoken]").first.get_attribute("value")
    before = _scenarios(site)
    r = httpx.post(
        site.path(f"/planner/areas/{site.other_area_id}/scenarios"),
        data={"csrftoken": token or "", "scenario": SCENARIO},
        cookies=cookies,
    )
    assert r.status_code == 404 and _scenarios(site) == before


def test_officers_and_families_cannot_open_planner_pages(page: Page, site: Site) -> None:
    sign_in(page, site, site.user("officer"))
    resp = page.goto(site.path("/planner"))
    assert resp is not None and resp.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    assert_accessible(page)
