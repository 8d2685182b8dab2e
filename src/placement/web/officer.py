"""Pages for placement officers (their own LA only): the worklist, a child's page (needs and
plan limits, the tailored list with its score components, the family's requests with each
statutory test, "why not" any setting, what-if), the placement workflow (propose, consult,
record the setting's reply, confirm with the guard rails and their overrides, decline) and
the area's runs.

An adapter only: every read and write is a call to the service's functions (the same ones
the API's routes call), so access control, read auditing, the guard rails and the wording
stay in one place. The errors a form expects (a :class:`ServiceError` or a schema's
validation error) become a GOV.UK error summary on the same form; anything else is the
frame's error page (403, 404, ...). A stale edit (409) is a "This has changed" page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from placement.domain import Need
from placement.reasons import Reason, ReasonCode
from placement.service.areas import service as areas
from placement.service.areas.schemas import AreaPublic
from placement.service.children import service as children
from placement.service.decisions import service as decisions
from placement.service.deps import CtxDep, SessionDep
from placement.service.errors import NotFoundError, ServiceError
from placement.service.paths import AreaId, RunId
from placement.service.placements import service as placements
from placement.service.requests import service as requests
from placement.service.rounds import service as rounds
from placement.service.runs import service as run_service
from placement.service.runs.schemas import RunCreate
from placement.service.schemas import PageParams
from placement.service.security import Principal
from placement.web.officer_common import (
    ID_PART_RE,
    ID_RE,
    PAGE_SIZE,
    RUN_PAGE_SIZE,
    ChildAt,
    OfficerChild,
    SettingChoice,
    area_settings,
    child_base,
    field_errors,
    la_areas,
    names_of,
    officer,
    page_number,
    pagination,
    settings_of,
    show,
)
from placement.web.officer_words import (
    COMPONENT_WORDS,
    MECHANISM_WORDS,
    OUTCOME_FILTER,
    RUN_TAGS,
    STATUS_FILTER,
    need_words,
    year_words,
)
from placement.web.pages import (
    PageWho,
    cap,
    job_refusal,
    redirect,
)
from placement.wording import render

router = APIRouter(include_in_schema=False)

# -- the worklist ---------------------------------------------------------------------------------

FILTERS = children.WORKLIST_FILTERS
DEADLINE_CHOICES = (30, 60, 90, 180, 366)
YEARS = range(-4, 22)


@router.get("/officer", response_class=HTMLResponse)
def officer_home(request: Request, ctx: CtxDep, session: SessionDep, who: PageWho) -> Response:
    """The worklist of the LA's area, or the LA's areas to choose from."""
    officer(who)
    found = la_areas(session, who)
    if len(found) == 1:
        return worklist_page(request, ctx, session, who, found[0])
    return show(
        request, who, "areas.html", title="Choose an area", areas=found, target="",
        heading="Choose an area",
    )  # fmt: skip


@router.get("/officer/areas/{area_id}", response_class=HTMLResponse)
def area_worklist(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, area_id: AreaId
) -> Response:
    officer(who)
    area = areas.get_area(session, who, area_id)
    return worklist_page(request, ctx, session, who, area)


def _filters(request: Request) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The worklist's filters as typed (raw values for the form, typed for the API, errors)."""
    qp = request.query_params
    raw = {k: qp.get(k, "").strip() for k in FILTERS}
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    unknown = sorted(set(qp) - children.WORKLIST_PARAMS - {"done"})
    if unknown:
        errors["run_outcome"] = (
            f"There is no filter called ‘{unknown[0][:40]}’: use the filters on this page"
        )
    if raw["run_outcome"]:
        if raw["run_outcome"] in OUTCOME_FILTER:
            typed["run_outcome"] = raw["run_outcome"]
        else:
            errors["run_outcome"] = "Choose an outcome in the latest run from the list"
    if raw["status"]:
        if raw["status"] in STATUS_FILTER:
            typed["status"] = raw["status"]
        else:
            errors["status"] = "Choose a placement status from the list"
    if raw["consultation_overdue"]:
        if raw["consultation_overdue"] == "true":
            typed["consultation_overdue"] = True
        else:
            errors["consultation_overdue"] = "Tick the box or leave it empty"
    if raw["deadline_within_days"]:
        d = raw["deadline_within_days"]
        if d.isdigit() and 0 <= int(d) <= 366:
            typed["deadline_within_days"] = int(d)
        else:
            errors["deadline_within_days"] = "Choose a number of days from the list (0 to 366)"
    if raw["need"]:
        if raw["need"] in Need.__members__:
            typed["need"] = Need(raw["need"])
        else:
            errors["need"] = "Choose a primary need from the list"
    if raw["year"]:
        y = raw["year"]
        if re.fullmatch(r"-?\d{1,2}", y) and int(y) in YEARS:
            typed["year"] = int(y)
        else:
            errors["year"] = "Choose a school year from the list"
    if raw["q"]:
        if ID_PART_RE.fullmatch(raw["q"]):
            typed["q"] = raw["q"]
        else:
            errors["q"] = (
                "Enter all or part of a child ID: letters, numbers, dots, dashes and "
                "underscores only, 64 at most"
            )
    return raw, typed, errors


def worklist_page(
    request: Request, ctx: CtxDep, session: Session, who: Principal, area: AreaPublic
) -> Response:
    base = f"/officer/areas/{area.id}"
    raw, typed, errors = _filters(request)
    current = page_number(request)
    result = None
    if not errors:
        try:
            result = children.worklist(
                ctx, session, who, area.id, PageParams(current, PAGE_SIZE),
                children.WorklistFilters(**typed),
            )  # fmt: skip
        except ServiceError as e:
            session.rollback()
            errors["run_outcome"] = e.detail
    status = 400 if errors else 200
    names = names_of(session, area.id) if result is not None else {}
    kept = {k: v for k, v in raw.items() if v}
    pager = None
    if result is not None:
        pager = pagination(
            current, result.total, PAGE_SIZE,
            lambda n: base + "?" + urlencode({**kept, "page": n}),
        )  # fmt: skip
    deadlines = list(DEADLINE_CHOICES)
    if "deadline_within_days" in typed and typed["deadline_within_days"] not in deadlines:
        deadlines = sorted([*deadlines, typed["deadline_within_days"]])
    return show(
        request,
        who,
        "worklist.html",
        title=f"Worklist: {area.name}",
        status_code=status,
        errors=errors,
        area=area,
        base=base,
        raw=raw,
        filtered=bool(kept),
        result=result,
        names=names,
        pager=pager,
        first=(current - 1) * PAGE_SIZE + 1,
        outcome_options=[("", "Any"), *OUTCOME_FILTER.items()],
        status_options=[("", "Any"), *STATUS_FILTER.items()],
        deadline_options=[("", "Any")] + [(str(d), f"Within {d} days") for d in deadlines],
        need_options=[("", "Any")] + [(n.value, need_words(n.value)) for n in Need],
        year_options=[("", "Any")] + [(str(y), year_words(y)) for y in YEARS],
        several=len(la_areas(session, who)) > 1,
    )


# -- a child --------------------------------------------------------------------------------------


@router.get("/officer/areas/{area_id}/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    c: OfficerChild,
) -> Response:
    area = areas.get_area(session, who, c.area_id)
    record = children.get_child(ctx, session, who, c.area_id, c.child_id)
    child = record.child
    lst = children.tailored_list_doc(ctx, session, who, c.area_id, c.child_id, "officer")
    reqs = requests.get_requests(ctx, session, who, c.area_id, c.child_id)
    placed = placements.list_for_child(session, who, c.area_id, c.child_id)
    known = area_settings(session, c.area_id)
    settings, names = known.settings, known.names
    assessed = {r["setting_id"]: r for r in reqs.get("run_assessment", [])}
    return show(
        request,
        who,
        "child.html",
        title=f"{record.first_name} ({c.child_id})" if record.first_name else f"Child {c.child_id}",
        area=area,
        child=child,
        first_name=record.first_name,
        decisions=decisions.list_decisions(session, who, c.area_id, c.child_id),
        lst=lst,
        reqs=reqs,
        assessed=assessed,
        placements=list(reversed(placed)),
        open_placement=next((p for p in placed if p.status in ("proposed", "consulted")), None),
        confirmed=next((p for p in placed if p.status == "confirmed"), None),
        settings=settings,
        options=known.options,
        names=names,
        base=child_base(c.area_id, c.child_id),
        components=list(COMPONENT_WORDS),
    )


def _setting_param(request: Request, settings: list[SettingChoice]) -> tuple[str, dict[str, str]]:
    chosen = request.query_params.get("setting", "").strip()
    if not chosen:
        return "", {"setting": "Choose a setting"}
    if not ID_RE.fullmatch(chosen) or chosen not in {s.setting_id for s in settings}:
        return chosen, {"setting": "Choose a setting of this area from the list"}
    return chosen, {}


def _about_a_setting(
    request: Request,
    session: Session,
    who: Principal,
    c: ChildAt,
    answer: Callable[[str], dict[str, Any]],
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A page about the child and one setting picked from the area's (``?setting=``): the
    service's answer for it (None with the form's errors for a setting not picked or not
    the area's) and the context every such page shows."""
    settings = settings_of(session, c.area_id)
    chosen, errors = _setting_param(request, settings)
    got = None
    if not errors:
        try:
            got = answer(chosen)
        except NotFoundError as e:
            session.rollback()
            errors = {"setting": cap(e.detail)}
    return got, {
        "status_code": 400 if errors else 200,
        "errors": errors,
        "chosen": chosen,
        "settings": settings,
        "area_id": c.area_id,
        "child_id": c.child_id,
        "base": child_base(c.area_id, c.child_id),
    }


@router.get("/officer/areas/{area_id}/children/{child_id}/why-not", response_class=HTMLResponse)
def why_not(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, c: OfficerChild
) -> Response:
    """Why a setting is on the child's list, or why not (any setting of the area)."""
    exp, page_context = _about_a_setting(
        request, session, who, c,
        lambda sid: children.explain(ctx, session, who, c.area_id, c.child_id, sid, "officer"),
    )  # fmt: skip
    title = f"Why or why not {exp['name']}" if exp else "Why or why not a setting"
    return show(request, who, "why_not.html", title=title, exp=exp, **page_context)


@router.get("/officer/areas/{area_id}/children/{child_id}/what-if", response_class=HTMLResponse)
def what_if(
    request: Request, ctx: CtxDep, session: SessionDep, who: PageWho, c: OfficerChild
) -> Response:
    """What if the child were placed at a setting: the area re-solved, everyone who moves."""
    w, page_context = _about_a_setting(
        request, session, who, c,
        lambda sid: children.what_if(ctx, session, who, c.area_id, c.child_id, sid),
    )  # fmt: skip
    title = f"What if {c.child_id} went to {w['setting']['name']}" if w else "What if"
    return show(request, who, "what_if.html", title=title, w=w, **page_context)


# -- runs -----------------------------------------------------------------------------------------

RUNS_NAV = "/officer/runs"


@router.get("/officer/runs", response_class=HTMLResponse)
def runs_home(request: Request, session: SessionDep, who: PageWho) -> Response:
    officer(who)
    found = la_areas(session, who)
    if len(found) == 1:
        return runs_page(request, session, who, found[0])
    return show(
        request, who, "areas.html", title="Choose an area for runs", areas=found, target="/runs",
        heading="Choose an area", nav_path=RUNS_NAV,
    )  # fmt: skip


@router.get("/officer/areas/{area_id}/runs", response_class=HTMLResponse)
def area_runs(request: Request, session: SessionDep, who: PageWho, area_id: AreaId) -> Response:
    officer(who)
    return runs_page(request, session, who, areas.get_area(session, who, area_id))


def runs_page(
    request: Request,
    session: Session,
    who: Principal,
    area: AreaPublic,
    *,
    mechanism: str = "",
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    current = page_number(request) if request.method == "GET" else 1
    runs = run_service.list_runs(session, who, area.id, PageParams(current, RUN_PAGE_SIZE))
    rnd = rounds.get_round(session, who, area.id)
    base = f"/officer/areas/{area.id}/runs"
    return show(
        request, who, "runs.html", title=f"Runs: {area.name}", nav_path=RUNS_NAV, round=rnd,
        status_code=(422 if errors else 200), errors=errors, area=area, runs=runs,
        base=base, mechanism=mechanism, mechanisms=list(MECHANISM_WORDS),
        pager=pagination(current, runs.total, RUN_PAGE_SIZE, lambda n: f"{base}?page={n}"),
    )  # fmt: skip


@router.post("/officer/areas/{area_id}/runs", response_class=HTMLResponse)
def start_run(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    mechanism: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "moving",
) -> Response:
    """Start a run of the area (the children moving this round; a study from scratch is a
    planner's, and the API refuses it)."""
    officer(who)
    area = areas.get_area(session, who, area_id)
    if not mechanism:
        return runs_page(
            request, session, who, area, mechanism="",
            errors={"mechanism": "Choose how the run places children"},
        )  # fmt: skip
    try:
        body = RunCreate.model_validate({"mechanism": mechanism, "scope": scope})
    except ValidationError as e:
        errors = field_errors(e, {"mechanism": "How the run places children", "scope": "Scope"})
        errors = {"mechanism": next(iter(errors.values()), "Check the form")}
        return runs_page(request, session, who, area, mechanism=mechanism, errors=errors)
    try:
        run = run_service.start_run(ctx, session, who, area_id, body)
    except ServiceError as e:
        msg = job_refusal(session, e)
        return runs_page(
            request, session, who, area, mechanism=mechanism, errors={"mechanism": msg}
        )
    return redirect(
        f"/officer/areas/{area_id}/runs/{run.id}", done=f"Run {run.id} has started", request=request
    )


@router.get("/officer/areas/{area_id}/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    run_id: RunId,
) -> Response:
    """A run: while it runs, a page that checks again (JavaScript polls; without it, a link);
    once finished, its placed and unplaced counts and its placements, linking each child."""
    officer(who)
    area = areas.get_area(session, who, area_id)
    run = run_service.get_run(session, who, run_id)
    if run.area_id != area_id:
        raise NotFoundError(f"run {run_id} not found")
    current = page_number(request)
    items: list[dict[str, Any]] = []
    pager = None
    total = 0
    if run.status == "succeeded":
        got = run_service.run_placements(session, who, run_id, PageParams(current, PAGE_SIZE))
        total = got.total
        names = names_of(session, area_id)
        for x in got.items:
            u = x.get("unplaced")
            why = ""
            if u:
                try:
                    r = Reason(
                        ReasonCode(u["code"]), u["child_id"], u.get("setting_id"), u["facts"]
                    )
                    why = render(r, "officer", names)
                except (KeyError, ValueError):
                    why = str(u.get("code", "")).replace("_", " ")
            items.append(
                {
                    **x,
                    "setting_name": names.get(x["setting_id"] or "", x["setting_id"]),
                    "why": why,
                }
            )
        base = f"/officer/areas/{area_id}/runs/{run_id}"
        pager = pagination(current, total, PAGE_SIZE, lambda n: f"{base}?page={n}")
    m = run.metrics or {}
    counts = None
    if run.status == "succeeded" and m:
        children = int(m.get("children", 0))
        placed = int(m.get("placed", 0))
        counts = {
            "children": children,
            "placed": placed,
            "unplaced": children - placed,
            "staying": int(m.get("staying", 0)),
        }
    return show(
        request, who, "run.html", title=f"Run {run.id}: {RUN_TAGS.get(run.status, ('', ''))[0]}",
        nav_path=RUNS_NAV, area=area, run=run, m=m, counts=counts, items=items, total=total,
        pager=pager, first=(current - 1) * PAGE_SIZE + 1,
        waiting=run.status in ("queued", "running"),
    )  # fmt: skip


@router.post("/officer/areas/{area_id}/runs/{run_id}/working", response_class=HTMLResponse)
def make_working(
    request: Request, session: SessionDep, who: PageWho, area_id: AreaId, run_id: RunId
) -> Response:
    """Make a finished run of the children moving this round the working run."""
    officer(who)
    try:
        rounds.designate(session, who, run_id)
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        return redirect(f"/officer/areas/{area_id}/runs", done=cap(e.detail), request=request)
    return redirect(
        f"/officer/areas/{area_id}/runs",
        done=f"Run {run_id} is the working run: lists, the worklist and families' pages use it",
        request=request,
    )
