"""Areas, children, settings, tailored lists and explanations, requests, runs, aggregates."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlmodel import Session, col, func, select

from placement import disclosure
from placement.domain import DomainError, Need
from placement.generate import generate_area
from placement.rules import why_unsuitable
from placement.service import services
from placement.service.deps import (
    CtxDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    WriteLimitDep,
    area_for,
    audit_read,
    child_for,
    require,
    run_for,
)
from placement.service.errors import ForbiddenError, InvalidError, NotFoundError
from placement.service.models import AreaRow, PoolRow, RunRow, SettingRow
from placement.service.schemas import (
    AreaGenerate,
    AreaImport,
    AreaPublic,
    ChildPublic,
    ChildSummary,
    Page,
    RequestsUpdate,
    RunCreate,
    RunPublic,
    SettingPublic,
    control_character_at,
)
from placement.service.security import Principal
from placement.wording import render

router = APIRouter()

ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
ID_PART = r"^[A-Za-z0-9_.\-]{1,64}$"
AreaId = Annotated[int, Path(ge=1, le=2_147_483_647)]
RunId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ChildId = Annotated[str, Path(pattern=ID)]
SettingId = Annotated[str, Path(pattern=ID)]
AudienceQ = Annotated[Literal["officer", "family"] | None, Query()]


def _shown(n: int, who: Principal, bound: int | None = None) -> int | str:
    """A count of children as the caller may see it: exact for officers, else disclosure;
    never rounded past ``bound`` (places: the capacity less the roll)."""
    if who.role == "officer":
        return n
    return disclosure.count(n) if bound is None else disclosure.count_within(n, bound)


def area_public(a: AreaRow, who: Principal) -> AreaPublic:
    assert a.id is not None
    return AreaPublic(
        id=a.id,
        name=a.name,
        la_code=a.la_code,
        source=a.source,
        revision=a.revision,
        num_children=_shown(a.num_children, who),
        num_settings=a.num_settings,
        created_by=a.created_by,
        created_at=a.created_at,
    )


def run_public(r: RunRow, *, suppress: bool) -> RunPublic:
    assert r.id is not None
    metrics = json.loads(r.metrics) if r.metrics else None
    if metrics is not None and suppress:
        metrics = services.planner_metrics(metrics)
    return RunPublic(
        id=r.id,
        area_id=r.area_id,
        area_revision=r.area_revision,
        policy_id=r.policy_id,
        mechanism=r.mechanism,
        scope=r.scope,
        seed=r.seed,
        time_limit_s=r.time_limit_s,
        status=r.status,
        error=services.PLANNER_RUN_ERROR if suppress and r.error else r.error,
        created_by=r.created_by,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        manifest=json.loads(r.manifest) if r.manifest else None,
        metrics=metrics,
    )


# -- areas ------------------------------------------------------------------------------------


@router.get("/areas", tags=["areas"])
def list_areas(session: SessionDep, who: PrincipalDep, pg: PageDep) -> Page[AreaPublic]:
    """The caller's LA's areas (officers and planners)."""
    require(who, "officer", "planner")
    q = select(AreaRow).where(AreaRow.la_code == who.la_code)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(AreaRow.id)).offset(pg.offset).limit(pg.size)).all()
    return Page(items=[area_public(a, who) for a in rows], page=pg.page, size=pg.size, total=total)


@router.post("/areas/import", status_code=status.HTTP_201_CREATED, tags=["areas"])
def import_area(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, body: AreaImport
) -> AreaPublic:
    """Import an area directory (children.csv, settings.csv, ...) from the server's import
    folder (``PLACEMENT_IMPORT_ROOT``) for the planner's LA."""
    require(who, "planner")
    area, overrides = services.import_area(ctx.settings.import_root, body.path)
    for kind, items in (("setting", area.settings), ("child", area.children)):
        for x in items:  # text PostgreSQL cannot store, or that would break an export
            where = control_character_at(x)
            if where is not None:
                xid = getattr(x, f"{kind}_id", "?")
                raise InvalidError(f"{kind} {xid}: a control character in {where.lstrip('.')}")
    row = services.store_area(
        session,
        who,
        area=area,
        overrides=overrides,
        name=body.name or area.name,
        source=f"import:{body.path}",
        max_children=ctx.settings.max_area_children,
    )
    return area_public(row, who)


@router.post("/areas/generate", status_code=status.HTTP_201_CREATED, tags=["areas"])
def generate(ctx: CtxDep, session: SessionDep, who: PrincipalDep, body: AreaGenerate) -> AreaPublic:
    """Generate a synthetic area calibrated to a real LA (no real child data)."""
    require(who, "planner")
    try:
        area = generate_area(body.like, seed=body.seed, cohort=body.cohort, scale=body.scale)
    except (LookupError, ValueError, DomainError) as e:
        raise InvalidError(str(e.args[0] if e.args else e)) from None
    row = services.store_area(
        session,
        who,
        area=area,
        overrides={},
        name=body.name or f"like {body.like} (seed {body.seed})",
        source=f"generate:{body.like}:seed={body.seed}:cohort={body.cohort}:scale={body.scale}",
        max_children=ctx.settings.max_area_children,
    )
    return area_public(row, who)


@router.get("/areas/{area_id}", tags=["areas"])
def get_area(session: SessionDep, who: PrincipalDep, area_id: AreaId) -> AreaPublic:
    require(who, "officer", "planner")
    return area_public(area_for(session, who, area_id), who)


@router.get("/areas/{area_id}/aggregates", tags=["areas"])
def get_aggregates(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId
) -> dict[str, Any]:
    """Counts by need, phase and kind of setting, and the latest run's figures: no
    child-level fields; counts from 1 to 9 are withheld (null)."""
    require(who, "planner", "officer")
    return services.aggregates(session, area=area_for(session, who, area_id), cache=ctx.cache)


# -- children ---------------------------------------------------------------------------------


WORKLIST_PARAMS = frozenset(
    {
        "page",
        "size",
        "run_outcome",
        "status",
        "consultation_overdue",
        "deadline_within_days",
        "need",
        "year",
        "q",
    }
)


@router.get("/areas/{area_id}/children", tags=["children"])
def list_children(
    ctx: CtxDep,
    request: Request,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    pg: PageDep,
    run_outcome: Annotated[
        Literal["placed", "unplaced", "staying"] | None,
        Query(description="the child's outcome in the area's latest run"),
    ] = None,
    status_: Annotated[
        Literal["none", "proposed", "consulted", "confirmed", "declined", "withdrawn"] | None,
        Query(alias="status", description="the child's latest placement's workflow status"),
    ] = None,
    consultation_overdue: Annotated[
        bool | None, Query(description="a consultation past its 15 days without a reply")
    ] = None,
    deadline_within_days: Annotated[
        int | None,
        Query(ge=0, le=366, description="phase-transfer deadline within this many days"),
    ] = None,
    need: Annotated[Need | None, Query(description="primary need (SEN2 code)")] = None,
    year: Annotated[int | None, Query(ge=-4, le=21, description="national curriculum year")] = None,
    q: Annotated[str | None, Query(max_length=64, pattern=ID_PART, description="child id")] = None,
) -> Page[ChildSummary]:
    """The officer's worklist: the area's children with their run outcome and workflow
    status, filtered; an unknown filter is a 422 (never silently ignored)."""
    require(who, "officer")
    unknown = sorted(set(request.query_params) - WORKLIST_PARAMS)
    if unknown:
        raise InvalidError(
            f"unknown filter {unknown[0]!r}: use {', '.join(sorted(WORKLIST_PARAMS))}",
            slug="unknown-parameter",
        )
    area = area_for(session, who, area_id)
    base, latest = services.worklist_facts(session, area=area, cache=ctx.cache)
    today = dt.datetime.now(dt.UTC).date()
    needle = q.lower() if q is not None else None
    items: list[ChildSummary] = []
    total = 0
    for b in base:  # filtered on plain facts; a summary made only for the page shown
        if need is not None and b.primary_need != need.value:
            continue
        if year is not None and b.nc_year != year:
            continue
        if needle is not None and needle not in b.child_id.lower():
            continue
        if run_outcome is not None and b.run_outcome != run_outcome:
            continue
        f = latest.get(b.child_id)
        placement_status = f.get("status") if f else None
        overdue = bool(f.get("overdue", False)) if f else False
        deadline = (f.get("deadline") if f else None) or b.deadline
        if status_ is not None and (placement_status or "none") != status_:
            continue
        if consultation_overdue is not None and overdue != consultation_overdue:
            continue
        if deadline_within_days is not None and (
            deadline is None
            or placement_status == "confirmed"
            or (deadline - today).days > deadline_within_days
        ):
            continue
        total += 1
        if pg.offset < total <= pg.offset + pg.size:
            items.append(
                ChildSummary(
                    child_id=b.child_id,
                    nc_year=b.nc_year,
                    primary_need=b.primary_need,
                    placement_status=placement_status,
                    run_outcome=b.run_outcome,
                    planned_setting_id=b.planned_setting_id,
                    consultation_overdue=overdue,
                    phase_transfer_deadline=deadline,
                    movement=b.movement,
                )
            )
    return Page(items=items, page=pg.page, size=pg.size, total=total)


@router.get("/areas/{area_id}/children/{child_id}", tags=["children"])
def get_child(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> ChildPublic:
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.read")
    return ChildPublic(area_id=area_id, child=json.loads(row.data))


def _computed(ctx: CtxDep, session: Session, who: Any, area_id: int) -> Any:
    area = session.get(AreaRow, area_id)
    assert area is not None
    return ctx.cache.get(session, area)


@router.get(
    "/areas/{area_id}/children/{child_id}/list",
    tags=["lists"],
    responses={200: {"content": {"application/json": {}}, "description": "the tailored list"}},
)
def tailored_list(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    audience: AudienceQ = None,
) -> Response:
    """The child's tailored list from the stored area and its latest run: options with
    reasons, requests with the statutory tests, settings left off and why. Families always
    get family wording (no codes, costs or scores)."""
    row = child_for(session, who, area_id, child_id)
    aud: Literal["officer", "family"] = (
        "family" if who.role == "family" else (audience or "officer")
    )
    audit_read(ctx, session, who, row, "child.list.read", audience=aud)
    body = _computed(ctx, session, who, area_id).list_json(child_id, aud)
    if who.role == "family":  # requests: "being considered" until an officer decides
        d = json.loads(body)
        d["requests"] = services.requests_view(session, who, child=row, listed=d)["requests"]
        body = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content=body, media_type="application/json")


@router.get("/areas/{area_id}/children/{child_id}/explanations/{setting_id}", tags=["lists"])
def explain(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    setting_id: SettingId,
    audience: AudienceQ = None,
) -> dict[str, Any]:
    """Why a setting is on the child's list, or why not, and the statutory tests if the
    family asked for it."""
    row = child_for(session, who, area_id, child_id)
    aud: Literal["officer", "family"] = (
        "family" if who.role == "family" else (audience or "officer")
    )
    audit_read(ctx, session, who, row, "child.explanation.read", setting_id=setting_id)
    comp = _computed(ctx, session, who, area_id)
    p = comp.problem
    if setting_id not in p.setting_index:
        raise NotFoundError(f"setting {setting_id} not found")
    d = json.loads(comp.list_json(child_id, aud))
    option = next((o for o in d["options"] if o["setting_id"] == setting_id), None)
    left = next((lo for lo in d["left_off"] if lo["setting_id"] == setting_id), None)
    if who.role == "family":
        d["requests"] = services.requests_view(session, who, child=row, listed=d)["requests"]
    requests = [r for r in d["requests"] if r["setting_id"] == setting_id]
    why_not: list[dict[str, Any]] = []
    if option is None:
        if left is not None:
            why_not = left["reasons"]
        else:
            names = {s.setting_id: s.name for s in p.settings}
            i, s = p.child_index[child_id], p.setting_index[setting_id]
            why_not = [
                {"setting_id": setting_id, "text": render(r, aud, names)}
                | (r.as_dict() if aud == "officer" else {})
                for r in why_unsuitable(p, i, s)
            ]
    return {
        "child_id": child_id,
        "setting_id": setting_id,
        "name": p.settings[p.setting_index[setting_id]].name,
        "on_list": option is not None,
        "option": option,
        "why_not": why_not,
        "requests": requests,
        "advisory": d["advisory"],
        "run_id": d.get("run_id"),
    }


@router.get("/areas/{area_id}/children/{child_id}/what-if/{setting_id}", tags=["lists"])
def what_if(
    ctx: CtxDep,
    session: SessionDep,
    who: PrincipalDep,
    area_id: AreaId,
    child_id: ChildId,
    setting_id: SettingId,
) -> dict[str, Any]:
    """What if the child were placed at this setting (officers): the area re-solved exactly
    with the optimised mechanism, the change in each tier, and every other child who would
    move, with setting names. A family sees only its own child, so this is for officers."""
    require(who, "officer")
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.what_if.read", setting_id=setting_id)
    comp = _computed(ctx, session, who, area_id)
    p = comp.problem
    if setting_id not in p.setting_index:
        raise NotFoundError(f"setting {setting_id} not found")
    from placement.whatif import what_if as core_what_if

    w = core_what_if(comp.flow_state(), child_id, setting_id)
    names = {s.setting_id: s.name for s in p.settings}

    def where(sid: str | None) -> dict[str, str] | None:
        return None if sid is None else {"setting_id": sid, "name": names[sid]}

    return {
        "child_id": child_id,
        "setting": where(setting_id),
        "possible": w.possible,
        "reasons": [{"text": render(r, "officer", names), **r.as_dict()} for r in w.reasons],
        "change": w.change,
        "moves": [
            {"child_id": m.child_id, "from": where(m.from_setting), "to": where(m.to_setting)}
            for m in w.moves
        ],
        "mechanism": "optimised",
        "note": "re-solved exactly with the child's place fixed; advisory until an officer "
        "confirms",
    }


@router.get("/areas/{area_id}/children/{child_id}/requests", tags=["children"])
def get_requests(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, child_id: ChildId
) -> dict[str, Any]:
    """The family's ranked requests with their status ("being considered" until an officer
    decides); officers also see the area run's statutory tests and whether the requests
    changed since the run."""
    row = child_for(session, who, area_id, child_id)
    audit_read(ctx, session, who, row, "child.requests.read")
    aud: Literal["officer", "family"] = "family" if who.role == "family" else "officer"
    d = json.loads(_computed(ctx, session, who, area_id).list_json(child_id, aud))
    view = services.requests_view(session, who, child=row, listed=d)
    view["advisory"] = d["advisory"]
    return view


@router.put("/areas/{area_id}/children/{child_id}/requests", tags=["children"])
def put_requests(
    session: SessionDep,
    who: PrincipalDep,
    _: WriteLimitDep,  # per-user write rate limit (429 with Retry-After)
    area_id: AreaId,
    child_id: ChildId,
    body: RequestsUpdate,
) -> dict[str, Any]:
    """Replace the ranked requests (the family, or an officer on their behalf). A family may
    ask for any setting in the area, on the list or not."""
    row = child_for(session, who, area_id, child_id)
    d = services.set_requests(session, who, child=row, setting_ids=list(body.setting_ids))
    out: dict[str, Any] = {
        "child_id": child_id,
        "preferences": d["preferences"],
        "status": "being_considered" if "next_steps" not in d else "after_decision",
        "words": services.REQUEST_WORDS["being_considered"]
        if "next_steps" not in d
        else d["next_steps"],
    }
    return out


# -- settings ---------------------------------------------------------------------------------


def _setting_public(
    session: Session, r: SettingRow, details: bool, who: Principal
) -> SettingPublic:
    """Capacity and roll (published, GIAS) are exact; places confirmed through this service,
    and the free places they leave, are counts of children (planners: disclosure)."""
    pools = {
        p.need: {
            "places": p.places,
            "roll": p.roll,
            "confirmed": _shown(p.confirmed, who, max(0, p.places - p.roll)),
            "free": _shown(max(0, p.places - p.roll - p.confirmed), who, max(0, p.places - p.roll)),
        }
        for p in session.exec(select(PoolRow).where(PoolRow.setting_row_id == r.id)).all()
    }
    return SettingPublic(
        setting_id=r.setting_id,
        name=r.name,
        kind=r.kind,
        capacity=r.capacity,
        roll=r.roll,
        confirmed=_shown(r.confirmed, who, max(0, r.capacity - r.roll)),
        free=_shown(max(0, r.capacity - r.roll - r.confirmed), who, max(0, r.capacity - r.roll)),
        pools=pools,
        details=json.loads(r.data) if details else None,
    )


@router.get("/areas/{area_id}/settings", tags=["settings"])
def list_settings(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[SettingPublic]:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    q = select(SettingRow).where(SettingRow.area_id == area_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.order_by(col(SettingRow.setting_id)).offset(pg.offset).limit(pg.size)
    ).all()
    return Page(
        items=[_setting_public(session, r, False, who) for r in rows],
        page=pg.page,
        size=pg.size,
        total=total,
    )


@router.get("/areas/{area_id}/settings/{setting_id}", tags=["settings"])
def get_setting(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, setting_id: SettingId
) -> SettingPublic:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    r = session.exec(
        select(SettingRow).where(SettingRow.area_id == area_id, SettingRow.setting_id == setting_id)
    ).first()
    if r is None:
        raise NotFoundError(f"setting {setting_id} not found")
    return _setting_public(session, r, True, who)


# -- runs -------------------------------------------------------------------------------------


@router.post("/areas/{area_id}/runs", status_code=status.HTTP_202_ACCEPTED, tags=["runs"])
def start_run(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, body: RunCreate
) -> RunPublic:
    """Start an allocation run: it is queued and solved off the event loop; poll
    ``GET /runs/{id}``. The solver's time is bounded (``time_limit_s``). Officers run their
    own LA's areas (after families change requests, say); a study from scratch
    (``scope: from_scratch``) is a planner's."""
    require(who, "planner", "officer")
    if body.scope == "from_scratch" and who.role != "planner":
        raise ForbiddenError("a study from scratch is a planner's run")
    area = area_for(session, who, area_id)
    limit = min(body.time_limit_s or ctx.settings.run_time_limit_s, ctx.settings.run_time_limit_s)
    run = services.start_run(
        session,
        who,
        area=area,
        jobs=ctx.jobs,
        mechanism=body.mechanism,
        seed=body.seed,
        policy_id=body.policy_id,
        time_limit_s=limit,
        max_queued=ctx.settings.max_queued_runs,
        scope=body.scope,
    )
    return run_public(run, suppress=True)


@router.get("/areas/{area_id}/runs", tags=["runs"])
def list_runs(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[RunPublic]:
    require(who, "officer", "planner")
    area_for(session, who, area_id)
    q = select(RunRow).where(RunRow.area_id == area_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(q.order_by(col(RunRow.id).desc()).offset(pg.offset).limit(pg.size)).all()
    return Page(
        items=[run_public(r, suppress=who.role == "planner") for r in rows],
        page=pg.page,
        size=pg.size,
        total=total,
    )


@router.get("/runs/{run_id}", tags=["runs"])
def get_run(session: SessionDep, who: PrincipalDep, run_id: RunId) -> RunPublic:
    """Status, manifest and headline figures (planners: small counts withheld)."""
    return run_public(run_for(session, who, run_id), suppress=who.role == "planner")


@router.get("/runs/{run_id}/placements", tags=["runs"])
def run_placements(
    session: SessionDep, who: PrincipalDep, run_id: RunId, pg: PageDep
) -> Page[dict[str, Any]]:
    """The run's child-level placements and unplaced children (officers only)."""
    require(who, "officer")
    run = run_for(session, who, run_id)
    if not run.result:
        return Page(items=[], page=pg.page, size=pg.size, total=0)
    res = json.loads(run.result)
    rows: list[dict[str, Any]] = res["placements"] + [
        {"child_id": u["child_id"], "setting_id": None, "unplaced": u} for u in res["unplaced"]
    ]
    rows.sort(key=lambda r: r["child_id"])
    return Page(
        items=rows[pg.offset : pg.offset + pg.size], page=pg.page, size=pg.size, total=len(rows)
    )
