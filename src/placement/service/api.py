"""The API: ``create_api(settings)`` migrates the database, makes the app's context (engine,
cache, jobs, read auditing) and wires every feature's routes, the docs and the error
handlers. The pages are not the service's: :mod:`placement.app` mounts them on this app."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from sqlalchemy import BigInteger, Exists, String, cast, column, exists, literal, table
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import col, select, update
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from placement.service.accounts.routes import router as accounts_routes
from placement.service.anchor import AnchorWriter
from placement.service.areas.routes import router as areas_routes
from placement.service.audit.routes import router as audit_routes
from placement.service.children.routes import router as children_routes
from placement.service.clock import parse_now, set_now
from placement.service.context import Ctx
from placement.service.db import (
    is_sqlite,
    make_engine,
    migrate_as_owner,
    needs_postgresql,
    write_session,
)
from placement.service.decisions.routes import router as decisions_routes
from placement.service.engine import CoreCache
from placement.service.errors import install_handlers, problem
from placement.service.jobs import JOB_MODELS, QUEUE_TASK, Jobs, RunJobs
from placement.service.ops import (
    API_CSP,
    Ops,
    RouteForLogs,
    SecurityHeaders,
    docs_router,
    install_access_log,
)
from placement.service.panel.routes import router as panel_routes
from placement.service.placements.routes import router as placements_routes
from placement.service.policies.routes import router as policies_routes
from placement.service.reads import ReadAudit
from placement.service.requests.routes import router as requests_routes
from placement.service.rounds.routes import router as rounds_routes
from placement.service.runs.models import RunRow
from placement.service.runs.routes import router as runs_routes
from placement.service.scenarios.models import ScenarioRunRow
from placement.service.scenarios.routes import router as scenarios_routes
from placement.service.settings import Settings, get_settings, jwt_secret

__all__ = ["ServiceApp", "create_api"]

ROUTERS = (
    accounts_routes,
    areas_routes,
    children_routes,
    requests_routes,
    placements_routes,
    decisions_routes,
    runs_routes,
    rounds_routes,
    panel_routes,
    policies_routes,
    scenarios_routes,
    audit_routes,
)

DESCRIPTION = """\
Tailored lists and placement decisions for children with EHC plans (CFA 2014 s.38/s.39).

Sign in with `POST /auth/token` (OAuth2 password flow) and send `Authorization: Bearer ...`.
Roles: **officer** (their LA's children: lists, explanations, placements, decisions),
**family** (their own child: list and reasons in family wording, their requests), **planner**
(areas, policies, allocation runs, capacity scenarios and aggregates without child-level
fields; counts of 1 to 9 children are withheld in everything a planner can export). Lists
are advice: a family may ask for any setting, and every refusal needs a lawful reason. Every
error is an RFC 9457 problem (`application/problem+json`).
"""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413), declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = problem(
            413, "Content too large", f"request bodies are limited to {self.limit} bytes"
        )
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_big(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLargeError(self.limit)
            return msg

        try:
            await self.app(scope, limited, send)
        except _BodyTooLargeError:
            await too_big(scope, receive, send)


class _BodyTooLargeError(HTTPException):
    """Raised from ``receive`` mid-stream. An HTTPException, because FastAPI turns anything
    else raised while it reads a body into a 400 ("error parsing the body"); it re-raises
    this, and the app's handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies are limited to {limit} bytes")


class ServiceApp(FastAPI):
    """FastAPI whose every response, a bare 500 included, gets the security headers and
    tells the access log its route's template. ``wrappers`` wrap the app inside the
    security headers (the pages' CSRF protection, added by :mod:`placement.app`)."""

    docs_csp = API_CSP

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.wrappers: list[Callable[[ASGIApp], ASGIApp]] = []

    def build_middleware_stack(self) -> ASGIApp:
        inner: ASGIApp = RouteForLogs(super().build_middleware_stack())
        for wrap in self.wrappers:
            inner = wrap(inner)
        return SecurityHeaders(inner, self.docs_csp)


def _on_the_queue(kind: str, model: type[RunRow | ScenarioRunRow]) -> Exists:
    """The job is on the queue (PostgreSQL), waiting or taken by a worker."""
    queued = table(
        "procrastinate_jobs", column("status"), column("args", JSONB), column("task_name")
    )
    return exists(
        select(literal(1))
        .select_from(queued)
        .where(
            queued.c.task_name == QUEUE_TASK,
            cast(queued.c.status, String).in_(("todo", "doing")),
            queued.c.args["kind"].astext == kind,
            cast(queued.c.args["job_id"].astext, BigInteger) == model.id,
        )
    )


def create_api(settings: Settings | None = None) -> ServiceApp:
    """Build the service's API: engine, migrations, signing secret, cache, run workers,
    routes and error handlers."""
    settings = settings or get_settings()
    if settings.now is not None:
        set_now(parse_now(settings.now))
    jobs: Jobs
    if settings.jobs == "queue":
        refused = needs_postgresql(settings.database_url, "the job queue (PLACEMENT_JOBS=queue)")
        if refused:
            raise ValueError(refused)
    engine = make_engine(settings)
    migrate_as_owner(settings, engine)
    if settings.jobs == "queue":
        # jobs are the workers' (placement worker): a job whose worker died is taken back
        # by the other workers (placement.service.queue), never by an API process starting
        from placement.service.queue import QueueJobs

        jobs = QueueJobs()
    else:
        with write_session(engine) as s:  # jobs a previous process left unfinished
            for kind, model in JOB_MODELS.items():
                stale = update(model).where(col(model.status).in_(("queued", "running")))
                if not is_sqlite(engine):  # not the queue's: a worker has those in hand
                    stale = stale.where(~_on_the_queue(kind, model))
                s.execute(
                    stale.values(
                        status="failed",
                        error="interrupted: the service restarted",
                        finished_at=dt.datetime.now(dt.UTC),
                    )
                )
        jobs = RunJobs(engine, settings.run_workers, settings.validate_runs)
    ctx = Ctx(
        settings=settings,
        engine=engine,
        secret=jwt_secret(settings),
        cache=CoreCache(engine, settings.cache_entries, settings.cache_mb << 20),
        jobs=jobs,
    )
    ctx.ops = Ops(reads=ReadAudit(engine))
    if settings.audit_anchor:
        token = settings.audit_anchor_token
        ctx.ops.anchor = AnchorWriter(
            engine,
            settings.audit_anchor,
            interval_s=settings.audit_anchor_interval_s,
            token=token.get_secret_value() if token else None,
        )
    ctx.ops.start()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if ctx.ops is not None:
            ctx.ops.start()  # a no-op unless an earlier lifespan stopped it
        yield
        ctx.jobs.shutdown()
        if ctx.ops is not None:
            ctx.ops.stop()
        engine.dispose()

    app = ServiceApp(
        title="Placement service",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from packaged assets, or not at all
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs else None,
    )
    app.state.ctx = ctx
    if settings.docs:
        docs, app.docs_csp = docs_router(app.title, "/openapi.json")
        app.include_router(docs)
    install_handlers(app)
    for r in ROUTERS:
        app.include_router(r)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    install_access_log()
    return app
