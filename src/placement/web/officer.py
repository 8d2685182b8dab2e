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

import datetime as dt
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlmodel import Session, col, select

from placement.domain import Need, phase_of_year
from placement.reasons import Reason, ReasonCode
from placement.service.access import require
from placement.service.areas import service as areas
from placement.service.areas.models import AreaRow, SettingRow
from placement.service.areas.schemas import AreaPublic
from placement.service.children import service as children
from placement.service.deps import CtxDep, SessionDep
from placement.service.errors import ConflictError, NotFoundError, ServiceError
from placement.service.paths import AreaId, ChildId, PlacementId, RunId
from placement.service.placements import service as placements
from placement.service.placements.schemas import (
    DecisionCreate,
    PlacementCreate,
    PlacementPublic,
    SettingResponseCreate,
)
from placement.service.requests import service as requests
from placement.service.runs import service as run_service
from placement.service.runs.schemas import RunCreate
from placement.service.schemas import PageParams
from placement.service.security import Principal
from placement.web.pages import (
    JOB_TAGS,
    PageWho,
    cap,
    job_refusal,
    la_name,
    navigation,
    page,
    redirect,
)
from placement.wording import NEED_WORDS, PHASE_WORDS, describe_kind, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25  # worklist and run placements, a page
RUN_PAGE_SIZE = 20  # the runs table, a page
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
ID_PART_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
IDEM_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")

# -- words ----------------------------------------------------------------------------------------

STATUS_TAGS: dict[str, tuple[str, str]] = {
    "none": ("No placement yet", "grey"),
    "proposed": ("Proposed", "light-blue"),
    "consulted": ("Consulting the setting", "purple"),
    "confirmed": ("Confirmed", "green"),
    "declined": ("Declined", "red"),
    "withdrawn": ("Withdrawn", "grey"),
}
STATUS_FILTER = {
    "none": "No placement yet",
    "proposed": "Proposed, awaiting consultation",
    "consulted": "Consulting the setting",
    "confirmed": "Confirmed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
OUTCOME_TAGS: dict[str, tuple[str, str]] = {
    "placed": ("Placed by the run", "green"),
    "unplaced": ("Unplaced", "red"),
    "staying": ("Staying", "grey"),
}
OUTCOME_FILTER = {
    "unplaced": "Unplaced in the latest run",
    "placed": "Placed in the latest run",
    "staying": "Staying where the plan names",
}
RUN_TAGS = JOB_TAGS
MOVEMENT_WORDS = {
    "staying": "Staying where the plan names (not placed this round)",
    "no_current_setting": "Has no current setting",
    "transfer_year": "Moving phase (a phase-transfer year)",
    "new_plan": "A new plan",
    "review_requested_move": "A review asked for a move",
    "current_setting_age_range_ends": "The current setting's age range ends",
}
COMPONENT_WORDS = {
    "need_fit": "Need fit",
    "journey": "Journey",
    "cost": "Cost",
    "preference": "Family preference",
    "mainstream": "Mainstream (s.33)",
    "continuity": "Continuity",
    "capacity_pressure": "Capacity pressure",
}
CHANCE_WORDS = {
    "placed": "The run plans this place",
    "likely": "Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
    "unknown": "Not known (no run yet)",
}
INCLUDED_WORDS = {
    "top_k": "among the best scored",
    "mainstream": "the best mainstream option (s.33)",
    "family_asked": "the family asked for it",
    "area_run": "the area run plans it",
}
TEST_WORDS = {
    "suitability": "Suitable for the child's age, ability, aptitude and SEN",
    "efficient_education_of_others": "Compatible with the efficient education of others",
    "efficient_use_of_resources": "Compatible with the efficient use of resources",
    "s9_efficient_instruction": "Efficient instruction (s.9 EA 1996)",
    "s9_place_available": "A place is available (s.9 EA 1996)",
    "s9_public_expenditure": "No unreasonable public expenditure (s.9 EA 1996)",
    "gender_of_entry": "The school's gender of entry",
    "journey_beyond_la_limit": "Journey beyond the LA's limit (transport)",
    "mainstream_presumption": "Mainstream presumption (s.33) for the setting named instead",
    "staying": "Staying where the plan names",
}
TEST_OUTCOME_TAGS: dict[str, tuple[str, str]] = {
    "met": ("Met", "green"),
    "not_met": ("Not met", "red"),
    "not_applicable": ("Not applicable", "grey"),
    "breached": ("Breached", "red"),
}
REQUEST_TAGS: dict[str, tuple[str, str]] = {
    "being_considered": ("Being considered", "blue"),
    "named": ("Named", "green"),
    "refused": ("Refused", "red"),
    "after_decision": ("Asked after the decision", "orange"),
}
RUN_ASSESSMENT_WORDS = {
    "named": "the run names it",
    "can_be_named": "it can be named",
    "refused": "the run would refuse it",
    "not_this_round": "not this round (the child is staying)",
}
ROUTE_WORDS = {
    "s38_request": "a request (CFA 2014 s.38)",
    "s9_representation": "a representation (EA 1996 s.9: not on the s.41 list)",
}
CHANGE_WORDS = {
    "placed": "Children placed",
    "requests_named": "Families' requests named",
    "mainstream_presumption_kept": "Mainstream presumption kept (s.33)",
    "preferences_met": "Preferences met",
    "cost_gbp": "Public cost a year",
    "travel_min": "Total journey minutes",
}
RESPONSE_WORDS = {"agrees": "Agrees to admit", "objects": "Objects"}
MECHANISM_WORDS = {
    "optimised": "Optimised: place as many children as possible, then the families' requests "
    "in rank order, mainstream where the family has not asked for specialist (s.33), then "
    "the least public cost and travel",
    "preference-first": "Preference-first: the first available place in order of each "
    "family's preferences, then the LA's priority rules",
}


def need_words(code: str | None) -> str:
    if not code:
        return "Not recorded"
    words = NEED_WORDS.get(code)
    return f"{cap(words)} ({code})" if words else code


def year_words(year: int | None) -> str:
    if year is None:
        return "Not recorded"
    if year < 0:
        return f"Early years (aged {year + 4})"
    if year == 0:
        return "Reception"
    return f"Year {year}"


def phase_words(year: int | None) -> str:
    if year is None:
        return ""
    return PHASE_WORDS.get(phase_of_year(year).label, "")


def kind_words(kind: str) -> str:
    words = describe_kind(kind)
    for article in ("a ", "an "):
        if words.startswith(article):
            words = words[len(article) :]
    return cap(words)


def date_words(d: dt.date | str | None) -> str:
    if d is None:
        return ""
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    return f"{d.day} {d:%B %Y}"


def time_words(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    return f"{t.day} {t:%B %Y}, {t:%H:%M} UTC"


def money(v: Any) -> str:
    return f"£{round(float(v)):,}"


def signed(v: Any, unit: str = "") -> str:
    x = float(v)
    if unit == "£":
        return ("+" if x > 0 else "−" if x < 0 else "") + f"£{abs(round(x)):,}"
    n = int(x) if x == int(x) else round(x, 1)
    return ("+" if x > 0 else "−" if x < 0 else "") + f"{abs(n):,}{unit}"


def tag_of(table: Mapping[str, tuple[str, str]], key: str | None) -> tuple[str, str]:
    if key is None:
        return ("", "grey")
    return table.get(key, (cap(key.replace("_", " ")), "grey"))


H = SimpleNamespace(
    need=need_words,
    year=year_words,
    phase=phase_words,
    kind=kind_words,
    date=date_words,
    time=time_words,
    money=money,
    signed=signed,
    status=lambda s: tag_of(STATUS_TAGS, s or "none"),
    outcome=lambda s: tag_of(OUTCOME_TAGS, s),
    run=lambda s: tag_of(RUN_TAGS, s),
    test=lambda s: TEST_WORDS.get(s, cap(s.replace("_", " "))),
    test_outcome=lambda s: tag_of(TEST_OUTCOME_TAGS, s),
    request=lambda s: tag_of(REQUEST_TAGS, s),
    assessed=lambda s: RUN_ASSESSMENT_WORDS.get(s, s.replace("_", " ")),
    route=lambda s: ROUTE_WORDS.get(s or "", (s or "").replace("_", " ")),
    component=lambda s: COMPONENT_WORDS.get(s, cap(s.replace("_", " "))),
    chance=lambda s: CHANCE_WORDS.get(s, s),
    included=lambda xs: "; ".join(INCLUDED_WORDS.get(x, x.replace("_", " ")) for x in xs),
    movement=lambda s: MOVEMENT_WORDS.get(s or "", (s or "").replace("_", " ")),
    change=lambda s: CHANGE_WORDS.get(s, cap(s.replace("_", " "))),
    response=lambda s: RESPONSE_WORDS.get(s or "", s or ""),
    mechanism=lambda s: MECHANISM_WORDS.get(s, s),
)


# -- the frame ------------------------------------------------------------------------------------


def show(
    request: Request,
    who: Principal,
    template: str,
    *,
    title: str,
    status_code: int = 200,
    nav_path: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """An officer page: the LA's name in the header, the words helpers as ``h``."""
    return page(
        request,
        f"officer/{template}",
        title=title,
        who=who,
        status_code=status_code,
        nav=navigation(who, nav_path) if nav_path else None,
        la_name=la_name(who.la_code),
        h=H,
        **context,
    )


def changed(
    request: Request, who: Principal, session: Session, e: ServiceError, back: str, what: str
) -> HTMLResponse:
    """A stale edit (409): what changed, and a link back to the up-to-date page."""
    session.rollback()
    return show(
        request, who, "changed.html", title="This has changed", status_code=409,
        detail=e.detail, back=back, what=what,
    )  # fmt: skip


def officer(who: Principal) -> None:
    require(who, "officer")


def pagination(
    current: int, total: int, size: int, href: Callable[[int], str]
) -> dict[str, Any] | None:
    """GOV.UK pagination for ``total`` items: the first, last and the pages around this one."""
    pages = max(1, math.ceil(total / size))
    if pages <= 1:
        return None
    wanted = sorted({1, pages, current - 1, current, current + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    last = 0
    for n in wanted:
        if n - last > 1:
            items.append({"ellipsis": True})
        items.append({"number": n, "href": href(n), "current": n == current})
        last = n
    return {
        "items": items,
        "prev": href(current - 1) if current > 1 else None,
        "next": href(current + 1) if current < pages else None,
    }


def page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise NotFoundError(f"page {raw[:20]!r} not found")
    return int(raw)


def la_areas(session: Session, who: Principal) -> list[AreaPublic]:
    return areas.list_areas(session, who, PageParams(1, 100)).items


@dataclass(frozen=True, slots=True)
class SettingChoice:
    """A setting as the pages name and pick it."""

    setting_id: str
    name: str
    kind: str


@dataclass(frozen=True)
class AreaSettings:
    """An area's settings by name, their names by id, and the picker's options pre-rendered
    (an area's settings never change once stored: a new area is a new id)."""

    settings: list[SettingChoice]
    names: dict[str, str]
    options: Markup


# per process, and safe with several (serve --workers N): what it keeps never changes, and
# the key (the area's id and creation time, read per request) tells a new area from an old one
_AREA_SETTINGS: OrderedDict[tuple[int, dt.datetime], AreaSettings] = OrderedDict()
_AREA_SETTINGS_MAX = 16
_area_settings_lock = threading.Lock()


def area_settings(session: Session, area_id: int) -> AreaSettings:
    """The area's settings for the pages, read once per area and kept (bounded)."""
    made = session.exec(select(AreaRow.created_at).where(AreaRow.id == area_id)).first()
    key = (area_id, made or dt.datetime.min)
    with _area_settings_lock:
        hit = _AREA_SETTINGS.get(key)
        if hit is not None:
            _AREA_SETTINGS.move_to_end(key)
            return hit
    rows = [
        SettingChoice(sid, name, kind)
        for sid, name, kind in session.exec(
            select(SettingRow.setting_id, SettingRow.name, SettingRow.kind)
            .where(SettingRow.area_id == area_id)
            .order_by(col(SettingRow.name), col(SettingRow.setting_id))
        ).all()
    ]
    options = Markup("").join(
        Markup('<option value="{}">{} ({}, {})</option>').format(
            s.setting_id, s.name, H.kind(s.kind).lower(), s.setting_id
        )
        for s in rows
    )
    got = AreaSettings(rows, {s.setting_id: s.name for s in rows}, options)
    with _area_settings_lock:
        _AREA_SETTINGS[key] = got
        while len(_AREA_SETTINGS) > _AREA_SETTINGS_MAX:
            _AREA_SETTINGS.popitem(last=False)
    return got


def settings_of(session: Session, area_id: int) -> list[SettingChoice]:
    """The area's settings by name (for the pickers and to name settings)."""
    return area_settings(session, area_id).settings


def names_of(session: Session, area_id: int) -> dict[str, str]:
    return area_settings(session, area_id).names


def field_errors(e: ValidationError, fields: Mapping[str, str]) -> dict[str, str]:
    """A schema's validation errors as field -> message for an error summary."""
    out: dict[str, str] = {}
    for err in e.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        label = fields.get(field)
        if label is None or field in out:
            continue
        kind = err["type"]
        if kind == "string_too_long":
            limit = (err.get("ctx") or {}).get("max_length", "")
            out[field] = f"{label} must be {limit:,} characters or fewer"
        elif kind == "control_character":
            out[field] = f"{label} has a character that cannot be saved (a control character)"
        elif kind in ("literal_error", "enum"):
            out[field] = f"Choose {label.lower()} from the list"
        else:
            out[field] = f"Check {label.lower()}: {err['msg']}"
    return out


# -- the worklist ---------------------------------------------------------------------------------

FILTERS = (
    "run_outcome",
    "status",
    "consultation_overdue",
    "deadline_within_days",
    "need",
    "year",
    "q",
)
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


def child_base(area_id: int, child_id: str) -> str:
    return f"/officer/areas/{area_id}/children/{child_id}"


@router.get("/officer/areas/{area_id}/children/{child_id}", response_class=HTMLResponse)
def child_page(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
) -> Response:
    officer(who)
    area = areas.get_area(session, who, area_id)
    child = children.get_child(ctx, session, who, area_id, child_id).child
    lst = children.tailored_list_doc(ctx, session, who, area_id, child_id, "officer")
    reqs = requests.get_requests(ctx, session, who, area_id, child_id)
    placed = placements.list_for_child(session, who, area_id, child_id)
    known = area_settings(session, area_id)
    settings, names = known.settings, known.names
    assessed = {r["setting_id"]: r for r in reqs.get("run_assessment", [])}
    return show(
        request,
        who,
        "child.html",
        title=f"Child {child_id}",
        area=area,
        child=child,
        lst=lst,
        reqs=reqs,
        assessed=assessed,
        placements=list(reversed(placed)),
        open_placement=next((p for p in placed if p.status in ("proposed", "consulted")), None),
        confirmed=next((p for p in placed if p.status == "confirmed"), None),
        settings=settings,
        options=known.options,
        names=names,
        base=child_base(area_id, child_id),
        components=list(COMPONENT_WORDS),
    )


def _setting_param(request: Request, settings: list[SettingChoice]) -> tuple[str, dict[str, str]]:
    chosen = request.query_params.get("setting", "").strip()
    if not chosen:
        return "", {"setting": "Choose a setting"}
    if not ID_RE.fullmatch(chosen) or chosen not in {s.setting_id for s in settings}:
        return chosen, {"setting": "Choose a setting of this area from the list"}
    return chosen, {}


@router.get("/officer/areas/{area_id}/children/{child_id}/why-not", response_class=HTMLResponse)
def why_not(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
) -> Response:
    """Why a setting is on the child's list, or why not (any setting of the area)."""
    officer(who)
    children.get_child(ctx, session, who, area_id, child_id)  # 404 for a child not the LA's
    settings = settings_of(session, area_id)
    chosen, errors = _setting_param(request, settings)
    exp = None
    if not errors:
        try:
            exp = children.explain(ctx, session, who, area_id, child_id, chosen, "officer")
        except NotFoundError as e:
            session.rollback()
            errors = {"setting": cap(e.detail)}
    title = f"Why or why not {exp['name']}" if exp else "Why or why not a setting"
    return show(
        request, who, "why_not.html", title=title, status_code=400 if errors else 200,
        errors=errors, exp=exp, chosen=chosen, settings=settings, area_id=area_id,
        child_id=child_id, base=child_base(area_id, child_id),
    )  # fmt: skip


@router.get("/officer/areas/{area_id}/children/{child_id}/what-if", response_class=HTMLResponse)
def what_if(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
) -> Response:
    """What if the child were placed at a setting: the area re-solved, everyone who moves."""
    officer(who)
    children.get_child(ctx, session, who, area_id, child_id)
    settings = settings_of(session, area_id)
    chosen, errors = _setting_param(request, settings)
    w = None
    if not errors:
        try:
            w = children.what_if(ctx, session, who, area_id, child_id, chosen)
        except NotFoundError as e:
            session.rollback()
            errors = {"setting": cap(e.detail)}
    title = f"What if {child_id} went to {w['setting']['name']}" if w else "What if"
    return show(
        request, who, "what_if.html", title=title, status_code=400 if errors else 200,
        errors=errors, w=w, chosen=chosen, settings=settings, area_id=area_id,
        child_id=child_id, base=child_base(area_id, child_id),
    )  # fmt: skip


# -- propose --------------------------------------------------------------------------------------


def _propose_form(
    request: Request,
    ctx: CtxDep,
    session: Session,
    who: Principal,
    area_id: int,
    child_id: str,
    *,
    chosen: str,
    note: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    lst = children.tailored_list_doc(ctx, session, who, area_id, child_id, "officer")
    settings = settings_of(session, area_id)
    listed = [o["setting_id"] for o in lst["options"]]
    others = [s for s in settings if s.setting_id not in listed]
    return show(
        request, who, "propose.html", title=f"Propose a setting for {child_id}",
        status_code=400 if errors else 200, errors=errors, lst=lst, others=others,
        chosen=chosen or lst.get("recommended_setting_id") or "", note=note,
        base=child_base(area_id, child_id), child_id=child_id,
    )  # fmt: skip


@router.get("/officer/areas/{area_id}/children/{child_id}/propose", response_class=HTMLResponse)
def propose_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
) -> Response:
    officer(who)
    children.get_child(ctx, session, who, area_id, child_id)
    chosen = request.query_params.get("setting", "")[:64]
    return _propose_form(request, ctx, session, who, area_id, child_id, chosen=chosen, note="")


@router.post("/officer/areas/{area_id}/children/{child_id}/propose", response_class=HTMLResponse)
def propose(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    setting: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    officer(who)
    setting = setting.strip()
    errors: dict[str, str] = {}
    body = None
    if not setting:
        errors["setting"] = "Choose the setting to propose"
    else:
        try:
            body = PlacementCreate(setting_id=setting, note=note)
        except ValidationError as e:
            errors = field_errors(e, {"setting_id": "The setting", "note": "The note"})
            errors = {("setting" if k == "setting_id" else k): v for k, v in errors.items()}
    if body is not None and not errors:
        try:
            row = placements.propose(ctx, session, who, area_id, child_id, body)
        except ServiceError as e:
            session.rollback()
            if e.status in (403, 404):
                raise
            errors["setting"] = (
                "Choose a setting of this area from the list"
                if "not in this area" in e.detail
                else cap(e.detail)
            )
        else:
            return redirect(
                f"{child_base(area_id, child_id)}/placements/{row.id}",
                done=f"Proposed {names_of(session, area_id).get(setting, setting)}: "
                "start the consultation next",
                request=request,
            )
    return _propose_form(
        request, ctx, session, who, area_id, child_id, chosen=setting, note=note, errors=errors
    )


# -- a placement ---------------------------------------------------------------------------------


def placement_of(
    session: Session, who: Principal, area_id: int, child_id: str, placement_id: int
) -> PlacementPublic:
    """The placement, if it is this child's (else 404, as for another LA's)."""
    p = placements.get_placement(session, who, placement_id)
    if p.area_id != area_id or p.child_id != child_id:
        raise NotFoundError(f"placement {placement_id} not found")
    return p


def placement_url(p: PlacementPublic) -> str:
    return f"{child_base(p.area_id, p.child_id)}/placements/{p.id}"


PLACEMENT = "/officer/areas/{area_id}/children/{child_id}/placements/{placement_id}"


@router.get(PLACEMENT, response_class=HTMLResponse)
def placement_page(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    return show(
        request, who, "placement.html", title=f"Placement {p.id} for {child_id}", p=p,
        names=names_of(session, area_id), base=child_base(area_id, child_id), url=placement_url(p),
    )  # fmt: skip


@router.post(PLACEMENT + "/consultation", response_class=HTMLResponse)
def consult(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    try:
        done = placements.consult(session, who, placement_id)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    return redirect(
        placement_url(p),
        done="Consultation started: the setting's reply is due by "
        + date_words(done.consultation_due),
        request=request,
    )


def _reply_form(
    request: Request,
    who: Principal,
    session: Session,
    p: PlacementPublic,
    *,
    response: str,
    note: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return show(
        request, who, "reply.html", title="Record the setting's reply",
        status_code=400 if errors else 200, errors=errors, p=p, response=response, note=note,
        names=names_of(session, p.area_id), url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/reply", response_class=HTMLResponse)
def reply_form(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    return _reply_form(
        request, who, session, p, response=p.setting_response or "",
        note=p.setting_response_note or "",
    )  # fmt: skip


@router.post(PLACEMENT + "/reply", response_class=HTMLResponse)
def reply(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
    response: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    errors: dict[str, str] = {}
    try:
        body = SettingResponseCreate.model_validate({"response": response, "note": note})
    except ValidationError as e:
        errors = field_errors(e, {"response": "The setting's reply", "note": "The note"})
        if "response" in errors:
            errors["response"] = "Choose whether the setting agrees or objects"
        return _reply_form(request, who, session, p, response=response, note=note, errors=errors)
    try:
        placements.record_reply(session, who, placement_id, body)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    return redirect(placement_url(p), done="The setting's reply is recorded", request=request)


# -- decisions ------------------------------------------------------------------------------------


def _confirm_form(
    request: Request,
    ctx: CtxDep,
    session: Session,
    who: Principal,
    p: PlacementPublic,
    *,
    reason: str,
    key: str,
    overrides: list[str],
    failed: list[tuple[str, str]] | None = None,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    lst = children.tailored_list_doc(ctx, session, who, p.area_id, p.child_id, "officer")
    listed = [o["setting_id"] for o in lst["options"]]
    names = names_of(session, p.area_id)
    return show(
        request, who, "confirm.html", title=f"Confirm {names.get(p.setting_id, p.setting_id)}",
        status_code=422 if errors else 200, errors=errors, p=p, lst=lst, names=names,
        rank=listed.index(p.setting_id) + 1 if p.setting_id in listed else None,
        reason=reason, key=key, overrides=overrides, failed=failed, url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/confirm", response_class=HTMLResponse)
def confirm_form(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    return _confirm_form(
        request, ctx, session, who, p, reason="", key=secrets.token_hex(16), overrides=[]
    )


def _failures(ctx: CtxDep, session: Session, p: PlacementPublic) -> list[tuple[str, str]]:
    """The engine's eligibility rules the placement's setting fails for the child, with their
    officer wording (the rules the API asks to be overridden by name)."""
    area = session.get(AreaRow, p.area_id)
    assert area is not None
    codes, texts = placements.eligibility_failures(
        ctx.cache.get(session, area).problem, p.child_id, p.setting_id
    )
    return [(c, texts[c]) for c in codes]


@router.post(PLACEMENT + "/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
    reason: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    overriding: Annotated[str, Form()] = "",
    overrides: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Confirm, through the API's decision: the guard rails refuse a setting that fails a rule
    unless each failed rule is named (ticked) with a reason, and anything but the recommended
    option without a reason; the refusal is shown with the override form."""
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    ticked = list(overrides or [])
    if not IDEM_RE.fullmatch(key):
        key = secrets.token_hex(16)  # a form without one still decides once
    errors: dict[str, str] = {}
    failed = _failures(ctx, session, p) if overriding else None
    try:
        body = DecisionCreate.model_validate(
            {"outcome": "confirmed", "reason": reason, "overrides": ticked}
        )
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The reason", "overrides": "The rules overridden"})
        return _confirm_form(
            request, ctx, session, who, p, reason=reason, key=key, overrides=ticked,
            failed=failed, errors=errors,
        )  # fmt: skip
    try:
        placements.decide(ctx, session, who, placement_id, body, idempotency_key=key)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        setting = names_of(session, area_id).get(p.setting_id, p.setting_id)
        if e.slug in ("override-required", "override"):
            failed = _failures(ctx, session, p)
            n = len(failed)
            errors["overrides"] = (
                f"{setting} fails {n} of the rules for this child: to confirm it anyway, tick "
                f"{'the rule' if n == 1 else 'each rule'} you are overriding"
                if e.slug == "override-required"
                else "Tick only the rules this setting fails for this child"
            )
            if not body.reason:
                errors["reason"] = "Give your reason for overriding the rules"
        elif e.slug == "reason-required":
            errors["reason"] = (
                "Give your reason for overriding the rules"
                if failed or body.overrides
                else f"Give your reason: {setting} is not the recommended option"
            )
        else:
            errors["reason"] = cap(e.detail)
        return _confirm_form(
            request, ctx, session, who, p, reason=reason, key=key, overrides=ticked,
            failed=failed, errors=errors,
        )  # fmt: skip
    return redirect(placement_url(p) + "/confirmed")


@router.get(PLACEMENT + "/confirmed", response_class=HTMLResponse)
def confirmed_page(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    if p.status != "confirmed":
        return redirect(placement_url(p))
    return show(
        request, who, "confirmed.html", title="Placement confirmed", p=p,
        names=names_of(session, area_id), url=placement_url(p), base=child_base(area_id, child_id),
    )  # fmt: skip


def _decline_form(
    request: Request,
    who: Principal,
    session: Session,
    p: PlacementPublic,
    *,
    reason: str,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return show(
        request, who, "decline.html", title="Decline the placement",
        status_code=422 if errors else 200, errors=errors, p=p, reason=reason,
        names=names_of(session, p.area_id), url=placement_url(p),
    )  # fmt: skip


@router.get(PLACEMENT + "/decline", response_class=HTMLResponse)
def decline_form(
    request: Request,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    return _decline_form(request, who, session, p, reason="")


@router.post(PLACEMENT + "/decline", response_class=HTMLResponse)
def decline(
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    who: PageWho,
    area_id: AreaId,
    child_id: ChildId,
    placement_id: PlacementId,
    reason: Annotated[str, Form()] = "",
) -> Response:
    officer(who)
    p = placement_of(session, who, area_id, child_id, placement_id)
    try:
        body = DecisionCreate.model_validate({"outcome": "declined", "reason": reason})
    except ValidationError as e:
        errors = field_errors(e, {"reason": "The reason"})
        return _decline_form(request, who, session, p, reason=reason, errors=errors)
    try:
        placements.decide(ctx, session, who, placement_id, body)
    except ConflictError as e:
        return changed(request, who, session, e, placement_url(p), "the placement")
    except ServiceError as e:
        session.rollback()
        if e.status in (403, 404):
            raise
        msg = "Enter the reason for declining" if e.slug == "reason-required" else cap(e.detail)
        return _decline_form(request, who, session, p, reason=reason, errors={"reason": msg})
    return redirect(
        child_base(area_id, child_id), done="The placement is declined", request=request
    )


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
    base = f"/officer/areas/{area.id}/runs"
    return show(
        request, who, "runs.html", title=f"Runs: {area.name}", nav_path=RUNS_NAV,
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
