"""Planners' capacity scenarios on a stored area: a scenario file run as a job, its figures,
and its reports to download (HTML with charts, JSON, CSV). Everything here is aggregate and
disclosure-controlled (:mod:`placement.disclosure`); no child-level field leaves the
service."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, func, select

from placement.files.errors import InputError
from placement.scenarios.changes import AddPlaces, CloseSetting, OpenSetting, Redesignate, Scenario
from placement.service.access import REPORTS_DEFERRED, area_for, require, scenario_for
from placement.service.areas.models import AreaRow, SettingRow
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.errors import ConflictError, InvalidError
from placement.service.jobs import service_scenario
from placement.service.runs.service import policy_id_for, queue_job
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.scenarios.schemas import ScenarioCreate, ScenarioRunPublic
from placement.service.schemas import Page, PageParams, public
from placement.service.security import Principal

__all__ = [
    "CsvTable",
    "Report",
    "ScenarioDetail",
    "get_scenario",
    "list_scenarios",
    "report",
    "scenario_detail",
    "scenario_public",
    "start_scenario",
]

CsvTable = Literal["metrics", "settings", "marginal"]
CSV_TABLES: tuple[CsvTable, ...] = ("metrics", "settings", "marginal")


@dataclass(frozen=True, slots=True)
class Report:
    """A finished scenario run's report as a file: its name, content and media type."""

    filename: str
    body: str
    media: str


def scenario_public(r: ScenarioRunRow) -> ScenarioRunPublic:
    links: dict[str, str] | None = None
    if r.status == "succeeded":
        base = f"/scenarios/{r.id}/report"
        links = {"html": f"{base}.html", "json": f"{base}.json"}
        links.update({t: f"{base}/{t}.csv" for t in CSV_TABLES})
    summary = json.loads(r.summary) if r.summary else None
    return public(ScenarioRunPublic, r, summary=summary, reports=links)


def _check_named_settings(session: Session, area_id: int, scenario: Scenario) -> None:
    """Settings a scenario names by id must be in the area (new ones must not be): checked
    before the job is queued, so a typo is a 422 naming the line, not a failed job."""
    table: dict[type, str] = {
        AddPlaces: "add_places",
        OpenSetting: "open_setting",
        CloseSetting: "close_setting",
        Redesignate: "redesignate",
    }
    named = {sid for c in scenario.changes if (sid := getattr(c, "setting_id", None)) is not None}
    known = set(
        session.exec(
            select(SettingRow.setting_id).where(
                SettingRow.area_id == area_id, col(SettingRow.setting_id).in_(named)
            )
        ).all()
    )
    for c in scenario.changes:
        sid = getattr(c, "setting_id", None)
        if sid is None:
            continue
        what = table[type(c)]
        if isinstance(c, OpenSetting) and sid in known:
            raise InvalidError(
                f"scenario.toml:{c.line}: {what}: setting {sid!r} is already in this area"
            )
        if not isinstance(c, OpenSetting) and sid not in known:
            raise InvalidError(f"scenario.toml:{c.line}: {what}: unknown setting {sid!r}")


def _parsed(ctx: Ctx, body: ScenarioCreate) -> tuple[Scenario, int]:
    """The scenario file, and how many candidates for the value of one more place."""
    try:
        scenario = service_scenario(body.scenario)
    except InputError as e:
        raise InvalidError(str(e), slug="bad-scenario") from None
    n = scenario.marginal if body.marginal is None else body.marginal
    if n > ctx.settings.max_marginal:
        raise InvalidError(
            f"marginal: {n} candidates to re-solve; this service allows at most "
            f"{ctx.settings.max_marginal}"
        )
    return scenario, n


def _queue_scenario(
    ctx: Ctx, session: Session, who: Principal, area: AreaRow, body: ScenarioCreate
) -> ScenarioRunRow:
    scenario, n = _parsed(ctx, body)
    assert area.id is not None
    limit = min(body.time_limit_s or ctx.settings.run_time_limit_s, ctx.settings.run_time_limit_s)
    begin_write(session)
    _check_named_settings(session, area.id, scenario)
    policy_id = policy_id_for(session, who, body.policy_id)
    job = ScenarioRunRow(
        area_id=area.id,
        area_revision=area.revision,
        policy_id=policy_id,
        name=scenario.name[:200],
        scenario=body.scenario,
        seed=scenario.base.seed,
        marginal=n,
        time_limit_s=limit,
        status="queued",
        created_by=who.username,
    )
    queue_job(
        session, who, job, jobs=ctx.jobs, max_queued=ctx.settings.max_queued_runs,
        name=job.name, sha256=hashlib.sha256(body.scenario.encode()).hexdigest(),
        policy_id=policy_id,
    )  # fmt: skip
    return job


def start_scenario(
    ctx: Ctx, session: Session, who: Principal, area_id: int, body: ScenarioCreate
) -> ScenarioRunPublic:
    """Run a capacity scenario on this area: the baseline (the area as an allocation run
    would see it, with the LA's policy) and the scenario, on the same seed and mechanisms.
    The file is checked now (a mistake is a 422 naming its line); the run is queued."""
    require(who, "planner")
    area = area_for(session, who, area_id)
    return scenario_public(_queue_scenario(ctx, session, who, area, body))


def list_scenarios(
    session: Session, who: Principal, area_id: int, pg: PageParams
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


def get_scenario(session: Session, who: Principal, scenario_id: int) -> ScenarioRunPublic:
    """Status, and once finished the changes applied and every figure (small counts
    withheld)."""
    return scenario_public(scenario_for(session, who, scenario_id))


@dataclass(frozen=True, slots=True)
class ScenarioDetail:
    """A scenario run as its page shows it: the run, the file as sent and, once it has
    succeeded, everything in its report (disclosure-controlled already)."""

    run: ScenarioRunPublic
    source: str
    report: dict[str, Any] | None


def scenario_detail(session: Session, who: Principal, scenario_id: int) -> ScenarioDetail:
    """The run, its file and its report's figures (the report only once it has succeeded)."""
    finished = scenario_for(session, who, scenario_id).status == "succeeded"
    row = scenario_for(session, who, scenario_id, reports=finished)
    data: dict[str, Any] | None = json.loads(row.report_json or "{}") if finished else None
    return ScenarioDetail(scenario_public(row), row.scenario, data)


def _file_name(row: ScenarioRunRow, ext: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", row.name).strip("-").lower()[:60] or "scenario"
    return f"scenario-{row.id}-{slug}.{ext}"


def report(
    session: Session,
    who: Principal,
    scenario_id: int,
    kind: Literal["html", "json"] | CsvTable,
) -> Report:
    """A finished scenario run's report: the self-contained HTML (inline SVG charts, no
    scripts), everything as JSON (counts of 1 to 9 as "<10"), or one table as CSV."""
    row = scenario_for(session, who, scenario_id, reports=True)
    if row.status != "succeeded":
        raise ConflictError(
            f"scenario run {row.id} is {row.status}: its reports exist once it has succeeded",
            slug="not-ready",
        )
    if kind == "html":
        return Report(_file_name(row, "html"), row.report_html or "", "text/html; charset=utf-8")
    if kind == "json":
        return Report(_file_name(row, "json"), row.report_json or "{}", "application/json")
    tables: dict[str, str] = json.loads(row.report_csv or "{}")
    return Report(_file_name(row, f"{kind}.csv"), tables.get(kind, ""), "text/csv; charset=utf-8")
