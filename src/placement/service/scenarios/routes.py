"""Planners' capacity scenarios: start one on a stored area, follow it, download its
reports."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from placement.service.deps import CtxDep, PageDep, PrincipalDep, SessionDep
from placement.service.downloads import REPORT_CSP, attachment
from placement.service.paths import AreaId, ScenarioId
from placement.service.scenarios import service
from placement.service.scenarios.schemas import ScenarioCreate, ScenarioRunPublic
from placement.service.scenarios.service import CsvTable
from placement.service.schemas import Page

router = APIRouter(tags=["scenarios"])


@router.post("/areas/{area_id}/scenarios", status_code=status.HTTP_202_ACCEPTED)
def start_scenario(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, body: ScenarioCreate
) -> ScenarioRunPublic:
    """Run a capacity scenario on this area: the baseline (the area as an allocation run
    would see it, with the LA's policy) and the scenario, on the same seed and mechanisms.
    The file is checked now (a mistake is a 422 naming its line); the run is queued and
    solved off the event loop: poll ``GET /scenarios/{id}``."""
    return service.start_scenario(ctx, session, who, area_id, body)


@router.get("/areas/{area_id}/scenarios")
def list_scenarios(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[ScenarioRunPublic]:
    """The area's scenario runs, newest first."""
    return service.list_scenarios(session, who, area_id, pg)


@router.get("/scenarios/{scenario_id}")
def get_scenario(
    session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId
) -> ScenarioRunPublic:
    """Status, and once finished the changes applied and every figure (small counts
    withheld)."""
    return service.get_scenario(session, who, scenario_id)


def _download(rep: service.Report, **headers: str) -> Response:
    return attachment(rep.filename, rep.body, rep.media, **headers)


@router.get(
    "/scenarios/{scenario_id}/report.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "the report, charts inline"}},
)
def report_html(session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId) -> Response:
    """The self-contained HTML report (inline SVG charts, no scripts)."""
    rep = service.report(session, who, scenario_id, "html")
    return _download(rep, **{"Content-Security-Policy": REPORT_CSP})


@router.get(
    "/scenarios/{scenario_id}/report.json",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "everything"}},
)
def report_json(session: SessionDep, who: PrincipalDep, scenario_id: ScenarioId) -> Response:
    """Everything in the report, as JSON (counts of 1 to 9 as "<10")."""
    return _download(service.report(session, who, scenario_id, "json"))


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
    return _download(service.report(session, who, scenario_id, table))
