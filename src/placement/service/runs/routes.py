"""Allocation runs: start, list, read, a run's placements and its dashboard."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from placement.reports import dashboard_html
from placement.service.deps import CtxDep, PageDep, PrincipalDep, SessionDep
from placement.service.downloads import REPORT_CSP, attachment
from placement.service.paths import AreaId, RunId
from placement.service.runs import service
from placement.service.runs.schemas import RunCreate, RunPublic
from placement.service.schemas import Page

router = APIRouter(tags=["runs"])


@router.post("/areas/{area_id}/runs", status_code=status.HTTP_202_ACCEPTED)
def start_run(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId, body: RunCreate
) -> RunPublic:
    """Start an allocation run: it is queued and solved off the event loop; poll
    ``GET /runs/{id}``. The solver's time is bounded (``time_limit_s``). Officers run their
    own LA's areas (after families change requests, say); a study from scratch
    (``scope: from_scratch``) is a planner's."""
    return service.start_run(ctx, session, who, area_id, body)


@router.get("/areas/{area_id}/runs")
def list_runs(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[RunPublic]:
    return service.list_runs(session, who, area_id, pg)


@router.get("/runs/{run_id}")
def get_run(session: SessionDep, who: PrincipalDep, run_id: RunId) -> RunPublic:
    """Status, manifest and headline figures (planners: small counts withheld)."""
    return service.get_run(session, who, run_id)


@router.get("/runs/{run_id}/placements")
def run_placements(
    session: SessionDep, who: PrincipalDep, run_id: RunId, pg: PageDep
) -> Page[dict[str, Any]]:
    """The run's child-level placements and unplaced children (officers only)."""
    return service.run_placements(session, who, run_id, pg)


@router.get("/runs/{run_id}/dashboard")
def run_dashboard(session: SessionDep, who: PrincipalDep, run_id: RunId) -> dict[str, Any]:
    """The inclusion-dashboard view of one run: its placement mix against the LA's real mix
    and England's (DfE EHC plans, January 2025), journeys, cost by payer and unmet need."""
    return service.dashboard(session, who, run_id)


@router.get(
    "/runs/{run_id}/dashboard.html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "charts inline"}},
)
def run_dashboard_html(session: SessionDep, who: PrincipalDep, run_id: RunId) -> Response:
    """The dashboard as a self-contained HTML page (inline SVG charts, no scripts)."""
    data = service.dashboard(session, who, run_id)
    return attachment(
        f"run-{run_id}-dashboard.html",
        dashboard_html(data),
        "text/html; charset=utf-8",
        **{"Content-Security-Policy": REPORT_CSP},
    )
