"""The API's typed FastAPI dependencies: the app's context, a database session, the signed-in
caller from a bearer token, paging and the per-user write limit. Access checks are the
service functions' (:mod:`placement.service.access`), not the routes'."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from placement.service.accounts.service import principal_from_token
from placement.service.context import Ctx
from placement.service.errors import UnauthorisedError, database_unavailable
from placement.service.schemas import PageParams
from placement.service.security import Principal

__all__ = ["CtxDep", "PageDep", "PrincipalDep", "SessionDep", "WriteLimitDep"]


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
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


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


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="at most 100")] = 50,
) -> PageParams:
    return PageParams(page, size)


PageDep = Annotated[PageParams, Depends(page_params)]
