"""Allocation runs: start one (a job, queued and solved off the event loop), read runs with
their manifest and figures (planners: small counts withheld), a run's placements (officers),
and the inclusion dashboard of a run."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, func, select

from placement.service.access import area_for, require, run_for
from placement.service.areas.models import AreaRow
from placement.service.audit.events import record
from placement.service.context import Ctx
from placement.service.db import begin_write
from placement.service.disclosed import PLANNER_RUN_ERROR, planner_metrics
from placement.service.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnavailableError,
)
from placement.service.jobs import JobKind, Jobs
from placement.service.policies.models import PolicyRow
from placement.service.runs.models import RunRow
from placement.service.runs.schemas import RunCreate, RunPublic
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.schemas import Page, PageParams, public
from placement.service.security import Principal

__all__ = [
    "check_queue",
    "dashboard",
    "get_run",
    "list_runs",
    "policy_id_for",
    "queue_job",
    "queue_run",
    "run_placements",
    "run_public",
    "start_run",
]


def run_public(r: RunRow, *, suppress: bool) -> RunPublic:
    metrics = json.loads(r.metrics) if r.metrics else None
    if metrics is not None and suppress:
        metrics = planner_metrics(metrics)
    return public(
        RunPublic,
        r,
        error=PLANNER_RUN_ERROR if suppress and r.error else r.error,
        manifest=json.loads(r.manifest) if r.manifest else None,
        metrics=metrics,
    )


def policy_id_for(session: Session, who: Principal, policy_id: int | None) -> int | None:
    """The named policy of the caller's LA (404 if not theirs), else the LA's latest."""
    if policy_id is not None:
        pol = session.get(PolicyRow, policy_id)
        if pol is None or pol.la_code != who.la_code:
            raise NotFoundError(f"policy {policy_id} not found")
        return policy_id
    latest: int | None = session.exec(
        select(PolicyRow.id)
        .where(PolicyRow.la_code == who.la_code)
        .order_by(col(PolicyRow.version).desc())
        .limit(1)
    ).first()
    return latest


def check_queue(session: Session, max_queued: int, jobs: Jobs) -> None:
    """503 when ``max_queued`` jobs (allocation and scenario runs) are queued or running: in
    the database (every process), or in this process's pool (which also counts a job past its
    time bound whose thread is still computing)."""
    stored = sum(
        session.exec(
            select(func.count())
            .select_from(model)
            .where(col(model.status).in_(("queued", "running")))
        ).one()
        for model in (RunRow, ScenarioRunRow)
    )
    busy = max(stored, jobs.in_flight())
    if busy >= max_queued:
        raise UnavailableError(f"{busy} runs are queued or running; try again later", slug="busy")


def queue_job(
    session: Session,
    who: Principal,
    row: RunRow | ScenarioRunRow,
    *,
    jobs: Jobs,
    max_queued: int,
    **details: Any,
) -> None:
    """Store a new job's row as queued, with its audit event (``details``), and hand it to
    ``jobs`` after the commit (503 when too many are queued or running). The caller has
    begun the write transaction and checked the caller's access."""
    kind: JobKind = "run" if isinstance(row, RunRow) else "scenario"
    check_queue(session, max_queued, jobs)
    session.add(row)
    session.flush()
    assert row.id is not None
    record(session, who, f"{kind}.start", kind, str(row.id), area_id=row.area_id, **details)
    jobs.enqueue(session, kind, row.id, row.time_limit_s)
    session.commit()
    if kind == "run":
        jobs.submit(row.id, row.time_limit_s)
    else:
        jobs.submit_scenario(row.id, row.time_limit_s)


def _working(who: Principal, body: RunCreate) -> bool:
    """Whether the run becomes the round's working run when it succeeds: an officer's run of
    the children moving this round, unless the officer says it is a study; never a
    planner's (403 if a planner asks) nor a study from scratch."""
    if body.working and who.role != "officer":
        raise ForbiddenError(
            "only an officer designates the working run; a planner's runs are studies"
        )
    if body.scope != "moving":
        if body.working:
            raise InvalidError("a study from scratch cannot be the working run")
        return False
    return who.role == "officer" and body.working is not False


def queue_run(
    session: Session,
    who: Principal,
    area: AreaRow,
    body: RunCreate,
    *,
    jobs: Jobs,
    max_queued: int,
    limit: int,
) -> RunRow:
    """Store the run as queued, with its audit event, and hand it to ``jobs`` (after the
    commit). The caller has checked the caller's access to ``area``."""
    begin_write(session)
    policy_id = policy_id_for(session, who, body.policy_id)
    assert area.id is not None
    run = RunRow(
        area_id=area.id,
        area_revision=area.revision,
        policy_id=policy_id,
        mechanism=body.mechanism,
        scope=body.scope,
        seed=body.seed,
        time_limit_s=limit,
        status="queued",
        created_by=who.username,
        working=_working(who, body),
    )
    queue_job(
        session, who, run, jobs=jobs, max_queued=max_queued,
        mechanism=body.mechanism, scope=body.scope, seed=body.seed, policy_id=policy_id,
        working=run.working,
    )  # fmt: skip
    return run


def start_run(
    ctx: Ctx, session: Session, who: Principal, area_id: int, body: RunCreate
) -> RunPublic:
    """Start an allocation run: it is queued and solved off the event loop. The solver's
    time is bounded. Officers run their own LA's areas (after families change requests,
    say); a study from scratch (``scope: from_scratch``) is a planner's."""
    require(who, "planner", "officer")
    if body.scope == "from_scratch" and who.role != "planner":
        raise ForbiddenError("a study from scratch is a planner's run")
    area = area_for(session, who, area_id)
    limit = min(body.time_limit_s or ctx.settings.run_time_limit_s, ctx.settings.run_time_limit_s)
    run = queue_run(
        session, who, area, body, jobs=ctx.jobs, max_queued=ctx.settings.max_queued_runs,
        limit=limit,
    )  # fmt: skip
    return run_public(run, suppress=True)


def list_runs(session: Session, who: Principal, area_id: int, pg: PageParams) -> Page[RunPublic]:
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


def get_run(session: Session, who: Principal, run_id: int) -> RunPublic:
    """Status, manifest and headline figures (planners: small counts withheld)."""
    return run_public(run_for(session, who, run_id), suppress=who.role == "planner")


def run_placements(
    session: Session, who: Principal, run_id: int, pg: PageParams
) -> Page[dict[str, Any]]:
    """The run's child-level placements and unplaced children (officers only)."""
    require(who, "officer")
    run = run_for(session, who, run_id)
    result = session.exec(select(RunRow.result).where(RunRow.id == run.id)).one()
    if not result:
        return Page(items=[], page=pg.page, size=pg.size, total=0)
    res = json.loads(result)
    rows: list[dict[str, Any]] = res["placements"] + [
        {"child_id": u["child_id"], "setting_id": None, "unplaced": u} for u in res["unplaced"]
    ]
    rows.sort(key=lambda r: r["child_id"])
    return Page(
        items=rows[pg.offset : pg.offset + pg.size], page=pg.page, size=pg.size, total=len(rows)
    )


def dashboard(session: Session, who: Principal, run_id: int) -> dict[str, Any]:
    """The inclusion-dashboard view of one run: its placement mix against the LA's real mix
    and England's (DfE EHC plans, January 2025), journeys, cost by payer and unmet need."""
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
