"""Typed dependencies and the object-level access checks every route goes through.

Role checks answer 403 (the role may never do this); object checks answer 404 whether the
object is missing or belongs to someone else (another LA's child, another family's child), so
guessing ids tells nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from placement.service.core import CoreCache, Jobs
from placement.service.errors import (
    ForbiddenError,
    NotFoundError,
    UnauthorisedError,
    database_unavailable,
)
from placement.service.guards import Guards
from placement.service.models import (
    AreaRow,
    ChildRow,
    PlacementRow,
    RunRow,
    ScenarioRunRow,
    User,
)
from placement.service.ops import Ops
from placement.service.security import Principal, Role, decode_token, utcnow
from placement.service.settings import Settings

__all__ = [
    "REPORTS_DEFERRED",
    "Ctx",
    "CtxDep",
    "PageDep",
    "PrincipalDep",
    "SessionDep",
    "WriteLimitDep",
    "area_for",
    "audit_read",
    "child_for",
    "placement_for",
    "require",
    "run_for",
    "scenario_for",
]


@dataclass(eq=False)
class Ctx:
    settings: Settings
    engine: Engine
    secret: str
    cache: CoreCache
    jobs: Jobs
    clock: Callable[[], dt.datetime] = utcnow  # token issue and expiry (tests move it)
    ops: Ops | None = None  # read auditing and the audit anchor (placement.service.ops)
    guards: Guards = field(init=False)  # rate limits and the password-hashing cap

    def __post_init__(self) -> None:
        self.guards = Guards(self.settings)


def get_ctx(request: Request) -> Ctx:
    ctx: Ctx = request.app.state.ctx
    return ctx


CtxDep = Annotated[Ctx, Depends(get_ctx)]


def get_session(ctx: CtxDep) -> Iterator[Session]:
    s = Session(ctx.engine, expire_on_commit=False)
    try:
        yield s
    finally:
        # closing rolls back; on a connection the database has just dropped that fails, after
        # the response has started (the client would get no answer at all): the connection
        # is discarded all the same, so a database outage here is not an error
        try:
            s.close()
        except Exception as e:
            if not database_unavailable(e):
                raise


SessionDep = Annotated[Session, Depends(get_session)]
JobT = TypeVar("JobT", RunRow, ScenarioRunRow)
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def principal_from_token(ctx: Ctx, session: Session, token: str) -> Principal | None:
    """The user a valid, unrevoked token names (the API's bearer token, or a page session's
    cookie holding the same token), else None."""
    claims = decode_token(token, ctx.secret, now=ctx.clock())
    user = session.get(User, claims.user_id) if claims is not None else None
    if (
        claims is None
        or user is None
        or user.disabled
        or user.id is None
        or user.token_version != claims.version  # revoked: logout, disable, reset, role
    ):
        return None
    role: Role = user.role  # type: ignore[assignment]
    session.commit()  # end the read transaction: a write may follow with the lock first
    return Principal(user.id, user.username, role, user.la_code, user.area_id, user.child_id)


def get_principal(
    ctx: CtxDep, session: SessionDep, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    if not token:
        raise UnauthorisedError("sign in: send 'Authorization: Bearer <token>'")
    who = principal_from_token(ctx, session, token)
    if who is None:
        raise UnauthorisedError("the token is invalid or has expired")
    return who


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def write_limit(ctx: CtxDep, who: PrincipalDep) -> None:
    """Count a state-changing request against the caller's write limit (429 beyond it)."""
    ctx.guards.limits.write(who.user_id)


# ``_: WriteLimitDep`` as a route parameter applies the per-user write limit
# (``PLACEMENT_WRITE_LIMIT``, one bucket per user for every route that uses it)
WriteLimitDep = Annotated[None, Depends(write_limit)]


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="at most 100")] = 50,
) -> PageParams:
    return PageParams(page, size)


PageDep = Annotated[PageParams, Depends(page_params)]


def require(who: Principal, *roles: Role) -> None:
    if who.role not in roles:
        raise ForbiddenError(f"a {who.role} cannot do this (needs: {', '.join(roles)})")


def area_for(session: Session, who: Principal, area_id: int) -> AreaRow:
    """The area if the caller's LA holds it (families: their child's area), else 404."""
    area = session.get(AreaRow, area_id)
    if area is None or area.la_code != who.la_code:
        raise NotFoundError(f"area {area_id} not found")
    if who.role == "family" and who.area_id != area_id:
        raise NotFoundError(f"area {area_id} not found")
    return area


def child_for(session: Session, who: Principal, area_id: int, child_id: str) -> ChildRow:
    """A child the caller may see: an officer's LA's child, or a family's own child."""
    require(who, "officer", "family")
    if who.role == "family" and (who.area_id != area_id or who.child_id != child_id):
        raise NotFoundError(f"child {child_id} not found")
    area_for(session, who, area_id)
    row = session.exec(
        select(ChildRow).where(ChildRow.area_id == area_id, ChildRow.child_id == child_id)
    ).first()
    if row is None:
        raise NotFoundError(f"child {child_id} not found")
    return row


def audit_read(
    ctx: Ctx, session: Session, who: Principal, row: ChildRow, action: str, **details: Any
) -> None:
    """Record in the audit trail that ``who`` read this child's record (``action``: e.g.
    ``child.list.read``), under the child's LA (:mod:`placement.service.reads`)."""
    if ctx.ops is None:
        return
    area = session.get(AreaRow, row.area_id)
    la = area.la_code if area is not None else who.la_code
    ctx.ops.reads.record(
        who, action, area_id=row.area_id, child_id=row.child_id, la_code=la, **details
    )


def placement_for(session: Session, who: Principal, placement_id: int) -> PlacementRow:
    require(who, "officer", "family")
    row = session.get(PlacementRow, placement_id)
    if row is None:
        raise NotFoundError(f"placement {placement_id} not found")
    try:
        child_for(session, who, row.area_id, row.child_id)
    except NotFoundError:
        raise NotFoundError(f"placement {placement_id} not found") from None
    return row


def _job_for(
    session: Session, who: Principal, model: type[JobT], job_id: int, what: str, opts: Any
) -> JobT:
    """A run of the caller's LA (planners and officers), else 404."""
    require(who, "officer", "planner")
    row = session.get(model, job_id, options=opts)
    if row is None:
        raise NotFoundError(f"{what} {job_id} not found")
    try:
        area_for(session, who, row.area_id)
    except NotFoundError:
        raise NotFoundError(f"{what} {job_id} not found") from None
    return row


def run_for(session: Session, who: Principal, run_id: int) -> RunRow:
    heavy = (defer(RunRow.result), defer(RunRow.dashboard))  # type: ignore[arg-type]
    return _job_for(session, who, RunRow, run_id, "run", heavy)


# a finished scenario run's reports are large: load them only to download them
REPORTS_DEFERRED = (
    defer(ScenarioRunRow.report_json),  # type: ignore[arg-type]
    defer(ScenarioRunRow.report_html),  # type: ignore[arg-type]
    defer(ScenarioRunRow.report_csv),  # type: ignore[arg-type]
)


def scenario_for(
    session: Session, who: Principal, scenario_id: int, *, reports: bool = False
) -> ScenarioRunRow:
    """A scenario run of the caller's LA; its stored reports are loaded only if ``reports``."""
    opts = () if reports else REPORTS_DEFERRED
    return _job_for(session, who, ScenarioRunRow, scenario_id, "scenario run", opts)
