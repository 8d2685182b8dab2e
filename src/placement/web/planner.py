"""Pages for planners (see placement.web.pages): their LA's areas, allocation runs and their
dashboards, and capacity scenarios (pasted or uploaded, followed while they run, and read in
the page with their downloads).

The pages are an adapter over the service's functions (those the API's routes call), so
access control (a planner's own
LA; another LA's run or scenario is "not found") and disclosure control (counts of 1 to 9
children as "<10", others rounded to 5: :mod:`placement.disclosure`) stay where they are. The
dashboard and the report are drawn from the same disclosure-controlled figures the API gives,
by the same code that writes the CLI's files (:func:`~placement.scenario_service.report.
report_fragment`, :func:`~placement.scenarios.dashboard.dashboard_fragment`), in the page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel import Session

from placement import disclosure
from placement.reports import dashboard_fragment, dashboard_html, report_fragment
from placement.scenarios.plain import MECHANISM_NAMES
from placement.service.access import require
from placement.service.areas import service as areas_service
from placement.service.areas.schemas import AreaPublic
from placement.service.deps import CtxDep, SessionDep
from placement.service.downloads import REPORT_CSP, attachment
from placement.service.errors import NotFoundError, ServiceError
from placement.service.paths import AreaId, RunId, ScenarioId
from placement.service.runs import service as run_service
from placement.service.runs.schemas import RunCreate
from placement.service.scenarios import service as scenario_service
from placement.service.scenarios.schemas import ScenarioCreate
from placement.service.scenarios.service import CsvTable
from placement.service.schemas import PageParams
from placement.service.security import Principal
from placement.web.pages import (
    BUSY,
    JOB_TAGS,
    PageWho,
    cap,
    job_refusal,
    redirect,
    staff_page,
)

router = APIRouter(include_in_schema=False)

LIST_SIZE = 10
MAX_FILE = 65_536  # the API's limit on a scenario file's text (ScenarioCreate)
STATUS_TAGS = JOB_TAGS
SCOPE_WORDS = {
    "moving": "The children moving this round (phase transfer, new plans, reviews); the "
    "others keep their places",
    "from_scratch": "A study of the whole caseload as if from scratch (a planner's study: "
    "never used for lists or placements)",
}
MECHANISM_HINTS = {
    "optimised": "As many children placed as possible, then families' requests in rank order, "
    "mainstream where the family has not asked for specialist, then the least cost and travel",
    "preference-first": "The first available place in order of each family's preferences, "
    "then the LA's priority rules",
}


# -- words -------------------------------------------------------------------------------------


def status_tag(status: str) -> tuple[str, str]:
    return STATUS_TAGS.get(status, (cap(status), "grey"))


def mechanism_words(m: str) -> str:
    return cap(MECHANISM_NAMES.get(m, m))


def time_words(t: dt.datetime | None) -> str:
    if t is None:
        return "Not yet"
    return f"{t.day} {t:%B %Y}, {t:%H:%M} UTC"


def count_words(v: int | str | None) -> str:
    """A count of children as a planner may see it (already disclosure-controlled)."""
    if v is None:
        return "–"
    if isinstance(v, str):
        return "fewer than 10" if v == disclosure.SMALL else "withheld"
    return f"{v:,}"


def error_words(detail: str, source: str) -> str:
    """A scenario file's error as the service gives it ("scenario.toml:3: add_places: ...")
    in a sentence naming the line of the file as the planner knows it."""
    m = re.match(r"^scenario\.toml:(\d+): (.*)$", detail, re.S)
    if m:
        return f"Line {m[1]} of {source}: {m[2]}"
    m = re.match(r"^scenario\.toml: (.*)$", detail, re.S)
    if m:
        return f"In {source}: {m[1]}"
    return cap(detail)


WORDS = {
    "status": status_tag,
    "mechanism": mechanism_words,
    "time": time_words,
    "count": count_words,
    "scope": lambda s: SCOPE_WORDS.get(s, s),
    "error": lambda e: error_words(e, "the scenario"),
}


# -- the frame ---------------------------------------------------------------------------------


def show(request: Request, who: Principal, template: str, **kw: Any) -> HTMLResponse:
    """A planner's page (:func:`~placement.web.pages.staff_page`), the words helpers as ``w``."""
    return staff_page(request, who, template, w=WORDS, **kw)


def planner(who: Principal) -> None:
    require(who, "planner")


def _area(session: Session, who: Principal, area_id: int) -> AreaPublic:
    return areas_service.get_area(session, who, area_id)


# -- home: areas, runs and scenarios --------------------------------------------------------


@router.get("/planner", response_class=HTMLResponse)
def planner_home(request: Request, session: SessionDep, who: PageWho) -> Response:
    """The LA's areas, each with its latest runs and scenarios (status tags) and the way to
    start a run or try a scenario."""
    planner(who)
    areas = areas_service.list_areas(session, who, PageParams(1, 100)).items
    shown = []
    for a in areas:
        shown.append(
            {
                "area": a,
                "runs": run_service.list_runs(session, who, a.id, PageParams(1, LIST_SIZE)),
                "scenarios": scenario_service.list_scenarios(
                    session, who, a.id, PageParams(1, LIST_SIZE)
                ),
            }
        )
    return show(request, who, "home.html", title="Runs and scenarios", areas=shown)


# -- runs ----------------------------------------------------------------------------------


@router.get("/planner/areas/{area_id}/runs/new", response_class=HTMLResponse)
def new_run(request: Request, session: SessionDep, who: PageWho, area_id: AreaId) -> Response:
    planner(who)
    return _run_form(request, who, _area(session, who, area_id))


def _run_form(
    request: Request,
    who: Principal,
    area: AreaPublic,
    *,
    mechanism: str = "optimised",
    scope: str = "moving",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return show(
        request, who, "run_new.html", title=f"Start a run: {area.name}", area=area,
        mechanism=mechanism, scope=scope, errors=errors, status_code=status_code,
        mechanisms=[
            {"value": m, "text": mechanism_words(m), "hint": MECHANISM_HINTS[m]}
            for m in MECHANISM_HINTS
        ],
        scopes=[{"value": s, "text": SCOPE_WORDS[s]} for s in SCOPE_WORDS],
    )  # fmt: skip


@router.post("/planner/areas/{area_id}/runs", response_class=HTMLResponse)
def start_run(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    mechanism: Annotated[str, Form(max_length=40)] = "",
    scope: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Start an allocation run of the area (queued, then solved off the event loop)."""
    planner(who)
    area = _area(session, who, area_id)
    errors: dict[str, str] = {}
    if mechanism not in MECHANISM_HINTS:
        errors["mechanism"] = "Choose how the run places children"
    if scope not in SCOPE_WORDS:
        errors["scope"] = "Choose which children the run places"
    if errors:
        return _run_form(
            request, who, area, mechanism=mechanism, scope=scope, errors=errors,
            status_code=422,
        )  # fmt: skip
    body = RunCreate.model_validate({"mechanism": mechanism, "scope": scope})
    try:
        run = run_service.start_run(ctx, session, who, area_id, body)
    except ServiceError as e:
        msg = job_refusal(session, e)
        return _run_form(
            request, who, area, mechanism=mechanism, scope=scope,
            errors={"mechanism": msg}, status_code=e.status,
        )  # fmt: skip
    return redirect(f"/planner/runs/{run.id}", done="The run has started", request=request)


@router.get("/planner/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, session: SessionDep, who: PageWho, run_id: RunId) -> Response:
    """A run: while it waits or runs, a page that checks again (JavaScript polls; without
    it, a link); once finished, its dashboard in the page."""
    planner(who)
    run = run_service.get_run(session, who, run_id)  # another LA's run: "not found"
    area = _area(session, who, run.area_id)
    dashboard = None
    missing = False
    if run.status == "succeeded":
        try:
            data = run_service.dashboard(session, who, run_id)
        except NotFoundError:
            missing = True  # made before dashboards were
        else:
            dashboard = Markup(
                dashboard_fragment(data, chart_id="dashboard")
            )  # the fragment escapes every text it shows
    return show(
        request, who, "run.html", title=f"Run {run.id}: {area.name}", run=run, area=area,
        dashboard=dashboard, missing=missing, waiting=run.status in ("queued", "running"),
    )  # fmt: skip


def _inline(resp: Response) -> Response:
    """A self-contained HTML file (the API sends it as an attachment) shown in the browser
    instead: a link with ``download`` still saves it. Its own CSP (inline CSS, no scripts)."""
    disp = resp.headers.get("content-disposition", "")
    resp.headers["content-disposition"] = disp.replace("attachment", "inline", 1)
    resp.headers["Content-Security-Policy"] = REPORT_CSP
    return resp


def _file(rep: scenario_service.Report) -> Response:
    return attachment(rep.filename, rep.body, rep.media)


@router.get("/planner/runs/{run_id}/dashboard.html")
def run_dashboard_file(session: SessionDep, who: PageWho, run_id: RunId) -> Response:
    """The dashboard as a file of its own, to keep or send (inline SVG, no scripts)."""
    planner(who)
    data = run_service.dashboard(session, who, run_id)
    return _inline(
        attachment(f"run-{run_id}-dashboard.html", dashboard_html(data), "text/html; charset=utf-8")
    )


# -- scenarios -------------------------------------------------------------------------------

EXAMPLE = """\
name = "Ten more autism places"
description = "Ten more places for autistic children at a special school."

[base]
seed = 1

[[add_places]]
select = { kind = "special_la_maintained", need = "ASD", count = 1, near = "largest gaps" }
need = "ASD"
places = 10
"""


def _scenario_form(
    request: Request,
    who: Principal,
    area: AreaPublic,
    *,
    text: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return show(
        request, who, "scenario_new.html", title=f"Try a scenario: {area.name}", area=area,
        text=text, errors=errors, status_code=status_code, example=EXAMPLE,
    )  # fmt: skip


@router.get("/planner/areas/{area_id}/scenarios/new", response_class=HTMLResponse)
def new_scenario(request: Request, session: SessionDep, who: PageWho, area_id: AreaId) -> Response:
    planner(who)
    return _scenario_form(request, who, _area(session, who, area_id))


def _uploaded(upload: UploadFile | None) -> tuple[str | None, str | None]:
    """(the file's text, or None if no file was chosen; an error, or None)."""
    if upload is None or not upload.filename:
        return None, None
    raw = upload.file.read(MAX_FILE + 4)
    if not raw:
        return None, "The file you chose is empty"
    if len(raw) > MAX_FILE + 3:  # a BOM may come before 64 KB of text
        return None, "The file must be 64 KB or smaller"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, "The file must be a text file (a scenario file saved as UTF-8)"


@router.post("/planner/areas/{area_id}/scenarios", response_class=HTMLResponse)
def start_scenario(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    scenario: Annotated[str, Form(max_length=MAX_FILE * 2)] = "",
    scenario_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Run a scenario pasted into the form or uploaded as a file (a chosen file wins). A
    mistake in the file is an error summary naming its line and key, and starts nothing."""
    planner(who)
    area = _area(session, who, area_id)
    text, problem = _uploaded(scenario_file)
    field: Literal["scenario", "scenario_file"] = "scenario_file"
    source = (
        f"the file {scenario_file.filename}" if scenario_file and scenario_file.filename else ""
    )
    if problem is None and text is None:
        field, source = "scenario", "the scenario"
        text = scenario.replace("\r\n", "\n")
        if not text.strip():
            problem = "Paste a scenario file, or choose one to upload"
    shown = scenario if field == "scenario" else ""

    def again(msg: str, status: int) -> HTMLResponse:
        return _scenario_form(
            request, who, area, text=shown, errors={field: msg}, status_code=status
        )

    if problem is not None:
        return again(problem, 422)
    assert text is not None
    try:
        body = ScenarioCreate.model_validate({"scenario": text})
    except ValidationError as e:
        kind = e.errors()[0]["type"] if e.errors() else ""
        if kind == "string_too_long":
            return again("The scenario file must be 64 KB or smaller", 422)
        return again(
            f"{cap(source)} has a character that cannot be read (a control character): "
            "save it as plain text and try again",
            422,
        )
    try:
        row = scenario_service.start_scenario(ctx, session, who, area_id, body)
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        if e.status == 503:
            return again(BUSY, 503)
        return again(error_words(e.detail, source), e.status)
    return redirect(
        f"/planner/scenarios/{row.id}", done="The scenario has started", request=request
    )


@router.get("/planner/scenarios/{scenario_id}", response_class=HTMLResponse)
def scenario_page(
    request: Request, session: SessionDep, who: PageWho, scenario_id: ScenarioId
) -> Response:
    """A scenario run: while it waits or runs, a page that checks again; once finished, its
    report in the page, with its files to download."""
    planner(who)
    detail = scenario_service.scenario_detail(session, who, scenario_id)  # another LA's: not found
    job = detail.run
    area = _area(session, who, job.area_id)
    report = None
    if detail.report is not None:
        data: dict[str, Any] = detail.report
        if data.get("metrics"):
            data.setdefault("source", detail.source)
            report = Markup(
                report_fragment(data, chart_id="report")
            )  # the fragment escapes every text it shows
    base = f"/planner/scenarios/{scenario_id}"
    downloads = [
        (f"{base}/report/metrics.csv", "Every figure (CSV)"),
        (f"{base}/report/settings.csv", "Places free and taken at every setting (CSV)"),
        (f"{base}/report/marginal.csv", "The value of one more place (CSV)"),
        (f"{base}/report.json", "Everything (JSON)"),
        (f"{base}/report.html", "The report as a file of its own (HTML)"),
    ]
    return show(
        request, who, "scenario.html", title=f"Scenario: {job.name}", job=job, area=area,
        report=report, downloads=downloads, source=detail.source,
        waiting=job.status in ("queued", "running"),
    )  # fmt: skip


@router.get("/planner/scenarios/{scenario_id}/report.html")
def scenario_report_file(session: SessionDep, who: PageWho, scenario_id: ScenarioId) -> Response:
    planner(who)
    return _inline(_file(scenario_service.report(session, who, scenario_id, "html")))


@router.get("/planner/scenarios/{scenario_id}/report.json")
def scenario_report_json(session: SessionDep, who: PageWho, scenario_id: ScenarioId) -> Response:
    planner(who)
    return _file(scenario_service.report(session, who, scenario_id, "json"))


@router.get("/planner/scenarios/{scenario_id}/report/{table}.csv")
def scenario_report_csv(
    session: SessionDep, who: PageWho, scenario_id: ScenarioId, table: CsvTable
) -> Response:
    planner(who)
    return _file(scenario_service.report(session, who, scenario_id, table))
