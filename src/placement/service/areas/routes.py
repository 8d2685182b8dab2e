"""Areas (list, import, generate, read), their aggregate figures and their settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from placement.service.areas import service
from placement.service.areas.schemas import AreaGenerate, AreaImport, AreaPublic, SettingPublic
from placement.service.deps import CtxDep, PageDep, PrincipalDep, SessionDep
from placement.service.paths import AreaId, SettingId
from placement.service.schemas import Page

router = APIRouter()


@router.get("/areas", tags=["areas"])
def list_areas(session: SessionDep, who: PrincipalDep, pg: PageDep) -> Page[AreaPublic]:
    """The caller's LA's areas (officers and planners)."""
    return service.list_areas(session, who, pg)


@router.post("/areas/import", status_code=status.HTTP_201_CREATED, tags=["areas"])
def import_area(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, body: AreaImport
) -> AreaPublic:
    """Import an area directory (children.csv, settings.csv, ...) from the server's import
    folder (``PLACEMENT_IMPORT_ROOT``) for the planner's LA."""
    return service.import_area(ctx, session, who, body)


@router.post("/areas/generate", status_code=status.HTTP_201_CREATED, tags=["areas"])
def generate(ctx: CtxDep, session: SessionDep, who: PrincipalDep, body: AreaGenerate) -> AreaPublic:
    """Generate a synthetic area calibrated to a real LA (no real child data)."""
    return service.generate_area(ctx, session, who, body)


@router.get("/areas/{area_id}", tags=["areas"])
def get_area(session: SessionDep, who: PrincipalDep, area_id: AreaId) -> AreaPublic:
    return service.get_area(session, who, area_id)


@router.get("/areas/{area_id}/aggregates", tags=["areas"])
def get_aggregates(
    ctx: CtxDep, session: SessionDep, who: PrincipalDep, area_id: AreaId
) -> dict[str, Any]:
    """Counts by need, phase and kind of setting, and the latest run's figures: no
    child-level fields; counts from 1 to 9 are withheld (null)."""
    return service.aggregates(ctx, session, who, area_id)


@router.get("/areas/{area_id}/settings", tags=["settings"])
def list_settings(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, pg: PageDep
) -> Page[SettingPublic]:
    return service.list_settings(session, who, area_id, pg)


@router.get("/areas/{area_id}/settings/{setting_id}", tags=["settings"])
def get_setting(
    session: SessionDep, who: PrincipalDep, area_id: AreaId, setting_id: SettingId
) -> SettingPublic:
    return service.get_setting(session, who, area_id, setting_id)
