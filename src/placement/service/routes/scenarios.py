"""Planners' outputs: capacity scenarios (a scenario file run on a stored area as a job, its
figures, and its reports to download: HTML with charts, JSON, CSV) and the area dashboard of
each allocation run. Everything here is aggregate and disclosure-controlled
(:mod:`placement.disclosure`); no child-level field leaves the service."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response, status
from sqlmodel import col, func, select

from placement.reports import dashboard_html
from placement.service import services
from placement.service.deps import (
    REPORTS_DEFERRED,
    CtxDep,
    PageDep,
    PrincipalDep,
    SessionDep,
    area_for,
    require,
    run_for,
    scenario_for,
)
from placement.service.errors import ConflictError, NotFoundError
from placement.service.models import RunRow, ScenarioRunRow
from placement.service.schemas import Page, ScenarioCreate, ScenarioRunPublic

router = APIRouter(tags=["scenarios"])
AreaId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ScenarioId = Annotated[int, Path(ge=1, le=2_147_483_647)]
RunId = Annotated[int, Path(ge=1, le=2_147_483_647)]
CsvTable = Literal["metrics", "settings", "marginal"]

# the HTML report is self-contained: inline CSS and SVG, no scripts, nothing fetched
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def scenario_public(r: ScenarioRunRow) -> ScenarioRunPublic:
    assert r.id is not None
    links = None
    if r.status == "succeeded":
        base = f"/scenarios/{r.id}/report"
        links = {
            "html": f"{base}.html",
            "json": f"{base}.json",
            **{t: f"{base}/{t}.csv" for t in ("metrics", "settings", "marginal")},
        }
    return ScenarioRunPublic(
        id=r.id,
        area_id=r.area_id,
        area_revision=r.area_revision,
        policy_id=r.policy_id,
        name=r.name,
        seed=r.seed,
        marginal=r.marginal,
        time_limit_s=r.time_limit_s,
        status=r.status,
        error=r.error,
        created_by=r.created_by,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        summary=json.loads(r.summary) if r.summary else None,
        reports=links,
    )


@router.post("/areas/{area_id}/scenarios", status_code=status.HTTP_202_ACCEPTED)
def start_scenario(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, body: ScenarioCreate
) -> ScenarioRunPublic:
    """Run a capacity scenario on this area: the baseline (the area as an allocation run
    would see it, with the LA's policy) and the scenario, on the same seed and mechanisms.
    The file is checked now (a mistake is a 422 naming its line); the run is queued and
    solved off the event loop: poll ``GET /scenarios/{id}``."""
    require(who, "planner")
    area = area_for(session, who, area_id)
    limit = min(body.time_limit_s or ctx.settings.run_time_limit_s, ctx.settings.run_time_limit_s)
    row = services.start_scenario(
        session,
        who,
        area=area,
        jobs=ctx.jobs,
        text=body.scenario,
        policy_id=body.policy_id,
        marginal=body.marginal,
        time_limit_s=limit,
        max_queued=ctx.settings.max_queued_runs,
        max_marginal=ctx.settings.max_marginal,
    )
    return scenario_public(row)


@router.get("/areas/{area_id}/scenarios")
def list_scenarios(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[ScenarioRunPublic]:
    """The area's scenario runs, newest first."""
    require(who, "planner", "officer")
    area_for(session, who, area_id)
    q = select(ScenarioRunRow).where(ScenarioRunRow.area_id == area_id)
    total = session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = session.exec(
        q.options(*REPORTS_DEFERRED)
        .order_by(col(ScenarioRunRow.id).desc())
        .offset(pg.offset)
        .limit(pg.size)
    ).all()
    return Page(items=[scenario_public(r) for r in rows], page=pg.page, size=pg.size, total=total)


@router.get("/scenarios/{scenario_id}")
def get_scenario(
    session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId
) -> ScenarioRunPublic:
    """Status, and once finished the changes applied and every figure (small counts
    withheld)."""
    return scenario_public(scenario_for(session, who, scenario_id))


def _ready(row: ScenarioRunRow) -> None:
    if row.status != "succeeded":
        raise ConflictError(
            f"scenario run {row.id} is {row.status}: its reports exist once it has succeeded",
            slug="not-ready",
        )


def _download(row: ScenarioRunRow, body: str, media: str, ext: str, **headers: str) -> Response:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", row.name).strip("-").lower()[:60] or "scenario"
    return _attachment(f"scenario-{row.id}-{slug}.{ext}", body, media, **headers)


def _attachment(name: str, body: str, media: str, **headers: str) -> Response:
    return Response(
        content=body.encode(),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            **headers,
        },
    )


@router.get(
    "/scenarios/{scenario_id}/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the report, charts inline"}},
)
def report_html(session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId) -> Response:
    """The self-contained HTML report (inline SVG charts, no scripts)."""
    row = scenario_for(session, who, scenario_id, reports=True)
    _ready(row)
    return _download(
        row,
        row.report_html or "",
        "text/html; charset=utf-8",
        "html",
        **{"Content-Security-Policy": REPORT_CSP},
    )


@router.get(
    "/scenarios/{scenario_id}/report.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "everything"}},
)
def report_json(session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId) -> Response:
    """Everything in the report, as JSON (counts of 1 to 9 as "<10")."""
    row = scenario_for(session, who, scenario_id, reports=True)
    _ready(row)
    return _download(row, row.report_json or "{}", "application/json", "json")


@router.get(
    "/scenarios/{scenario_id}/report/{table}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one table"}},
)
def report_csv(
    session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId, table: CsvTable
) -> Response:
    """One table as CSV: ``metrics`` (every metric, baseline, scenario and change per
    mechanism), ``settings`` (places free and taken at each setting) or ``marginal`` (the
    value of one more place)."""
    row = scenario_for(session, who, scenario_id, reports=True)
    _ready(row)
    tables: dict[str, str] = json.loads(row.report_csv or "{}")
    return _download(row, tables.get(table, ""), "text/csv; charset=utf-8", f"{table}.csv")


# -- the area dashboard of a run --------------------------------------------------------------


def _dashboard(session: SessionDep, who: PrincipalDep, run_id: int) -> dict[str, Any]:
    run = run_for(session, who, run_id)
    if run.status != "succeeded":
        raise ConflictError(
            f"run {run_id} is {run.status}: its dashboard exists once it has succeeded",
            slug="not-ready",
        )
    body = session.exec(select(RunRow.dashboard).where(RunRow.id == run_id)).one()
    if not body:
        raise NotFoundError(f"run {run_id} has no dashboard (it was made before dashboards were)")
    data: dict[str, Any] = json.loads(body)
    return data


@router.get("/runs/{run_id}/dashboard", tags=["runs"])
def run_dashboard(session: SessionDep, who: PrincipalDep, run_id: RunId) -> dict[str, Any]:
    """The inclusion-dashboard view of one run: its placement mix against the LA's real mix
    and England's (DfE EHC plans, January 2025), journeys, cost by payer and unmet need."""
    return _dashboard(session, who, run_id)


@router.get(
    "/runs/{run_id}/dashboard.html",
    tags=["runs"],
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "charts inline"}},
)
def run_dashboard_html(session: SessionDep, who: PrincipalDep, run_id: RunId) -> Response:
    """The dashboard as a self-contained HTML page (inline SVG charts, no scripts)."""
    data = _dashboard(session, who, run_id)
    return _attachment(
        f"run-{run_id}-dashboard.html",
        dashboard_html(data),
        "text/html; charset=utf-8",
        **{"Content-Security-Policy": REPORT_CSP},
    )
